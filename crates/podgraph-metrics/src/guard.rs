//! A bound on the number of distinct values of one label.

use std::collections::HashSet;
use std::sync::{Arc, PoisonError, RwLock};

use metrics::{Label, SharedString};

use crate::catalogue::{LABEL_VALUES_FOLDED, label};

/// Keeps the number of distinct values of one label at or below a limit.
///
/// The guard admits the first `limit` distinct values passed to [`admit`](Self::admit)
/// and keeps them for its whole life. Every later new value is reported as
/// [`OTHER`](Self::OTHER). This is deterministic and keeps each admitted series stable,
/// because a value never moves between its own series and `other`, so `rate()` over an
/// admitted series stays correct. The price is that the first values win even if later
/// ones become more frequent. A frequency ranking with decay would move values between
/// series and break their counters.
///
/// A value is also folded when it is empty, longer than
/// [`MAX_VALUE_LEN`](Self::MAX_VALUE_LEN) bytes, or contains a control character, a
/// backslash or a double quote, so that a stray input cannot produce an unreadable
/// series. Each folded observation increments
/// `podgraph_label_values_folded_total{label}`.
#[derive(Debug)]
pub struct CardinalityGuard {
    label: &'static str,
    limit: usize,
    admitted: RwLock<HashSet<Arc<str>>>,
}

impl CardinalityGuard {
    /// The value reported in place of values beyond the limit.
    pub const OTHER: &'static str = "other";

    /// Maximum length of an admitted value, in bytes.
    pub const MAX_VALUE_LEN: usize = 128;

    /// Creates a guard for `label` that admits at most `limit` distinct values.
    pub fn new(label: &'static str, limit: usize) -> Self {
        Self {
            label,
            limit,
            admitted: RwLock::new(HashSet::new()),
        }
    }

    /// The label this guard protects.
    pub fn label(&self) -> &'static str {
        self.label
    }

    /// The maximum number of distinct values.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Returns `value` when it is admitted (already seen, or new while there is room),
    /// else [`OTHER`](Self::OTHER).
    pub fn admit(&self, value: &str) -> SharedString {
        if value == Self::OTHER {
            return SharedString::const_str(Self::OTHER);
        }
        if !Self::is_presentable(value) {
            return self.fold();
        }

        if let Some(known) = self.read().get(value) {
            return SharedString::from(Arc::clone(known));
        }

        let mut admitted = self
            .admitted
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        // Another thread may have admitted the value between the two locks.
        if let Some(known) = admitted.get(value) {
            return SharedString::from(Arc::clone(known));
        }
        if admitted.len() >= self.limit {
            drop(admitted);
            return self.fold();
        }
        let value: Arc<str> = Arc::from(value);
        admitted.insert(Arc::clone(&value));
        SharedString::from(value)
    }

    /// The admitted values, sorted.
    pub fn admitted(&self) -> Vec<String> {
        let mut values: Vec<String> = self.read().iter().map(|v| v.to_string()).collect();
        values.sort_unstable();
        values
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashSet<Arc<str>>> {
        self.admitted.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn fold(&self) -> SharedString {
        LABEL_VALUES_FOLDED
            .counter(vec![Label::new(label::LABEL, self.label)])
            .increment(1);
        SharedString::const_str(Self::OTHER)
    }

    fn is_presentable(value: &str) -> bool {
        !value.is_empty()
            && value.len() <= Self::MAX_VALUE_LEN
            && !value
                .chars()
                .any(|c| c.is_control() || c == '\\' || c == '"')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_first_values_then_folds() {
        let guard = CardinalityGuard::new(label::PODCAST, 2);
        assert_eq!(guard.admit("a").as_ref(), "a");
        assert_eq!(guard.admit("b").as_ref(), "b");
        assert_eq!(guard.admit("c").as_ref(), "other");
        assert_eq!(guard.admit("a").as_ref(), "a");
        assert_eq!(guard.admit("b").as_ref(), "b");
        assert_eq!(guard.admit("c").as_ref(), "other");
        assert_eq!(guard.admitted(), vec!["a".to_owned(), "b".to_owned()]);
    }

    #[test]
    fn zero_limit_folds_everything() {
        let guard = CardinalityGuard::new(label::MODEL, 0);
        assert_eq!(guard.admit("gpt").as_ref(), "other");
        assert!(guard.admitted().is_empty());
    }

    #[test]
    fn other_does_not_take_a_slot() {
        let guard = CardinalityGuard::new(label::PODCAST, 1);
        assert_eq!(guard.admit("other").as_ref(), "other");
        assert_eq!(guard.admit("a").as_ref(), "a");
    }

    #[test]
    fn unpresentable_values_fold() {
        let guard = CardinalityGuard::new(label::PODCAST, 10);
        for value in [
            "",
            "line\nbreak",
            "back\\slash",
            "quote\"d",
            &"x".repeat(129),
        ] {
            assert_eq!(guard.admit(value).as_ref(), "other", "{value:?}");
        }
        assert!(guard.admitted().is_empty());
        assert_eq!(guard.admit(&"x".repeat(128)).len(), 128);
    }

    #[test]
    fn concurrent_admission_respects_limit() {
        let guard = Arc::new(CardinalityGuard::new(label::PODCAST, 5));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let guard = Arc::clone(&guard);
                std::thread::spawn(move || {
                    for i in 0..50 {
                        guard.admit(&format!("value-{}", (i * 7 + t) % 20));
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("thread finished");
        }
        assert_eq!(guard.admitted().len(), 5);
    }
}
