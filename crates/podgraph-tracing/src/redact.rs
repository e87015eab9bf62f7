//! Removing secrets from text before it reaches a log line or an exported span.
//!
//! Three rules apply, and each errs on the side of masking:
//!
//! - a field or attribute whose *name* looks like a secret ([`is_secret_name`]) has its
//!   whole value replaced by `***`;
//! - URLs lose their `user:password@` part, and query parameters with secret-looking
//!   names get their values masked ([`redact_url`]);
//! - free text (messages, error chains) has URLs redacted as above, the credential after
//!   `Bearer` or `Basic` masked, `name=value` and `name: value` pairs with secret-looking
//!   names masked, and words shaped like well-known API keys (`sk-...`, `ghp_...`,
//!   `AKIA...`, JSON web tokens) masked ([`redact_text`]).
//!
//! The crate keeps its own redactor instead of depending on `podgraph-ingest`, so that
//! this cross-cutting crate stays free of the parsing stack.

use std::borrow::Cow;

use url::Url;

/// The text written in place of a secret.
pub const MASK: &str = "***";

/// Words that mark a name as a secret wherever they appear in it.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "authorization",
    "auth",
    "credential",
    "credentials",
    "cookie",
    "bearer",
    "signature",
    "sig",
];

/// Pairs of adjacent words that mark a name as a secret (`api_key`, `X-Api-Key`,
/// `privateKey`), while `key` alone (`cache_key`, `episode_key`) does not.
const SECRET_WORD_PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("access", "key"),
    ("secret", "key"),
    ("private", "key"),
    ("signing", "key"),
    ("session", "key"),
    ("client", "secret"),
    ("set", "cookie"),
];

/// Returns whether a field, attribute, header or parameter name looks like it names a
/// secret.
///
/// The name is split into words at `_`, `-`, `.`, spaces and lower-to-upper case changes.
/// It is a secret when one word is in a fixed list (`password`, `secret`, `token`,
/// `apikey`, `authorization`, `auth`, `credential(s)`, `cookie`, `signature`, ...) or two
/// adjacent words form `api key`, `access key`, `private key`, `client secret` and
/// similar. Counts such as `input_tokens` are not secrets: `tokens` is not `token`.
pub fn is_secret_name(name: &str) -> bool {
    let words = split_words(name);
    if words
        .iter()
        .any(|word| SECRET_WORDS.contains(&word.as_str()))
    {
        return true;
    }
    words.windows(2).any(|pair| match pair {
        [first, second] => SECRET_WORD_PAIRS
            .iter()
            .any(|(a, b)| first == a && second == b),
        _ => false,
    })
}

/// Splits `X-Api-Key`, `api_key` and `apiKey` into lowercase words.
fn split_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for character in name.chars() {
        if !character.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if character.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = character.is_lowercase() || character.is_ascii_digit();
        current.extend(character.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Returns `url` without credentials: the `user:password@` part is removed and the values
/// of query and fragment parameters with secret-looking names are replaced by `***`.
///
/// A string that does not parse as a URL with a host keeps its text, with the same rules
/// applied to the characters between `://` and the first `/`, `?` or `#`.
pub fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.has_host() => {
            // Both setters fail only for URLs that cannot carry a userinfo part.
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            if let Some(query) = parsed.query().map(mask_parameters) {
                parsed.set_query(Some(&query));
            }
            if let Some(fragment) = parsed.fragment().map(mask_parameters) {
                parsed.set_fragment(Some(&fragment));
            }
            parsed.into()
        }
        _ => redact_unparsed_url(url),
    }
}

fn redact_unparsed_url(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (tail, None),
    };
    let mut redacted = format!("{scheme}://{host}{path}");
    if let Some(query) = query {
        redacted.push('?');
        redacted.push_str(&mask_parameters(query));
    }
    redacted
}

/// Masks the secret values of an `a=b&c=d` list, keeping the rest byte for byte.
fn mask_parameters(parameters: &str) -> String {
    parameters
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_name(name) => format!("{name}={MASK}"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Removes secrets from free text; see the module documentation for the rules. Returns
/// the input unchanged, without copying, when nothing needed masking.
pub fn redact_text(text: &str) -> Cow<'_, str> {
    let mut redacted = Cow::Borrowed(text);
    if text.contains("://") {
        redacted = Cow::Owned(redact_urls_in(&redacted));
    }
    if let Some(masked) = mask_auth_schemes(&redacted) {
        redacted = Cow::Owned(masked);
    }
    if let Some(masked) = mask_assignments(&redacted) {
        redacted = Cow::Owned(masked);
    }
    if let Some(masked) = mask_key_shapes(&redacted) {
        redacted = Cow::Owned(masked);
    }
    redacted
}

/// Returns the value to log for a field: all of it masked when the name looks like a
/// secret, otherwise the text with [`redact_text`] applied.
pub fn redact_field<'a>(name: &str, value: &'a str) -> Cow<'a, str> {
    if is_secret_name(name) {
        Cow::Borrowed(MASK)
    } else {
        redact_text(value)
    }
}

