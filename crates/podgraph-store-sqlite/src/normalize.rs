//! Name normalisation for alias and name look-ups.

/// Folds a name for matching: lowercase, apostrophes and dots dropped (`O'Reilly` and
/// `OReilly`, `U.S.` and `US` match), other punctuation treated as a word break, and
/// whitespace collapsed. `+`, `#` and `&` are kept because they distinguish names such as
/// `C`, `C++` and `C#`.
pub(crate) fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_space = false;
    for c in name.chars() {
        if c.is_alphanumeric() || matches!(c, '+' | '#' | '&') {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else if matches!(c, '\'' | '\u{2019}' | '.') {
            // Dropped without a break: `U.S.` becomes `us`.
        } else {
            pending_space = true;
        }
    }
    out
}

/// The smallest string greater than every string that starts with `prefix`, for an
/// index range scan `value >= prefix AND value < upper`. SQLite compares text bytewise,
/// and no UTF-8 text continues past U+10FFFF.
pub(crate) fn prefix_upper_bound(prefix: &str) -> String {
    let mut upper = String::with_capacity(prefix.len() + 4);
    upper.push_str(prefix);
    upper.push(char::MAX);
    upper
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_spacing_and_punctuation() {
        assert_eq!(normalize_name("  Guido   van Rossum "), "guido van rossum");
        assert_eq!(normalize_name("O'Reilly Media"), "oreilly media");
        assert_eq!(normalize_name("U.S.A."), "usa");
        assert_eq!(normalize_name("Jaro-Winkler"), "jaro winkler");
        assert_eq!(normalize_name("Ærø, København"), "ærø københavn");
    }

    #[test]
    fn keeps_symbols_that_distinguish_names() {
        assert_eq!(normalize_name("C++"), "c++");
        assert_eq!(normalize_name("C#"), "c#");
        assert_ne!(normalize_name("C"), normalize_name("C++"));
    }

    #[test]
    fn punctuation_only_is_empty() {
        assert_eq!(normalize_name(" -- ... "), "");
    }

    #[test]
    fn prefix_bound_sorts_after_extensions() {
        let upper = prefix_upper_bound("py");
        assert!("python".as_bytes() < upper.as_bytes());
        assert!("pz".as_bytes() > upper.as_bytes());
    }
}
