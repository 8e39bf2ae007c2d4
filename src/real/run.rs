//! One run in the container world, from the scenario to the checkers' report.
//!
//! [`RealRun::new`] fixes everything that can be fixed before Docker is touched (the pipeline's
//! configuration, the workload, the fault plan, the run id) and refuses what this world cannot do;
//! [`RealRun::run`] starts the topology, runs the pipeline's processes in this process on the
//! caller's tokio runtime, drives the fault window on the wall clock, heals everything, drains
//! (until nothing is pending and every decision has an outcome, or `drain_ms`), audits the final
//! state through the pipeline's own audit and runs the same checkers as the simulation.
//!
//! Every container and network is removed before `run` returns, whatever happened.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::cleanup::Cleanup;
use super::docker::{Docker, Leftovers};
use super::nemesis::{RealNemesis, Wiring};
use super::processes::Processes;
use super::targets::RealHosts;
use super::topology::Topology;
use super::{config, image, RealError};
use crate::check::check_all;
use crate::draws::Draws;
use crate::history::state::FinalState;
use crate::history::Recorder;
use crate::pipeline::audit;
use crate::pipeline::ceiling::{self, synthetic_decision, Ceiling};
use crate::pipeline::config::{PipelineConfig, SinkKind, Variant};
use crate::pipeline::connector::{Link, Purpose};
use crate::pipeline::downstream::{Downstream, DownstreamService, Ledger};
use crate::pipeline::drawn_failpoints::DrawnFailpoints;
use crate::pipeline::failpoint::Failpoints;
use crate::pipeline::load;
use crate::pipeline::Context;
use crate::report::outcome::{Figures, Phases, RunOutcome};
use crate::report::RunId;
use crate::scenario::{FaultKind, Scenario};

/// How often the drain looks at the groups.
const DRAIN_POLL_MS: u64 = 100;
/// Audit attempts (a failover may be settling) before the run is left undecided.
const AUDIT_ATTEMPTS_MAX: u32 = 10;

/// What a run is asked to do.
#[derive(Clone, Debug)]
pub struct RealOptions {
    pub scenario: Scenario,
    /// The fault window; the scenario's `faults.window_ms` when `None` (`--duration`).
    pub window_ms: Option<u64>,
    /// The Redis image every container runs.
    pub image: String,
    /// The seed of the workload, the fault plan and failpoint draws; from the run id when `None`.
    pub seed: Option<u64>,
    /// A fresh one (`20261125T101500Z-3fa9`) when `None`.
    pub run_id: Option<String>,
}

/// A run with everything fixed that can be fixed before Docker is touched.
pub struct RealRun {
    pub scenario: Scenario,
    pub run_id: String,
    pub image: String,
    pub window_ms: u64,
    pub config: PipelineConfig,
    pub draws: Draws<RealHosts>,
}

impl RealRun {
    /// Bad input (what this world cannot run) is [`RealError::Unsupported`].
    pub fn new(opts: &RealOptions) -> Result<RealRun, RealError> {
        let scenario = opts.scenario.clone();
        let unsupported = |message: String| RealError::Unsupported {
            scenario: scenario.name.clone(),
            message,
        };
        let run_id = opts.run_id.clone().unwrap_or_else(new_run_id);
        let seed = opts.seed.unwrap_or_else(|| seed_of(&run_id));
        let window_ms = opts.window_ms.unwrap_or(scenario.faults.window_ms);
        if opts.window_ms == Some(0) {
            return Err(unsupported(
                "a fault window of 0 s runs no fault at all: give --duration of at least 1 (s)"
                    .into(),
            ));
        }
        let config = config::pipeline_config(&scenario).map_err(unsupported)?;
        let hosts = RealHosts::new(&scenario);
        let draws = Draws::new(seed, &scenario, hosts, window_ms).map_err(unsupported)?;
        refuse_skipped(&scenario, &draws.plan.skipped, window_ms).map_err(unsupported)?;
        Ok(RealRun {
            scenario,
            run_id,
            image: opts.image.clone(),
            window_ms,
            config,
            draws,
        })
    }

    /// The seed of the workload and the fault plan (given, or drawn from the run id).
    pub fn seed(&self) -> u64 {
        self.draws.seed
    }

