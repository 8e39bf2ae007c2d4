//! The decisions a real run commits, when, and which producer owns each.
//!
//! Drawn up front from `Rng::derive(seed, "workload")` exactly as the simulation draws its
//! workload (ids `d-000123` in commit order, tenants `t0…`, versions rising per object, amounts,
//! gaps averaging `1000 / rate_per_s` ms), so one seed names the same decisions in both worlds and
//! a finding's decision ids can be compared. Producer `p` owns every decision `i` with
//! `i % producers == p`; its [`Progress`] lives outside its task, as an upstream queue would, so a
//! restarted producer retries its first unconfirmed decision with the same id.
//!
//! Plain data: it must never read a clock.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::pipeline::producer::Decision;
use crate::rng::Rng;
use crate::scenario;

/// Amounts are drawn in `1..=AMOUNT_MAX`.
const AMOUNT_MAX: u64 = 100;
const EVENT_TYPE: &str = "order-placed";

/// One decision and when it is due, in ms after the run's start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub decision: Decision,
    pub at_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub tenants: Vec<String>,
    pub decisions: Vec<Planned>,
}

impl Workload {
    pub fn generate(seed: u64, spec: &scenario::Workload) -> Workload {
        assert!(spec.tenants > 0 && spec.objects_per_tenant > 0 && spec.rate_per_s > 0.0);
        let mut rng = Rng::derive(seed, "workload");
        let tenants: Vec<String> = (0..spec.tenants).map(|t| format!("t{t}")).collect();
        let mut versions: BTreeMap<(u64, u64), u64> = BTreeMap::new();
        let gap_us_mean = (1_000_000.0 / spec.rate_per_s).round() as u64;
        let mut at_us = 0u64;
        let mut decisions = Vec::with_capacity(spec.decisions as usize);
        for i in 0..spec.decisions {
            let tenant = rng.below(u64::from(spec.tenants));
            let object = rng.below(u64::from(spec.objects_per_tenant));
            let version = versions.entry((tenant, object)).or_insert(0);
            *version += 1;
            let decision = Decision {
                id: format!("d-{i:06}"),
                tenant: tenants[tenant as usize].clone(),
                object: format!("o{object}"),
                version: *version,
                kind: EVENT_TYPE.to_string(),
                payload: rng.range(1, AMOUNT_MAX).to_string(),
            };
            decisions.push(Planned {
                decision,
                at_ms: at_us / 1_000,
            });
            at_us += rng.range(0, 2 * gap_us_mean);
        }
        Workload { tenants, decisions }
    }

    /// The indexes producer `p` of `producers` owns, in commit order.
    pub fn slice(&self, p: usize, producers: usize) -> Vec<usize> {
        assert!(p < producers, "producer {p} of {producers}");
        (p..self.decisions.len()).step_by(producers).collect()
    }

    pub fn last_at_ms(&self) -> u64 {
        self.decisions.last().map_or(0, |p| p.at_ms)
    }
}

/// How far one producer got: its first `confirmed` decisions have a known outcome (or were given
/// up). Shared by the producer's incarnations.
#[derive(Debug)]
pub struct Progress {
    slice: Vec<usize>,
    confirmed: AtomicUsize,
}

impl Progress {
    pub fn new(slice: Vec<usize>) -> Progress {
        Progress {
            slice,
            confirmed: AtomicUsize::new(0),
        }
    }

    /// The next decision to commit (again, after a crash), if any.
    pub fn next_open(&self) -> Option<usize> {
        self.slice
            .get(self.confirmed.load(Ordering::SeqCst))
            .copied()
    }

    /// The open decision `index` has an outcome. Only the producer's one live task calls it.
    pub fn confirm(&self, index: usize) {
        assert_eq!(
            self.next_open(),
            Some(index),
            "confirmed a decision out of order"
        );
        self.confirmed.fetch_add(1, Ordering::SeqCst);
    }

    pub fn done(&self) -> bool {
        self.next_open().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_seed_one_workload_and_progress_in_order() {
        let spec = scenario::Workload {
            tenants: 4,
            objects_per_tenant: 3,
            decisions: 500,
            rate_per_s: 200.0,
            concerns: vec!["billing".into()],
        };
        let a = Workload::generate(7, &spec);
        assert_eq!(a, Workload::generate(7, &spec));
        assert_eq!(a.decisions[42].decision.id, "d-000042");
        assert!(
            (2_000..3_000).contains(&a.last_at_ms()),
            "{}",
            a.last_at_ms()
        );
        let progress = Progress::new(a.slice(1, 3));
        assert_eq!(progress.next_open(), Some(1));
        progress.confirm(1);
        assert_eq!(progress.next_open(), Some(4));
        assert!(!progress.done());
    }
}
