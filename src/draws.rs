//! What a seed draws before a run starts, the same in both worlds: the workload (which decisions,
//! when, by which producer) and the fault plan over the world's targets. Drawn once, printed
//! before anything runs, put in `summary.json`.
//!
//! Pure functions of (scenario, seed, window): this module must never run anything, read a
//! clock, or draw from any stream but the workload's and the plan's own.

use crate::fault_plan::{FaultPlan, Targets};
use crate::scenario::Scenario;
use crate::workload::Workload;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A seed's draws over one world's targets `H`.
pub struct Draws<H: Targets> {
    pub seed: u64,
    pub workload: Arc<Workload>,
    pub hosts: H,
    pub plan: FaultPlan<H::Target>,
}

impl<H: Targets> Draws<H> {
    /// Draws the plan over a window of `window_ms`, and the workload; an error says what the
    /// world cannot do.
    pub fn new(seed: u64, scenario: &Scenario, hosts: H, window_ms: u64) -> Result<Self, String> {
        let plan = FaultPlan::draw(seed, scenario, &hosts, window_ms)?;
        let workload = Arc::new(Workload::generate(seed, &scenario.workload));
        Ok(Draws {
            seed,
            workload,
            hosts,
            plan,
        })
    }

    /// The seed and what it drew: the workload's and the plan's parameters.
    pub fn parameters(&self) -> BTreeMap<String, serde_json::Value> {
        let mut p = BTreeMap::from(self.workload.parameters());
        p.extend(self.plan.parameters());
        p.insert("seed".to_string(), json!(self.seed));
        p
    }
}
