//! The nemesis's failpoint hook, shared by both worlds: decides at each pass of a named point
//! whether it fires, and queues the processes it parked for the world's driver to crash.
//!
//! A point fires with the scenario's per-pass probability (drawn from this hook's own
//! `Rng::derive(seed, "failpoints")`: deterministic in the simulation, which runs one host at a
//! time on one thread; in the container world the draws follow the tasks' real interleaving), or
//! once after the nemesis armed it for a scripted fault. A fired point parks its task forever (a
//! task cannot crash itself); the driver drains [`DrawnFailpoints::take_fired`] (the simulation
//! before each step, the container world when [`DrawnFailpoints::fired`] wakes it) and crashes
//! those processes. A stall (`[faults.rates.stall]`) instead pauses the task for a drawn episode,
//! and it goes on afterwards. Only inside the fault window: the driver disables the hook when
//! everything heals.
//!
//! It must never crash, abort or restart anything itself: it runs inside the tasks it stops.

use crate::pipeline::failpoint::{FailpointHook, Stall};
use crate::rng::Rng;
use std::collections::BTreeMap;
use std::sync::Mutex;
use tokio::sync::Notify;

/// A point that fired: the process it parked, which is also its host's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fired {
    pub process: String,
    pub point: &'static str,
}

/// The hook's configuration: per-pass probabilities and the stall episode bounds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rates {
    /// The host crashes there.
    pub crash: BTreeMap<String, f64>,
    /// The process pauses there for `stall_ms_min..=stall_ms_max`.
    pub stall: BTreeMap<String, f64>,
    pub stall_ms_min: u64,
    pub stall_ms_max: u64,
}

struct State {
    enabled: bool,
    rates: Rates,
    /// Points armed to fire once, at their next pass (`point`) or their next pass by one
    /// process (`point@process`), by scripted faults.
    armed: Vec<String>,
    rng: Rng,
    fired: Vec<Fired>,
}

/// The hook. Shared (`Arc`) by every task's pipeline context and the driver.
pub struct DrawnFailpoints {
    state: Mutex<State>,
    notify: Notify,
}

impl DrawnFailpoints {
    /// Empty `rates` (or kinds the seed switched off) arm nothing but scripted points.
    pub fn new(seed: u64, rates: Rates) -> DrawnFailpoints {
        assert!(
            rates.stall_ms_min <= rates.stall_ms_max,
            "stall bounds {rates:?}"
        );
        let state = State {
            enabled: true,
            rates,
            armed: Vec::new(),
            rng: Rng::derive(seed, "failpoints"),
            fired: Vec::new(),
        };
        DrawnFailpoints {
            state: Mutex::new(state),
            notify: Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("failpoint state poisoned")
    }

    /// `point` fires at its next pass, whatever its probability; `point@process` only at that
    /// process's next pass.
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

    /// Resolves when a point fires (or fired since the last wait), for a driver that waits
    /// rather than polls.
    pub async fn fired(&self) {
        self.notify.notified().await;
    }
}

impl FailpointHook for DrawnFailpoints {
    fn hit(&self, point: &'static str, process: &str) -> Option<Stall> {
        let mut state = self.state();
        if !state.enabled {
            return None;
        }
        let armed = state.armed.iter().position(|p| {
            p == point
                || p.strip_prefix(point)
                    .and_then(|r| r.strip_prefix('@'))
                    .is_some_and(|host| host == process)
        });
        let crashes = match armed {
            Some(i) => {
                state.armed.remove(i);
                true
            }
            None => draw(&mut state, |r| &r.crash, point),
        };
        if crashes {
            state.fired.push(Fired {
                process: process.to_string(),
                point,
            });
            drop(state);
            // `notify_one` keeps a permit when the driver is not waiting yet: no firing is missed.
            self.notify.notify_one();
            return Some(Box::pin(std::future::pending()));
        }
        if draw(&mut state, |r| &r.stall, point) {
            let (lo, hi) = (state.rates.stall_ms_min, state.rates.stall_ms_max);
            let ms = state.rng.range(lo, hi);
            return Some(Box::pin(tokio::time::sleep(
                std::time::Duration::from_millis(ms),
            )));
        }
        None
    }
}

/// One draw for a point with a rate in `which`; none for other points, so passes of points
/// without a rate never shift the stream.
fn draw(state: &mut State, which: impl Fn(&Rates) -> &BTreeMap<String, f64>, point: &str) -> bool {
    match which(&state.rates).get(point).copied() {
        Some(p) if p > 0.0 => state.rng.chance(p),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::failpoint::{CONSUMER_AFTER_ACK, CONSUMER_AFTER_READ};

    #[test]
    fn fires_by_probability_or_once_when_armed_and_never_when_disabled() {
        let crash = BTreeMap::from([(CONSUMER_AFTER_READ.to_string(), 0.5)]);
        let rates = Rates {
            crash,
            ..Rates::default()
        };
        let hook = DrawnFailpoints::new(3, rates.clone());
        let draws: Vec<bool> = (0..64)
            .map(|_| hook.hit(CONSUMER_AFTER_READ, "w").is_some())
            .collect();
        let again = DrawnFailpoints::new(3, rates);
        let same: Vec<bool> = (0..64)
            .map(|_| again.hit(CONSUMER_AFTER_READ, "w").is_some())
            .collect();
        assert_eq!(draws, same, "one seed, one sequence");
        assert!(draws.iter().any(|d| *d) && draws.iter().any(|d| !*d));
        assert!(
            hook.hit(CONSUMER_AFTER_ACK, "w").is_none(),
            "no rate, no fire"
        );
        hook.arm_once(&format!("{CONSUMER_AFTER_ACK}@w3"));
        assert!(hook.hit(CONSUMER_AFTER_ACK, "w2").is_none(), "kept to w3");
        assert!(hook.hit(CONSUMER_AFTER_ACK, "w3").is_some());
        hook.arm_once(CONSUMER_AFTER_ACK);
        assert!(hook.hit(CONSUMER_AFTER_ACK, "w2").is_some());
        assert!(hook.hit(CONSUMER_AFTER_ACK, "w2").is_none(), "armed once");
        let fired = hook.take_fired();
        assert_eq!(
            fired.last(),
            Some(&Fired {
                process: "w2".into(),
                point: CONSUMER_AFTER_ACK
            })
        );
        assert!(hook.take_fired().is_empty());
        hook.disable();
        assert!((0..64).all(|_| hook.hit(CONSUMER_AFTER_READ, "w").is_none()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stall_resumes_after_its_episode_and_queues_no_crash() {
        let stall = BTreeMap::from([(CONSUMER_AFTER_READ.to_string(), 1.0)]);
        let rates = Rates {
            stall,
            stall_ms_min: 300,
            stall_ms_max: 300,
            ..Rates::default()
        };
        let hook = DrawnFailpoints::new(1, rates);
        let started = tokio::time::Instant::now();
        hook.hit(CONSUMER_AFTER_READ, "w").expect("a stall").await;
        assert_eq!(started.elapsed(), std::time::Duration::from_millis(300));
        assert!(hook.take_fired().is_empty());
    }
}
