//! The pipeline against a real `redis-server` (started by `support`): exactly-once at volume,
//! each planted bug proven to carry its bug, dead letters, retries, a server restart, Sentinel
//! resolution and the `load` command.

mod support;

use std::sync::Arc;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::RedisConnectionInfo;
use tokio::task::JoinHandle;

use outbox_chaos::history::state::FinalState;
use outbox_chaos::history::{CommitOutcome, Op, Record, Recorder};
use outbox_chaos::pipeline::audit::{self, AuditSummary};
use outbox_chaos::pipeline::config::{
    ConnectConfig, PipelineConfig, SinkKind, Variant, WaitConfig,
};
use outbox_chaos::pipeline::connector::{Addr, Connector, Purpose, Target, TokioDialer};
use outbox_chaos::pipeline::consumer::Worker;
use outbox_chaos::pipeline::downstream::{Downstream, DownstreamService, Ledger};
use outbox_chaos::pipeline::failpoint::{self, Arm, Armed, Failpoints};
use outbox_chaos::pipeline::load::{self, LoadArgs, LoadError};
use outbox_chaos::pipeline::producer::{Decision, Producer};
use outbox_chaos::pipeline::retention::Trimmer;
use outbox_chaos::pipeline::sink::{Env, Item, Sink};
use outbox_chaos::pipeline::{Context, PipelineError};
use support::{RedisServer, Sentinel};

const BILLING: &str = "billing";

fn tenants(n: usize) -> Vec<String> {
    (1..=n).map(|t| format!("t{t}")).collect()
}

/// Decision `i`: tenants round-robin, 20 objects per tenant, amount 1..=5.
fn decision(i: u64, tenants: &[String]) -> Decision {
    let per_tenant = i / tenants.len() as u64;
    Decision {
        id: format!("d-{i:06}"),
        tenant: tenants[(i % tenants.len() as u64) as usize].clone(),
        object: format!("o{}", per_tenant % 20),
        version: per_tenant / 20 + 1,
        kind: "order-placed".into(),
        payload: (i % 5 + 1).to_string(),
    }
}

fn decisions(n: u64, tenants: &[String]) -> Vec<Decision> {
    (0..n).map(|i| decision(i, tenants)).collect()
}

/// Small timeouts so reclaims and the tests are quick. Entry by entry and one commit in flight,
/// so a stop at a failpoint hits exactly one entry; [`batched`] turns batching on.
fn fast_config(concerns: &[&str]) -> PipelineConfig {
    PipelineConfig {
        concerns: concerns.iter().map(|c| c.to_string()).collect(),
        apply_batch: 1,
        in_flight: 1,
        read_count: 16,
        block_ms: 100,
        min_idle_ms: 300,
        reclaim_interval_ms: 100,
        ..Default::default()
    }
}

/// `config` with a consumer's whole read applied in one sink call and 8 commits in flight.
fn batched(config: PipelineConfig) -> PipelineConfig {
    PipelineConfig {
        apply_batch: 16,
        in_flight: 8,
        ..config
    }
}

fn context(
    server: &RedisServer,
    config: PipelineConfig,
    failpoints: Failpoints,
    recorder: Recorder,
) -> Context {
    let target = Target::Direct(Addr::new("127.0.0.1", server.port));
    let connector = Connector::new(
        Arc::new(TokioDialer),
        target,
        RedisConnectionInfo::default(),
        ConnectConfig::default(),
    );
    let ctx = Context::new(config, connector, 42).expect("valid configuration");
    ctx.with_recorder(recorder).with_failpoints(failpoints)
}

async fn admin(ctx: &Context) -> MultiplexedConnection {
    ctx.connector
        .connect(Purpose::Commands)
        .await
        .expect("admin connection")
}

/// Commits every decision with `producers` producer tasks; each must end known.
async fn commit_all(ctx: &Context, all: &[Decision], producers: usize) {
    let mut handles = Vec::new();
    for p in 0..producers {
        let mine: Vec<Decision> = all.iter().skip(p).step_by(producers).cloned().collect();
        handles.push(tokio::spawn(
            Producer::new(ctx, &format!("producer-{p}")).run(mine),
        ));
    }
    for h in handles {
        let s = h.await.expect("producer task");
        assert_eq!(
            (s.failed, s.unknown),
            (0, 0),
            "every commit must end known: {s:?}"
        );
    }
}

fn spawn_worker(
    ctx: &Context,
    concern: &str,
    index: usize,
    tenants: &[String],
    downstream: Option<Arc<dyn Downstream>>,
) -> JoinHandle<Result<(), PipelineError>> {
    let worker = Worker::new(ctx, concern, index, tenants, downstream).expect("worker");
    tokio::spawn(worker.run())
}

/// Aborts a task and waits until it is gone: a stop.
async fn stop(handle: JoinHandle<Result<(), PipelineError>>) {
    handle.abort();
    let err = handle
        .await
        .expect_err("the task was aborted, not finished");
    assert!(err.is_cancelled(), "{err}");
}

