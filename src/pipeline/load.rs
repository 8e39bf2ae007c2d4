//! `outbox-chaos load`: runs the pipeline against any Redis a user points it at, with no faults,
//! audits the final state and measures throughput.
//!
//! It writes only keys under its prefix, refuses to start when keys under the prefix exist (unless
//! `reuse`), deletes them afterwards only with `cleanup`, and never flushes a database. Decision
//! ids carry a run number taken from a counter under the prefix (`d-r3-000042`), so a reused prefix
//! never replays an earlier run's ids.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{ConnectionAddr, IntoConnectionInfo};
use serde::Serialize;
use thiserror::Error;
use tokio::task::JoinHandle;

use crate::history::state::FinalState;
use crate::pipeline::audit::{self, AuditSummary};
use crate::pipeline::ceiling::{self, synthetic_decision, Ceiling};
use crate::pipeline::config::{PipelineConfig, SinkKind, Variant};
use crate::pipeline::connector::{Addr, Connector, Purpose, Target, TokioDialer};
use crate::pipeline::consumer::Worker;
use crate::pipeline::downstream::{Downstream, DownstreamService};
use crate::pipeline::error::PipelineError;
use crate::pipeline::metrics::{MetricsSnapshot, Sampler};
use crate::pipeline::producer::{Decision, Producer, ProducerSummary};
use crate::pipeline::streams;
use crate::pipeline::Context;

/// Concern names, in order; more concerns are named `concern-<n>`.
const CONCERN_NAMES: [&str; 3] = ["billing", "notify", "crm"];
/// How often the drain is polled.
const DRAIN_POLL_MS: u64 = 20;
/// How often the lag and pending gauges are sampled.
const SAMPLE_INTERVAL_MS: u64 = 250;

/// The command's parsed arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadArgs {
    pub redis_url: String,
    pub decisions: u64,
    pub tenants: u32,
    pub concerns: u32,
    pub workers: u32,
    pub producers: u32,
    /// Commits each producer keeps in flight (the pipeline's `in-flight`).
    pub in_flight: u64,
    /// Entries a worker applies with one sink call (the pipeline's `apply-batch`).
    pub apply_batch: u64,
    /// XREADGROUP / XAUTOCLAIM COUNT (the pipeline's `read-count`).
    pub read_count: u64,
    /// Also measure the Redis ceiling for the same work, after the run (see [`Ceiling`]).
    pub ceiling: bool,
    /// Crash and restart one worker this often (0: never), round-robin.
    pub crash_worker_every_ms: u64,
    pub sink: SinkKind,
    pub variant: Variant,
    pub prefix: String,
    pub reuse: bool,
    pub cleanup: bool,
    pub seed: u64,
    /// Give up waiting for the drain after this long.
    pub timeout_s: u64,
}

impl Default for LoadArgs {
    fn default() -> Self {
        LoadArgs {
            redis_url: "redis://127.0.0.1:6379".into(),
            decisions: 10_000,
            tenants: 4,
            concerns: 3,
            workers: 4,
            producers: 8,
            in_flight: 64,
            apply_batch: 64,
            read_count: 64,
            ceiling: false,
            crash_worker_every_ms: 0,
            sink: SinkKind::Atomic,
            variant: Variant::Correct,
            prefix: "oc:".into(),
            reuse: false,
            cleanup: false,
            seed: 1,
            timeout_s: 300,
        }
    }
}

#[derive(Debug, Error)]
pub enum LoadError {
    #[error("bad input: {0}")]
    BadInput(String),
    #[error("cannot reach Redis at {url}: {source}")]
    Unreachable { url: String, source: PipelineError },
    #[error(
        "{url} is not a Redis server: it answered {detail}; check the host and port of --redis"
    )]
    NotRedis { url: String, detail: String },
    #[error("keys under prefix `{prefix}` already exist at {url}: pass --reuse to run over them, or choose another --prefix")]
    PrefixInUse { prefix: String, url: String },
    #[error("pipeline failed: {0}")]
    Pipeline(#[from] PipelineError),
    #[error("a worker stopped before the drain: {0}")]
    WorkerStopped(String),
}

