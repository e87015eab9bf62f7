//! Exact decimal numbers for objectives, burn-rate factors and the thresholds written into
//! Prometheus rules.
//!
//! `14.4 * (1 - 0.995)` is `0.07200000000000001` in binary floating point but `0.072` in
//! decimal. The rule generator and the validator work in [`Decimal`] so that generated
//! files show the numbers a reader expects, and the tracker converts to `f64` only to
//! compare measured ratios against them.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Digits after the decimal point that a [`Decimal`] keeps. Products that need more fail
/// instead of rounding.
pub const MAX_SCALE: u32 = 30;

/// An exact decimal number: `mantissa / 10^scale`, kept without trailing zeros.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
}

/// A text that is not a decimal number, or a result that does not fit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecimalError(String);

impl Decimal {
    /// Zero.
    pub const ZERO: Self = Self {
        mantissa: 0,
        scale: 0,
    };
    /// One.
    pub const ONE: Self = Self {
        mantissa: 1,
        scale: 0,
    };
    /// One hundred.
    pub const HUNDRED: Self = Self {
        mantissa: 100,
        scale: 0,
    };

    /// Creates `mantissa / 10^scale`.
    ///
    /// # Errors
    /// When `scale` is above [`MAX_SCALE`].
    pub fn new(mantissa: i128, scale: u32) -> Result<Self, DecimalError> {
        if scale > MAX_SCALE {
            return Err(DecimalError(format!(
                "{mantissa}e-{scale} has more than {MAX_SCALE} decimal places"
            )));
        }
        Ok(Self { mantissa, scale }.normalized())
    }

    /// Converts a float through its shortest round-trip decimal text, so that `99.95`
    /// read from YAML as an `f64` becomes exactly 99.95 again.
    ///
    /// # Errors
    /// When `value` is not finite or needs more than [`MAX_SCALE`] decimal places.
    pub fn from_f64(value: f64) -> Result<Self, DecimalError> {
        if !value.is_finite() {
            return Err(DecimalError(format!("{value} is not a finite number")));
        }
        // `Display` for f64 writes the shortest text that parses back to the same value
        // and never uses exponent notation.
        format!("{value}").parse()
    }

    /// Returns the nearest `f64`.
    pub fn to_f64(self) -> f64 {
        // Parsing the exact decimal text rounds correctly, unlike dividing two floats.
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// Returns `self / 100`, for percentages.
    ///
    /// # Errors
    /// When the result needs more than [`MAX_SCALE`] decimal places.
    pub fn percent_to_ratio(self) -> Result<Self, DecimalError> {
        Self::new(self.mantissa, self.scale + 2)
    }

    /// Returns `self - other`.
    ///
    /// # Errors
    /// On overflow.
    pub fn checked_sub(self, other: Self) -> Result<Self, DecimalError> {
        let (a, b, scale) = self.aligned(other)?;
        let mantissa = a
            .checked_sub(b)
            .ok_or_else(|| DecimalError(format!("{self} - {other} overflows")))?;
        Self::new(mantissa, scale)
    }

    /// Returns `self * other`.
    ///
    /// # Errors
    /// On overflow or when the product needs more than [`MAX_SCALE`] decimal places.
    pub fn checked_mul(self, other: Self) -> Result<Self, DecimalError> {
        let mantissa = self
            .mantissa
            .checked_mul(other.mantissa)
            .ok_or_else(|| DecimalError(format!("{self} * {other} overflows")))?;
        Self::new(mantissa, self.scale + other.scale)
    }

    /// Whether the number is above zero.
    pub fn is_positive(self) -> bool {
        self.mantissa > 0
    }

    fn normalized(mut self) -> Self {
        if self.mantissa == 0 {
            return Self::ZERO;
        }
        while self.scale > 0 && self.mantissa % 10 == 0 {
            self.mantissa /= 10;
            self.scale -= 1;
        }
        self
    }

    /// Returns both mantissas at the larger of the two scales.
    fn aligned(self, other: Self) -> Result<(i128, i128, u32), DecimalError> {
        let scale = self.scale.max(other.scale);
        let widen = |value: Self| {
            10_i128
                .checked_pow(scale - value.scale)
                .and_then(|factor| value.mantissa.checked_mul(factor))
                .ok_or_else(|| DecimalError(format!("{value} does not fit at scale {scale}")))
        };
        Ok((widen(self)?, widen(other)?, scale))
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        match self.aligned(*other) {
            Ok((a, b, _)) => a.cmp(&b),
            // Only numbers far beyond any objective or factor fail to align; their
            // float values still order them.
            Err(_) => self.to_f64().total_cmp(&other.to_f64()),
        }
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || DecimalError(format!("\"{text}\" is not a decimal number"));
        let trimmed = text.trim();
        let (negative, digits) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() && fraction.is_empty() {
            return Err(invalid());
        }
        if !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
        {
            return Err(invalid());
        }
        let scale = u32::try_from(fraction.len()).map_err(|_| invalid())?;
        let mut mantissa: i128 = 0;
        for byte in whole.bytes().chain(fraction.bytes()) {
            mantissa = mantissa
                .checked_mul(10)
                .and_then(|m| m.checked_add(i128::from(byte - b'0')))
                .ok_or_else(|| DecimalError(format!("\"{text}\" has too many digits")))?;
        }
        if negative {
            mantissa = -mantissa;
        }
        Self::new(mantissa, scale)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let digits = self.mantissa.unsigned_abs().to_string();
        let scale = self.scale as usize;
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        if digits.len() > scale {
            let (whole, fraction) = digits.split_at(digits.len() - scale);
            write!(f, "{sign}{whole}.{fraction}")
        } else {
            let zeros = "0".repeat(scale - digits.len());
            write!(f, "{sign}0.{zeros}{digits}")
        }
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.to_f64())
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DecimalVisitor)
    }
}

