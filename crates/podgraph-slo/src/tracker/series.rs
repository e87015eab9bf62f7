//! Good and total event counts of one SLO in fixed-width time buckets.

use std::collections::VecDeque;

/// Counts of one bucket. `index` is the bucket's start divided by the bucket width, in
/// seconds since the Unix epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Bucket {
    pub(crate) index: i64,
    pub(crate) good: u64,
    pub(crate) total: u64,
}

impl Bucket {
    pub(crate) fn bad(&self) -> u64 {
        self.total.saturating_sub(self.good)
    }
}

/// Good and total counts over some window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) good: u64,
    pub(crate) total: u64,
}

impl Counts {
    pub(crate) fn bad(&self) -> u64 {
        self.total.saturating_sub(self.good)
    }

    /// The error ratio, or `None` for a window without events.
    pub(crate) fn error_ratio(&self) -> Option<f64> {
        (self.total > 0).then(|| self.bad() as f64 / self.total as f64)
    }

    fn add(&mut self, bucket: &Bucket) {
        self.good = self.good.saturating_add(bucket.good);
        self.total = self.total.saturating_add(bucket.total);
    }
}

/// The buckets of one SLO, oldest first, holding only buckets that saw events.
///
/// Memory is bounded by `retention` buckets whatever the event rate: buckets older than
/// the retention are dropped as newer ones arrive. `unsaved` holds the counts not yet
/// merged into a state store, when the tracker has one.
#[derive(Debug)]
pub(crate) struct Series {
    retention: i64,
    buckets: VecDeque<Bucket>,
    track_unsaved: bool,
    unsaved: Vec<Bucket>,
}

impl Series {
    /// Creates a series that keeps `retention` buckets (at least 1).
    pub(crate) fn new(retention: i64, track_unsaved: bool) -> Self {
        Self {
            retention: retention.max(1),
            buckets: VecDeque::new(),
            track_unsaved,
            unsaved: Vec::new(),
        }
    }

    /// Adds `good` of `total` events to bucket `index`, where `newest` is the clock's
    /// current bucket. Returns false, counting nothing, for a bucket older than the
    /// retention.
    pub(crate) fn record(&mut self, index: i64, newest: i64, good: u64, total: u64) -> bool {
        let oldest_kept = newest.saturating_sub(self.retention).saturating_add(1);
        if index < oldest_kept {
            return false;
        }
        let delta = Bucket { index, good, total };
        add_sorted_deque(&mut self.buckets, delta);
        if self.track_unsaved {
            add_sorted_vec(&mut self.unsaved, delta);
        }
        self.prune(oldest_kept);
        true
    }

    fn prune(&mut self, oldest_kept: i64) {
        while self.buckets.front().is_some_and(|b| b.index < oldest_kept) {
            self.buckets.pop_front();
        }
        // Unsaved counts older than the retention no longer matter to anyone.
        let stale = self.unsaved.partition_point(|b| b.index < oldest_kept);
        self.unsaved.drain(..stale);
    }

    /// Sums each window ending at bucket `now` (inclusive). `lengths[i]` is the number of
    /// buckets of window `i`; buckets after `now` (from clocks ahead of this one) are left
    /// out.
    pub(crate) fn window_sums(&self, now: i64, lengths: &[i64]) -> Vec<Counts> {
        let mut sums = vec![Counts::default(); lengths.len()];
        let longest = lengths.iter().copied().max().unwrap_or(0);
        for bucket in self.buckets.iter().rev() {
            let age = now.saturating_sub(bucket.index);
            if age < 0 {
                continue;
            }
            if age >= longest {
                break;
            }
            for (sum, length) in sums.iter_mut().zip(lengths) {
                if age < *length {
                    sum.add(bucket);
                }
            }
        }
        sums
    }

    /// Sums buckets from `first` to `now`, both inclusive.
    pub(crate) fn sum_range(&self, first: i64, now: i64) -> Counts {
        let mut sum = Counts::default();
        for bucket in self.buckets.iter().rev() {
            if bucket.index < first {
                break;
            }
            if bucket.index <= now {
                sum.add(bucket);
            }
        }
        sum
    }

    /// Returns the buckets from `first` to `now`, oldest first.
    pub(crate) fn buckets_in(&self, first: i64, now: i64) -> Vec<Bucket> {
        self.buckets
            .iter()
            .filter(|b| b.index >= first && b.index <= now)
            .copied()
            .collect()
    }

    /// The index of the newest bucket holding a bad event at or before `now`.
    pub(crate) fn last_bad(&self, now: i64) -> Option<i64> {
        self.buckets
            .iter()
            .rev()
            .find(|b| b.index <= now && b.bad() > 0)
            .map(|b| b.index)
    }

    /// Returns the counts not yet saved.
    pub(crate) fn unsaved(&self) -> &[Bucket] {
        &self.unsaved
    }