/// `load`'s exit code when the run itself broke (a pipeline component failed, a worker stopped):
/// neither a clean audit (0) nor a lost or doubled effect found (1), nor bad input (2).
pub const EXIT_RUN_FAILED: u8 = 3;

impl LoadError {
    /// 2 for bad input, an unreachable Redis or a server that is not Redis; 3 when the run
    /// itself broke. Never 1: that code means the audit found a lost or doubled effect.
    pub fn exit_code(&self) -> u8 {
        match self {
            LoadError::Pipeline(_) | LoadError::WorkerStopped(_) => EXIT_RUN_FAILED,
            _ => 2,
        }
    }
}

/// An error that says the peer does not speak RESP (or answered PING with something else).
fn is_protocol_error(e: &PipelineError) -> bool {
    match e {
        PipelineError::Redis(e) => matches!(
            e.kind(),
            redis::ErrorKind::Parse | redis::ErrorKind::UnexpectedReturnType
        ),
        PipelineError::Reply { .. } => true,
        _ => false,
    }
}

/// What a run measured and found.
#[derive(Clone, Debug, Serialize)]
pub struct LoadReport {
    pub run: u64,
    pub decisions: u64,
    pub tenants: u32,
    pub concerns: Vec<String>,
    pub workers: u32,
    pub producers: u32,
    pub in_flight: u64,
    pub apply_batch: u64,
    pub read_count: u64,
    pub sink: SinkKind,
    pub variant: Variant,
    pub commits: ProducerSummary,
    /// Every group drained (nothing pending, nothing undelivered) before the timeout.
    pub drained: bool,
    pub elapsed_ms: u64,
    /// This run's decisions with exactly one effect in every concern.
    pub effected: u64,
    pub throughput_per_s: f64,
    pub metrics: MetricsSnapshot,
    pub audit: AuditSummary,
    /// Workers crashed and restarted by `--crash-worker-every-ms`.
    pub worker_crashes: u64,
    /// The Redis ceiling for the same work, when asked for.
    pub ceiling: Option<Ceiling>,
    /// Keys deleted by `--cleanup`.
    pub cleaned_keys: Option<u64>,
}

impl LoadReport {
    /// 0 when clean, 1 on a lost or doubled effect or a run that did not drain.
    pub fn exit_code(&self) -> u8 {
        if self.audit.violations() == 0 && self.drained {
            0
        } else {
            1
        }
    }
}

fn check_args(args: &LoadArgs) -> Result<(), LoadError> {
    let bad = |why: &str| Err(LoadError::BadInput(why.to_string()));
    if args.decisions == 0 || args.decisions > 100_000_000 {
        return bad("--decisions must be between 1 and 100000000");
    }
    if args.tenants == 0 || args.tenants > 10_000 {
        return bad("--tenants must be between 1 and 10000");
    }
    if args.concerns == 0 || args.concerns > 64 {
        return bad("--concerns must be between 1 and 64");
    }
    if args.workers == 0 || args.workers > 256 || args.producers == 0 || args.producers > 256 {
        return bad("--workers and --producers must be between 1 and 256");
    }
    if args.prefix.is_empty()
        || args
            .prefix
            .chars()
            .any(|c| c.is_whitespace() || c == '{' || c == '}')
    {
        return bad("--prefix must be non-empty, without white space or braces");
    }
    Ok(())
}

fn concern_names(n: u32) -> Vec<String> {
    (0..n as usize)
        .map(|i| {
            CONCERN_NAMES
                .get(i)
                .map_or_else(|| format!("concern-{}", i + 1), |c| c.to_string())
        })
        .collect()
}

/// Decision `i` of run `run`: tenants round-robin, objects cycling with rising versions.
fn decision(run: u64, i: u64, tenants: &[String]) -> Decision {
    synthetic_decision(&format!("r{run}"), i, tenants)
}

fn connector_for(url: &str) -> Result<Connector, LoadError> {
    let info = url
        .into_connection_info()
        .map_err(|e| LoadError::BadInput(format!("--redis {url}: {e}")))?;
    let ConnectionAddr::Tcp(host, port) = info.addr().clone() else {
        return Err(LoadError::BadInput(format!(
            "--redis {url}: only redis:// over plain TCP is supported"
        )));
    };
    let target = Target::Direct(Addr::new(host, port));
    Ok(Connector::new(
        Arc::new(TokioDialer),
        target,
        info.redis_settings().clone(),
        Default::default(),
    ))
}

