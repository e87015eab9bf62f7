//! Caption timestamps and cue timing lines (`00:01:02.500 --> 00:01:04.000 align:start`).
//!
//! [`parse_timestamp`] accepts the forms that real WebVTT and SRT files use: missing or
//! unpadded hours (`01:02.500`, `0:0:1.5`), seconds only (`0.860`), `.` or `,` before
//! the fraction, no fraction (`00:00:01`) and fractions of any length. A timestamp that
//! deviates from the strict grammar of its format carries a [`Deviation`] so that the
//! caller can warn. Values that are not times (letters, empty fields, minutes or seconds
//! above 59 in `h:mm:ss`) are errors, and all arithmetic is checked, so absurd hour counts
//! end in [`TimestampError::Overflow`] instead of wrapping.

use std::fmt;

use crate::transcript::lines::{find_arrow, is_space, trim_spaces, trim_spaces_start};

/// The format whose strict timestamp grammar counts as conforming.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimestampStyle {
    /// WebVTT: `mm:ss.ttt` or `hh:mm:ss.ttt` with two or more hour digits.
    WebVtt,
    /// SubRip: `hh:mm:ss,ttt` with two or more hour digits.
    Srt,
}

/// A parsed timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp {
    /// Milliseconds from the start of the media.
    pub ms: u64,
    /// The first way the text departs from the strict grammar, if it does.
    pub deviation: Option<Deviation>,
}

/// A departure of a timestamp from the strict grammar of its format. All of these are
/// repaired, and the value stays exact except for [`Deviation::LongFraction`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Deviation {
    /// Only seconds are given (`0.860`).
    SecondsOnly,
    /// SRT without hours (`01:02,500`).
    MissingHours,
    /// Minutes in `mm:ss` form above 59 (`75:00.000`).
    MinutesAbove59,
    /// A field without the expected number of digits (`0:0:1.000`, `1:02.000`).
    FieldWidth,
    /// WebVTT with a decimal comma (`00:01,500`).
    DecimalComma,
    /// SRT with a decimal point (`00:00:01.500`).
    DecimalPoint,
    /// No fraction of a second (`00:00:01`).
    MissingFraction,
    /// One or two fraction digits (`00:01.5`), read as tenths or hundredths.
    ShortFraction,
    /// More than three fraction digits; the value is truncated to milliseconds.
    LongFraction,
}

impl fmt::Display for Deviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SecondsOnly => "seconds without minutes",
            Self::MissingHours => "no hours",
            Self::MinutesAbove59 => "minutes above 59 without hours",
            Self::FieldWidth => "a field with the wrong number of digits",
            Self::DecimalComma => "a decimal comma",
            Self::DecimalPoint => "a decimal point",
            Self::MissingFraction => "no milliseconds",
            Self::ShortFraction => "fewer than three fraction digits",
            Self::LongFraction => "more than three fraction digits (truncated)",
        })
    }
}

/// The reason a string is not a timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimestampError {
    /// Nothing where a timestamp was expected.
    Empty,
    /// A character that cannot be part of a timestamp, an empty field or too many fields.
    Malformed,
    /// Minutes or seconds above 59, or more than two digits, where a larger unit follows.
    FieldOutOfRange,
    /// The value does not fit in 64-bit milliseconds.
    Overflow,
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "missing timestamp",
            Self::Malformed => "malformed timestamp",
            Self::FieldOutOfRange => "minutes or seconds out of range",
            Self::Overflow => "timestamp too large",
        })
    }
}

impl std::error::Error for TimestampError {}

