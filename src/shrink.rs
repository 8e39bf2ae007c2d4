//! Shrinking: from a failing seed to the smallest scenario that still shows its violation kind.
//!
//! Step 0 writes the seed down: the nemesis plan it drew becomes scripted faults (every target
//! and duration explicit), and every failpoint that fired becomes a scripted failpoint kept to
//! the host it fired in (`point@host`), armed one tick before it fired. No rate is left, so
//! nothing is drawn per pass; stalls are the exception: they leave no record in the history,
//! so their rates stay until a step manages without them (and the result says so if none does).
//!
//! Then a greedy search over that scenario, each candidate one deterministic run of (candidate,
//! same seed), a step kept only when the violation kind persists (on any event): drop faults
//! (halves, quarters, ... then one by one), move each fault earlier (a fault early in the run
//! lets the workload and the window end sooner), shorten each episode, fewer decisions,
//! tenants, objects, concerns, workers and producers (targets follow the hosts that remain),
//! a shorter fault window. Rounds repeat until one changes nothing or the budget runs out.
//!
//! This module drives the simulated world from above; `pipeline`, `check` and `report` must
//! never import it. Only the budget reads the wall clock: it bounds how many candidates are
//! tried, never what a run does.

use crate::check::coverage::{fault_kind, FAILPOINT_DETAIL_PREFIX};
use crate::check::{Expect, ViolationKind};
use crate::fault_plan::{kind_name, FaultPlan, FaultTarget};
use crate::history::{Op, Record};
use crate::report::outcome::RunOutcome;
use crate::scenario::{
    self, Expectation, ExpectedViolation, FaultKind, Faults, Rates, Scenario, ScriptedFault,
    SeedRange,
};
use crate::sim::nemesis::NEMESIS;
use crate::sim::targets::SimTarget;
use crate::sim::world::TICK_MS;
use crate::sim::{RunError, SimRun};
use std::fmt;
use std::path::Path;
use std::time::Instant;

/// How finely times (ms) are searched: a step below this is not worth a run.
const TIME_GRAIN_MS: u64 = 10;

/// Why there is nothing to shrink, or no reproducer.
#[derive(Debug, thiserror::Error)]
pub enum ShrinkError {
    /// The seed shows no violation that fails the run: bad input (exit 2).
    #[error("seed {seed} of `{scenario}` shows no violation that fails the run ({verdict}): there is nothing to shrink; give a failing seed (a sweep lists them), or `--kind` for a kind only reported")]
    Clean {
        scenario: String,
        seed: u64,
        verdict: String,
    },
    /// `--kind` names a kind the seed does not show: bad input (exit 2).
    #[error("seed {seed} of `{scenario}` shows no `{kind}` violation (it shows: {found})")]
    KindNotShown {
        scenario: String,
        seed: u64,
        kind: ViolationKind,
        found: String,
    },
    /// The seed written down as scripted faults no longer shows the kind (exit 1).
    #[error("seed {seed} of `{scenario}` shows `{kind}`, but its faults written down as a script do not ({verdict}): no reproducer")]
    NotReproduced {
        scenario: String,
        seed: u64,
        kind: ViolationKind,
        verdict: String,
    },
    #[error(transparent)]
    Run(#[from] RunError),
}

impl ShrinkError {
    pub fn exit_code(&self) -> u8 {
        match self {
            ShrinkError::Clean { .. } | ShrinkError::KindNotShown { .. } => 2,
            ShrinkError::NotReproduced { .. } => 1,
            ShrinkError::Run(e) => e.exit_code(),
        }
    }
}

/// What the search may do.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The kind to keep; by default the scenario's expected kind if the seed shows it, else the
    /// first kind it shows.
    pub kind: Option<ViolationKind>,
    /// Start no candidate after this instant.
    pub deadline: Option<Instant>,
}

/// How big a scenario's story is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Size {
    pub faults: usize,
    pub failpoints: usize,
    /// Per-pass stall rates still drawn (not scripted).
    pub stall_rates: usize,
    pub decisions: u64,
    pub tenants: u32,
    pub concerns: usize,
    pub workers_per_concern: u32,
    pub producers: u32,
    pub window_ms: u64,
}

