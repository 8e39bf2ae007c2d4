//! The workload of one seed: every decision the producers will commit, when, and by whom. Both
//! worlds draw it here, so one seed names the same decisions in the simulation and in containers
//! and a finding's decision ids can be compared.
//!
//! Drawn up front from `Rng::derive(seed, "workload")`: decision ids `d-000123` in commit order,
//! a tenant and a business object per decision, versions rising per object, payload amounts, and
//! commit times whose gaps average `1000 / rate_per_s` ms. Producer `p` owns every decision `i`
//! with `i % producers == p`. Its progress (how many of its decisions have a known outcome) lives
//! outside its host, as an upstream queue would: a restarted producer retries the first
//! unconfirmed decision with the same id.
//!
//! Plain data and pure functions; it must never read a clock or draw from another stream.

use crate::pipeline::producer::Decision;
use crate::rng::Rng;
use crate::scenario;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Amounts are drawn in `1..=AMOUNT_MAX`.
const AMOUNT_MAX: u64 = 100;
/// The event type every decision carries.
const EVENT_TYPE: &str = "order-placed";

/// One decision and its commit time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub decision: Decision,
    /// Simulated ms since the run started at which its producer commits it.
    pub at_ms: u64,
}

/// The whole workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub tenants: Vec<String>,
    /// In commit order; decision `i` is `decisions[i]`.
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

    /// When the last decision is due.
    pub fn last_at_ms(&self) -> u64 {
        self.decisions.last().map_or(0, |p| p.at_ms)
    }

    /// The workload's line of the parameters a run prints and puts in `summary.json`.
    pub fn parameters(&self) -> [(String, serde_json::Value); 3] {
        [
            (
                "workload.decisions".to_string(),
                serde_json::json!(self.decisions.len()),
            ),
            (
                "workload.tenants".to_string(),
                serde_json::json!(self.tenants),
            ),
            (
                "workload.last_commit_ms".to_string(),
                serde_json::json!(self.last_at_ms()),
            ),
        ]
    }
}

/// How far one producer got: its first `confirmed` decisions have a known outcome (or were given
/// up after the producer's attempts ran out). Shared between the host's incarnations.
#[derive(Debug)]
pub struct Progress {
    /// Indexes into [`Workload::decisions`], in commit order.
    pub slice: Vec<usize>,
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

    /// The open decision after the first `n` open ones (a producer's window: `n` are in flight).
    pub fn open_after(&self, n: usize) -> Option<usize> {
        self.slice
            .get(self.confirmed.load(Ordering::SeqCst) + n)
            .copied()
    }

    /// The open decision `index` has an outcome; the next one is due.
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

    /// Decisions of the slice without an outcome yet.
    pub fn left(&self) -> usize {
        self.slice.len() - self.confirmed.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> scenario::Workload {
        scenario::Workload {
            tenants: 4,
            objects_per_tenant: 3,
            decisions: 500,
            rate_per_s: 200.0,
            concerns: vec!["billing".into()],
        }
    }

    #[test]
    fn same_seed_same_workload_and_versions_rise_per_object() {
        let a = Workload::generate(7, &spec());
        assert_eq!(a, Workload::generate(7, &spec()));
        assert_ne!(a, Workload::generate(8, &spec()));
        assert_eq!(a.decisions[42].decision.id, "d-000042");
        let mut last: BTreeMap<(String, String), u64> = BTreeMap::new();
        for p in &a.decisions {
            let d = &p.decision;
            let prev = last
                .insert((d.tenant.clone(), d.object.clone()), d.version)
                .unwrap_or(0);
            assert_eq!(d.version, prev + 1, "{d:?}");
        }
        assert!(a.decisions.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
        // 500 decisions at 200/s: about 2.5 s.
        assert!(
            (2_000..3_000).contains(&a.last_at_ms()),
            "{}",
            a.last_at_ms()
        );
    }

    #[test]
    fn slices_split_the_workload_and_progress_goes_in_order() {
        let w = Workload::generate(1, &spec());
        let mut all: Vec<usize> = (0..3).flat_map(|p| w.slice(p, 3)).collect();
        all.sort();
        assert_eq!(all, (0..500).collect::<Vec<_>>());
        let progress = Progress::new(w.slice(1, 3));
        assert_eq!(progress.next_open(), Some(1));
        progress.confirm(1);
        assert_eq!(progress.next_open(), Some(4));
        assert!(!progress.done());
    }
}
