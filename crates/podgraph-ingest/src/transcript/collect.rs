//! Pieces shared by the JSON, HTML and text parsers: the cue and timestamp limits,
//! warnings with a per-code cap, clock times such as `1:02:03.5`, and whitespace folding.

use std::collections::HashMap;

use podgraph_core::config::TranscriptLimits;
use podgraph_core::model::Cue;

use crate::diag::{Position, Warning};

/// Number of warnings of one code kept in full. Later ones are only counted, so a file
/// with a million broken segments cannot produce a million warnings.
const WARNINGS_PER_CODE: usize = 20;

/// Milliseconds in an hour.
const HOUR_MS: u64 = 3_600_000;

/// Collects the cues and warnings of one parse and enforces [`TranscriptLimits`].
pub(crate) struct CueCollector {
    cues: Vec<Cue>,
    warnings: Vec<Warning>,
    warning_counts: HashMap<&'static str, usize>,
    max_cues: usize,
    max_timestamp_ms: u64,
    cues_over_limit: usize,
}

impl CueCollector {
    /// Creates an empty collector for the given limits.
    pub(crate) fn new(limits: &TranscriptLimits) -> Self {
        Self {
            cues: Vec::new(),
            warnings: Vec::new(),
            warning_counts: HashMap::new(),
            max_cues: limits.max_cues,
            max_timestamp_ms: limits.max_timestamp_hours.saturating_mul(HOUR_MS),
            cues_over_limit: 0,
        }
    }

    /// Returns the largest timestamp accepted, in milliseconds.
    pub(crate) fn max_timestamp_ms(&self) -> u64 {
        self.max_timestamp_ms
    }

    /// Appends a cue unless `max_cues` cues were already kept, in which case the cue is
    /// counted and dropped.
    pub(crate) fn push(&mut self, cue: Cue) {
        if self.cues.len() < self.max_cues {
            self.cues.push(cue);
        } else {
            self.cues_over_limit += 1;
        }
    }

    /// Returns the cues kept so far, in push order.
    pub(crate) fn cues(&self) -> &[Cue] {
        &self.cues
    }

    /// Records a warning at an optional position. After [`WARNINGS_PER_CODE`] warnings of
    /// one code the rest are counted and summarised by [`CueCollector::finish`].
    pub(crate) fn warn(
        &mut self,
        position: Option<Position>,
        code: &'static str,
        message: impl Into<String>,
    ) {
        let count = self.warning_counts.entry(code).or_insert(0);
        *count += 1;
        if *count <= WARNINGS_PER_CODE {
            self.warnings.push(Warning {
                position,
                code,
                message: message.into(),
            });
        }
    }

    /// Returns the cues and the warnings, with summaries of the capped warnings and of
    /// the cues dropped by `max_cues`.
    pub(crate) fn finish(mut self) -> (Vec<Cue>, Vec<Warning>) {
        let mut suppressed: Vec<(&'static str, usize)> = self
            .warning_counts
            .iter()
            .filter(|(_, count)| **count > WARNINGS_PER_CODE)
            .map(|(code, count)| (*code, count - WARNINGS_PER_CODE))
            .collect();
        suppressed.sort_unstable();
        for (code, count) in suppressed {
            self.warnings.push(Warning::general(
                code,
                format!("{count} more warnings of this kind were not listed"),
            ));
        }
        if self.cues_over_limit > 0 {
            self.warnings.push(Warning::general(
                "cue-limit-reached",
                format!(
                    "only the first {} cues were kept (max_cues); {} later cues were dropped",
                    self.max_cues, self.cues_over_limit
                ),
            ));
        }
        (self.cues, self.warnings)
    }
}

/// Reason a time value from the input cannot be used as is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeError {
    /// NaN or infinite.
    NotFinite,
    /// Below zero.
    Negative,
    /// Above the configured maximum.
    TooLarge,
}

impl TimeError {
    /// Returns a lowercase description for warning messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::NotFinite => "not a finite number",
            Self::Negative => "negative",
            Self::TooLarge => "beyond max_timestamp_hours",
        }
    }
}

/// Converts seconds to whole milliseconds (rounded), rejecting NaN, infinities, negative
/// values and values above `max_ms`.
pub(crate) fn seconds_to_ms(seconds: f64, max_ms: u64) -> Result<u64, TimeError> {
    if !seconds.is_finite() {
        return Err(TimeError::NotFinite);
    }
    if seconds < 0.0 {
        return Err(TimeError::Negative);
    }
    let millis = (seconds * 1000.0).round();
    // `max_ms` is at most u64::MAX, so the comparison in f64 also keeps the cast in range.
    if millis > max_ms as f64 {
        return Err(TimeError::TooLarge);
    }
    Ok(millis as u64)
}