/// Polls `load::drained` until true, or panics after `timeout_s`.
async fn wait_drained(ctx: &Context, tenants: &[String], timeout_s: u64) {
    let mut conn = admin(ctx).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout_s);
    loop {
        if load::drained(&mut conn, &ctx.keys, tenants, &ctx.config.concerns)
            .await
            .expect("drained")
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the pipeline did not drain within {timeout_s} s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every group delivered its last entry (pending ones may remain).
async fn wait_delivered(ctx: &Context, tenant: &str, timeout_s: u64) {
    let mut conn = admin(ctx).await;
    let stream = ctx.keys.outbox(tenant);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout_s);
    loop {
        let last = outbox_chaos::pipeline::streams::last_generated(&mut conn, &stream)
            .await
            .unwrap()
            .unwrap_or_default();
        let groups = outbox_chaos::pipeline::streams::groups(&mut conn, &stream)
            .await
            .unwrap();
        if !groups.is_empty() && groups.iter().all(|g| g.last_delivered >= last) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "entries still undelivered after {timeout_s} s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn final_state(
    ctx: &Context,
    tenants: &[String],
    ledger: Option<&Ledger>,
) -> (FinalState, AuditSummary) {
    let state = audit::audit(&mut admin(ctx).await, &ctx.config, tenants, ledger)
        .await
        .expect("audit");
    let summary = audit::summarize(&state);
    (state, summary)
}

/// The event a parked worker was handling: its last delivery before the failpoint.
fn stopped_event(history: &[Record], process: &str) -> String {
    let fired = history
        .iter()
        .position(|r| r.process == process && matches!(r.op, Op::Failpoint { .. }))
        .expect("the failpoint fired");
    history[..fired]
        .iter()
        .rev()
        .find_map(|r| match &r.op {
            Op::Deliver { event, .. } if r.process == process => Some(event.clone()),
            _ => None,
        })
        .expect("a delivery before the failpoint")
}

fn reclaimed_by(history: &[Record], consumer_name: &str) -> usize {
    let is_reclaim = |op: &Op| matches!(op, Op::Deliver { consumer, reclaimed: true, .. } if consumer == consumer_name);
    history.iter().filter(|r| is_reclaim(&r.op)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_decisions_through_three_concerns_exactly_once() {
    let server = RedisServer::start();
    let concerns = ["billing", "notify", "crm"];
    let ctx = context(
        &server,
        batched(fast_config(&concerns)),
        Failpoints::none(),
        Recorder::disabled(),
    );
    let ts = tenants(4);
    let mut workers = Vec::new();
    for concern in concerns {
        for i in 0..4 {
            workers.push(spawn_worker(&ctx, concern, i, &ts, None));
        }
    }
    let all = decisions(10_000, &ts);
    commit_all(&ctx, &all, 8).await;
    wait_drained(&ctx, &ts, 120).await;
    for w in workers {
        stop(w).await;
    }
    let (state, summary) = final_state(&ctx, &ts, None).await;
    assert_eq!(
        (summary.decisions, summary.committed, summary.effected),
        (10_000, 10_000, 10_000),
        "{summary}"
    );
    assert_eq!(summary.violations(), 0, "{summary}");
    assert!(state
        .decisions
        .values()
        .all(|d| d.outbox_entries.len() == 1));
    for (concern, group) in &state.groups {
        assert!(
            group.pending.is_empty() && group.undelivered.is_empty(),
            "{concern} still owes entries"
        );
    }
    let m = ctx.metrics.snapshot();
    assert_eq!(
        (m.xadds, m.effects, m.dedupe_hits),
        (10_000, 30_000, 0),
        "{m:?}"
    );
    assert_eq!(m.latency.count, 30_000);
}

/// Worker 0 parks at `point` on its 6th entry and is stopped; worker 1 then drains the group.
async fn stop_one_worker_and_drain(
    config: PipelineConfig,
    point: &'static str,
    downstream: Option<Arc<DownstreamService>>,
) -> (Vec<Record>, String, FinalState, AuditSummary) {
    let server = RedisServer::start();
    let armed = Armed::new(vec![Arm::park(point, "worker-billing-0").after(5)]);
    let recorder = Recorder::new();
    let ctx = context(
        &server,
        config,
        Failpoints::with_hook(armed.clone()),
        recorder.clone(),
    );
    let ts = tenants(2);
    commit_all(&ctx, &decisions(100, &ts), 2).await;
    let ds = downstream.clone().map(|d| d as Arc<dyn Downstream>);
    let w0 = spawn_worker(&ctx, BILLING, 0, &ts, ds.clone());
    tokio::time::timeout(Duration::from_secs(10), armed.wait_fired(point))
        .await
        .expect("failpoint fired");
    stop(w0).await;
    let w1 = spawn_worker(&ctx, BILLING, 1, &ts, ds);
    wait_drained(&ctx, &ts, 30).await;
    stop(w1).await;
    let history = recorder.snapshot();
    let stopped = stopped_event(&history, "worker-billing-0");
    assert!(
        reclaimed_by(&history, "billing-1") > 0,
        "worker 1 reclaimed none of worker 0's entries"
    );
    let ledger = downstream.map(|d| d.ledger());
    let (state, summary) = final_state(&ctx, &ts, ledger.as_ref()).await;
    (history, stopped, state, summary)
}

#[tokio::test]
async fn atomic_sink_stopped_worker_entries_are_reclaimed_without_duplicates() {
    let config = fast_config(&[BILLING]);
    let point = failpoint::CONSUMER_AFTER_EFFECT_BEFORE_ACK;
    let (_, _, state, summary) = stop_one_worker_and_drain(config, point, None).await;
    assert_eq!(summary.violations(), 0, "{summary}");
    assert_eq!(summary.effected, 100);
    assert!(state.groups[BILLING].pending.is_empty());
}

/// Entries of `consumer`'s batches: how many `Effect` records it made, and how many before its
/// stop (the first failpoint record of `process`).
fn effects_before_stop(history: &[Record], process: &str) -> (usize, usize) {
    let stop = history
        .iter()
        .position(|r| r.process == process && matches!(r.op, Op::Failpoint { .. }))
        .expect("the stopped worker recorded its failpoint");
    let effects = |rs: &[Record]| {
        rs.iter()
            .filter(|r| r.process == process && matches!(r.op, Op::Effect { .. }))
            .count()
    };
    (effects(history), effects(&history[..stop]))
}

#[tokio::test]
async fn batched_atomic_sink_stopped_mid_batch_recovers_every_entry_once() {
    // The stop comes at the 6th entry's point, after the script applied and acked the whole
    // batch: the history already says so, entry by entry, and nothing is applied twice.
    let config = batched(fast_config(&[BILLING]));
    let point = failpoint::CONSUMER_AFTER_EFFECT_BEFORE_ACK;
    let (history, _, state, summary) = stop_one_worker_and_drain(config, point, None).await;
    assert_eq!(summary.violations(), 0, "{summary}");
    assert_eq!(summary.effected, 100);
    assert!(state.groups[BILLING].pending.is_empty());
    let (all, before) = effects_before_stop(&history, "worker-billing-0");
    assert!(
        before > 6 && before == all,
        "the batch's effects are recorded before its first stop ({before} of {all})"
    );
}

#[tokio::test]
async fn batched_consumer_stopped_after_reading_half_a_batch_leaves_the_rest_pending() {
    // A stop at the 6th entry's after-read point: the batch's first five entries are delivered
    // and recorded, none is applied (the sink call comes after the whole batch was read); all of
    // them are reclaimed by worker 1 and applied once.
    let config = batched(fast_config(&[BILLING]));
    let point = failpoint::CONSUMER_AFTER_READ;
    let (history, stopped, state, summary) = stop_one_worker_and_drain(config, point, None).await;
    assert_eq!(summary.violations(), 0, "{summary}");
    assert_eq!(summary.effected, 100);
    assert!(state.groups[BILLING].pending.is_empty());
    let (all, before) = effects_before_stop(&history, "worker-billing-0");
    assert_eq!((all, before), (0, 0), "worker 0 applied nothing");
    assert_eq!(state.decisions[&stopped].effects[BILLING], 1);
}

#[tokio::test]
async fn batched_naive_sink_stopped_before_ack_applies_the_batch_twice() {
    let config = batched(PipelineConfig {
        variant: Variant::Naive,
        ..fast_config(&[BILLING])
    });
    let point = failpoint::CONSUMER_AFTER_EFFECT_BEFORE_ACK;
    let (_, stopped, state, summary) = stop_one_worker_and_drain(config, point, None).await;
    assert!(
        summary.doubled.iter().any(|d| d.event == stopped),
        "{summary}"
    );
    assert_eq!(state.decisions[&stopped].effects[BILLING], 2);
    assert!(summary.lost.is_empty(), "{summary}");
}

#[tokio::test]
async fn batched_ack_first_stopped_after_ack_loses_the_batch() {
    let config = batched(PipelineConfig {
        variant: Variant::AckFirst,
        ..fast_config(&[BILLING])
    });
    let point = failpoint::CONSUMER_AFTER_ACK;
    let (_, stopped, state, summary) = stop_one_worker_and_drain(config, point, None).await;
    assert!(summary.lost.iter().any(|l| l.event == stopped), "{summary}");
    assert_eq!(state.decisions[&stopped].effects[BILLING], 0);
    assert!(summary.doubled.is_empty(), "{summary}");
}

#[tokio::test]
async fn naive_sink_stopped_before_ack_applies_twice() {
    let config = PipelineConfig {
        variant: Variant::Naive,
        ..fast_config(&[BILLING])
    };
    let point = failpoint::CONSUMER_AFTER_EFFECT_BEFORE_ACK;
    let (_, stopped, state, summary) = stop_one_worker_and_drain(config, point, None).await;
    assert_eq!(summary.doubled.len(), 1, "{summary}");
    assert_eq!(summary.doubled[0].event, stopped);
    assert_eq!(state.decisions[&stopped].effects[BILLING], 2);
}

#[tokio::test]
async fn ack_first_stopped_after_ack_loses_the_effect() {
    let config = PipelineConfig {
        variant: Variant::AckFirst,
        ..fast_config(&[BILLING])
    };
    let point = failpoint::CONSUMER_AFTER_ACK;
    let (_, stopped, state, summary) = stop_one_worker_and_drain(config, point, None).await;
    assert_eq!(summary.lost.len(), 1, "{summary}");
    assert_eq!(summary.lost[0].event, stopped);
    assert_eq!(state.decisions[&stopped].effects[BILLING], 0);
    assert!(summary.doubled.is_empty(), "{summary}");
}

#[tokio::test]
async fn non_idempotent_api_stopped_before_ack_applies_twice() {
    let config = PipelineConfig {
        sink: SinkKind::IdempotentApi,
        variant: Variant::NonIdempotentApi,
        ..fast_config(&[BILLING])
    };
    let service = DownstreamService::new(false, Recorder::disabled());
    let point = failpoint::CONSUMER_AFTER_EFFECT_BEFORE_ACK;
    let (_, stopped, _, summary) =
        stop_one_worker_and_drain(config, point, Some(service.clone())).await;
    assert_eq!(summary.doubled.len(), 1, "{summary}");
    assert_eq!(summary.doubled[0].event, stopped);
    assert_eq!(service.ledger().effects[BILLING][&stopped].applied, 2);
}

#[tokio::test]
async fn idempotent_api_stopped_before_ack_dedupes_the_redelivery() {
    let config = PipelineConfig {
        sink: SinkKind::IdempotentApi,
        ..fast_config(&[BILLING])
    };
    let service = DownstreamService::new(true, Recorder::disabled());
    let point = failpoint::CONSUMER_AFTER_EFFECT_BEFORE_ACK;
    let (history, stopped, _, summary) =
        stop_one_worker_and_drain(config, point, Some(service.clone())).await;
    assert_eq!(
        (summary.violations(), summary.effected),
        (0, 100),
        "{summary}"
    );
    let ledger = service.ledger();
    assert_eq!(
        (
            ledger.effects[BILLING][&stopped].requests,
            ledger.effects[BILLING][&stopped].applied
        ),
        (2, 1)
    );
    let deduped =
        |op: &Op| matches!(op, Op::Effect { event, applied: false, .. } if *event == stopped);
    assert!(
        history.iter().any(|r| deduped(&r.op)),
        "the redelivery was recorded as deduped"
    );
}

#[tokio::test]
async fn dual_write_stopped_between_writes_leaves_state_without_event() {
    let server = RedisServer::start();
    let armed = Armed::new(vec![Arm::park(
        failpoint::PRODUCER_AFTER_STATE,
        "producer-0",
    )
    .after(3)]);
    let config = PipelineConfig {
        variant: Variant::DualWrite,
        ..fast_config(&[BILLING])
    };
    let ctx = context(
        &server,
        config,
        Failpoints::with_hook(armed.clone()),
        Recorder::new(),
    );
    let ts = tenants(1);
    let all = decisions(10, &ts);
    let producer = tokio::spawn(Producer::new(&ctx, "producer-0").run(all.clone()));
    tokio::time::timeout(
        Duration::from_secs(10),
        armed.wait_fired(failpoint::PRODUCER_AFTER_STATE),
    )
    .await
    .unwrap();
    producer.abort();
    assert!(producer.await.unwrap_err().is_cancelled());
    // The retry finds the marker and reports success without writing the missing event: the bug.
    let retry = Producer::new(&ctx, "producer-1")
        .commit_until_known(&all[3])
        .await;
    assert_eq!(retry.outcome, CommitOutcome::AlreadyCommitted);
    let (state, _) = final_state(&ctx, &ts, None).await;
    let torn = &state.decisions[&all[3].id];
    assert!(torn.marker && torn.state, "{torn:?}");
    assert!(torn.outbox_entries.is_empty(), "{torn:?}");
    for d in &all[..3] {
        assert_eq!(state.decisions[&d.id].outbox_entries.len(), 1);
    }
}

#[tokio::test]
async fn no_reclaim_leaves_a_stopped_workers_entries_pending() {
    let server = RedisServer::start();
    let armed = Armed::new(vec![Arm::park(
        failpoint::CONSUMER_AFTER_READ,
        "worker-billing-0",
    )]);
    let config = PipelineConfig {
        variant: Variant::NoReclaim,
        min_idle_ms: 100,
        reclaim_interval_ms: 50,
        ..fast_config(&[BILLING])
    };
    let ctx = context(
        &server,
        config,
        Failpoints::with_hook(armed.clone()),
        Recorder::new(),
    );
    let ts = tenants(1);
    commit_all(&ctx, &decisions(50, &ts), 1).await;
    let w0 = spawn_worker(&ctx, BILLING, 0, &ts, None);
    tokio::time::timeout(
        Duration::from_secs(10),
        armed.wait_fired(failpoint::CONSUMER_AFTER_READ),
    )
    .await
    .unwrap();
    stop(w0).await;
    let w1 = spawn_worker(&ctx, BILLING, 1, &ts, None);
    wait_delivered(&ctx, "t1", 10).await;
    // Ten times min-idle: a reclaiming worker would have taken them long ago.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    stop(w1).await;
    let (state, summary) = final_state(&ctx, &ts, None).await;
    let pending = &state.groups[BILLING].pending;
    assert_eq!(pending.len(), 16, "worker 0's whole batch stays pending");
    assert!(pending
        .iter()
        .all(|p| p.consumer.as_deref() == Some("billing-0")));
    assert_eq!(summary.lost.len(), 16, "{summary}");
}

async fn in_stream(conn: &mut MultiplexedConnection, stream: &str, id: &str) -> bool {
    let found: Vec<redis::Value> = redis::cmd("XRANGE")
        .arg(stream)
        .arg(id)
        .arg(id)
        .query_async(conn)
        .await
        .unwrap();
    !found.is_empty()
}

#[tokio::test]
async fn unsafe_trim_removes_an_unacknowledged_entry() {
    let server = RedisServer::start();
    let armed = Armed::new(vec![Arm::park(
        failpoint::CONSUMER_AFTER_READ,
        "worker-billing-0",
    )]);
    // No reclaim within the test: the stopped worker's batch stays pending.
    let config = PipelineConfig {
        min_idle_ms: 600_000,
        ..fast_config(&[BILLING])
    };
    let recorder = Recorder::new();
    let ctx = context(
        &server,
        config.clone(),
        Failpoints::with_hook(armed.clone()),
        recorder.clone(),
    );
    let ts = tenants(1);
    commit_all(&ctx, &decisions(50, &ts), 1).await;
    let w0 = spawn_worker(&ctx, BILLING, 0, &ts, None);
    tokio::time::timeout(
        Duration::from_secs(10),
        armed.wait_fired(failpoint::CONSUMER_AFTER_READ),
    )
    .await
    .unwrap();
    stop(w0).await;
    let w1 = spawn_worker(&ctx, BILLING, 1, &ts, None);
    wait_delivered(&ctx, "t1", 10).await;
    let (state, _) = final_state(&ctx, &ts, None).await;
    let pending: Vec<String> = state.groups[BILLING]
        .pending
        .iter()
        .map(|p| p.entry_id.clone())
        .collect();
    assert_eq!(pending.len(), 16);
    let mut conn = admin(&ctx).await;
    let stream = ctx.keys.outbox("t1");
    // The correct trimmer keeps every entry some group still owes.
    Trimmer::new(&ctx, &ts).trim_all().await.unwrap();
    assert!(
        in_stream(&mut conn, &stream, &pending[0]).await,
        "the safe trimmer removed a pending entry"
    );
    let unsafe_ctx = context(
        &server,
        PipelineConfig {
            variant: Variant::UnsafeTrim,
            ..config
        },
        Failpoints::none(),
        recorder.clone(),
    );
    let removed = Trimmer::new(&unsafe_ctx, &ts).trim_all().await.unwrap();
    assert_eq!(
        removed, 50,
        "everything delivered is trimmed, pending or not"
    );
    assert!(
        !in_stream(&mut conn, &stream, &pending[0]).await,
        "the unsafe trimmer kept the pending entry"
    );
    let (state, _) = final_state(&ctx, &ts, None).await;
    assert_eq!(
        state.groups[BILLING].pending.len(),
        16,
        "still pending, no longer in the stream"
    );
    assert!(state.groups[BILLING]
        .pending
        .iter()
        .all(|p| p.event.is_none()));
    stop(w1).await;
    assert!(recorder
        .snapshot()
        .iter()
        .any(|r| matches!(r.op, Op::Trim { removed: 50, .. })));
}

#[tokio::test]
async fn poison_entry_is_dead_lettered_once_after_max_deliveries() {
    let server = RedisServer::start();
    let config = PipelineConfig {
        max_deliveries: 3,
        min_idle_ms: 100,
        reclaim_interval_ms: 50,
        ..fast_config(&[BILLING])
    };
    let recorder = Recorder::new();
    let ctx = context(&server, config, Failpoints::none(), recorder.clone());
    let ts = tenants(1);
    let mut all = decisions(20, &ts);
    all[7].payload = "not-a-number".into();
    commit_all(&ctx, &all, 1).await;
    let workers = [
        spawn_worker(&ctx, BILLING, 0, &ts, None),
        spawn_worker(&ctx, BILLING, 1, &ts, None),
    ];
    wait_drained(&ctx, &ts, 20).await;
    for w in workers {
        stop(w).await;
    }
    let (state, summary) = final_state(&ctx, &ts, None).await;
    let poison = &state.decisions[&all[7].id];
    assert_eq!(
        (
            poison.effects[BILLING],
            poison.dead_lettered.get(BILLING).copied()
        ),
        (0, Some(1)),
        "{poison:?}"
    );
    assert_eq!(
        (summary.violations(), summary.effected, summary.pending),
        (0, 19, 0),
        "{summary}"
    );
    let mut conn = admin(&ctx).await;
    let dlq: Vec<redis::Value> = redis::cmd("XRANGE")
        .arg(ctx.keys.dlq("t1", BILLING))
        .arg("-")
        .arg("+")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(dlq.len(), 1);
    let history = recorder.snapshot();
    let dead: Vec<u64> = history
        .iter()
        .filter_map(|r| match &r.op {
            Op::DeadLetter { deliveries, .. } => Some(*deliveries),
            _ => None,
        })
        .collect();
    assert_eq!(
        dead,
        vec![4],
        "dead-lettered once, on the delivery after the third"
    );
    let poison_id = all[7].id.as_str();
    let delivered = history
        .iter()
        .filter(|r| matches!(&r.op, Op::Deliver { event, .. } if event == poison_id))
        .count();
    let applied = history
        .iter()
        .filter(|r| matches!(&r.op, Op::Effect { event, .. } if event == poison_id))
        .count();
    assert_eq!(
        (delivered, applied),
        (4, 0),
        "three failed deliveries, then the dead letter"
    );
    assert_eq!(ctx.metrics.snapshot().sink_errors, 3);
}

#[tokio::test]
async fn retried_commit_with_the_same_id_yields_one_outbox_entry() {
    let server = RedisServer::start();
    let recorder = Recorder::new();
    let ctx = context(
        &server,
        fast_config(&[BILLING]),
        Failpoints::none(),
        recorder.clone(),
    );
    let ts = tenants(1);
    let d = decision(1, &ts);
    let p0 = Producer::new(&ctx, "producer-0");
    let first = p0.commit(&d).await;
    assert_eq!(first.outcome, CommitOutcome::Committed);
    assert!(first.entry_id.is_some());
    assert_eq!(p0.commit(&d).await.outcome, CommitOutcome::AlreadyCommitted);
    assert_eq!(
        Producer::new(&ctx, "producer-1").commit(&d).await.outcome,
        CommitOutcome::AlreadyCommitted
    );
    let mut conn = admin(&ctx).await;
    let len: u64 = redis::cmd("XLEN")
        .arg(ctx.keys.outbox("t1"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(len, 1);
    let (state, _) = final_state(&ctx, &ts, None).await;
    assert_eq!(state.decisions[&d.id].outbox_entries.len(), 1);
    let commits = recorder
        .snapshot()
        .into_iter()
        .filter(|r| matches!(r.op, Op::Commit { .. }))
        .count();
    assert_eq!(commits, 6, "three invokes, three outcomes");
    // WAIT on a server without replicas: too few acknowledgements make the outcome unknown.
    let config = PipelineConfig {
        wait: Some(WaitConfig {
            replicas: 1,
            timeout_ms: 50,
        }),
        ..fast_config(&[BILLING])
    };
    let waiting = context(&server, config, Failpoints::none(), Recorder::disabled());
    let p2 = Producer::new(&waiting, "producer-2");
    let report = p2.commit(&decision(2, &ts)).await;
    assert_eq!(
        (report.outcome, report.acked_replicas),
        (CommitOutcome::Unknown, Some(0))
    );
    let retry = p2.commit(&decision(2, &ts)).await;
    assert_eq!(
        (retry.outcome, retry.acked_replicas),
        (CommitOutcome::Unknown, Some(0)),
        "found, still not replicated"
    );
}

#[tokio::test]
async fn atomic_sink_dedupes_a_redelivered_entry_and_reloads_a_flushed_script() {
    let server = RedisServer::start();
    let recorder = Recorder::new();
    let ctx = context(
        &server,
        fast_config(&[BILLING]),
        Failpoints::none(),
        recorder.clone(),
    );
    let ts = tenants(1);
    let d = decision(0, &ts);
    Producer::new(&ctx, "producer-0").commit(&d).await;
    let mut conn = admin(&ctx).await;
    let stream = ctx.keys.outbox("t1");
    let _: () = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(&stream)
        .arg(BILLING)
        .arg("0")
        .query_async(&mut conn)
        .await
        .unwrap();
    let read: redis::Value = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg(BILLING)
        .arg("c")
        .arg("STREAMS")
        .arg(&stream)
        .arg(">")
        .query_async(&mut conn)
        .await
        .unwrap();
    let entry_id = outbox_chaos::pipeline::streams::parse_read(read).unwrap()[0].1[0]
        .id
        .clone();
    let sink = Sink::new(&ctx.config, None).unwrap();
    let mut link = ctx.link("tester", Purpose::Commands);
    sink.prepare(&mut link).await.unwrap();
    let item = Item {
        tenant: "t1",
        stream: &stream,
        entry_id: &entry_id,
        event: &d.id,
        object: &d.object,
        amount: &d.payload,
        at_ms: None,
    };
    for flush in [false, true] {
        if flush {
            let _: () = redis::cmd("SCRIPT")
                .arg("FLUSH")
                .query_async(&mut conn)
                .await
                .unwrap();
        }
        let mut env = Env {
            ctx: &ctx,
            link: &mut link,
            process: "tester",
            concern: BILLING,
            consumer: "c",
        };
        sink.apply_batch(&mut env, &[item]).await.unwrap();
    }
    let effects: Vec<(bool, u64)> = recorder
        .snapshot()
        .into_iter()
        .filter_map(|r| match r.op {
            Op::Effect { applied, .. } => Some((applied, 0)),
            Op::Ack { acked, .. } => Some((true, acked)),
            _ => None,
        })
        .collect();
    assert_eq!(
        effects,
        vec![(true, 0), (true, 1), (false, 0), (true, 0)],
        "applied+acked, then deduped+nothing to ack"
    );
    let balance: i64 = redis::cmd("HGET")
        .arg(ctx.keys.ledger("t1", BILLING))
        .arg(&d.object)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(balance.to_string(), d.payload);
}

#[tokio::test]
async fn audit_reports_pending_and_never_delivered_entries() {
    let server = RedisServer::start();
    let ctx = context(
        &server,
        fast_config(&[BILLING]),
        Failpoints::none(),
        Recorder::disabled(),
    );
    let ts = tenants(1);
    commit_all(&ctx, &decisions(5, &ts), 1).await;
    let mut conn = admin(&ctx).await;
    let stream = ctx.keys.outbox("t1");
    let _: () = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(&stream)
        .arg(BILLING)
        .arg("0")
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: redis::Value = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg(BILLING)
        .arg("c")
        .arg("COUNT")
        .arg(2)
        .arg("STREAMS")
        .arg(&stream)
        .arg(">")
        .query_async(&mut conn)
        .await
        .unwrap();
    let (state, summary) = final_state(&ctx, &ts, None).await;
    let group = &state.groups[BILLING];
    assert_eq!(
        group
            .pending
            .iter()
            .map(|p| p.event.clone().unwrap())
            .collect::<Vec<_>>(),
        vec!["d-000000", "d-000001"]
    );
    assert!(group
        .pending
        .iter()
        .all(|p| p.consumer.as_deref() == Some("c")));
    assert_eq!(group.undelivered.len(), 3);
    assert!(group.undelivered.iter().all(|p| p.consumer.is_none()));
    assert_eq!(
        (summary.lost.len(), summary.pending, summary.undelivered),
        (5, 2, 3)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restart_mid_run_loses_nothing_and_applies_nothing_twice() {
    let mut server = RedisServer::start_durable();
    let concerns = ["billing", "notify"];
    let recorder = Recorder::new();
    let ctx = context(
        &server,
        fast_config(&concerns),
        Failpoints::none(),
        recorder.clone(),
    );
    let ts = tenants(2);
    let mut workers = Vec::new();
    for concern in concerns {
        for i in 0..2 {
            workers.push(spawn_worker(&ctx, concern, i, &ts, None));
        }
    }
    let all = decisions(3_000, &ts);
    let producing = {
        let (ctx, all) = (ctx.clone(), all.clone());
        tokio::spawn(async move { commit_all(&ctx, &all, 4).await })
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while ctx.metrics.snapshot().commits < 1_000 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "commits did not start"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::task::block_in_place(|| server.restart());
    producing
        .await
        .expect("producers finished after the restart");
    wait_drained(&ctx, &ts, 60).await;
    for w in workers {
        stop(w).await;
    }
    let (state, summary) = final_state(&ctx, &ts, None).await;
    assert_eq!(
        (summary.decisions, summary.committed, summary.effected),
        (3_000, 3_000, 3_000),
        "{summary}"
    );
    assert_eq!(summary.violations(), 0, "{summary}");
    assert!(
        state
            .decisions
            .values()
            .all(|d| d.outbox_entries.len() == 1),
        "one event per decision"
    );
    let interrupted = |op: &Op| {
        matches!(
            op,
            Op::Commit {
                outcome: Some(CommitOutcome::Failed | CommitOutcome::Unknown),
                ..
            }
        )
    };
    assert!(
        recorder.snapshot().iter().any(|r| interrupted(&r.op)),
        "the restart interrupted no commit"
    );
}

#[tokio::test]
async fn sentinel_resolves_the_primary_and_checks_its_role() {
    let server = RedisServer::start();
    let sentinel = Sentinel::start("mymaster", server.port);
    let sentinels = vec![
        Addr::new("127.0.0.1", 1),
        Addr::new("127.0.0.1", sentinel.port),
    ];
    let target = Target::Sentinels {
        sentinels: sentinels.clone(),
        master: "mymaster".into(),
    };
    let connector = Connector::new(
        Arc::new(TokioDialer),
        target,
        RedisConnectionInfo::default(),
        ConnectConfig::default(),
    );
    let primary = connector
        .resolve_primary(&sentinels, "mymaster")
        .await
        .expect("resolved past a dead sentinel");
    assert_eq!(primary, Addr::new("127.0.0.1", server.port));
    let mut conn = connector
        .connect(Purpose::Commands)
        .await
        .expect("connected to the primary");
    let _: () = redis::cmd("SET")
        .arg("oc:probe")
        .arg("1")
        .query_async(&mut conn)
        .await
        .unwrap();
    let port: u16 = redis::cmd("CONFIG")
        .arg("GET")
        .arg("port")
        .query_async::<Vec<String>>(&mut conn)
        .await
        .unwrap()[1]
        .parse()
        .unwrap();
    assert_eq!(port, server.port);
    let unknown = connector
        .resolve_primary(&sentinels, "nobody")
        .await
        .unwrap_err();
    assert!(
        matches!(unknown, PipelineError::NoPrimary { .. }),
        "{unknown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_command_runs_audits_and_guards_its_prefix() {
    let server = RedisServer::start();
    let args = LoadArgs {
        redis_url: server.url(),
        decisions: 500,
        prefix: "lt:".into(),
        timeout_s: 60,
        ..Default::default()
    };
    let report = load::run(&args).await.expect("load runs");
    assert_eq!(
        (
            report.exit_code(),
            report.effected,
            report.audit.violations()
        ),
        (0, 500, 0),
        "{report}"
    );
    assert!(report.to_string().contains("throughput: "), "{report}");
    let again = load::run(&args).await.unwrap_err();
    assert!(
        matches!(again, LoadError::PrefixInUse { .. }) && again.exit_code() == 2,
        "{again}"
    );
    let api = LoadArgs {
        reuse: true,
        cleanup: true,
        sink: SinkKind::IdempotentApi,
        ..args.clone()
    };
    let report = load::run(&api).await.expect("reused prefix");
    assert_eq!(
        (report.exit_code(), report.effected, report.run),
        (0, 500, 2),
        "{report}"
    );
    assert!(report.cleaned_keys.unwrap() > 0);
    let mut conn = context(
        &server,
        fast_config(&[BILLING]),
        Failpoints::none(),
        Recorder::disabled(),
    )
    .connector
    .connect(Purpose::Commands)
    .await
    .unwrap();
    let left: u64 = redis::cmd("DBSIZE").query_async(&mut conn).await.unwrap();
    assert_eq!(left, 0, "cleanup deletes every key under the prefix");
    let dead = LoadArgs {
        redis_url: "redis://127.0.0.1:1".into(),
        ..args
    };
    let err = load::run(&dead).await.unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("redis://127.0.0.1:1"), "{err}");
}

/// The one Redis ceiling (`load --ceiling` and the container bench both call it): it sends the
/// pipeline's own scripts for every decision and every concern's batches, reports what it sent,
/// and deletes exactly the keys it wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ceiling_sends_the_pipelines_work_and_deletes_only_its_keys() {
    use outbox_chaos::pipeline::ceiling::{self, synthetic_decision, Work};
    let server = RedisServer::start();
    let ctx = context(
        &server,
        fast_config(&[BILLING]),
        Failpoints::none(),
        Recorder::disabled(),
    );
    let mut conn = admin(&ctx).await;
    let _: () = redis::cmd("SET")
        .arg("someone-else:key")
        .arg("kept")
        .query_async(&mut conn)
        .await
        .unwrap();
    let tenants = tenants(2);
    let decisions: Vec<Decision> = (0..200)
        .map(|i| synthetic_decision("c", i, &tenants))
        .collect();
    let concerns = vec![BILLING.to_string(), "crm".to_string()];
    let work = Work {
        prefix: "ct:",
        decisions: &decisions,
        tenants: &tenants,
        concerns: &concerns,
        producers: 3,
        workers: 4,
        apply_batch: 16,
    };
    let c = ceiling::measure(&ctx.connector, &work)
        .await
        .expect("ceiling");
    // 100 entries per tenant in batches of 16: 7 effect calls per (concern, tenant).
    assert_eq!(
        (c.decisions, c.concerns, c.calls),
        (200, 2, 200 + 2 * 2 * 7)
    );
    assert!(
        c.decisions_per_s > 0.0 && c.round_trips >= c.calls / 16,
        "{c:?}"
    );
    assert!(c.describe().contains("decisions/s"), "{}", c.describe());
    let left: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, vec!["someone-else:key".to_string()]);
}