    /// Every parameter of the run, for printing and `summary.json`.
    pub fn parameters(&self) -> BTreeMap<String, serde_json::Value> {
        let (s, t) = (&self.scenario, &self.scenario.topology);
        let hosts = &self.draws.hosts;
        let mut p = self.draws.parameters();
        p.extend([
            ("real.run_id".to_string(), json!(self.run_id)),
            ("real.image".to_string(), json!(self.image)),
            ("real.window_ms".to_string(), json!(self.window_ms)),
            ("real.drain_ms".to_string(), json!(s.drain_ms)),
            ("topology.kind".to_string(), json!(t.kind)),
            ("topology.persistence".to_string(), json!(t.persistence)),
            ("hosts.producers".to_string(), json!(hosts.producers)),
            ("hosts.workers".to_string(), json!(hosts.workers)),
            ("hosts.containers".to_string(), json!(hosts.containers())),
            ("pipeline.sink".to_string(), json!(self.config.sink)),
            ("pipeline.variant".to_string(), json!(self.config.variant)),
            ("pipeline.wait".to_string(), json!(self.config.wait)),
        ]);
        p
    }

    /// Runs it. Docker unreachable or the image impossible to build: exit-2 errors; a topology
    /// that does not start or a process that stops by itself: a broken run.
    pub async fn run(&self) -> Result<RunOutcome, RealError> {
        Ok(self.run_measured(None).await?.0)
    }

    /// [`RealRun::run`], with the bench's Redis ceiling ([`ceiling::measure`], the one `load
    /// --ceiling` uses) measured first on the run's own primary when `ceiling_decisions` is given; the measure's failure is
    /// returned beside the run, which goes on.
    pub async fn run_measured(
        &self,
        ceiling_decisions: Option<u64>,
    ) -> Result<(RunOutcome, Option<Result<Ceiling, String>>), RealError> {
        let docker = Docker::connect(&self.run_id).await?;
        image::ensure(&docker, &self.image).await?;
        // Without the shim a power loss would silently be a plain crash.
        let faults = &self.draws.plan.faults;
        if faults.iter().any(|f| f.kind == FaultKind::RedisPowerLoss) {
            image::require_power_shim(&docker, &self.image).await?;
        }
        let cleanup = Cleanup::new(docker.clone());
        let started = std::time::Instant::now();
        let result = self.drive(&docker, ceiling_decisions).await;
        let leftovers = cleanup.run().await?;
        if !leftovers.is_empty() {
            return Err(RealError::Leftovers {
                run: self.run_id.clone(),
                what: format!("{leftovers:?}"),
            });
        }
        let (mut outcome, ceiling) = result?;
        let wall_ms = started.elapsed().as_millis() as u64;
        outcome.figures = Figures::WallClock { wall_ms };
        outcome
            .parameters
            .insert("run.wall_ms".to_string(), json!(wall_ms));
        Ok((outcome, ceiling))
    }