/// Parses a clock time as transcripts write it: `H:MM:SS`, `MM:SS` or `M:SS`, with an
/// optional fraction after `.` or `,` (`01:00:54.26` is 54.26 s). Leading fields may
/// have more digits (`125:03` is 125 min 3 s); the fields after the first must be two
/// digits below 60. Returns milliseconds, or `None` for anything else, including a bare
/// number without a colon.
pub(crate) fn parse_clock(text: &str) -> Option<u64> {
    let text = text.trim();
    let (clock, fraction) = match text.find(['.', ',']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };

    let fields: Vec<&str> = clock.split(':').collect();
    if !(2..=3).contains(&fields.len()) {
        return None;
    }
    let mut total_seconds: u64 = 0;
    for (index, field) in fields.iter().enumerate() {
        let is_first = index == 0;
        let valid_digits = field.bytes().all(|b| b.is_ascii_digit())
            && if is_first {
                (1..=6).contains(&field.len())
            } else {
                field.len() == 2
            };
        if !valid_digits {
            return None;
        }
        let value: u64 = field.parse().ok()?;
        if !is_first && value >= 60 {
            return None;
        }
        total_seconds = total_seconds.checked_mul(60)?.checked_add(value)?;
    }

    let millis = match fraction {
        None => 0,
        Some(digits) => {
            if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            // Only the first three digits matter at millisecond precision; pad short
            // fractions on the right (`.5` is 500 ms, `.26` is 260 ms).
            let mut millis: u64 = 0;
            for position in 0..3 {
                let digit = digits.as_bytes().get(position).map_or(0, |b| b - b'0');
                millis = millis * 10 + u64::from(digit);
            }
            millis
        }
    };
    total_seconds.checked_mul(1000)?.checked_add(millis)
}

/// Appends `text` to `out` with every whitespace run folded to one space and no space at
/// either end of what is appended. `out` gets a separating space first when both it and
/// the folded text are non-empty.
pub(crate) fn push_collapsed(out: &mut String, text: &str) {
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// Returns `text` with every whitespace run folded to one space and trimmed.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_collapsed(&mut out, text);
    out
}

/// Returns `text` with `\r\n` and lone `\r` line endings turned into `\n`.
pub(crate) fn unify_line_endings(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\r') {
        std::borrow::Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_accepts_common_forms() {
        assert_eq!(parse_clock("0:00"), Some(0));
        assert_eq!(parse_clock("11:31"), Some(691_000));
        assert_eq!(parse_clock("00:01:08"), Some(68_000));
        assert_eq!(parse_clock("1:02:03.5"), Some(3_723_500));
        assert_eq!(parse_clock("01:00:54.26"), Some(3_654_260));
        assert_eq!(parse_clock("00:00:01,123456"), Some(1_123));
        assert_eq!(parse_clock("125:03"), Some(7_503_000));
    }

    #[test]
    fn clock_rejects_non_times() {
        for text in [
            "",
            "12",
            "1:2",
            "1:60",
            "a:00",
            "1:00:00:00",
            "1:00.",
            "-1:00",
            "1::00",
        ] {
            assert_eq!(parse_clock(text), None, "{text:?}");
        }
    }

    #[test]
    fn seconds_are_checked_and_rounded() {
        assert_eq!(seconds_to_ms(1.2345, 10_000), Ok(1_235));
        assert_eq!(seconds_to_ms(f64::NAN, 10_000), Err(TimeError::NotFinite));
        assert_eq!(seconds_to_ms(-0.5, 10_000), Err(TimeError::Negative));
        assert_eq!(seconds_to_ms(11.0, 10_000), Err(TimeError::TooLarge));
        assert_eq!(seconds_to_ms(1e300, u64::MAX), Err(TimeError::TooLarge));
    }

    #[test]
    fn warnings_are_capped_per_code() {
        let mut collector = CueCollector::new(&TranscriptLimits::default());
        for _ in 0..25 {
            collector.warn(None, "x", "again");
        }
        let (_, warnings) = collector.finish();
        assert_eq!(warnings.len(), WARNINGS_PER_CODE + 1);
        assert!(warnings[WARNINGS_PER_CODE].message.starts_with("5 more"));
    }
}