/// Parses one timestamp; the whole of `text` must be the timestamp.
///
/// # Errors
///
/// [`TimestampError`] when `text` is empty, contains anything but digits, `:` and one
/// decimal separator, has an empty field or more than three fields, has minutes or seconds
/// out of range in `h:mm:ss` form, or overflows.
pub fn parse_timestamp(text: &str, style: TimestampStyle) -> Result<Timestamp, TimestampError> {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return Err(TimestampError::Empty);
    }
    if let Some(ms) = parse_common_form(bytes, style) {
        return Ok(Timestamp {
            ms,
            deviation: None,
        });
    }

    // Up to three colon-separated integer fields.
    let mut fields = [Field::default(); 3];
    let mut count = 0;
    let mut position = 0;
    loop {
        let field = read_digits(bytes, &mut position)?;
        let slot = fields.get_mut(count).ok_or(TimestampError::Malformed)?;
        *slot = field;
        count += 1;
        if bytes.get(position) == Some(&b':') {
            position += 1;
        } else {
            break;
        }
    }

    // An optional fraction after `.` or `,`.
    let separator = bytes.get(position).copied();
    let fraction = match separator {
        Some(b'.' | b',') => {
            position += 1;
            Some(read_fraction(bytes, &mut position)?)
        }
        _ => None,
    };
    if position != bytes.len() {
        return Err(TimestampError::Malformed);
    }

    let [first, second, third] = fields;
    let (hours, minutes, seconds) = match count {
        3 => (Some(first), Some(second), third),
        2 => (None, Some(first), second),
        _ => (None, None, first),
    };

    // Range checks: a field followed by a larger unit has at most two digits and is at
    // most 59. Minutes without hours may be larger (`75:00.000`), seconds alone too.
    if minutes.is_some() && (seconds.digits > 2 || seconds.value > 59) {
        return Err(TimestampError::FieldOutOfRange);
    }
    if let (Some(_), Some(minutes)) = (hours, minutes) {
        if minutes.digits > 2 || minutes.value > 59 {
            return Err(TimestampError::FieldOutOfRange);
        }
    }

    let total_minutes = hours
        .map_or(Some(0), |hours| hours.value.checked_mul(60))
        .and_then(|minutes_from_hours| {
            minutes_from_hours.checked_add(minutes.map_or(0, |minutes| minutes.value))
        });
    let ms = total_minutes
        .and_then(|total| total.checked_mul(60))
        .and_then(|total| total.checked_add(seconds.value))
        .and_then(|total| total.checked_mul(1000))
        .and_then(|total| total.checked_add(fraction.map_or(0, |fraction| fraction.ms)))
        .ok_or(TimestampError::Overflow)?;

    let deviation = deviation(style, hours, minutes, seconds, separator, fraction);
    Ok(Timestamp { ms, deviation })
}

/// Reads the strict forms almost every file uses, `hh:mm:ss.ttt` (with `,` in SRT) and
/// WebVTT `mm:ss.ttt`, without the general parser's bookkeeping. Returns `None` for
/// anything else, which the general parser then handles.
fn parse_common_form(bytes: &[u8], style: TimestampStyle) -> Option<u64> {
    let separator = match style {
        TimestampStyle::WebVtt => b'.',
        TimestampStyle::Srt => b',',
    };
    let (hours, rest) = match (bytes, style) {
        ([h1, h2, b':', rest @ ..], _) if rest.len() == 9 => (two_digits(*h1, *h2)?, rest),
        (rest, TimestampStyle::WebVtt) if rest.len() == 9 => (0, rest),
        _ => return None,
    };
    let [m1, m2, b':', s1, s2, found_separator, f1, f2, f3] = *rest else {
        return None;
    };
    let minutes = two_digits(m1, m2).filter(|&minutes| minutes <= 59)?;
    let seconds = two_digits(s1, s2).filter(|&seconds| seconds <= 59)?;
    let fraction = u64::from(digit(f1)?) * 100 + u64::from(digit(f2)?) * 10 + u64::from(digit(f3)?);
    (found_separator == separator)
        .then_some(((hours * 60 + minutes) * 60 + seconds) * 1000 + fraction)
}

fn digit(byte: u8) -> Option<u8> {
    byte.is_ascii_digit().then(|| byte - b'0')
}

fn two_digits(tens: u8, ones: u8) -> Option<u64> {
    Some(u64::from(digit(tens)?) * 10 + u64::from(digit(ones)?))
}