impl Size {
    pub fn of(s: &Scenario) -> Size {
        Size {
            faults: s.faults.script.len(),
            failpoints: s
                .faults
                .script
                .iter()
                .filter(|f| f.kind == FaultKind::Failpoint)
                .count(),
            stall_rates: s.faults.rates.stall.len(),
            decisions: s.workload.decisions,
            tenants: s.workload.tenants,
            concerns: s.workload.concerns.len(),
            workers_per_concern: s.pipeline.workers_per_concern,
            producers: s.pipeline.producers,
            window_ms: s.faults.window_ms,
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: u64, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
        write!(
            f,
            "{} ({} failpoint), {}, {}, {} x {} per concern, {}, window {} ms",
            plural(self.faults as u64, "fault"),
            self.failpoints,
            plural(self.decisions, "decision"),
            plural(u64::from(self.tenants), "tenant"),
            plural(self.concerns as u64, "concern"),
            plural(u64::from(self.workers_per_concern), "worker"),
            plural(u64::from(self.producers), "producer"),
            self.window_ms
        )?;
        if self.stall_rates > 0 {
            write!(f, ", {} stall rates", self.stall_rates)?;
        }
        Ok(())
    }
}

/// The search's progress after a kept step.
pub struct Progress<'a> {
    pub candidates: u64,
    pub kept: u64,
    pub step: &'a str,
    pub size: &'a Size,
}

/// The result of a search.
pub struct Shrunk {
    pub seed: u64,
    pub kind: ViolationKind,
    /// The seed's own story, written down (step 0).
    pub before: Size,
    pub after: Size,
    /// The smallest candidate that still shows `kind`.
    pub scenario: Scenario,
    pub candidates: u64,
    pub kept: u64,
    /// The budget ran out before a round changed nothing.
    pub cut_short: bool,
    /// The first event of a `kind` violation in the result's run, for `replay --event`.
    pub event: Option<String>,
    pub verdict: String,
}

