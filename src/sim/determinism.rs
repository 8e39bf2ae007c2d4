//! The determinism check (madsim's `check_determinism`): run one seed twice in this process and
//! compare the history hashes. Different hashes mean something escaped the seed (a wall clock,
//! OS randomness, hash-map order, an unseeded `select!`), and the run must not be trusted.
//!
//! It compares; it never explains. The two histories are kept so a caller can diff them.

use super::run::{Prepared, RunError, RunOutcome};
use crate::history::hash::format_hash;

/// Two runs of one seed.
pub struct Determinism {
    pub first: RunOutcome,
    pub second: RunOutcome,
}

impl Determinism {
    pub fn same(&self) -> bool {
        self.first.history_hash() == self.second.history_hash()
    }

    /// `determinism: same history twice (<hash>)` or both hashes and the first record that differs.
    pub fn line(&self) -> String {
        let (a, b) = (
            format_hash(self.first.history_hash()),
            format_hash(self.second.history_hash()),
        );
        if self.same() {
            return format!("determinism: same history twice ({a})");
        }
        let (h1, h2) = (&self.first.history, &self.second.history);
        let at = h1
            .iter()
            .zip(h2)
            .position(|(x, y)| x != y)
            .unwrap_or(h1.len().min(h2.len()));
        format!(
            "determinism: FAILED for seed {}: first run {a}, second run {b} ({} and {} records, first difference at record {at})",
            self.first.seed,
            h1.len(),
            h2.len()
        )
    }
}

/// Runs `prepared` twice.
pub fn check(prepared: &Prepared) -> Result<Determinism, RunError> {
    Ok(Determinism {
        first: prepared.run()?,
        second: prepared.run()?,
    })
}