/// Runs the load. Errors are bad input, an unreachable Redis, or a component that stopped.
pub async fn run(args: &LoadArgs) -> Result<LoadReport, LoadError> {
    check_args(args)?;
    let (ctx, mut admin) = open(args).await?;
    let run: u64 = redis::cmd("INCR")
        .arg(ctx.keys.global("load-runs"))
        .query_async(&mut admin)
        .await
        .map_err(PipelineError::from)?;
    let tenants: Vec<String> = (1..=args.tenants).map(|t| format!("t{t}")).collect();
    let service = (args.sink == SinkKind::IdempotentApi).then(|| {
        let dedupe = args.variant != Variant::NonIdempotentApi;
        DownstreamService::new(dedupe, ctx.recorder.clone())
    });
    let downstream = service.clone().map(|s| s as Arc<dyn Downstream>);
    let timed = drive(&ctx, &mut admin, run, args, &tenants, downstream).await?;
    let ledger = service.map(|s| s.ledger());
    let state = audit::audit(&mut admin, &ctx.config, &tenants, ledger.as_ref()).await?;
    let effected = audit::summarize(&only_ids(&state, &format!("d-r{run}-"))).effected;
    let ceiling = match args.ceiling {
        true => Some(measure_ceiling(&ctx, args, run, &tenants).await?),
        false => None,
    };
    let cleaned_keys = match args.cleanup {
        true => Some(cleanup(&mut admin, &ctx).await?),
        false => None,
    };
    Ok(LoadReport {
        run,
        decisions: args.decisions,
        tenants: args.tenants,
        concerns: ctx.config.concerns.clone(),
        workers: args.workers,
        producers: args.producers,
        in_flight: args.in_flight,
        apply_batch: args.apply_batch,
        read_count: args.read_count,
        sink: args.sink,
        variant: args.variant,
        commits: timed.commits,
        drained: timed.drained,
        elapsed_ms: timed.elapsed_ms,
        effected,
        throughput_per_s: effected as f64 * 1000.0 / timed.elapsed_ms as f64,
        metrics: ctx.metrics.snapshot(),
        audit: audit::summarize(&state),
        worker_crashes: timed.worker_crashes,
        ceiling,
        cleaned_keys,
    })
}

/// Connects (an unreachable Redis is named), builds the context and guards the prefix.
async fn open(args: &LoadArgs) -> Result<(Context, MultiplexedConnection), LoadError> {
    let connector = connector_for(&args.redis_url)?;
    let unreachable = |source: PipelineError| match is_protocol_error(&source) {
        true => LoadError::NotRedis {
            url: args.redis_url.clone(),
            detail: source.to_string(),
        },
        false => LoadError::Unreachable {
            url: args.redis_url.clone(),
            source,
        },
    };
    let mut admin = connector
        .connect(Purpose::Commands)
        .await
        .map_err(unreachable)?;
    let pong: redis::Value = redis::cmd("PING")
        .query_async(&mut admin)
        .await
        .map_err(|e| unreachable(e.into()))?;
    if streams::as_string(&pong).as_deref() != Some("PONG") {
        return Err(LoadError::NotRedis {
            url: args.redis_url.clone(),
            detail: format!("{pong:?} to PING"),
        });
    }
    let config = PipelineConfig {
        prefix: args.prefix.clone(),
        concerns: concern_names(args.concerns),
        sink: args.sink,
        variant: args.variant,
        in_flight: args.in_flight,
        apply_batch: args.apply_batch,
        read_count: args.read_count,
        ..Default::default()
    };
    let ctx = Context::new(config, connector, args.seed)
        .map_err(|e| LoadError::BadInput(e.to_string()))?;
    if streams::any_key(&mut admin, &ctx.keys.all_pattern()).await? && !args.reuse {
        return Err(LoadError::PrefixInUse {
            prefix: args.prefix.clone(),
            url: args.redis_url.clone(),
        });
    }
    Ok((ctx, admin))
}

