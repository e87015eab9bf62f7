//! Publication dates as feeds write them: RFC 2822 with its common variations, and
//! RFC 3339 / ISO 8601.
//!
//! Accepted RFC 2822 variations: a missing or wrong weekday, a single-digit day, full month
//! names, a two-digit year, missing seconds, fractional seconds, a missing zone (read as
//! UTC), numeric zones with or without a colon, `Z`, `UT`, `UTC`, `GMT` and the US zone
//! names (EST, EDT, CST, CDT, MST, MDT, PST, PDT).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

/// A parsed date and the repairs that were needed to read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ParsedDate {
    /// The instant, with the offset the feed gave.
    pub(crate) value: DateTime<FixedOffset>,
    /// The feed named a weekday that does not match the date; the weekday was ignored.
    pub(crate) weekday_mismatch: bool,
    /// The feed gave no time zone; UTC was assumed.
    pub(crate) zone_assumed: bool,
}

/// Parses a feed date, or returns `None` when it cannot be read.
pub(crate) fn parse_date(raw: &str) -> Option<ParsedDate> {
    let text = raw.trim();
    if text.is_empty() {
        return None;
    }
    if text.len() >= 10 && text.as_bytes().get(4) == Some(&b'-') {
        parse_iso8601(text)
    } else {
        parse_rfc2822(text)
    }
}

