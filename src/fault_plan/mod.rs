//! The fault plan: everything the nemesis will do in one run, drawn once from the scenario and
//! the seed before anything starts (TigerBeetle style), so it can be printed, put in
//! `summary.json` and drawn again with the same seed. Both worlds draw it here.
//!
//! [`FaultPlan::draw`] takes from `Rng::derive(seed, "nemesis")`, in this order: each scripted
//! fault's missing target and missing duration, then for every kind with a rate that this seed
//! turned on (all of them, or a swarm subset) a Poisson stream of faults inside the window, each
//! with a target and a duration in the episode bounds. The failpoints' per-pass probabilities
//! come with it. The order of the draws is what keeps a seed's history: never reorder them.
//!
//! A world supplies only its [`Targets`]: which kinds it can inject, how it draws a target and
//! how it resolves a scripted target's text, into its own [`FaultTarget`] type. Applying and
//! healing the plan is the world's nemesis; [`Agenda`] is the time-ordered queue both use.
//!
//! Adding a fault kind: a [`FaultKind`] variant in the scenario (its rate, its validation), a
//! target for it in each world's [`Targets`] (or a refusal in `supports`), and its application in
//! each world's nemesis. The drawing here stays as it is.
//!
//! Plain data and pure functions of (scenario, seed, window): this module must never apply a
//! fault, read a clock, or draw from any stream but `nemesis`.

mod agenda;

pub use agenda::{Action, Agenda};

use crate::pipeline::drawn_failpoints::Rates;
use crate::rng::Rng;
use crate::scenario::{FaultKind, Faults, Scenario, ScriptedFault};
use std::collections::BTreeMap;
use std::fmt::Debug;

/// Faults drawn per kind at most: a bound on a schedule, whatever the rate.
const FAULTS_PER_KIND_MAX: usize = 10_000;
/// A failover's pause or isolation lasts at least this: Sentinels need `down-after` (1 s) and an
/// election before they promote a replica.
pub const FAILOVER_MS_MIN: u64 = 4_000;

/// What a fault hits, as one world names it.
pub trait FaultTarget: Clone + Debug + PartialEq + Eq {
    /// As the plan prints it and `Op::Fault` records it: `host`, `a,b|c`, a point's name.
    fn text(&self) -> String;
}

/// What a fault can hit in one world: the world's hosts, tasks or containers.
pub trait Targets {
    type Target: FaultTarget;

    /// `Err` with a sentence for a kind this world cannot inject.
    fn supports(&self, kind: FaultKind) -> Result<(), String>;

    /// A target for a drawn fault; `None` when the world has nothing of that kind (the kind
    /// draws no more faults then).
    fn draw(&self, rng: &mut Rng, kind: FaultKind) -> Option<Self::Target>;

    /// A scripted fault's `target`; an error says what the text may name.
    fn resolve(&self, kind: FaultKind, text: &str) -> Result<Self::Target, String>;
}

/// One fault of the schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedFault<T> {
    pub at_ms: u64,
    pub kind: FaultKind,
    pub target: T,
    /// Until the heal or restart.
    pub duration_ms: u64,
}

impl<T: FaultTarget> PlannedFault<T> {
    /// `5ms partition a|b for 100ms`, or `5ms failpoint p (fires once)`.
    pub fn describe(&self) -> String {
        let (kind, target) = (kind_name(self.kind), self.target.text());
        match self.kind {
            FaultKind::Failpoint => format!("{}ms {kind} {target} (fires once)", self.at_ms),
            _ => format!(
                "{}ms {kind} {target} for {}ms",
                self.at_ms, self.duration_ms
            ),
        }
    }
}