    async fn drive(
        &self,
        docker: &Docker,
        ceiling_decisions: Option<u64>,
    ) -> Result<(RunOutcome, Option<Result<Ceiling, String>>), RealError> {
        let topology =
            Arc::new(Topology::start(docker, &self.scenario.topology, &self.image).await?);
        let mut ceiling = None;
        if let Some(decisions) = ceiling_decisions {
            let connector = topology.connector(self.config.connect.clone());
            let tenants = &self.draws.workload.tenants;
            let synthetic: Vec<_> = (0..decisions)
                .map(|i| synthetic_decision("ceiling", i, tenants))
                .collect();
            let p = &self.scenario.pipeline;
            let work = ceiling::Work {
                prefix: &self.config.prefix,
                decisions: &synthetic,
                tenants,
                concerns: &self.config.concerns,
                producers: (p.producers as usize).max(1),
                workers: (p.workers_per_concern as usize * self.config.concerns.len()).max(1),
                apply_batch: self.config.apply_batch,
            };
            let measured = ceiling::measure(&connector, &work)
                .await
                .map_err(|e| e.to_string());
            ceiling = Some(measured);
        }
        let recorder = Recorder::new();
        let start = tokio::time::Instant::now();
        let hook = Arc::new(DrawnFailpoints::new(
            self.draws.seed,
            self.draws.plan.failpoint_rates.clone(),
        ));
        let connector = topology.connector(self.config.connect.clone());
        let ctx = Context::new(self.config.clone(), connector, self.draws.seed)
            .map_err(|e| RealError::Broken(e.to_string()))?
            .with_recorder(recorder.clone())
            .with_failpoints(Failpoints::with_hook(hook.clone()));
        let service = (self.config.sink == SinkKind::IdempotentApi).then(|| {
            let dedupe = self.config.variant != Variant::NonIdempotentApi;
            DownstreamService::new(dedupe, recorder.clone())
        });
        let downstream = service.clone().map(|s| s as Arc<dyn Downstream>);
        let p = &self.scenario.pipeline;
        let mut procs = Processes::new(
            &ctx,
            self.draws.workload.clone(),
            downstream,
            p.producers,
            p.workers_per_concern,
            start,
        );
        let wiring = Wiring {
            topology: topology.clone(),
            recorder: recorder.clone(),
            hook,
            hosts: self.draws.hosts.clone(),
            start,
        };
        let mut nemesis = RealNemesis::new(
            self.draws.seed,
            &self.draws.plan,
            &self.scenario.faults,
            wiring,
        );
        let phases = self.phases(&ctx, &mut procs, &mut nemesis, &topology).await;
        procs.stop_all().await;
        nemesis.stop();
        let phases = phases?;
        let ledger = service.map(|s| s.ledger());
        let (state, audit_error) =
            audit_state(&ctx, &self.draws.workload.tenants, ledger.as_ref()).await;
        // Every process and the nemesis have stopped and the audit is done: nothing records any
        // more, so the history is moved out, not copied.
        let history = recorder.take();
        let report = check_all(
            &history,
            state.as_ref(),
            crate::mapping::check_options(&self.scenario),
        );
        let mut parameters = self.parameters();
        parameters.insert("topology.nodes".to_string(), json!(topology.describe()));
        parameters.extend(phases.parameters());
        let outcome = RunOutcome {
            scenario: self.scenario.clone(),
            run: RunId::Id(self.run_id.clone()),
            seed: self.draws.seed,
            history,
            state,
            audit_error,
            report,
            parameters,
            phases,
            // Set by `run` once every container is gone.
            figures: Figures::WallClock { wall_ms: 0 },
        };
        Ok((outcome, ceiling))
    }

    /// The fault window, the heal, and the drain.
    async fn phases(
        &self,
        ctx: &Context,
        procs: &mut Processes,
        nemesis: &mut RealNemesis,
        topology: &Topology,
    ) -> Result<Phases, RealError> {
        nemesis.watch_sentinels();
        procs.start_all()?;
        nemesis.run_window(procs, self.window_ms).await?;
        nemesis.heal_all(procs).await?;
        let healed_at_ms = nemesis.now_ms();
        let drained = drain(
            ctx,
            procs,
            topology,
            &self.draws.workload.tenants,
            self.scenario.drain_ms,
        )
        .await?;
        Ok(Phases {
            healed_at_ms,
            drained,
            stopped_at_ms: nemesis.now_ms(),
        })
    }
}

/// Waits until the producers are done, the topology has settled and every group has delivered
/// and acknowledged everything; `false` when `drain_ms` pass first.
async fn drain(
    ctx: &Context,
    procs: &mut Processes,
    topology: &Topology,
    tenants: &[String],
    drain_ms: u64,
) -> Result<bool, RealError> {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(drain_ms);
    let mut link = ctx.link("driver", Purpose::Commands);
    loop {
        procs.check().await?;
        if procs.producers_done()
            && topology.settled().await
            && groups_drained(ctx, &mut link, tenants).await
        {
            return Ok(true);
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(DRAIN_POLL_MS)).await;
    }
}

async fn groups_drained(ctx: &Context, link: &mut Link, tenants: &[String]) -> bool {
    let result = match link.conn().await {
        Ok(conn) => load::drained(conn, &ctx.keys, tenants, &ctx.config.concerns).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(drained) => {
            link.succeeded();
            drained
        }
        Err(e) => {
            link.note_error(&e);
            false
        }
    }
}