fn is_url_delimiter(character: char) -> bool {
    character.is_whitespace() || matches!(character, '"' | '\'' | '<' | '>' | '`' | '{' | '}')
}

/// Finds each `scheme://...` run and replaces it by its redacted form.
fn redact_urls_in(text: &str) -> String {
    let mut output = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(marker) = rest.find("://") {
        let (before, after) = rest.split_at(marker);
        let scheme_start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
            .last()
            .map_or(before.len(), |(index, _)| index);
        let (prefix, scheme) = before.split_at(scheme_start);
        let url_end = after.find(is_url_delimiter).unwrap_or(after.len());
        let (url_rest, remainder) = after.split_at(url_end);
        output.push_str(prefix);
        if scheme.is_empty() {
            output.push_str(url_rest);
        } else {
            let url = format!("{scheme}{url_rest}");
            // Trailing punctuation of a sentence is not part of the URL.
            let trimmed = url.trim_end_matches(['.', ',', ';', ')', ']']);
            output.push_str(&redact_url(trimmed));
            output.push_str(&url[trimmed.len()..]);
        }
        rest = remainder;
    }
    output.push_str(rest);
    output
}

/// Characters that end a masked value.
fn ends_value(character: char) -> bool {
    character.is_whitespace() || matches!(character, '"' | '\'' | ',' | ';' | '&' | '}' | ')')
}

/// Masks the credential after `Bearer ` or `Basic ` (any case).
fn mask_auth_schemes(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let mut ranges = Vec::new();
    for scheme in ["bearer ", "basic "] {
        let mut from = 0;
        while let Some(found) = lower.get(from..).and_then(|tail| tail.find(scheme)) {
            let start = from + found;
            let word_start = start == 0
                || !text[..start]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric);
            let value_start = start + scheme.len();
            let value_start = value_start
                + text[value_start..]
                    .find(|c: char| !c.is_whitespace())
                    .unwrap_or(text.len() - value_start);
            let value_end = text[value_start..]
                .find(ends_value)
                .map_or(text.len(), |end| value_start + end);
            if word_start && value_end > value_start && &text[value_start..value_end] != MASK {
                ranges.push((value_start, value_end));
            }
            from = value_end.max(start + scheme.len());
        }
    }
    replace_ranges(text, ranges)
}

/// Masks values of `name=value`, `name: value` and `"name": "value"` where the name looks
/// like a secret.
fn mask_assignments(text: &str) -> Option<String> {
    let mut ranges = Vec::new();
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        let is_name_byte =
            |byte: u8| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.');
        if !bytes.get(index).copied().is_some_and(is_name_byte) {
            index += 1;
            continue;
        }
        let name_start = index;
        while bytes.get(index).copied().is_some_and(is_name_byte) {
            index += 1;
        }
        let name = &text[name_start..index];
        if !is_secret_name(name) {
            continue;
        }
        let mut cursor = index;
        cursor = skip(bytes, cursor, |byte| byte == b'"' || byte == b'\'');
        cursor = skip(bytes, cursor, |byte| byte == b' ');
        if !matches!(bytes.get(cursor), Some(b'=' | b':')) {
            continue;
        }
        cursor += 1;
        cursor = skip(bytes, cursor, |byte| byte == b' ');
        cursor = skip(bytes, cursor, |byte| byte == b'"' || byte == b'\'');
        let value_end = text[cursor..]
            .find(ends_value)
            .map_or(text.len(), |end| cursor + end);
        let value = &text[cursor..value_end];
        let is_scheme = value.eq_ignore_ascii_case("bearer") || value.eq_ignore_ascii_case("basic");
        if !value.is_empty() && !value.starts_with(MASK) && !is_scheme {
            ranges.push((cursor, value_end));
        }
        index = value_end.max(index);
    }
    replace_ranges(text, ranges)
}

fn skip(bytes: &[u8], mut index: usize, predicate: impl Fn(u8) -> bool) -> usize {
    while bytes.get(index).copied().is_some_and(&predicate) {
        index += 1;
    }
    index
}

/// Masks words shaped like well-known credentials: OpenAI-style `sk-` keys, GitHub
/// tokens, AWS access key ids and JSON web tokens.
fn mask_key_shapes(text: &str) -> Option<String> {
    let is_word_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let mut ranges = Vec::new();
    let mut word_start = None;
    for (index, character) in text.char_indices().chain([(text.len(), ' ')]) {
        match (word_start, is_word_char(character)) {
            (None, true) => word_start = Some(index),
            (Some(start), false) => {
                if looks_like_key(&text[start..index]) {
                    ranges.push((start, index));
                }
                word_start = None;
            }
            _ => {}
        }
    }
    replace_ranges(text, ranges)
}

