//! The state machine of one burn-rate alert.

use chrono::{DateTime, TimeDelta, Utc};

use crate::status::AlertState;

/// The state of one alert and when it was entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AlertTracking {
    pub(crate) state: AlertState,
    pub(crate) since: Option<DateTime<Utc>>,
}

impl Default for AlertTracking {
    fn default() -> Self {
        Self {
            state: AlertState::Inactive,
            since: None,
        }
    }
}

impl AlertTracking {
    /// Moves the alert on given whether its condition holds at `now`. It follows
    /// Prometheus: a condition that holds makes the alert pending until it has held for
    /// `hold` (at once when `hold` is zero), then firing. A firing alert whose condition
    /// stops holding is resolved; a pending one goes back to inactive.
    pub(crate) fn step(&mut self, condition: bool, now: DateTime<Utc>, hold: TimeDelta) {
        let next = match (self.state, condition) {
            (AlertState::Inactive | AlertState::Resolved, true) if hold <= TimeDelta::zero() => {
                AlertState::Firing
            }
            (AlertState::Inactive | AlertState::Resolved, true) => AlertState::Pending,
            (AlertState::Pending, true) => {
                let held = self.since.map_or(TimeDelta::zero(), |since| now - since);
                if held >= hold {
                    AlertState::Firing
                } else {
                    AlertState::Pending
                }
            }
            (AlertState::Pending, false) => AlertState::Inactive,
            (AlertState::Firing, false) => AlertState::Resolved,
            (state, _) => state,
        };
        if next != self.state {
            self.state = next;
            self.since = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap() + TimeDelta::minutes(minute)
    }

    #[test]
    fn fires_at_once_without_hold() {
        let mut alert = AlertTracking::default();
        alert.step(true, at(0), TimeDelta::zero());
        assert_eq!(alert.state, AlertState::Firing);
        assert_eq!(alert.since, Some(at(0)));
    }

    #[test]
    fn pending_until_hold_then_firing_then_resolved() {
        let hold = TimeDelta::minutes(2);
        let mut alert = AlertTracking::default();
        alert.step(true, at(0), hold);
        assert_eq!(alert.state, AlertState::Pending);
        alert.step(true, at(1), hold);
        assert_eq!(alert.state, AlertState::Pending);
        alert.step(true, at(2), hold);
        assert_eq!(alert.state, AlertState::Firing);
        assert_eq!(alert.since, Some(at(2)));
        alert.step(true, at(3), hold);
        assert_eq!(alert.since, Some(at(2)), "since does not move while firing");
        alert.step(false, at(4), hold);
        assert_eq!(alert.state, AlertState::Resolved);
        assert_eq!(alert.since, Some(at(4)));
    }

    #[test]
    fn pending_that_clears_goes_back_to_inactive() {
        let hold = TimeDelta::minutes(5);
        let mut alert = AlertTracking::default();
        alert.step(true, at(0), hold);
        alert.step(false, at(1), hold);
        assert_eq!(alert.state, AlertState::Inactive);
    }
}