    /// Forgets `saved` counts from the unsaved list once a store has them.
    pub(crate) fn mark_saved(&mut self, saved: &Bucket) {
        let at = self.unsaved.partition_point(|b| b.index < saved.index);
        if let Some(entry) = self.unsaved.get_mut(at)
            && entry.index == saved.index
        {
            entry.good = entry.good.saturating_sub(saved.good);
            entry.total = entry.total.saturating_sub(saved.total);
            if entry.total == 0 && entry.good == 0 {
                self.unsaved.remove(at);
            }
        }
    }

    /// Replaces the buckets from `first` on with `stored` plus the unsaved counts, so the
    /// series shows what every process saved and what this one has not saved yet.
    /// `stored` must be sorted by index and lie at or after `first`.
    pub(crate) fn replace_from(&mut self, first: i64, newest: i64, stored: &[Bucket]) {
        let keep = self.buckets.partition_point(|b| b.index < first);
        self.buckets.truncate(keep);
        for bucket in stored {
            add_sorted_deque(&mut self.buckets, *bucket);
        }
        for bucket in self.unsaved.iter().filter(|b| b.index >= first) {
            add_sorted_deque(&mut self.buckets, *bucket);
        }
        self.prune(newest.saturating_sub(self.retention).saturating_add(1));
    }

    /// Buckets held, for tests of the memory bound.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.buckets.len()
    }
}

fn add_sorted_deque(buckets: &mut VecDeque<Bucket>, delta: Bucket) {
    // Events almost always land in the newest bucket or open the next one.
    match buckets.back_mut() {
        Some(last) if last.index == delta.index => merge(last, &delta),
        Some(last) if last.index > delta.index => {
            let at = buckets.partition_point(|b| b.index < delta.index);
            match buckets.get_mut(at) {
                Some(existing) if existing.index == delta.index => merge(existing, &delta),
                _ => buckets.insert(at, delta),
            }
        }
        _ => buckets.push_back(delta),
    }
}

fn add_sorted_vec(buckets: &mut Vec<Bucket>, delta: Bucket) {
    match buckets.last_mut() {
        Some(last) if last.index == delta.index => merge(last, &delta),
        Some(last) if last.index > delta.index => {
            let at = buckets.partition_point(|b| b.index < delta.index);
            match buckets.get_mut(at) {
                Some(existing) if existing.index == delta.index => merge(existing, &delta),
                _ => buckets.insert(at, delta),
            }
        }
        _ => buckets.push(delta),
    }
}

fn merge(into: &mut Bucket, delta: &Bucket) {
    into.good = into.good.saturating_add(delta.good);
    into.total = into.total.saturating_add(delta.total);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_count_buckets_ending_now() {
        let mut series = Series::new(100, false);
        for index in 0..10 {
            series.record(index, 9, 1, 2);
        }
        let sums = series.window_sums(9, &[1, 5, 100]);
        assert_eq!(sums[0], Counts { good: 1, total: 2 });
        assert_eq!(sums[1], Counts { good: 5, total: 10 });
        assert_eq!(
            sums[2],
            Counts {
                good: 10,
                total: 20
            }
        );
    }

    #[test]
    fn memory_is_bounded_by_retention() {
        let mut series = Series::new(60, true);
        for index in 0..10_000 {
            assert!(series.record(index, index, 1, 1));
        }
        assert_eq!(series.len(), 60);
        assert_eq!(series.unsaved().len(), 60);
    }

    #[test]
    fn too_old_events_are_dropped() {
        let mut series = Series::new(10, false);
        assert!(!series.record(0, 10, 1, 1));
        assert!(series.record(1, 10, 1, 1));
    }

    #[test]
    fn late_events_land_in_their_bucket() {
        let mut series = Series::new(100, false);
        series.record(5, 5, 1, 1);
        series.record(3, 5, 0, 1);
        series.record(5, 5, 1, 1);
        series.record(4, 5, 1, 1);
        let buckets = series.buckets_in(0, 5);
        let indices: Vec<i64> = buckets.iter().map(|b| b.index).collect();
        assert_eq!(indices, [3, 4, 5]);
        assert_eq!(
            buckets[2],
            Bucket {
                index: 5,
                good: 2,
                total: 2
            }
        );
    }

    #[test]
    fn replace_keeps_unsaved_counts() {
        let mut series = Series::new(100, true);
        series.record(7, 7, 1, 1);
        let stored = [Bucket {
            index: 7,
            good: 5,
            total: 9,
        }];
        series.replace_from(0, 7, &stored);
        assert_eq!(series.sum_range(0, 7), Counts { good: 6, total: 10 });

        series.mark_saved(&Bucket {
            index: 7,
            good: 1,
            total: 1,
        });
        assert!(series.unsaved().is_empty());
    }

    #[test]
    fn empty_window_has_no_error_ratio() {
        assert_eq!(Counts::default().error_ratio(), None);
        assert_eq!(Counts { good: 3, total: 4 }.error_ratio(), Some(0.25));
    }
}