#[derive(Clone, Copy, Debug, Default)]
struct Field {
    value: u64,
    digits: usize,
}

#[derive(Clone, Copy, Debug)]
struct Fraction {
    ms: u64,
    digits: usize,
}

fn read_digits(bytes: &[u8], position: &mut usize) -> Result<Field, TimestampError> {
    let mut field = Field::default();
    while let Some(&byte) = bytes.get(*position) {
        if !byte.is_ascii_digit() {
            break;
        }
        field.value = field
            .value
            .checked_mul(10)
            .and_then(|value| value.checked_add(u64::from(byte - b'0')))
            .ok_or(TimestampError::Overflow)?;
        field.digits += 1;
        *position += 1;
    }
    if field.digits == 0 {
        return Err(TimestampError::Malformed);
    }
    Ok(field)
}

/// Reads fraction digits as milliseconds: `5` is 500, `05` is 50, `0509` is 50.
fn read_fraction(bytes: &[u8], position: &mut usize) -> Result<Fraction, TimestampError> {
    let mut ms = 0;
    let mut digits = 0;
    while let Some(&byte) = bytes.get(*position) {
        if !byte.is_ascii_digit() {
            break;
        }
        if digits < 3 {
            ms = ms * 10 + u64::from(byte - b'0');
        }
        digits += 1;
        *position += 1;
    }
    if digits == 0 {
        return Err(TimestampError::Malformed);
    }
    for _ in digits..3 {
        ms *= 10;
    }
    Ok(Fraction { ms, digits })
}

fn deviation(
    style: TimestampStyle,
    hours: Option<Field>,
    minutes: Option<Field>,
    seconds: Field,
    separator: Option<u8>,
    fraction: Option<Fraction>,
) -> Option<Deviation> {
    let Some(minutes) = minutes else {
        return Some(Deviation::SecondsOnly);
    };
    match (style, hours) {
        (TimestampStyle::Srt, None) => return Some(Deviation::MissingHours),
        (TimestampStyle::WebVtt, None) if minutes.value > 59 => {
            return Some(Deviation::MinutesAbove59);
        }
        _ => {}
    }
    let hours_too_short = hours.is_some_and(|hours| hours.digits < 2);
    if hours_too_short || minutes.digits != 2 || seconds.digits != 2 {
        return Some(Deviation::FieldWidth);
    }
    match (style, separator) {
        (TimestampStyle::WebVtt, Some(b',')) => return Some(Deviation::DecimalComma),
        (TimestampStyle::Srt, Some(b'.')) => return Some(Deviation::DecimalPoint),
        _ => {}
    }
    match fraction {
        None => Some(Deviation::MissingFraction),
        Some(fraction) if fraction.digits < 3 => Some(Deviation::ShortFraction),
        Some(fraction) if fraction.digits > 3 => Some(Deviation::LongFraction),
        Some(_) => None,
    }
}

/// The parts of a cue timing line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimingLine<'a> {
    /// Cue start.
    pub start: Timestamp,
    /// Cue end, as written (it may be before the start).
    pub end: Timestamp,
    /// Whatever follows the end time: WebVTT cue settings or SRT coordinates, trimmed.
    pub settings: &'a str,
    /// The first departure from the strict syntax of the line itself: spacing around the
    /// arrow or text glued to the end time.
    pub layout_deviation: Option<LayoutDeviation>,
}

impl TimingLine<'_> {
    /// Describes the first deviation anywhere in the line, for a warning.
    pub fn deviation_message(&self) -> Option<String> {
        if let Some(deviation) = self.start.deviation {
            return Some(format!("start time has {deviation}"));
        }
        if let Some(deviation) = self.end.deviation {
            return Some(format!("end time has {deviation}"));
        }
        self.layout_deviation.map(|deviation| deviation.to_string())
    }
}

/// A departure of a timing line's layout from the strict syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LayoutDeviation {
    /// Whitespace before the start time.
    LeadingSpace,
    /// No whitespace on one side of `-->`.
    ArrowSpacing,
    /// Text directly after the end time (`00:00:01.000x`), ignored like cue settings.
    TextAfterEnd,
}