fn parse_iso8601(text: &str) -> Option<ParsedDate> {
    if let Ok(value) = DateTime::parse_from_rfc3339(text) {
        return Some(exact(value));
    }
    let normalized = text.replacen(' ', "T", 1);
    let normalized = match normalized.strip_suffix(['Z', 'z']) {
        Some(without) => format!("{without}+00:00"),
        None => normalized,
    };
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(value) = DateTime::parse_from_str(&normalized, format) {
            return Some(exact(value));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(value) = NaiveDateTime::parse_from_str(&normalized, format) {
            return Some(assumed_utc(value));
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(|date| assumed_utc(date.and_time(NaiveTime::MIN)))
}

fn exact(value: DateTime<FixedOffset>) -> ParsedDate {
    ParsedDate {
        value,
        weekday_mismatch: false,
        zone_assumed: false,
    }
}

fn assumed_utc(value: NaiveDateTime) -> ParsedDate {
    ParsedDate {
        value: value.and_utc().fixed_offset(),
        weekday_mismatch: false,
        zone_assumed: true,
    }
}

fn parse_rfc2822(text: &str) -> Option<ParsedDate> {
    let cleaned = strip_comments(text).replace(',', " ");
    let mut tokens = cleaned.split_whitespace().peekable();

    let mut weekday = None;
    if let Some(token) = tokens.peek() {
        if let Some(day) = weekday_from_name(token) {
            weekday = Some(day);
            tokens.next();
        }
    }

    // Day and month, in either order (`1 Aug` or `Aug 1`).
    let first = tokens.next()?;
    let (day, month) = match month_from_name(first) {
        Some(month) => (parse_number(tokens.next()?, 1, 2)?, month),
        None => (parse_number(first, 1, 2)?, month_from_name(tokens.next()?)?),
    };
    let year = parse_year(tokens.next()?)?;
    let time = parse_time(tokens.next()?)?;
    let zone: Vec<&str> = tokens.collect();
    let (offset, zone_assumed) = match zone.as_slice() {
        [] => (FixedOffset::east_opt(0)?, true),
        [zone] => (parse_zone(zone)?, false),
        _ => return None,
    };

    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let value = date.and_time(time).and_local_timezone(offset).single()?;
    Some(ParsedDate {
        value,
        weekday_mismatch: weekday.is_some_and(|named| named != date.weekday()),
        zone_assumed,
    })
}

/// Removes RFC 2822 comments such as `(PST)`.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn weekday_from_name(token: &str) -> Option<Weekday> {
    const NAMES: [(&str, Weekday); 7] = [
        ("monday", Weekday::Mon),
        ("tuesday", Weekday::Tue),
        ("wednesday", Weekday::Wed),
        ("thursday", Weekday::Thu),
        ("friday", Weekday::Fri),
        ("saturday", Weekday::Sat),
        ("sunday", Weekday::Sun),
    ];
    let token = token.trim_end_matches('.').to_ascii_lowercase();
    if token.len() < 3 {
        return None;
    }
    NAMES
        .iter()
        .find(|(name, _)| name.starts_with(&token))
        .map(|(_, day)| *day)
}

fn month_from_name(token: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let token = token.trim_end_matches('.').to_ascii_lowercase();
    if token.len() < 3 {
        return None;
    }
    let position = NAMES.iter().position(|name| name.starts_with(&token))?;
    u32::try_from(position + 1).ok()
}

fn parse_number(token: &str, min_digits: usize, max_digits: usize) -> Option<u32> {
    let digits = token.len();
    if digits < min_digits || digits > max_digits || !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok()
}

/// Four-digit years as written; two- and three-digit years by the RFC 2822 rule for
/// obsolete years (00-49 are 2000-2049, 50-999 add 1900).
fn parse_year(token: &str) -> Option<i32> {
    let year = i32::try_from(parse_number(token, 2, 4)?).ok()?;
    Some(match token.len() {
        2 if year < 50 => year + 2000,
        2 | 3 => year + 1900,
        _ => year,
    })
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff`.
fn parse_time(token: &str) -> Option<NaiveTime> {
    let mut parts = token.split(':');
    let hour = parse_number(parts.next()?, 1, 2)?;
    let minute = parse_number(parts.next()?, 1, 2)?;
    let (second, nanos) = match parts.next() {
        None => (0, 0),
        Some(seconds) => {
            let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
            let second = parse_number(whole, 1, 2)?;
            if !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let digits: String = fraction
                .chars()
                .chain("000000000".chars())
                .take(9)
                .collect();
            (second, digits.parse::<u32>().ok()?)
        }
    };
    if parts.next().is_some() {
        return None;
    }
    // A leap second (`:60`) is folded into the last second of the minute.
    NaiveTime::from_hms_nano_opt(hour, minute, second.min(59), nanos)
}

fn parse_zone(token: &str) -> Option<FixedOffset> {
    let hours = match token.to_ascii_uppercase().as_str() {
        "Z" | "UT" | "UTC" | "GMT" => Some(0),
        "EDT" => Some(-4),
        "EST" | "CDT" => Some(-5),
        "CST" | "MDT" => Some(-6),
        "MST" | "PDT" => Some(-7),
        "PST" => Some(-8),
        _ => None,
    };
    if let Some(hours) = hours {
        return FixedOffset::east_opt(hours * 3600);
    }
    let (sign, digits) = match token.as_bytes().first()? {
        b'+' => (1, &token[1..]),
        b'-' => (-1, &token[1..]),
        _ => return None,
    };
    let digits = digits.replace(':', "");
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    if minutes >= 60 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timestamp(raw: &str) -> Option<i64> {
        parse_date(raw).map(|d| d.value.timestamp())
    }

    #[test]
    fn rfc2822_variants_parse() {
        // 2011-04-27T07:00:00Z
        let expected = Some(1_303_887_600);
        assert_eq!(timestamp("Wed, 27 Apr 2011 07:00:00 GMT"), expected);
        assert_eq!(timestamp("Wed, 27 Apr 2011 07:00:00 +0000"), expected);
        assert_eq!(timestamp("Wed, 27 Apr 2011 07:00:00 -0000"), expected);
        assert_eq!(timestamp("Wed, 27 Apr 2011 07:00:00 UT"), expected);
        assert_eq!(timestamp("Wed, 27 Apr 2011 07:00:00 Z"), expected);
        assert_eq!(timestamp("27 Apr 2011 07:00:00 GMT"), expected);
        assert_eq!(timestamp("Wed,27 Apr 2011 07:00 GMT"), expected);
        assert_eq!(timestamp("Wed, 27 April 2011 03:00:00 EDT"), expected);
        assert_eq!(timestamp("Wed, 27 Apr 2011 00:00:00 PDT"), expected);
        assert_eq!(timestamp("Wed, 27 Apr 2011 09:00:00 +02:00"), expected);
        assert_eq!(timestamp("Wed, 27 Apr 11 07:00:00 GMT"), expected);
        assert_eq!(timestamp("Apr 27 2011 07:00:00 GMT"), expected);
        assert_eq!(timestamp("Wed, 27 Apr 2011 07:00:00 GMT (UTC)"), expected);
    }

    #[test]
    fn single_digit_day_and_us_zones() {
        let parsed = parse_date("Thu, 1 Aug 2019 16:15 EDT");
        assert_eq!(
            parsed.map(|d| d.value.to_rfc3339()),
            Some("2019-08-01T16:15:00-04:00".to_owned())
        );
        for (zone, hours) in [
            ("EST", -5),
            ("CDT", -5),
            ("CST", -6),
            ("MDT", -6),
            ("MST", -7),
            ("PDT", -7),
            ("PST", -8),
        ] {
            let parsed = parse_date(&format!("1 Jan 2020 00:00:00 {zone}"));
            assert_eq!(
                parsed.map(|d| d.value.offset().local_minus_utc()),
                Some(hours * 3600),
                "{zone}"
            );
        }
    }

    #[test]
    fn wrong_weekday_is_noted_not_fatal() {
        let parsed = parse_date("Mon, 27 Apr 2011 07:00:00 GMT");
        assert_eq!(parsed.map(|d| d.value.timestamp()), Some(1_303_887_600));
        assert_eq!(parsed.map(|d| d.weekday_mismatch), Some(true));
        assert_eq!(
            parse_date("Wed, 27 Apr 2011 07:00:00 GMT").map(|d| d.weekday_mismatch),
            Some(false)
        );
    }

    #[test]
    fn missing_zone_is_assumed_utc() {
        let parsed = parse_date("Wed, 27 Apr 2011 07:00:00");
        assert_eq!(parsed.map(|d| d.value.timestamp()), Some(1_303_887_600));
        assert_eq!(parsed.map(|d| d.zone_assumed), Some(true));
    }

    #[test]
    fn iso8601_variants_parse() {
        let expected = Some(1_303_887_600);
        assert_eq!(timestamp("2011-04-27T07:00:00Z"), expected);
        assert_eq!(timestamp("2011-04-27T07:00:00.000Z"), expected);
        assert_eq!(timestamp("2011-04-27T09:00:00+02:00"), expected);
        assert_eq!(timestamp("2011-04-27T09:00:00.000+0200"), expected);
        assert_eq!(timestamp("2011-04-27 07:00:00Z"), expected);
        assert_eq!(timestamp("2011-04-27T07:00:00"), expected);
        assert_eq!(timestamp("2011-04-27T07:00Z"), expected);
        assert_eq!(timestamp("2011-04-27"), Some(1_303_862_400));
    }

    #[test]
    fn garbage_is_rejected() {
        for raw in [
            "",
            "yesterday",
            "Τρί, 29 Ιού 2004 12:53:00 GMT",
            "32 Jan 2020 00:00:00 GMT",
            "1 Jan 2020 25:00:00 GMT",
            "1 Jan 2020 00:00:00 CEST",
            "1 Jan 2020 00:00:00 +99999",
            "2020-13-01T00:00:00Z",
        ] {
            assert_eq!(parse_date(raw), None, "{raw:?}");
        }
    }
}
