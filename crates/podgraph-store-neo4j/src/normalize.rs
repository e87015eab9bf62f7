//! Name normalisation for alias and name look-ups; the same folding as the SQLite store,
//! so both stores match the same names.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_spacing_and_punctuation() {
        assert_eq!(normalize_name("  Guido   van Rossum "), "guido van rossum");
        assert_eq!(normalize_name("O'Reilly Media"), "oreilly media");
        assert_eq!(normalize_name("U.S.A."), "usa");
    }

    #[test]
    fn keeps_symbols_that_distinguish_names() {
        assert_eq!(normalize_name("C++"), "c++");
        assert_ne!(normalize_name("C"), normalize_name("C#"));
    }
}