/// Shrinks `seed` of `scenario`; `on_kept` sees every step kept.
pub fn shrink(
    scenario: &Scenario,
    seed: u64,
    options: &Options,
    on_kept: &mut dyn FnMut(&Progress<'_>),
) -> Result<Shrunk, ShrinkError> {
    let prepared = SimRun::new(scenario, seed)?;
    let first = prepared.run()?;
    let kind = chosen_kind(scenario, &first, options.kind)?;
    let written = written_down(scenario, seed, kind, &prepared.draws.plan, &first.history);
    let mut search = Search {
        seed,
        kind,
        deadline: options.deadline,
        candidates: 0,
        kept: 0,
        cut_short: false,
        on_kept,
    };
    let start = search.outcome(&written)?;
    if !shows(&start, kind) {
        return Err(ShrinkError::NotReproduced {
            scenario: scenario.name.clone(),
            seed,
            kind,
            verdict: crate::report::verdict_text(&start.report),
        });
    }
    let before = Size::of(&written);
    let result = search.run(written);
    let last = search.outcome(&result)?;
    assert!(
        shows(&last, kind),
        "a kept candidate stopped showing {kind}"
    );
    Ok(Shrunk {
        seed,
        kind,
        before,
        after: Size::of(&result),
        candidates: search.candidates,
        kept: search.kept,
        cut_short: search.cut_short,
        event: first_event(&last, kind),
        verdict: crate::report::verdict_text(&last.report),
        scenario: result,
    })
}

fn shows(run: &RunOutcome, kind: ViolationKind) -> bool {
    run.report.counts().contains_key(&kind)
}

fn first_event(run: &RunOutcome, kind: ViolationKind) -> Option<String> {
    run.report
        .violations()
        .filter(|v| v.kind == kind)
        .find_map(|v| v.event.clone())
}

fn chosen_kind(
    scenario: &Scenario,
    run: &RunOutcome,
    asked: Option<ViolationKind>,
) -> Result<ViolationKind, ShrinkError> {
    let counts = run.report.counts();
    let found = crate::report::kind_counts(&counts);
    if let Some(kind) = asked {
        return match counts.contains_key(&kind) {
            true => Ok(kind),
            false => Err(ShrinkError::KindNotShown {
                scenario: scenario.name.clone(),
                seed: run.seed,
                kind,
                found,
            }),
        };
    }
    let gating = run.report.gating_counts();
    let Some(first) = gating.keys().next() else {
        return Err(ShrinkError::Clean {
            scenario: scenario.name.clone(),
            seed: run.seed,
            verdict: crate::report::verdict_text(&run.report),
        });
    };
    Ok(match Expect::from(scenario.expect) {
        Expect::Violation(k) if gating.contains_key(&k) => k,
        _ => *first,
    })
}

// ---------------------------------------------------------------------------------------------
// Step 0: the seed's faults written down.

/// The scenario with the seed's plan and failpoint firings as scripted faults and no rates
/// (stall rates aside), expecting `kind` on this seed alone.
fn written_down(
    scenario: &Scenario,
    seed: u64,
    kind: ViolationKind,
    plan: &FaultPlan<SimTarget>,
    history: &[Record],
) -> Scenario {
    let mut s = scenario.clone();
    s.seeds = SeedRange {
        start: seed,
        end: seed + 1,
    };
    s.expect = expecting(kind);
    s.must_reach.clear();
    let window_ms = s.faults.window_ms;
    let mut script: Vec<ScriptedFault> = plan
        .faults
        .iter()
        .filter(|p| p.kind != FaultKind::Failpoint)
        .map(|p| ScriptedFault {
            at_ms: p.at_ms,
            kind: p.kind,
            target: Some(p.target.text()),
            duration_ms: Some(p.duration_ms),
        })
        .collect();
    script.extend(fired(history, window_ms));
    script.sort_by_key(|f| f.at_ms);
    let stall = plan.failpoint_rates.stall.clone();
    s.faults = Faults {
        swarm: false,
        rates: Rates {
            stall,
            ..Rates::default()
        },
        script,
        ..s.faults.clone()
    };
    s
}

/// The scenario's word for a checker's kind (the two vocabularies name kinds alike).
fn expecting(kind: ViolationKind) -> Expectation {
    let word = ExpectedViolation::ALL
        .into_iter()
        .find(|e| e.name() == kind.name())
        .expect("every checked kind can be expected");
    Expectation::Violation(word)
}

/// Every failpoint crash of the history, as a failpoint armed for its host one tick before
/// the step in which it fired (the nemesis records the crash after that step).
fn fired(history: &[Record], window_ms: u64) -> Vec<ScriptedFault> {
    history
        .iter()
        .filter(|r| r.process == NEMESIS)
        .filter_map(|r| match &r.op {
            Op::Fault {
                kind,
                target,
                detail,
            } if kind == fault_kind::CRASH => {
                let point = detail.strip_prefix(FAILPOINT_DETAIL_PREFIX)?;
                Some(ScriptedFault {
                    at_ms: r.time_ms.saturating_sub(TICK_MS).min(window_ms - 1),
                    kind: FaultKind::Failpoint,
                    target: Some(format!("{point}@{target}")),
                    duration_ms: None,
                })
            }
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The search.

struct Search<'a> {
    seed: u64,
    kind: ViolationKind,
    deadline: Option<Instant>,
    candidates: u64,
    kept: u64,
    cut_short: bool,
    on_kept: &'a mut dyn FnMut(&Progress<'_>),
}

impl Search<'_> {
    fn outcome(&self, s: &Scenario) -> Result<RunOutcome, RunError> {
        SimRun::new(s, self.seed)?.run()
    }

    fn out_of_time(&mut self) -> bool {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            self.cut_short = true;
        }
        self.cut_short
    }

    /// Whether `candidate` is valid and still shows the kind. Out of time: no.
    fn holds(&mut self, candidate: &Scenario) -> bool {
        if self.out_of_time() || scenario::validate(candidate).is_err() {
            return false;
        }
        self.candidates += 1;
        self.outcome(candidate)
            .is_ok_and(|run| shows(&run, self.kind))
    }

    /// Replaces `current` with `candidate` when it holds.
    fn try_step(&mut self, current: &mut Scenario, candidate: Scenario, step: &str) -> bool {
        if candidate == *current || !self.holds(&candidate) {
            return false;
        }
        *current = candidate;
        self.kept += 1;
        let size = Size::of(current);
        (self.on_kept)(&Progress {
            candidates: self.candidates,
            kept: self.kept,
            step,
            size: &size,
        });
        true
    }

    /// Rounds of every step until one changes nothing or time runs out.
    fn run(&mut self, mut current: Scenario) -> Scenario {
        loop {
            let before = current.clone();
            self.drop_faults(&mut current);
            self.drop_stalls(&mut current);
            self.retime_faults(&mut current);
            self.shrink_workload(&mut current);
            self.shrink_hosts(&mut current);
            self.shrink_window(&mut current);
            if current == before || self.out_of_time() {
                return current;
            }
        }
    }

    /// Drops chunks of faults, halves first, down to one fault at a time.
    fn drop_faults(&mut self, current: &mut Scenario) {
        let mut chunk = current.faults.script.len().div_ceil(2).max(1);
        loop {
            let mut start = 0;
            while start < current.faults.script.len() {
                let mut candidate = current.clone();
                let end = (start + chunk).min(candidate.faults.script.len());
                candidate.faults.script.drain(start..end);
                let step = format!("drop {} fault(s)", end - start);
                if !self.try_step(current, candidate, &step) {
                    start += chunk;
                }
            }
            if chunk == 1 || self.out_of_time() {
                return;
            }
            chunk = chunk.div_ceil(2);
        }
    }

    fn drop_stalls(&mut self, current: &mut Scenario) {
        if current.faults.rates.stall.is_empty() {
            return;
        }
        let mut candidate = current.clone();
        candidate.faults.rates.stall.clear();
        self.try_step(current, candidate, "no stalls");
    }

    /// Each fault as early as it can be, then each episode as short as it can be.
    fn retime_faults(&mut self, current: &mut Scenario) {
        for i in 0..current.faults.script.len() {
            let at_ms = current.faults.script[i].at_ms;
            self.minimize(
                current,
                0,
                at_ms,
                TIME_GRAIN_MS,
                "move a fault earlier",
                |s, v| s.faults.script[i].at_ms = v,
            );
            if let Some(d) = current.faults.script[i].duration_ms {
                if current.faults.script[i].kind != FaultKind::Failpoint {
                    self.minimize(
                        current,
                        1,
                        d,
                        TIME_GRAIN_MS,
                        "shorten an episode",
                        |s, v| s.faults.script[i].duration_ms = Some(v),
                    );
                }
            }
        }
        current.faults.script.sort_by_key(|f| f.at_ms);
    }

    fn shrink_workload(&mut self, current: &mut Scenario) {
        let w = current.workload.clone();
        self.minimize(current, 1, w.decisions, 1, "fewer decisions", |s, v| {
            s.workload.decisions = v
        });
        self.minimize(
            current,
            1,
            u64::from(w.tenants),
            1,
            "fewer tenants",
            |s, v| s.workload.tenants = v as u32,
        );
        let objects = u64::from(w.objects_per_tenant);
        self.minimize(current, 1, objects, 1, "fewer objects", |s, v| {
            s.workload.objects_per_tenant = v as u32
        });
    }

    /// Fewer concerns, workers and producers; fault targets move to the hosts that remain.
    fn shrink_hosts(&mut self, current: &mut Scenario) {
        for concern in current.workload.concerns.clone() {
            if current.workload.concerns.len() > 1 {
                let mut candidate = current.clone();
                candidate.workload.concerns.retain(|c| *c != concern);
                retarget(&mut candidate);
                self.try_step(current, candidate, "fewer concerns");
            }
        }
        let workers = u64::from(current.pipeline.workers_per_concern);
        self.minimize(current, 1, workers, 1, "fewer workers", |s, v| {
            s.pipeline.workers_per_concern = v as u32;
            retarget(s);
        });
        let producers = u64::from(current.pipeline.producers);
        self.minimize(current, 1, producers, 1, "fewer producers", |s, v| {
            s.pipeline.producers = v as u32;
            retarget(s);
        });
    }

    /// The window just past the last fault (at least one grain).
    fn shrink_window(&mut self, current: &mut Scenario) {
        let last = current.faults.script.iter().map(|f| f.at_ms + 1).max();
        let lo = last.unwrap_or(1).max(1);
        let window = current.faults.window_ms;
        if window > lo {
            self.minimize(
                current,
                lo,
                window,
                TIME_GRAIN_MS,
                "shorter window",
                |s, v| s.faults.window_ms = v,
            );
        }
    }

    /// The smallest value in `lo..=now` (to `grain`) for which the scenario `set` to it still
    /// holds: `lo` first, then steps halving from the distance left.
    fn minimize(
        &mut self,
        current: &mut Scenario,
        lo: u64,
        now: u64,
        grain: u64,
        step: &str,
        set: impl Fn(&mut Scenario, u64),
    ) {
        if now <= lo {
            return;
        }
        let mut candidate = current.clone();
        set(&mut candidate, lo);
        if self.try_step(current, candidate, step) {
            return;
        }
        let mut best = now;
        let mut jump = (best - lo) / 2;
        while jump >= grain.max(1) && !self.out_of_time() {
            let candidate = {
                let mut c = current.clone();
                set(&mut c, best - jump);
                c
            };
            if self.try_step(current, candidate, step) {
                best -= jump;
                jump = jump.min((best - lo) / 2);
            } else {
                jump /= 2;
            }
        }
    }
}