/// What the timed part of a run measured.
struct Timed {
    commits: ProducerSummary,
    drained: bool,
    elapsed_ms: u64,
    worker_crashes: u64,
}

/// Starts the workers, commits every decision, waits for the drain, stops everything: the part
/// of the run the throughput is measured on.
async fn drive(
    ctx: &Context,
    admin: &mut MultiplexedConnection,
    run: u64,
    args: &LoadArgs,
    tenants: &[String],
    downstream: Option<Arc<dyn Downstream>>,
) -> Result<Timed, LoadError> {
    let workers = Arc::new(Mutex::new(spawn_workers(
        ctx,
        tenants,
        args.workers,
        downstream.clone(),
    )?));
    let sampler = tokio::spawn(Sampler::new(ctx, tenants).run(SAMPLE_INTERVAL_MS));
    let crashes = Arc::new(AtomicU64::new(0));
    let crasher = (args.crash_worker_every_ms > 0).then(|| {
        let crash = Crasher {
            ctx: ctx.clone(),
            tenants: tenants.to_vec(),
            per_concern: args.workers as usize,
            downstream,
            every_ms: args.crash_worker_every_ms,
            crashes: crashes.clone(),
        };
        tokio::spawn(crash.run(workers.clone()))
    });
    let started = tokio::time::Instant::now();
    let commits = produce(ctx, run, args, tenants).await;
    let drained = wait_drained(ctx, admin, tenants, &workers, args.timeout_s).await;
    let elapsed_ms = (started.elapsed().as_millis() as u64).max(1);
    sampler.abort();
    if let Some(c) = crasher {
        c.abort();
    }
    for w in lock(&workers).iter() {
        w.abort();
    }
    Ok(Timed {
        commits,
        drained: drained?,
        elapsed_ms,
        worker_crashes: crashes.load(Ordering::SeqCst),
    })
}

type Workers = Arc<Mutex<Vec<JoinHandle<Result<(), PipelineError>>>>>;

fn lock(
    workers: &Workers,
) -> std::sync::MutexGuard<'_, Vec<JoinHandle<Result<(), PipelineError>>>> {
    workers
        .lock()
        .expect("the workers' lock is never held across a panic")
}

/// `--crash-worker-every-ms`: every period, one worker (round-robin over every concern's workers)
/// is dropped wherever it is (at an await: a crash, with whatever it held in memory lost) and
/// started again under the same name, as a supervisor restarts a crashed process.
struct Crasher {
    ctx: Context,
    tenants: Vec<String>,
    per_concern: usize,
    downstream: Option<Arc<dyn Downstream>>,
    every_ms: u64,
    crashes: Arc<AtomicU64>,
}