/// The scenario's kebab-case name of a kind.
pub fn kind_name(kind: FaultKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Everything the nemesis will do in one run.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultPlan<T> {
    /// Kinds with a rate this seed turned on (all of them unless swarm).
    pub enabled: Vec<FaultKind>,
    /// Per-pass probabilities of the failpoints' crashes and stalls (empty for the kinds the
    /// seed turned off).
    pub failpoint_rates: Rates,
    /// Scripted and drawn, by time (scripted first at equal times).
    pub faults: Vec<PlannedFault<T>>,
    /// Scripted faults at or after a window shortened on the command line, left out.
    pub skipped: Vec<String>,
}

impl<T: FaultTarget> FaultPlan<T> {
    /// Draws the plan over a window of `window_ms`; an error says what the world cannot do,
    /// naming the scripted fault's key when it is one.
    pub fn draw(
        seed: u64,
        scenario: &Scenario,
        targets: &impl Targets<Target = T>,
        window_ms: u64,
    ) -> Result<FaultPlan<T>, String> {
        let f = &scenario.faults;
        let enabled = f.enabled_kinds(seed);
        for kind in &enabled {
            targets.supports(*kind)?;
        }
        let mut rng = Rng::derive(seed, "nemesis");
        let (mut faults, mut skipped) = (Vec::new(), Vec::new());
        for (i, s) in f.script.iter().enumerate() {
            let planned = scripted(&mut rng, f, targets, s)
                .map_err(|(key, why)| format!("faults.script[{i}].{key}: {why}"))?;
            match planned.at_ms < window_ms {
                true => faults.push(planned),
                false => skipped.push(planned.describe()),
            }
        }
        for kind in enabled.iter().copied().filter(|k| drawn_by_rate(*k)) {
            draw_kind(&mut rng, f, targets, kind, window_ms, &mut faults);
        }
        faults.sort_by_key(|p| p.at_ms);
        let failpoint_rates = crate::mapping::failpoint_rates(f, &enabled);
        Ok(FaultPlan {
            enabled,
            failpoint_rates,
            faults,
            skipped,
        })
    }

    /// The plan as the parameters a run prints at its start and puts in `summary.json`.
    pub fn parameters(&self) -> BTreeMap<String, serde_json::Value> {
        let enabled: Vec<String> = self.enabled.iter().map(|k| kind_name(*k)).collect();
        let faults: Vec<String> = self.faults.iter().map(PlannedFault::describe).collect();
        let mut p = BTreeMap::from([
            ("faults.enabled".to_string(), serde_json::json!(enabled)),
            (
                "faults.failpoints".to_string(),
                serde_json::json!(self.failpoint_rates.crash),
            ),
            (
                "faults.stalls".to_string(),
                serde_json::json!(self.failpoint_rates.stall),
            ),
            ("faults.schedule".to_string(), serde_json::json!(faults)),
        ]);
        if !self.skipped.is_empty() {
            p.insert(
                "faults.skipped".to_string(),
                serde_json::json!(self.skipped),
            );
        }
        p
    }
}

/// Kinds scheduled in time from a rate: failpoints and stalls fire per pass instead.
fn drawn_by_rate(kind: FaultKind) -> bool {
    !matches!(kind, FaultKind::Failpoint | FaultKind::Stall)
}

/// A Poisson stream of faults of one kind inside the window.
fn draw_kind<T: FaultTarget>(
    rng: &mut Rng,
    f: &Faults,
    targets: &impl Targets<Target = T>,
    kind: FaultKind,
    window_ms: u64,
    out: &mut Vec<PlannedFault<T>>,
) {
    let mean_gap_ms = 1_000.0 / f.rates.of(kind);
    let mut at_ms = 0.0;
    for _ in 0..FAULTS_PER_KIND_MAX {
        at_ms += exponential(rng) * mean_gap_ms;
        if at_ms >= window_ms as f64 {
            return;
        }
        let Some(target) = targets.draw(rng, kind) else {
            return;
        };
        let duration_ms = duration(kind, rng.range(f.duration_ms_min, f.duration_ms_max));
        out.push(PlannedFault {
            at_ms: at_ms as u64,
            kind,
            target,
            duration_ms,
        });
    }
}

/// A scripted fault, its target resolved (or drawn when left out) and its duration drawn when
/// left out. An error names the key at fault (`kind` or `target`) and says why.
fn scripted<T: FaultTarget>(
    rng: &mut Rng,
    f: &Faults,
    targets: &impl Targets<Target = T>,
    s: &ScriptedFault,
) -> Result<PlannedFault<T>, (&'static str, String)> {
    targets.supports(s.kind).map_err(|why| ("kind", why))?;
    let target = match &s.target {
        None => targets
            .draw(rng, s.kind)
            .ok_or_else(|| format!("the world has no host for `{}`", kind_name(s.kind))),
        Some(text) => targets.resolve(s.kind, text),
    }
    .map_err(|why| ("target", why))?;
    let duration_ms = match s.duration_ms {
        Some(d) => d,
        None => rng.range(f.duration_ms_min, f.duration_ms_max),
    };
    Ok(PlannedFault {
        at_ms: s.at_ms,
        kind: s.kind,
        target,
        duration_ms: duration(s.kind, duration_ms),
    })
}

/// A fault's duration: a failover lasts long enough for the Sentinels to act.
fn duration(kind: FaultKind, ms: u64) -> u64 {
    match kind {
        FaultKind::Failover => ms.max(FAILOVER_MS_MIN),
        _ => ms,
    }
}

/// A draw from the exponential distribution with mean 1.
fn exponential(rng: &mut Rng) -> f64 {
    let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    -(1.0 - unit).ln()
}

fn names(side: &str) -> Vec<&str> {
    side.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect()
}

/// One of `names`, drawn; `None` (and no draw) when there are none.
pub fn pick(rng: &mut Rng, names: &[String]) -> Option<String> {
    (!names.is_empty()).then(|| names[rng.below(names.len() as u64) as usize].clone())
}

/// `text` when it is one of `pool`, else an error naming the `class` and the pool.
pub fn one_of(text: &str, class: &str, pool: &[String]) -> Result<String, String> {
    match pool.iter().find(|h| *h == text) {
        Some(h) => Ok(h.clone()),
        None => Err(format!(
            "`{text}` is not {class} (one of: {})",
            pool.join(", ")
        )),
    }
}

/// The two sides of a cut `a|b`, each a comma-separated list of names (none of them empty).
pub fn cut_sides(text: &str) -> Result<(Vec<&str>, Vec<&str>), String> {
    let (a, b) = text
        .split_once('|')
        .ok_or_else(|| format!("`{text}` is not a cut `a|b`"))?;
    let (a, b) = (names(a), names(b));
    match a.is_empty() || b.is_empty() {
        true => Err(format!("`{text}` has an empty side")),
        false => Ok((a, b)),
    }
}