/// Points fault targets at hosts the scenario still runs: a worker of a concern gone to the
/// first concern, a worker or producer index past the count to its remainder.
fn retarget(s: &mut Scenario) {
    let (concerns, workers, producers) = (
        s.workload.concerns.clone(),
        s.pipeline.workers_per_concern,
        s.pipeline.producers,
    );
    let host = |h: &str| -> String {
        if let Some(i) = h
            .strip_prefix("producer-")
            .and_then(|i| i.parse::<u32>().ok())
        {
            return format!("producer-{}", i % producers);
        }
        let worker = h.strip_prefix("worker-").and_then(|r| r.rsplit_once('-'));
        if let Some((concern, i)) = worker.and_then(|(c, i)| Some((c, i.parse::<u32>().ok()?))) {
            let concern = match concerns.iter().any(|c| c == concern) {
                true => concern,
                false => concerns[0].as_str(),
            };
            return format!("worker-{concern}-{}", i % workers);
        }
        h.to_string()
    };
    for f in &mut s.faults.script {
        if let Some(t) = &f.target {
            f.target = Some(map_hosts(t, &host));
        }
    }
}

/// A target with every host name in it mapped: `a,b|c` cuts, `point@host`, or one host.
fn map_hosts(target: &str, host: &dyn Fn(&str) -> String) -> String {
    if let Some((point, h)) = target.split_once('@') {
        return format!("{point}@{}", host(h));
    }
    let side = |side: &str| side.split(',').map(host).collect::<Vec<_>>().join(",");
    target.split('|').map(side).collect::<Vec<_>>().join("|")
}

