//! Write order of a run: episodes are fetched, parsed and extracted concurrently, but
//! resolve against the store and write in input order.
//!
//! Resolution reads what earlier episodes stored, so writing in completion order would
//! make the graph depend on thread timing. With the order fixed, one input gives the same
//! graph at any concurrency.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

/// Hands out one [`Turn`] per episode and tracks which turns are over.
#[derive(Debug)]
pub(super) struct WriteOrder {
    /// Turns that ended out of order, waiting for an earlier one.
    ended: Mutex<BTreeSet<usize>>,
    /// The lowest turn that has not ended: every turn below it has.
    next: watch::Sender<usize>,
}

impl WriteOrder {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Self {
            ended: Mutex::new(BTreeSet::new()),
            next: watch::Sender::new(0),
        })
    }

    /// Creates the turn of the episode at `position` in the input. Positions must get
    /// turns from 0 up without gaps, because a position without a turn blocks every
    /// later turn.
    pub(super) fn turn(self: &Arc<Self>, position: usize) -> Turn {
        Turn {
            order: Arc::clone(self),
            position,
        }
    }

    fn end(&self, position: usize) {
        let mut ended = self.ended.lock().unwrap_or_else(PoisonError::into_inner);
        ended.insert(position);
        let mut next = *self.next.borrow();
        while ended.remove(&next) {
            next += 1;
        }
        self.next.send_replace(next);
    }
}

/// One episode's place in the write order. Dropping it ends the turn, whatever way the
/// episode finished (written, skipped, failed, timed out or panicked).
#[derive(Debug)]
pub(super) struct Turn {
    order: Arc<WriteOrder>,
    position: usize,
}

impl Turn {
    /// Waits until every earlier episode has ended its turn.
    pub(super) async fn wait(&self) {
        let mut next = self.order.next.subscribe();
        // The sender lives in `self.order`, so the channel cannot close while waiting.
        let _ = next.wait_for(|next| *next >= self.position).await;
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.order.end(self.position);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn later_turn_waits_for_every_earlier_one() {
        let order = WriteOrder::new();
        let first = order.turn(0);
        let second = order.turn(1);
        let third = order.turn(2);

        // The first turn never waits.
        first.wait().await;
        // The third cannot start while the second is running, even after the first ended.
        drop(first);
        let blocked = tokio::time::timeout(Duration::from_millis(50), third.wait()).await;
        assert!(
            blocked.is_err(),
            "third turn started before the second ended"
        );

        drop(second);
        let started = tokio::time::timeout(Duration::from_secs(5), third.wait()).await;
        assert!(started.is_ok(), "third turn still waits after both ended");
    }

    #[tokio::test]
    async fn turns_ending_out_of_order_release_in_order() {
        let order = WriteOrder::new();
        let turns: Vec<Turn> = (0..4).map(|position| order.turn(position)).collect();
        let mut turns = turns.into_iter();
        let (zero, one, two, three) = (
            turns.next().unwrap(),
            turns.next().unwrap(),
            turns.next().unwrap(),
            turns.next().unwrap(),
        );

        drop(two);
        drop(one);
        assert_eq!(*order.next.borrow(), 0, "turn 0 has not ended");
        drop(zero);
        assert_eq!(*order.next.borrow(), 3, "turns 0 to 2 ended");
        let started = tokio::time::timeout(Duration::from_secs(5), three.wait()).await;
        assert!(started.is_ok());
    }
}
