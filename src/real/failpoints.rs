//! The container world's failpoint hook: decides at each pass of a named point whether it fires,
//! parks the task that fired, and wakes the driver, which aborts that task (its crash) and
//! restarts it later.
//!
//! A point fires with the scenario's per-pass probability (drawn from `Rng::derive(seed,
//! "failpoints")`; the draws' order follows the tasks' real interleaving, so a real run is not
//! replayable), or once after the nemesis armed it for a scripted fault. Only inside the fault
//! window: the driver disables the hook when everything heals.
//!
//! It must never abort or restart anything itself: it runs inside the tasks it stops.

use std::collections::BTreeMap;
use std::sync::Mutex;

use tokio::sync::Notify;

use crate::pipeline::failpoint::{FailpointHook, Stall};
use crate::rng::Rng;

/// A point that fired, and the process it parked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fired {
    pub process: String,
    pub point: &'static str,
}

struct State {
    enabled: bool,
    rates: BTreeMap<String, f64>,
    armed: Vec<String>,
    rng: Rng,
    fired: Vec<Fired>,
}

/// The hook, shared by every task's context and the driver.
pub struct RealFailpoints {
    state: Mutex<State>,
    notify: Notify,
}

impl RealFailpoints {
    pub fn new(seed: u64, rates: BTreeMap<String, f64>) -> RealFailpoints {
        RealFailpoints {
            state: Mutex::new(State {
                enabled: true,
                rates,
                armed: Vec::new(),
                rng: Rng::derive(seed, "failpoints"),
                fired: Vec::new(),
            }),
            notify: Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("failpoint state poisoned")
    }

    /// `point` fires at its next pass, whatever its probability.
    pub fn arm_once(&self, point: &str) {
        self.state().armed.push(point.to_string());
    }

    /// No point fires any more.
    pub fn disable(&self) {
        let mut state = self.state();
        state.enabled = false;
        state.armed.clear();
    }

    /// Points that fired since the last call, in the order they fired.
    pub fn take_fired(&self) -> Vec<Fired> {
        std::mem::take(&mut self.state().fired)
    }

    /// Resolves when a point fires (or fired since the last wait).
    pub async fn fired(&self) {
        self.notify.notified().await;
    }
}

impl FailpointHook for RealFailpoints {
    fn hit(&self, point: &'static str, process: &str) -> Option<Stall> {
        let mut state = self.state();
        if !state.enabled {
            return None;
        }
        let fires = match state.armed.iter().position(|p| p == point) {
            Some(i) => {
                state.armed.remove(i);
                true
            }
            None => match state.rates.get(point).copied() {
                Some(p) if p > 0.0 => state.rng.chance(p),
                _ => false,
            },
        };
        if !fires {
            return None;
        }
        state.fired.push(Fired {
            process: process.to_string(),
            point,
        });
        drop(state);
        // `notify_one` keeps a permit when the driver is not waiting yet, so no firing is missed.
        self.notify.notify_one();
        Some(Box::pin(std::future::pending()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::failpoint::{CONSUMER_AFTER_ACK, CONSUMER_AFTER_READ};

    #[tokio::test]
    async fn fires_by_rate_or_once_when_armed_wakes_the_driver_and_stops_when_disabled() {
        let rates = BTreeMap::from([(CONSUMER_AFTER_READ.to_string(), 1.0)]);
        let hook = RealFailpoints::new(3, rates);
        assert!(hook.hit(CONSUMER_AFTER_READ, "w1").is_some());
        hook.fired().await;
        assert!(
            hook.hit(CONSUMER_AFTER_ACK, "w2").is_none(),
            "no rate, no fire"
        );
        hook.arm_once(CONSUMER_AFTER_ACK);
        assert!(hook.hit(CONSUMER_AFTER_ACK, "w2").is_some());
        assert!(hook.hit(CONSUMER_AFTER_ACK, "w2").is_none(), "armed once");
        let fired = hook.take_fired();
        assert_eq!(fired.len(), 2);
        assert_eq!(
            fired[1],
            Fired {
                process: "w2".into(),
                point: CONSUMER_AFTER_ACK
            }
        );
        hook.disable();
        assert!(hook.hit(CONSUMER_AFTER_READ, "w1").is_none());
    }
}