// ---------------------------------------------------------------------------------------------
// The reproducer file.

/// The shrunk scenario as TOML: `header` as comments, then every key that differs from its
/// default, every fault scripted. Parsing it back gives `s` (asserted).
pub fn to_toml(s: &Scenario, header: &[String]) -> String {
    let mut out: String = header.iter().map(|l| format!("# {l}\n")).collect();
    let top = toml::Value::try_from(s).expect("a scenario serializes");
    let top = top.as_table().expect("a table");
    for key in ["name", "description", "seeds", "drain_ms", "expect"] {
        out.push_str(&format!("{key} = {}\n", top[key]));
    }
    if !s.must_reach.is_empty() {
        out.push_str(&format!("must_reach = {}\n", top["must_reach"]));
    }
    if s.reorder_gates {
        out.push_str("reorder_gates = true\n");
    }
    let sections: [(&str, toml::Value); 4] = [
        (
            "topology",
            pruned(&s.topology, &scenario::Topology::default()),
        ),
        (
            "workload",
            toml::Value::try_from(&s.workload).expect("serializes"),
        ),
        (
            "pipeline",
            pruned(&s.pipeline, &scenario::Pipeline::default()),
        ),
        ("faults", faults_value(&s.faults)),
    ];
    for (name, value) in sections {
        if value.as_table().is_some_and(|t| !t.is_empty()) {
            let mut one = toml::Table::new();
            one.insert(name.to_string(), value);
            out.push('\n');
            out.push_str(&toml::to_string(&one).expect("a table prints"));
        }
    }
    s.faults
        .script
        .iter()
        .for_each(|f| out.push_str(&script_entry(f)));
    let back = scenario::parse(Path::new("shrunk.toml"), &out)
        .unwrap_or_else(|e| panic!("the reproducer does not parse: {e}\n{out}"));
    // How a command line named the original is not part of the file.
    let written = Scenario {
        invoked_as: None,
        ..s.clone()
    };
    assert_eq!(
        back, written,
        "the reproducer does not read back as written"
    );
    out
}

