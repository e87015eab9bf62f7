//! Removing credentials from URLs before they reach a log line or an error message.

use url::Url;

/// Placeholder written in place of a secret query or fragment value.
const MASK: &str = "***";

/// Words in a parameter name that mark its value as a secret.
const SECRET_WORDS: &[&str] = &[
    "token",
    "key",
    "apikey",
    "auth",
    "signature",
    "sig",
    "password",
    "passwd",
    "secret",
    "credential",
    "credentials",
];

/// Endings of a parameter name written without separators (`accessToken`, `clientSecret`)
/// that mark its value as a secret.
const SECRET_SUFFIXES: &[&str] = &["token", "key", "secret", "password", "signature"];

/// Returns `url` with credentials removed, for logs and error messages.
///
/// The userinfo (`user:password@`) is removed, and the values of query and fragment
/// parameters whose names look like secrets are replaced by `***`.
///
/// A name looks like a secret when one of its words (split at `_`, `-` and `.`) is
/// `token`, `key`, `apikey`, `auth`, `signature`, `sig`, `password`, `passwd`, `secret`
/// or `credential(s)`. It also does when it ends in `token`, `key`, `secret`, `password`
/// or `signature`, which catches `accessToken` and `clientSecret`. The rule errs on the
/// side of masking harmless values such as `monkey=1`.
///
/// A string that is not a hierarchical URL (a local path, for instance) is returned
/// unchanged unless it contains `://`, in which case the same rules are applied to its
/// text.
pub fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(parsed) if !parsed.cannot_be_a_base() => redact_parsed(parsed),
        _ if url.contains("://") => redact_text(url),
        _ => url.to_owned(),
    }
}

fn redact_parsed(mut url: Url) -> String {
    // Both setters only fail for URLs without a host, which carry no userinfo anyway.
    let _ = url.set_username("");
    let _ = url.set_password(None);

    if let Some(query) = url.query().map(mask_parameters) {
        url.set_query(Some(&query));
    }
    if let Some(fragment) = url.fragment().map(mask_parameters) {
        url.set_fragment(Some(&fragment));
    }
    url.into()
}

/// Redacts a string that looks like a URL but does not parse as one.
fn redact_text(text: &str) -> String {
    let (before_fragment, fragment) = match text.split_once('#') {
        Some((head, fragment)) => (head, Some(fragment)),
        None => (text, None),
    };
    let (before_query, query) = match before_fragment.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (before_fragment, None),
    };

    let mut redacted = String::with_capacity(text.len());
    match before_query.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            let host = authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host);
            redacted.push_str(scheme);
            redacted.push_str("://");
            redacted.push_str(host);
            redacted.push_str(path);
        }
        None => redacted.push_str(before_query),
    }
    if let Some(query) = query {
        redacted.push('?');
        redacted.push_str(&mask_parameters(query));
    }
    if let Some(fragment) = fragment {
        redacted.push('#');
        redacted.push_str(&mask_parameters(fragment));
    }
    redacted
}

/// Masks the secret values in an `a=b&c=d` list, keeping everything else byte for byte.
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

fn is_secret_name(name: &str) -> bool {
    let decoded = percent_decode(name).to_ascii_lowercase();
    let is_secret_word = decoded
        .split(['_', '-', '.', ' ', '[', ']'])
        .any(|word| SECRET_WORDS.contains(&word));
    let compact: String = decoded
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    is_secret_word
        || SECRET_SUFFIXES
            .iter()
            .any(|suffix| compact.ends_with(suffix))
}

/// Decodes `%XX` escapes and `+` leniently, keeping invalid escapes as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let escaped = match (byte, bytes.get(index + 1), bytes.get(index + 2)) {
            (b'%', Some(high), Some(low)) => hex_value(*high).zip(hex_value(*low)),
            _ => None,
        };
        match escaped {
            Some((high, low)) => {
                decoded.push(high * 16 + low);
                index += 3;
            }
            None => {
                decoded.push(if byte == b'+' { b' ' } else { byte });
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}
