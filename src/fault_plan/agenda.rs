//! The nemesis's agenda: what it does next and when, in both worlds. Actions come out by due
//! time, and in the order they were put in at equal times, so a plan applies the same way
//! every time it is applied to the same world.

use super::{FaultPlan, PlannedFault};
use std::collections::BTreeMap;

/// What happens at one instant.
#[derive(Clone, Debug)]
pub enum Action<T> {
    Start(PlannedFault<T>),
    /// A fault's end, with the names its start resolved (the primary of that moment, the
    /// containers it cut); empty where the target names its hosts itself.
    End(PlannedFault<T>, Vec<String>),
    /// A host or task a failpoint crashed comes back.
    Restart(String),
}

/// Actions by due time (ms after the run's start), then by the order they were pushed.
#[derive(Debug)]
pub struct Agenda<T> {
    queue: BTreeMap<(u64, u64), Action<T>>,
    seq: u64,
}

impl<T: Clone> Agenda<T> {
    /// Every fault of the plan, to start at its time.
    pub fn new(plan: &FaultPlan<T>) -> Agenda<T> {
        let mut agenda = Agenda {
            queue: BTreeMap::new(),
            seq: 0,
        };
        for fault in &plan.faults {
            agenda.push(fault.at_ms, Action::Start(fault.clone()));
        }
        agenda
    }

    pub fn push(&mut self, at_ms: u64, action: Action<T>) {
        self.queue.insert((at_ms, self.seq), action);
        self.seq += 1;
    }

    /// The first action due at or before `now_ms`, taken off the agenda.
    pub fn pop_due(&mut self, now_ms: u64) -> Option<Action<T>> {
        let entry = self.queue.first_entry()?;
        (entry.key().0 <= now_ms).then(|| entry.remove())
    }

    /// When the next action is due.
    pub fn next_due_ms(&self) -> Option<u64> {
        self.queue.keys().next().map(|k| k.0)
    }

    /// Every action left, in order; the agenda is empty afterwards.
    pub fn take_all(&mut self) -> Vec<Action<T>> {
        std::mem::take(&mut self.queue).into_values().collect()
    }
}
