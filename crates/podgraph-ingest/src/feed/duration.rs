//! Time values of feeds in milliseconds: `itunes:duration`, Podlove Simple Chapters start
//! times (normal play time) and the decimal seconds of `podcast:soundbite`.

/// Parses `SS`, `MM:SS` or `HH:MM:SS`, each optionally with a decimal fraction of a second
/// (`1234.5`, `01:02:03.400`), into milliseconds. The leading field may exceed 59 (`90:00`
/// is ninety minutes); the fields after it may not. Digits past milliseconds are truncated.
///
/// Returns `None` for anything else, including negative values and values that overflow.
pub(crate) fn parse_time_ms(raw: &str) -> Option<u64> {
    let text = raw.trim();
    if text.is_empty() {
        return None;
    }
    let (clock, fraction) = match text.split_once('.') {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (text, None),
    };

    let fields: Vec<&str> = clock.split(':').collect();
    if fields.len() > 3 {
        return None;
    }
    let mut seconds: u64 = 0;
    for (index, field) in fields.iter().enumerate() {
        if field.is_empty() || field.len() > 12 || !field.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let value: u64 = field.parse().ok()?;
        if index > 0 && value >= 60 {
            return None;
        }
        seconds = seconds.checked_mul(60)?.checked_add(value)?;
    }

    let millis = match fraction {
        None => 0,
        Some(fraction) => {
            if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let digits: String = fraction.chars().chain("000".chars()).take(3).collect();
            digits.parse::<u64>().ok()?
        }
    };
    seconds.checked_mul(1000)?.checked_add(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_forms_parse() {
        assert_eq!(parse_time_ms("0"), Some(0));
        assert_eq!(parse_time_ms("01"), Some(1_000));
        assert_eq!(parse_time_ms("01:02"), Some(62_000));
        assert_eq!(parse_time_ms("01:02:03"), Some(3_723_000));
        assert_eq!(parse_time_ms("01:02:03.400"), Some(3_723_400));
        assert_eq!(parse_time_ms(" 3:00 "), Some(180_000));
        assert_eq!(parse_time_ms("90:00"), Some(5_400_000));
        assert_eq!(parse_time_ms("3600"), Some(3_600_000));
    }

    #[test]
    fn decimal_seconds_parse_without_float_rounding() {
        assert_eq!(parse_time_ms("33.833"), Some(33_833));
        assert_eq!(parse_time_ms("60.0"), Some(60_000));
        assert_eq!(parse_time_ms("29.32"), Some(29_320));
        assert_eq!(parse_time_ms("1.23456"), Some(1_234));
    }

    #[test]
    fn invalid_values_are_rejected() {
        for raw in [
            "",
            "H:MM:SS",
            "-1",
            "1:60",
            "1:2:3:4",
            "1.",
            ".5",
            "1:",
            "12 min",
            "99999999999999999999",
        ] {
            assert_eq!(parse_time_ms(raw), None, "{raw:?}");
        }
    }
}