fn looks_like_key(word: &str) -> bool {
    let long_tail = |prefix: &str, minimum: usize| {
        word.strip_prefix(prefix).is_some_and(|tail| {
            tail.len() >= minimum
                && tail
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
    };
    let aws_key = word.len() == 20
        && (word.starts_with("AKIA") || word.starts_with("ASIA"))
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    let jwt = word.starts_with("eyJ") && word.matches('.').count() == 2 && word.len() > 30;
    long_tail("sk-", 20)
        || long_tail("ghp_", 20)
        || long_tail("gho_", 20)
        || long_tail("github_pat_", 20)
        || long_tail("xoxb-", 10)
        || long_tail("xoxp-", 10)
        || aws_key
        || jwt
}

/// Replaces byte ranges (sorted or not, possibly overlapping) by [`MASK`]; `None` when
/// there is nothing to replace.
fn replace_ranges(text: &str, mut ranges: Vec<(usize, usize)>) -> Option<String> {
    if ranges.is_empty() {
        return None;
    }
    ranges.sort_unstable();
    let mut output = String::with_capacity(text.len());
    let mut position = 0;
    for (start, end) in ranges {
        if start < position {
            continue;
        }
        output.push_str(&text[position..start]);
        output.push_str(MASK);
        position = end;
    }
    output.push_str(&text[position..]);
    Some(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_recognised() {
        for name in [
            "password",
            "db_password",
            "api_key",
            "apiKey",
            "X-Api-Key",
            "apikey",
            "Authorization",
            "access_token",
            "accessToken",
            "client_secret",
            "OPENAI_API_KEY",
            "private_key",
            "set-cookie",
        ] {
            assert!(is_secret_name(name), "{name} should be secret");
        }
    }

    #[test]
    fn ordinary_names_are_kept() {
        for name in [
            "cache_key",
            "episode_key",
            "input_tokens",
            "gen_ai.usage.output_tokens",
            "monkey",
            "url",
            "episode_id",
            "author",
        ] {
            assert!(!is_secret_name(name), "{name} should not be secret");
        }
    }

    #[test]
    fn url_loses_userinfo_and_secret_parameters() {
        let redacted = redact_url("https://alice:hunter2@example.com/feed.xml?token=abc&page=2");
        assert!(!redacted.contains("hunter2"), "{redacted}");
        assert!(!redacted.contains("alice"), "{redacted}");
        assert!(!redacted.contains("abc"), "{redacted}");
        assert!(redacted.contains("page=2"), "{redacted}");
    }

    #[test]
    fn unparsable_url_is_still_redacted() {
        let redacted = redact_url("https://bob:pw123@exa mple.com/x?api_key=k1");
        assert!(!redacted.contains("pw123"), "{redacted}");
        assert!(!redacted.contains("k1"), "{redacted}");
    }

    #[test]
    fn text_with_urls_and_assignments_is_redacted() {
        let text = "failed to GET https://u:p4ss@host/x?sig=zz. retry with password=hunter2 \
                    and \"api_key\": \"k-123\", header Authorization: Bearer abc.def";
        let redacted = redact_text(text);
        for secret in ["p4ss", "sig=zz", "hunter2", "k-123", "abc.def"] {
            assert!(!redacted.contains(secret), "{secret} in {redacted}");
        }
        assert!(
            redacted.starts_with("failed to GET https://host/x?sig=***."),
            "{redacted}"
        );
    }

    #[test]
    fn key_shapes_are_masked() {
        let text = "key sk-abcdefghijklmnopqrstuvwx and AKIAABCDEFGHIJKLMNOP end";
        let redacted = redact_text(text);
        assert_eq!(redacted, "key *** and *** end");
    }

    #[test]
    fn clean_text_is_borrowed() {
        let text = "episode 42 processed in 12 ms with 3 tokens";
        assert!(matches!(redact_text(text), Cow::Borrowed(_)));
    }

    #[test]
    fn secret_field_is_masked_entirely() {
        assert_eq!(redact_field("api_key", "anything"), MASK);
        assert_eq!(redact_field("title", "anything"), "anything");
    }

    #[test]
    fn non_ascii_text_is_handled() {
        let text = "épisode «token=sécret» über https://ü:pw@例え.jp/";
        let redacted = redact_text(text);
        assert!(!redacted.contains("sécret"), "{redacted}");
        assert!(!redacted.contains(":pw@"), "{redacted}");
    }
}