/// One `[[faults.script]]` entry, its keys in the order a reader asks: when, what, where, how long.
fn script_entry(f: &ScriptedFault) -> String {
    let text = |v: &str| toml::Value::String(v.to_string()).to_string();
    let mut out = format!(
        "\n[[faults.script]]\nat_ms = {}\nkind = {}\n",
        f.at_ms,
        text(&kind_name(f.kind))
    );
    if let Some(t) = &f.target {
        out.push_str(&format!("target = {}\n", text(t)));
    }
    if let Some(d) = f.duration_ms {
        out.push_str(&format!("duration_ms = {d}\n"));
    }
    out
}

/// `value`'s keys whose value differs from `default`'s.
fn pruned<T: serde::Serialize>(value: &T, default: &T) -> toml::Value {
    let table = |v: &T| match toml::Value::try_from(v).expect("serializes") {
        toml::Value::Table(t) => t,
        other => panic!("not a table: {other}"),
    };
    let default = table(default);
    let kept = table(value)
        .into_iter()
        .filter(|(k, v)| default.get(k) != Some(v))
        .collect();
    toml::Value::Table(kept)
}

/// `[faults]` with the window, the bounds that differ from the defaults and stall rates if
/// any (the script is written after it, entry by entry).
fn faults_value(f: &Faults) -> toml::Value {
    let mut t = match pruned(f, &Faults::default()) {
        toml::Value::Table(t) => t,
        _ => unreachable!("pruned gives a table"),
    };
    t.insert("window_ms".into(), toml::Value::Integer(f.window_ms as i64));
    t.remove("rates");
    if !f.rates.stall.is_empty() {
        let rates = Rates {
            stall: f.rates.stall.clone(),
            ..Rates::default()
        };
        t.insert("rates".into(), pruned(&rates, &Rates::default()));
    }
    t.remove("script");
    toml::Value::Table(t)
}

/// One line per scripted fault, for people: `120ms failpoint consumer.after_ack@worker-billing-0`.
pub fn describe(s: &Scenario) -> Vec<String> {
    s.faults
        .script
        .iter()
        .map(|f| {
            let target = f.target.as_deref().unwrap_or("(drawn)");
            match f.duration_ms {
                Some(d) => format!("{}ms {} {target} for {d}ms", f.at_ms, kind_name(f.kind)),
                None => format!("{}ms {} {target}", f.at_ms, kind_name(f.kind)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_follow_the_hosts_that_remain() {
        let host = |h: &str| h.replace("worker-crm-1", "worker-billing-0");
        assert_eq!(
            map_hosts("producer-0,worker-crm-1|redis", &host),
            "producer-0,worker-billing-0|redis"
        );
        assert_eq!(
            map_hosts("consumer.after_ack@worker-crm-1", &host),
            "consumer.after_ack@worker-billing-0"
        );
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut s = scenario::find(&dir, "non-idempotent-api").unwrap();
        s.faults.script = vec![ScriptedFault {
            at_ms: 5,
            kind: FaultKind::Failpoint,
            target: Some("consumer.after_ack@worker-crm-1".into()),
            duration_ms: None,
        }];
        s.workload.concerns = vec!["billing".into()];
        s.pipeline.workers_per_concern = 1;
        retarget(&mut s);
        assert_eq!(
            s.faults.script[0].target.as_deref(),
            Some("consumer.after_ack@worker-billing-0")
        );
    }

    #[test]
    fn a_written_down_scenario_reads_back_as_written() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut s = scenario::find(&dir, "consumer-crash").unwrap();
        s.faults.rates = Rates {
            stall: s.faults.rates.stall.clone(),
            ..Rates::default()
        };
        s.faults.script = vec![ScriptedFault {
            at_ms: 5,
            kind: FaultKind::Partition,
            target: Some("producer-0|redis".into()),
            duration_ms: Some(300),
        }];
        s.must_reach = vec!["dedupe-hit".into()];
        let text = to_toml(&s, &["from a test".into()]);
        assert!(
            text.starts_with("# from a test\nname = \"consumer-crash\"\n"),
            "{text}"
        );
        assert!(text.contains("[[faults.script]]\nat_ms = 5\nkind = \"partition\"\ntarget = \"producer-0|redis\"\nduration_ms = 300\n"), "{text}");
        assert!(!text.contains("crash-worker"), "{text}");
    }
}