impl fmt::Display for LayoutDeviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::LeadingSpace => "whitespace before the start time",
            Self::ArrowSpacing => "no whitespace around `-->`",
            Self::TextAfterEnd => "text directly after the end time",
        })
    }
}

/// The reason a line is not a usable timing line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimingError {
    /// The line has no `-->`.
    MissingArrow,
    /// The start time is missing or invalid.
    Start(TimestampError),
    /// The end time is missing or invalid.
    End(TimestampError),
}

impl fmt::Display for TimingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingArrow => f.write_str("no `-->` between start and end"),
            Self::Start(error) => write!(f, "start: {error}"),
            Self::End(error) => write!(f, "end: {error}"),
        }
    }
}

impl std::error::Error for TimingError {}

/// Parses a cue timing line `start --> end [settings]`.
///
/// The start time is everything before the first `-->`, trimmed. The end time is the
/// first whitespace-separated word after it, and the rest is returned as settings. An end
/// word with text glued to it is accepted when it begins with a complete strict WebVTT
/// timestamp followed by a non-digit, as the WebVTT parser does. Any other end word that
/// is not a timestamp rejects the line.
///
/// # Errors
///
/// [`TimingError`] when the line has no arrow or either time is missing or invalid.
pub fn parse_timing_line(line: &str, style: TimestampStyle) -> Result<TimingLine<'_>, TimingError> {
    let arrow = find_arrow(line.as_bytes()).ok_or(TimingError::MissingArrow)?;
    let before = line.get(..arrow).unwrap_or_default();
    let after = line.get(arrow + 3..).unwrap_or_default();

    let mut layout_deviation = None;
    let mut note = |deviation| {
        layout_deviation.get_or_insert(deviation);
    };
    if before.bytes().next().is_some_and(is_space) {
        note(LayoutDeviation::LeadingSpace);
    }
    if !before.bytes().next_back().is_some_and(is_space)
        || !after.bytes().next().is_some_and(is_space)
    {
        note(LayoutDeviation::ArrowSpacing);
    }

    let start = parse_timestamp(trim_spaces(before), style).map_err(TimingError::Start)?;

    let after = trim_spaces_start(after);
    let word_end = after.bytes().position(is_space).unwrap_or(after.len());
    let (word, settings) = after.split_at(word_end);
    let end = match parse_timestamp(word, style) {
        Ok(end) => end,
        Err(error) => match strict_webvtt_prefix(word) {
            Some(ms) => {
                note(LayoutDeviation::TextAfterEnd);
                Timestamp {
                    ms,
                    deviation: None,
                }
            }
            None => return Err(TimingError::End(error)),
        },
    };

    Ok(TimingLine {
        start,
        end,
        settings: trim_spaces(settings),
        layout_deviation,
    })
}

/// Reads a strict WebVTT timestamp at the start of `text` that is followed by something
/// other than a digit, returning its value.
fn strict_webvtt_prefix(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    let fraction_dot = bytes.iter().position(|&byte| byte == b'.')?;
    let digits_end = fraction_dot + 4;
    let candidate = text.get(..digits_end)?;
    let rest = bytes.get(digits_end..)?;
    if rest.is_empty() || rest.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let timestamp = parse_timestamp(candidate, TimestampStyle::WebVtt).ok()?;
    timestamp.deviation.is_none().then_some(timestamp.ms)
}

/// Returns whether a line without `-->` still looks like a damaged timing line, such as
/// `00:00:00.000 -x> 00:00:01.000`. That is the case when its first word and a later word
/// both look like times: digits and at least one `:`, `.` or `,`, ending in a digit.
pub(crate) fn looks_like_broken_timing_line(line: &str) -> bool {
    let mut words = line.split_ascii_whitespace();
    words.next().is_some_and(is_time_like) && words.any(is_time_like)
}

