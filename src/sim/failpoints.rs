//! The simulation's failpoint hook: decides at each pass of a named point whether it fires, and
//! queues the hosts whose process it parked for the driver to crash.
//!
//! A point fires with the scenario's per-pass probability (drawn from this hook's own
//! `Rng::derive(seed, "failpoints")`, deterministic because a simulation runs one host at a time
//! on one thread), or once after the nemesis armed it for a scripted fault. A fired point parks
//! its task forever (a host cannot crash itself); the driver drains [`SimFailpoints::take_fired`]
//! before each step and crashes those hosts. Only inside the fault window: the driver disables
//! the hook when everything heals.
//!
//! It must never crash anything itself, nor touch turmoil: it is called from inside hosts.

use crate::pipeline::failpoint::{FailpointHook, Stall};
use crate::rng::Rng;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// A point that fired: the process it parked, which is also its host's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fired {
    pub process: String,
    pub point: &'static str,
}

struct State {
    enabled: bool,
    /// Per-pass probability of each point.
    rates: BTreeMap<String, f64>,
    /// Points armed to fire once, at their next pass, by scripted faults.
    armed: Vec<String>,
    rng: Rng,
    fired: Vec<Fired>,
}

/// The hook. Shared (`Arc`) by every host's pipeline context and the driver.
pub struct SimFailpoints {
    state: Mutex<State>,
}

impl SimFailpoints {
    /// `rates` empty (or the kind switched off by the seed) arms nothing but scripted points.
    pub fn new(seed: u64, rates: BTreeMap<String, f64>) -> SimFailpoints {
        let state = State {
            enabled: true,
            rates,
            armed: Vec::new(),
            rng: Rng::derive(seed, "failpoints"),
            fired: Vec::new(),
        };
        SimFailpoints { state: Mutex::new(state) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("failpoint state poisoned")
    }

    /// `point` fires at its next pass, whatever its probability.
    pub fn arm_once(&self, point: &str) {
        self.state().armed.push(point.to_string());
    }

    /// No point fires any more (the fault window is over).
    pub fn disable(&self) {
        let mut state = self.state();
        state.enabled = false;
        state.armed.clear();
    }

    /// Points that fired since the last call, in the order they fired.
    pub fn take_fired(&self) -> Vec<Fired> {
        std::mem::take(&mut self.state().fired)
    }
}

impl FailpointHook for SimFailpoints {
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
            // Draw only for points with a rate, so passes of other points never shift the stream.
            None => match state.rates.get(point).copied() {
                Some(p) if p > 0.0 => state.rng.chance(p),
                _ => false,
            },
        };
        if !fires {
            return None;
        }
        state.fired.push(Fired { process: process.to_string(), point });
        Some(Box::pin(std::future::pending()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::failpoint::{CONSUMER_AFTER_ACK, CONSUMER_AFTER_READ};

    #[test]
    fn fires_by_probability_or_once_when_armed_and_never_when_disabled() {
        let rates = BTreeMap::from([(CONSUMER_AFTER_READ.to_string(), 0.5)]);
        let hook = SimFailpoints::new(3, rates.clone());
        let draws: Vec<bool> = (0..64).map(|_| hook.hit(CONSUMER_AFTER_READ, "w").is_some()).collect();
        let again = SimFailpoints::new(3, rates);
        let same: Vec<bool> = (0..64).map(|_| again.hit(CONSUMER_AFTER_READ, "w").is_some()).collect();
        assert_eq!(draws, same, "one seed, one sequence");
        assert!(draws.iter().any(|d| *d) && draws.iter().any(|d| !*d));
        assert!(hook.hit(CONSUMER_AFTER_ACK, "w").is_none(), "no rate, no fire");
        hook.arm_once(CONSUMER_AFTER_ACK);
        assert!(hook.hit(CONSUMER_AFTER_ACK, "w2").is_some());
        assert!(hook.hit(CONSUMER_AFTER_ACK, "w2").is_none(), "armed once");
        let fired = hook.take_fired();
        assert_eq!(fired.last(), Some(&Fired { process: "w2".into(), point: CONSUMER_AFTER_ACK }));
        assert!(hook.take_fired().is_empty());
        hook.disable();
        assert!((0..64).all(|_| hook.hit(CONSUMER_AFTER_READ, "w").is_none()));
    }
}