/// The final state through the pipeline's audit, from the primary of the moment.
async fn audit_state(
    ctx: &Context,
    tenants: &[String],
    ledger: Option<&Ledger>,
) -> (Option<FinalState>, Option<String>) {
    let mut link = ctx.link("auditor", Purpose::Commands);
    let mut last = String::new();
    for _ in 0..AUDIT_ATTEMPTS_MAX {
        let result = match link.conn().await {
            Ok(conn) => audit::audit(conn, &ctx.config, tenants, ledger).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(state) => return (Some(state), None),
            Err(e) => {
                last = e.to_string();
                link.recover(&e).await;
            }
        }
    }
    (None, Some(last))
}

/// `20261125T101500Z-3fa9`: the UTC time and four hex digits that set runs started in the same
/// second (parallel tests) apart.
pub fn new_run_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let salt = u64::from(now.subsec_nanos())
        ^ (u64::from(std::process::id()) << 20)
        ^ COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9e37_79b9);
    let suffix = crate::rng::Rng::derive(salt, "run-id").below(1 << 16);
    format!("{}-{suffix:04x}", utc_stamp(now.as_secs()))
}

/// `YYYYMMDDTHHMMSSZ` of a Unix time (days to civil date after Howard Hinnant's algorithm).
fn utc_stamp(secs: u64) -> String {
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (rem / 3_600, rem % 3_600 / 60, rem % 60);
    format!("{year:04}{month:02}{day:02}T{h:02}{m:02}{s:02}Z")
}

/// A seed from a run id, so a run's draws can be repeated with `--seed`.
fn seed_of(run_id: &str) -> u64 {
    crate::rng::Rng::derive(0, run_id).next_u64() % 1_000_000_000
}

/// A scripted fault that a shortened window leaves out would be a silent skip: refused before
/// the run, naming the faults and the window that runs them all.
fn refuse_skipped(scenario: &Scenario, skipped: &[String], window_ms: u64) -> Result<(), String> {
    if skipped.is_empty() {
        return Ok(());
    }
    let last_ms = scenario
        .faults
        .script
        .iter()
        .map(|f| f.at_ms)
        .max()
        .unwrap_or(0);
    Err(format!(
        "a fault window of {window_ms} ms leaves out {} scripted fault(s) ({}): give --duration of at least {} (s), or switch their kind off with --without",
        skipped.len(),
        skipped.join("; "),
        last_ms / 1_000 + 1
    ))
}

/// What is left of a run (for tests).
pub async fn leftovers(run_id: &str) -> Result<Leftovers, RealError> {
    Ok(super::cleanup::leftovers(run_id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_utc_stamps_with_a_suffix() {
        assert_eq!(utc_stamp(0), "19700101T000000Z");
        assert_eq!(utc_stamp(1_795_609_418), "20261125T122338Z");
        assert_eq!(utc_stamp(951_782_400), "20000229T000000Z");
        let (a, b) = (new_run_id(), new_run_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), "20261125T091738Z-3fa9".len(), "{a}");
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        assert_eq!(seed_of(&a), seed_of(&a));
    }

    fn prepare(window_ms: Option<u64>) -> Result<RealRun, RealError> {
        RealRun::new(&RealOptions {
            scenario: config::find_scenario("partition-app").expect("the shipped scenario"),
            window_ms,
            image: "unused".into(),
            seed: Some(1),
            run_id: Some("t".into()),
        })
    }

    /// `real failover --duration 1` once skipped all three scripted failovers and said
    /// `verdict: clean`: a window that leaves out a scripted fault is refused before the run,
    /// naming the faults and the duration that runs them; `--duration 0` too.
    /// (`partition-app` scripts two cuts, at 1 s and 4.5 s.)
    #[test]
    fn a_window_that_leaves_out_scripted_faults_is_refused() {
        let e = prepare(Some(500)).err().expect("refused").to_string();
        assert!(e.contains("leaves out 2 scripted fault(s)"), "{e}");
        assert!(e.contains("--duration of at least 5"), "{e}");
        let e = prepare(Some(0)).err().expect("refused").to_string();
        assert!(
            e.contains("a fault window of 0 s runs no fault at all"),
            "{e}"
        );
        let run = prepare(Some(5_000)).expect("every scripted fault fits");
        assert_eq!(run.seed(), 1);
    }
}