fn is_time_like(word: &str) -> bool {
    let bytes = word.as_bytes();
    bytes.last().is_some_and(u8::is_ascii_digit)
        && bytes.iter().any(|byte| matches!(byte, b':' | b'.' | b','))
        && bytes
            .iter()
            .all(|byte| byte.is_ascii_digit() || matches!(byte, b':' | b'.' | b','))
}

/// Milliseconds in `hours` hours, saturating at `u64::MAX`.
pub fn hours_to_ms(hours: u64) -> u64 {
    hours.saturating_mul(3_600_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vtt(text: &str) -> Result<Timestamp, TimestampError> {
        parse_timestamp(text, TimestampStyle::WebVtt)
    }

    fn srt(text: &str) -> Result<Timestamp, TimestampError> {
        parse_timestamp(text, TimestampStyle::Srt)
    }

    fn strict(ms: u64) -> Result<Timestamp, TimestampError> {
        Ok(Timestamp {
            ms,
            deviation: None,
        })
    }

    fn repaired(ms: u64, deviation: Deviation) -> Result<Timestamp, TimestampError> {
        Ok(Timestamp {
            ms,
            deviation: Some(deviation),
        })
    }

    #[test]
    fn webvtt_strict_forms() {
        assert_eq!(vtt("00:00.000"), strict(0));
        assert_eq!(vtt("01:02.345"), strict(62_345));
        assert_eq!(vtt("01:02:03.004"), strict(3_723_004));
        assert_eq!(vtt("100:00:00.000"), strict(360_000_000));
    }

    #[test]
    fn common_forms_match_the_general_parser() {
        for text in [
            "00:00.000",
            "59:59.999",
            "00:00:00.000",
            "99:59:59.999",
            "12:34:56.789",
        ] {
            let general = vtt(&format!("0{text}"));
            let common = vtt(text);
            assert_eq!(common.map(|t| t.deviation), Ok(None), "{text}");
            if text.len() == 12 {
                assert_eq!(common.map(|t| t.ms), general.map(|t| t.ms), "{text}");
            }
        }
        assert_eq!(vtt("00:60.000"), Err(TimestampError::FieldOutOfRange));
        assert_eq!(
            srt("00:00:01.500").map(|t| t.deviation),
            Ok(Some(Deviation::DecimalPoint))
        );
        assert_eq!(
            vtt("00:00:01,500").map(|t| t.deviation),
            Ok(Some(Deviation::DecimalComma))
        );
        assert_eq!(
            srt("01:02,500").map(|t| t.deviation),
            Ok(Some(Deviation::MissingHours))
        );
    }

    #[test]
    fn srt_strict_form() {
        assert_eq!(srt("00:00:01,500"), strict(1_500));
        assert_eq!(srt("10:59:59,999"), strict(39_599_999));
    }

    #[test]
    fn lenient_forms_are_repaired() {
        assert_eq!(vtt("0.860"), repaired(860, Deviation::SecondsOnly));
        assert_eq!(vtt("3:40.700"), repaired(220_700, Deviation::FieldWidth));
        assert_eq!(vtt("0:0:0.570"), repaired(570, Deviation::FieldWidth));
        assert_eq!(vtt("0:00:00.000"), repaired(0, Deviation::FieldWidth));
        assert_eq!(vtt("00:00:01"), repaired(1_000, Deviation::MissingFraction));
        assert_eq!(vtt("00:00:01,5"), repaired(1_500, Deviation::DecimalComma));
        assert_eq!(vtt("00:01.5"), repaired(1_500, Deviation::ShortFraction));
        assert_eq!(vtt("00:01.0509"), repaired(1_050, Deviation::LongFraction));
        assert_eq!(
            vtt("75:00.000"),
            repaired(4_500_000, Deviation::MinutesAbove59)
        );
        assert_eq!(
            srt("00:00:01.500"),
            repaired(1_500, Deviation::DecimalPoint)
        );
        assert_eq!(srt("01:02,500"), repaired(62_500, Deviation::MissingHours));
        assert_eq!(srt("12"), repaired(12_000, Deviation::SecondsOnly));
    }

    #[test]
    fn garbage_is_rejected() {
        for text in [
            "x00:00.000",
            "00:0x0.000",
            "00::00.000",
            "00:00:00:00.000",
            "00:00..000",
            "00:00.",
            "00:00.000x",
            " 00:00.000",
            "00:00.000 ",
            "-1.000",
            "1e3",
        ] {
            assert_eq!(vtt(text), Err(TimestampError::Malformed), "{text:?}");
        }
        assert_eq!(vtt(""), Err(TimestampError::Empty));
    }

    #[test]
    fn out_of_range_fields_are_rejected() {
        assert_eq!(vtt("00:00:60.000"), Err(TimestampError::FieldOutOfRange));
        assert_eq!(vtt("00:60:00.000"), Err(TimestampError::FieldOutOfRange));
        assert_eq!(vtt("00:000:00.000"), Err(TimestampError::FieldOutOfRange));
        assert_eq!(vtt("00:000.000"), Err(TimestampError::FieldOutOfRange));
        assert_eq!(
            vtt("60:00.000"),
            repaired(3_600_000, Deviation::MinutesAbove59)
        );
    }

    #[test]
    fn huge_values_overflow_instead_of_wrapping() {
        assert_eq!(
            vtt("99999999999999999999:00:00.000"),
            Err(TimestampError::Overflow)
        );
        assert_eq!(
            vtt("5124095576030431:00:00.000"),
            Err(TimestampError::Overflow)
        );
        assert_eq!(vtt("1088:42:00.500").map(|t| t.ms), Ok(3_919_320_500));
    }

    #[test]
    fn timing_line_parts() {
        let line = parse_timing_line(
            "00:00:07.960 --> 00:00:09.480  position:50.00%,middle ",
            TimestampStyle::WebVtt,
        );
        let line = line.expect("valid timing line");
        assert_eq!(line.start.ms, 7_960);
        assert_eq!(line.end.ms, 9_480);
        assert_eq!(line.settings, "position:50.00%,middle");
        assert_eq!(line.layout_deviation, None);
        assert_eq!(line.deviation_message(), None);
    }

    #[test]
    fn timing_line_layout_deviations() {
        let glued = parse_timing_line("00:00.000-->00:01.000", TimestampStyle::WebVtt);
        assert_eq!(
            glued.map(|line| line.layout_deviation),
            Ok(Some(LayoutDeviation::ArrowSpacing))
        );
        let trailing = parse_timing_line(
            "00:00:00.000 --> 00:00:01.000\u{FFFD}align:end",
            TimestampStyle::WebVtt,
        );
        let trailing = trailing.expect("the spec parser accepts text after the end time");
        assert_eq!(trailing.end.ms, 1_000);
        assert_eq!(
            trailing.layout_deviation,
            Some(LayoutDeviation::TextAfterEnd)
        );
    }

    #[test]
    fn broken_timing_lines_are_recognised() {
        assert!(looks_like_broken_timing_line(
            "00:00:00.000 -x> 00:00:01.000"
        ));
        assert!(looks_like_broken_timing_line("0.860 - 7.380"));
        assert!(!looks_like_broken_timing_line("12:30 is the time"));
        assert!(!looks_like_broken_timing_line("Caption text #2"));
        assert!(!looks_like_broken_timing_line("1, 2, 3"));
    }

    #[test]
    fn timing_line_errors() {
        let parse = |line| parse_timing_line(line, TimestampStyle::WebVtt);
        assert_eq!(parse("00:00.000 00:01.000"), Err(TimingError::MissingArrow));
        assert_eq!(parse("-->"), Err(TimingError::Start(TimestampError::Empty)));
        assert_eq!(
            parse("00:00:00.000 -->"),
            Err(TimingError::End(TimestampError::Empty))
        );
        assert_eq!(
            parse("00:00:00.000 --> 00:00:01.00x0"),
            Err(TimingError::End(TimestampError::Malformed))
        );
        assert_eq!(
            parse("00:00:00.000 x--> 00:00:01.000"),
            Err(TimingError::Start(TimestampError::Malformed))
        );
    }
}
