//! Durations written as in Prometheus: `500ms`, `5m`, `1h30m`, `30d`.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const UNITS: [(&str, u64); 6] = [
    ("w", 7 * 86_400_000),
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Parses a duration made of `<integer><unit>` parts in decreasing unit order, with units
/// `w`, `d`, `h`, `m`, `s` and `ms`, such as `5m`, `1h30m` or `250ms`.
///
/// # Errors
/// A message naming the text when it is empty, has an unknown unit, repeats a unit or
/// lists units out of order, or overflows.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid =
        |why: &str| format!("invalid duration \"{text}\": {why}; write it like 5m, 1h30m or 250ms");
    if text.is_empty() {
        return Err(invalid("it is empty"));
    }
    let mut rest = text;
    let mut millis: u64 = 0;
    let mut last_unit: Option<usize> = None;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(invalid("a number must come before each unit"));
        }
        let (number, after) = rest.split_at(digits);
        let letters = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(letters);
        let position = UNITS
            .iter()
            .position(|(name, _)| *name == unit)
            .ok_or_else(|| invalid(&format!("unknown unit \"{unit}\"")))?;
        if last_unit.is_some_and(|last| position <= last) {
            return Err(invalid("units must go from largest to smallest, each once"));
        }
        last_unit = Some(position);
        let value: u64 = number
            .parse()
            .map_err(|_| invalid("the number is too large"))?;
        millis = value
            .checked_mul(UNITS[position].1)
            .and_then(|part| millis.checked_add(part))
            .ok_or_else(|| invalid("the duration is too large"))?;
        rest = after;
    }
    Ok(Duration::from_millis(millis))
}

/// Formats a duration with the largest units first, leaving out zero parts: `1h30m`,
/// `2d19h12m`, `0s`. Weeks are written as days, because `7d` reads better in window
/// names than `1w`. Sub-millisecond parts are dropped.
pub fn format_duration(duration: Duration) -> String {
    let mut millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    if millis == 0 {
        return "0s".to_owned();
    }
    let mut text = String::new();
    for (unit, size) in UNITS.iter().skip(1) {
        let count = millis / size;
        if count > 0 {
            text.push_str(&count.to_string());
            text.push_str(unit);
            millis %= size;
        }
    }
    text
}

/// A [`Duration`] read from and written as Prometheus-style text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DurationText(pub Duration);

impl fmt::Display for DurationText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

impl Serialize for DurationText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_duration(&text)
            .map(DurationText)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_single_and_compound_units() {
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_duration("1w"), Ok(Duration::from_secs(7 * 86_400)));
    }

    #[test]
    fn rejects_malformed_text() {
        for text in [
            "",
            "5",
            "m",
            "5x",
            "1m1h",
            "5m5m",
            "-5m",
            "1.5h",
            "99999999999999999999d",
        ] {
            let error = parse_duration(text).unwrap_err();
            assert!(error.contains(&format!("\"{text}\"")), "{error}");
        }
    }

    #[test]
    fn formats_largest_units_first() {
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(4032 * 60)), "2d19h12m");
        assert_eq!(format_duration(Duration::from_secs(7 * 86_400)), "7d");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1s500ms");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }

    #[test]
    fn format_and_parse_round_trip() {
        for seconds in [1, 59, 60, 3599, 3600, 86_399, 2_592_000] {
            let duration = Duration::from_secs(seconds);
            assert_eq!(parse_duration(&format_duration(duration)), Ok(duration));
        }
    }
}