impl Crasher {
    async fn run(self, workers: Workers) -> Result<(), PipelineError> {
        let n = self.ctx.config.concerns.len() * self.per_concern;
        for k in (0..n).cycle() {
            tokio::time::sleep(Duration::from_millis(self.every_ms)).await;
            let (concern, index) = (
                &self.ctx.config.concerns[k / self.per_concern],
                k % self.per_concern,
            );
            let worker = Worker::new(
                &self.ctx,
                concern,
                index,
                &self.tenants,
                self.downstream.clone(),
            )?;
            let mut all = lock(&workers);
            all[k].abort();
            all[k] = tokio::spawn(worker.run());
            self.crashes.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// The ceiling of this run's work ([`ceiling::measure`]): its decisions, its concerns, as many
/// connections as it had producers and workers.
async fn measure_ceiling(
    ctx: &Context,
    args: &LoadArgs,
    run: u64,
    tenants: &[String],
) -> Result<Ceiling, LoadError> {
    let decisions: Vec<Decision> = (0..args.decisions)
        .map(|i| decision(run, i, tenants))
        .collect();
    let work = ceiling::Work {
        prefix: &args.prefix,
        decisions: &decisions,
        tenants,
        concerns: &ctx.config.concerns,
        producers: args.producers as usize,
        workers: (args.workers * args.concerns) as usize,
        apply_batch: args.apply_batch,
    };
    Ok(ceiling::measure(&ctx.connector, &work).await?)
}

/// A final state restricted to decisions whose id starts with `id_prefix` (this run's).
fn only_ids(state: &FinalState, id_prefix: &str) -> FinalState {
    let mut view = state.clone();
    view.decisions.retain(|id, _| id.starts_with(id_prefix));
    view
}

fn spawn_workers(
    ctx: &Context,
    tenants: &[String],
    per_concern: u32,
    downstream: Option<Arc<dyn Downstream>>,
) -> Result<Vec<JoinHandle<Result<(), PipelineError>>>, LoadError> {
    let mut handles = Vec::new();
    for concern in &ctx.config.concerns {
        for i in 0..per_concern as usize {
            let worker = Worker::new(ctx, concern, i, tenants, downstream.clone())?;
            handles.push(tokio::spawn(worker.run()));
        }
    }
    Ok(handles)
}

async fn produce(ctx: &Context, run: u64, args: &LoadArgs, tenants: &[String]) -> ProducerSummary {
    let producers = u64::from(args.producers);
    let mut handles = Vec::new();
    for p in 0..producers {
        let decisions: Vec<Decision> = (p..args.decisions)
            .step_by(producers as usize)
            .map(|i| decision(run, i, tenants))
            .collect();
        let producer = Producer::new(ctx, &format!("producer-{p}"));
        handles.push(tokio::spawn(producer.run(decisions)));
    }
    let mut total = ProducerSummary::default();
    for h in handles {
        let s = h.await.expect("a producer task panicked");
        total.committed += s.committed;
        total.already_committed += s.already_committed;
        total.failed += s.failed;
        total.unknown += s.unknown;
    }
    total
}

/// Polls until every group has delivered every entry and has nothing pending; `Ok(false)` on
/// timeout, an error if a worker stopped.
async fn wait_drained(
    ctx: &Context,
    admin: &mut MultiplexedConnection,
    tenants: &[String],
    workers: &Workers,
    timeout_s: u64,
) -> Result<bool, LoadError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout_s);
    while tokio::time::Instant::now() < deadline {
        let stopped = {
            let mut all = lock(workers);
            let i = all.iter().position(|w| w.is_finished());
            i.map(|i| all.swap_remove(i))
        };
        if let Some(stopped) = stopped {
            let why = match stopped.await {
                Ok(Err(e)) => e.to_string(),
                Ok(Ok(())) => "it returned".to_string(),
                Err(join) => join.to_string(),
            };
            return Err(LoadError::WorkerStopped(why));
        }
        if drained(admin, &ctx.keys, tenants, &ctx.config.concerns).await? {
            crate::pipeline::metrics::sample_groups(
                admin,
                &ctx.keys,
                tenants,
                &ctx.config.concerns,
                &ctx.metrics,
            )
            .await?;
            return Ok(true);
        }
        tokio::time::sleep(Duration::from_millis(DRAIN_POLL_MS)).await;
    }
    Ok(false)
}

/// Every configured group of every tenant stream has delivered the last entry and acked all.
pub async fn drained(
    conn: &mut MultiplexedConnection,
    keys: &crate::pipeline::keys::Keys,
    tenants: &[String],
    concerns: &[String],
) -> Result<bool, PipelineError> {
    for tenant in tenants {
        let stream = keys.outbox(tenant);
        let last = streams::last_generated(conn, &stream)
            .await?
            .unwrap_or_default();
        let groups = streams::groups(conn, &stream).await?;
        for concern in concerns {
            let Some(g) = groups.iter().find(|g| &g.name == concern) else {
                return Ok(false);
            };
            if g.pending > 0 || g.last_delivered < last {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Deletes every key under the prefix (and nothing else).
async fn cleanup(conn: &mut MultiplexedConnection, ctx: &Context) -> Result<u64, PipelineError> {
    let keys = streams::scan_all(conn, &ctx.keys.all_pattern()).await?;
    let mut deleted = 0;
    for chunk in keys.chunks(1_000) {
        let n: u64 = redis::cmd("UNLINK").arg(chunk).query_async(conn).await?;
        deleted += n;
    }
    Ok(deleted)
}

/// A configuration enum by the name the command line and scenario files spell it (`atomic`,
/// `none`), never its Rust name.
fn kebab_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => "?".to_string(),
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.commits;
        writeln!(
            f,
            "load: run {}, {} decisions over {} tenants, {} concerns × {} workers, {} producers, sink {}, variant {}",
            self.run, self.decisions, self.tenants, self.concerns.len(), self.workers, self.producers, kebab_name(&self.sink), kebab_name(&self.variant)
        )?;
        writeln!(
            f,
            "load: committed {} (already {}, failed {}, unknown {}); {} effected in {} ms; drained: {}",
            c.committed, c.already_committed, c.failed, c.unknown, self.effected, self.elapsed_ms, self.drained
        )?;
        writeln!(
            f,
            "load: in-flight {} per producer, apply-batch {}, read-count {}, worker crashes {}",
            self.in_flight, self.apply_batch, self.read_count, self.worker_crashes
        )?;
        writeln!(f, "throughput: {:.1} decisions/s", self.throughput_per_s)?;
        if let Some(c) = &self.ceiling {
            writeln!(
                f,
                "ceiling: {:.1} decisions/s (commits {} ms, effects {} ms, {} commands in {} EVALSHA-pipelined round trips); pipeline/ceiling = {:.3}",
                c.decisions_per_s, c.commit_ms, c.effect_ms, c.calls, c.round_trips, self.throughput_per_s / c.decisions_per_s
            )?;
        }
        let m = &self.metrics;
        writeln!(
            f,
            "metrics: xadd {:.0}/s, xack {:.0}/s, reclaims {}, dedupe hits {}, dead letters {}, commit→effect p50 {} ms p99 {} ms max {} ms",
            m.xadd_per_s, m.xack_per_s, m.reclaims, m.dedupe_hits, m.dead_letters, m.latency.p50_ms, m.latency.p99_ms, m.latency.max_ms
        )?;
        for (concern, g) in &m.groups {
            writeln!(
                f,
                "metrics: group {concern}: lag {}, pending {}",
                g.lag, g.pending
            )?;
        }
        write!(f, "{}", self.audit)?;
        if let Some(n) = self.cleaned_keys {
            writeln!(f, "cleanup: deleted {n} keys under the prefix")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exit 1 means the audit found a lost or doubled effect, nothing else: a run that broke
    /// exits 3, bad input and a server that is not Redis 2.
    #[test]
    fn only_a_finding_exits_1() {
        let broken = LoadError::Pipeline(PipelineError::Config("x".into()));
        assert_eq!(broken.exit_code(), EXIT_RUN_FAILED);
        assert_eq!(LoadError::WorkerStopped("x".into()).exit_code(), 3);
        let not_redis = LoadError::NotRedis {
            url: "redis://h:1".into(),
            detail: "x".into(),
        };
        assert_eq!(not_redis.exit_code(), 2);
        assert_eq!(LoadError::BadInput("x".into()).exit_code(), 2);
    }

    /// The load's first line names the sink and the variant as the command line spells them.
    #[test]
    fn configuration_names_are_the_command_lines() {
        assert_eq!(kebab_name(&SinkKind::Atomic), "atomic");
        assert_eq!(kebab_name(&SinkKind::IdempotentApi), "idempotent-api");
        assert_eq!(kebab_name(&Variant::Correct), "none");
        assert_eq!(kebab_name(&Variant::AckFirst), "ack-first");
    }

    #[test]
    fn decisions_are_deterministic_and_spread() {
        let tenants = vec!["t1".to_string(), "t2".to_string()];
        let d = decision(3, 205, &tenants);
        assert_eq!(
            (
                d.id.as_str(),
                d.tenant.as_str(),
                d.object.as_str(),
                d.version
            ),
            ("d-r3-000205", "t2", "o2", 2)
        );
        assert_eq!(
            concern_names(4),
            vec!["billing", "notify", "crm", "concern-4"]
        );
        assert!(check_args(&LoadArgs {
            decisions: 0,
            ..Default::default()
        })
        .is_err());
        assert!(matches!(
            connector_for("unix:///tmp/x.sock"),
            Err(LoadError::BadInput(_))
        ));
    }
}