struct DecimalVisitor;

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number such as 99.5")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Decimal, E> {
        Decimal::new(i128::from(value), 0).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Decimal, E> {
        Decimal::new(i128::from(value), 0).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Decimal, E> {
        Decimal::from_f64(value).map_err(E::custom)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Decimal, E> {
        value.parse().map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn threshold_has_no_float_noise() {
        assert_ne!(14.4 * (1.0 - 0.995), 0.072, "the float product is inexact");
        let budget = Decimal::ONE.checked_sub(d("0.995")).unwrap();
        let threshold = d("14.4").checked_mul(budget).unwrap();
        assert_eq!(threshold.to_string(), "0.072");
        assert_eq!(threshold.to_f64(), 0.072);
    }

    #[test]
    fn percent_converts_exactly() {
        assert_eq!(d("99.95").percent_to_ratio().unwrap().to_string(), "0.9995");
        assert_eq!(d("100").percent_to_ratio().unwrap().to_string(), "1");
    }

    #[test]
    fn floats_round_trip_through_shortest_text() {
        assert_eq!(Decimal::from_f64(99.9).unwrap(), d("99.9"));
        assert_eq!(Decimal::from_f64(1e-7).unwrap(), d("0.0000001"));
        assert!(Decimal::from_f64(f64::NAN).is_err());
    }

    #[test]
    fn parse_rejects_garbage() {
        for text in ["", ".", "1.2.3", "abc", "1e5", "--1"] {
            assert!(text.parse::<Decimal>().is_err(), "{text}");
        }
        assert_eq!(d("-0.50"), d("-.5"));
        assert_eq!(d("+7").to_string(), "7");
    }

    #[test]
    fn ordering_aligns_scales() {
        assert!(d("0.5") < d("0.50001"));
        assert!(d("100") > d("99.999"));
        assert!(d("-1") < Decimal::ZERO);
    }

    #[test]
    fn overflow_is_an_error() {
        let big = Decimal::new(i128::MAX, 0).unwrap();
        assert!(big.checked_mul(d("2")).is_err());
        assert!(
            d("0.000000000000001")
                .checked_mul(d("0.000000000000000001"))
                .is_err()
        );
    }
}
