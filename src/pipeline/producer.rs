//! The producer: commits a decision's state change and its outbox event atomically.
//!
//! One Lua script sets the decision's idempotency marker (SET NX, its value records the state
//! change), writes the business object (HSET with the version) and appends the outbox entry
//! (XADD, event id = decision id). A retry reuses the decision id, so it finds the marker and
//! reports `AlreadyCommitted` instead of writing a second event. The outcome separates
//! `Failed` (definitely not applied) from `Unknown` (sent, no answer), which the history needs.
//!
//! The `dual-write` variant is the planted bug: state in one round trip, event in a second. It
//! must never be "fixed" here: a retry that finds its marker reports `AlreadyCommitted` and does
//! not append the missing event, which is exactly the bug the torn checker must find.

use std::future::Future;
use std::time::Duration;

use futures_util::stream::{FuturesOrdered, StreamExt};
use redis::aio::MultiplexedConnection;
use redis::Value;
use serde::{Deserialize, Serialize};

use crate::history::{CommitOutcome, Op, Phase};
use crate::pipeline::config::Variant;
use crate::pipeline::connector::{Purpose, SharedLink};
use crate::pipeline::error::{PipelineError, Retry};
use crate::pipeline::failpoint::{PRODUCER_AFTER_STATE, PRODUCER_BEFORE_COMMIT};
use crate::pipeline::keys::{check_name, field, Keys};
use crate::pipeline::metrics::Counter;
use crate::pipeline::script::LuaScript;
use crate::pipeline::streams::as_string;
use crate::pipeline::Context;

/// KEYS: marker, object, outbox. ARGV: event, type, tenant, object, version, payload, at-ms,
/// marker value, touch (0|1). Returns `{1, entry id}` when committed, `{0, ""}` when the marker
/// existed. With `touch`, a retry that finds the marker rewrites it (same value): a write of this
/// connection, so a WAIT after it covers the replication offset of the earlier commit too.
pub(crate) const COMMIT_LUA: &str = r#"
if not redis.call('SET', KEYS[1], ARGV[8], 'NX') then
  if ARGV[9] == '1' then
    redis.call('SET', KEYS[1], ARGV[8])
  end
  return {0, ''}
end
redis.call('HSET', KEYS[2], 'version', ARGV[5], 'decision', ARGV[1], 'payload', ARGV[6])
local id = redis.call('XADD', KEYS[3], '*', 'event', ARGV[1], 'type', ARGV[2], 'tenant', ARGV[3],
  'object', ARGV[4], 'version', ARGV[5], 'payload', ARGV[6], 'at-ms', ARGV[7])
return {1, id}
"#;

/// dual-write's first round trip. KEYS: marker, object. ARGV: marker value, version, event,
/// payload. Returns 1 when written, 0 when the marker existed.
const STATE_LUA: &str = r#"
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  return 0
end
redis.call('HSET', KEYS[2], 'version', ARGV[2], 'decision', ARGV[3], 'payload', ARGV[4])
return 1
"#;

/// A business decision, with a deterministic id given by the workload (`d-000123`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub id: String,
    pub tenant: String,
    pub object: String,
    pub version: u64,
    /// The event type.
    pub kind: String,
    /// The effect's amount; a non-integer payload is a poison entry for every sink.
    pub payload: String,
}

impl Decision {
    fn check(&self) {
        for (what, name) in [
            ("decision id", &self.id),
            ("tenant", &self.tenant),
            ("object", &self.object),
        ] {
            if let Err(why) = check_name(name) {
                panic!("{what} `{name}` {why}");
            }
        }
    }

    /// The marker's value: which state change this decision made.
    pub fn marker_value(&self) -> String {
        format!("{}@{}", self.object, self.version)
    }
}

/// What one commit attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitReport {
    pub outcome: CommitOutcome,
    /// Replicas that acknowledged the WAIT, when configured.
    pub acked_replicas: Option<u64>,
    /// The outbox entry's id, when this attempt wrote it.
    pub entry_id: Option<String>,
    /// The error behind `Failed` or `Unknown`.
    pub error: Option<String>,
    /// The server's error code when it refused the commit before running it (`Failed`).
    pub refused: Option<String>,
    retry: Option<Retry>,
}

impl CommitReport {
    fn ok(outcome: CommitOutcome, entry_id: Option<String>) -> CommitReport {
        CommitReport {
            outcome,
            acked_replicas: None,
            entry_id,
            error: None,
            refused: None,
            retry: None,
        }
    }

    pub fn is_known(&self) -> bool {
        matches!(
            self.outcome,
            CommitOutcome::Committed | CommitOutcome::AlreadyCommitted
        )
    }
}

/// Counts of a producer's final outcomes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerSummary {
    pub committed: u64,
    pub already_committed: u64,
    pub failed: u64,
    pub unknown: u64,
}

/// One producer task. Its commits share one multiplexed connection: with `in-flight` above 1,
/// [`Producer::commit_window`] keeps that many decisions in flight (the connection pipelines
/// them), each one's attempts and history records exactly those of a lone commit.
pub struct Producer {
    ctx: Context,
    process: String,
    link: SharedLink,
    commit_script: LuaScript,
    state_script: LuaScript,
}

impl Producer {
    /// `process` names the task in the history (`producer-0`).
    pub fn new(ctx: &Context, process: &str) -> Producer {
        Producer {
            ctx: ctx.clone(),
            process: process.to_string(),
            link: SharedLink::new(ctx.link(process, Purpose::Commands)),
            commit_script: LuaScript::new("commit", COMMIT_LUA),
            state_script: LuaScript::new("dual-write-state", STATE_LUA),
        }
    }

    pub fn process(&self) -> &str {
        &self.process
    }

    /// Commits every decision, retrying each until its outcome is known (or attempts run out).
    /// Restartable: a restart re-commits from the start and earlier commits answer
    /// `AlreadyCommitted`.
    pub async fn run(self, decisions: impl IntoIterator<Item = Decision>) -> ProducerSummary {
        let mut summary = ProducerSummary::default();
        let mut decisions = decisions.into_iter();
        let next = |_| decisions.next().map(|d| ((), d, std::future::ready(())));
        let known = |(), report: CommitReport| match report.outcome {
            CommitOutcome::Committed => summary.committed += 1,
            CommitOutcome::AlreadyCommitted => summary.already_committed += 1,
            CommitOutcome::Failed => summary.failed += 1,
            CommitOutcome::Unknown => summary.unknown += 1,
        };
        self.commit_window(next, known).await;
        summary
    }

    /// Commits until known every decision `next` hands out, with up to `in-flight` of them
    /// outstanding, and hands each outcome to `known` in the order `next` gave the decisions (so a
    /// caller can confirm progress in order). `next(n)` is asked for the decision after the `n`
    /// in flight; each comes with a future that says when it is due (awaited inside its slot).
    /// With `in-flight` 1 this is the sequential loop: next, wait, commit until known, report.
    /// A drop (a crash) loses what was in flight; the caller re-offers it after a restart and
    /// earlier commits answer `AlreadyCommitted`.
    pub async fn commit_window<T, W: Future<Output = ()>>(
        &self,
        mut next: impl FnMut(usize) -> Option<(T, Decision, W)>,
        mut known: impl FnMut(T, CommitReport),
    ) {
        let window = self.ctx.config.in_flight.max(1) as usize;
        let mut flying = FuturesOrdered::new();
        loop {
            while flying.len() < window {
                let Some((tag, d, due)) = next(flying.len()) else {
                    break;
                };
                flying.push_back(async move {
                    due.await;
                    (tag, self.commit_until_known(&d).await)
                });
            }
            let Some((tag, report)) = flying.next().await else {
                return;
            };
            known(tag, report);
        }
    }

    /// Retries with the same decision id, backing off, until the outcome is known, the error
    /// cannot be retried, or `commit-attempts-max` attempts were made.
    pub async fn commit_until_known(&self, d: &Decision) -> CommitReport {
        let attempts_max = self.ctx.config.commit_attempts_max.max(1);
        let mut report = self.commit(d).await;
        for _ in 1..attempts_max {
            if report.is_known() || report.retry == Some(Retry::Never) {
                break;
            }
            self.link.pause().await;
            report = self.commit(d).await;
        }
        if report.is_known() {
            self.link.succeeded();
        }
        report
    }

    /// One attempt, recorded in the history as invoke and ok / fail / info.
    pub async fn commit(&self, d: &Decision) -> CommitReport {
        d.check();
        let ctx = self.ctx.clone();
        ctx.failpoints
            .hit(PRODUCER_BEFORE_COMMIT, &self.process, &ctx.recorder)
            .await;
        self.record(d, Phase::Invoke, None);
        let (report, wrote_on) = match ctx.config.variant {
            Variant::DualWrite => (self.dual_write(d).await, None),
            _ => self.atomic_write(d).await,
        };
        let report = self.wait_replicas(report, wrote_on).await;
        let phase = match report.outcome {
            CommitOutcome::Committed | CommitOutcome::AlreadyCommitted => Phase::Ok,
            CommitOutcome::Failed => Phase::Fail,
            CommitOutcome::Unknown => Phase::Info,
        };
        self.record(d, phase, Some(&report));
        if report.outcome == CommitOutcome::Committed {
            ctx.metrics.add(Counter::Commits, 1);
            ctx.metrics.add(Counter::Xadds, 1);
        }
        report
    }

    /// The invocation (`report` None) or the completion of one attempt.
    fn record(&self, d: &Decision, phase: Phase, report: Option<&CommitReport>) {
        let op = Op::Commit {
            event: d.id.clone(),
            tenant: d.tenant.clone(),
            object: d.object.clone(),
            version: d.version,
            outcome: report.map(|r| r.outcome),
            acked_replicas: report.and_then(|r| r.acked_replicas),
            entry_id: report.and_then(|r| r.entry_id.clone()),
            refused: report.and_then(|r| r.refused.clone()),
        };
        self.ctx.recorder.record(&self.process, phase, op);
    }

    /// The commit script's report, and the connection it was sent on (for the WAIT after it).
    async fn atomic_write(&self, d: &Decision) -> (CommitReport, Option<MultiplexedConnection>) {
        let at_ms = self.ctx.metrics.now_ms();
        let touch = self.ctx.config.wait.is_some();
        let ([marker, object, outbox], args) = commit_call(&self.ctx.keys, d, at_ms, touch);
        let args = args.each_ref().map(String::as_str);
        let mut conn = match self.link.conn().await {
            Ok(conn) => conn,
            Err(e) => return (self.failed(e, false), None),
        };
        let report = match self
            .commit_script
            .invoke(&mut conn, &[&marker, &object, &outbox], &args)
            .await
        {
            Ok(reply) => parse_commit_reply(&reply).unwrap_or_else(|e| self.failed(e, true)),
            Err(e) => self.failed(e, true),
        };
        (report, Some(conn))
    }

    async fn dual_write(&self, d: &Decision) -> CommitReport {
        let keys = &self.ctx.keys;
        let (marker, object) = (
            keys.decision(&d.tenant, &d.id),
            keys.object(&d.tenant, &d.object),
        );
        let (marker_value, version) = (d.marker_value(), d.version.to_string());
        let mut conn = match self.link.conn().await {
            Ok(conn) => conn,
            Err(e) => return self.failed(e, false),
        };
        let args = [&marker_value, &version, &d.id, &d.payload].map(String::as_str);
        match self
            .state_script
            .invoke(&mut conn, &[&marker, &object], &args)
            .await
        {
            Ok(Value::Int(1)) => {}
            // The bug: the marker says "done", so the event a crash may have lost stays lost.
            Ok(Value::Int(0)) => return CommitReport::ok(CommitOutcome::AlreadyCommitted, None),
            Ok(other) => {
                return self.failed(
                    PipelineError::reply("dual-write state", format!("{other:?}")),
                    true,
                )
            }
            Err(e) => return self.failed(e, true),
        }
        let state = Op::StateWritten {
            event: d.id.clone(),
            tenant: d.tenant.clone(),
            object: d.object.clone(),
            version: d.version,
        };
        self.ctx.recorder.record(&self.process, Phase::Event, state);
        let ctx = self.ctx.clone();
        ctx.failpoints
            .hit(PRODUCER_AFTER_STATE, &self.process, &ctx.recorder)
            .await;
        match self.append_event(d).await {
            Ok(id) => CommitReport::ok(CommitOutcome::Committed, Some(id)),
            // The state is in Redis whatever happened to the event: never `Failed`.
            Err(e) => self.failed(e, true),
        }
    }

    /// dual-write's second round trip: the outbox entry alone.
    async fn append_event(&self, d: &Decision) -> Result<String, PipelineError> {
        let outbox = self.ctx.keys.outbox(&d.tenant);
        let at_ms = self.ctx.metrics.now_ms();
        let mut conn = self.link.conn().await?;
        let mut cmd = redis::cmd("XADD");
        cmd.arg(outbox).arg("*");
        cmd.arg(field::EVENT)
            .arg(&d.id)
            .arg(field::TYPE)
            .arg(&d.kind);
        cmd.arg(field::TENANT)
            .arg(&d.tenant)
            .arg(field::OBJECT)
            .arg(&d.object);
        cmd.arg(field::VERSION)
            .arg(d.version)
            .arg(field::PAYLOAD)
            .arg(&d.payload)
            .arg(field::AT_MS)
            .arg(at_ms);
        let id: String = cmd.query_async(&mut conn).await?;
        Ok(id)
    }

    /// `Failed` when nothing was sent or the server refused before running anything; otherwise
    /// `Unknown`. Drops the connection when the error says so.
    fn failed(&self, e: PipelineError, sent: bool) -> CommitReport {
        let outcome = if !sent || e.definitely_not_applied() {
            CommitOutcome::Failed
        } else {
            CommitOutcome::Unknown
        };
        let retry = self.link.note_error(&e);
        let refused = match (outcome, e.code()) {
            (CommitOutcome::Failed, Some(code)) if sent => Some(code.to_string()),
            _ => None,
        };
        CommitReport {
            outcome,
            acked_replicas: None,
            entry_id: None,
            error: Some(e.to_string()),
            refused,
            retry: Some(retry),
        }
    }

    /// WAIT after a commit, or after a retry that found it committed; too few acknowledgements
    /// make the outcome `Unknown`: a failover may still lose the write.
    ///
    /// WAIT counts replicas that reached *its connection's* last write, so it goes on the
    /// connection the commit went on (`wrote_on`). With commits in flight another one's error may
    /// have replaced the link's connection meanwhile, with one to a new primary where this
    /// connection wrote nothing: a WAIT there returns at once with every replica and would call
    /// a commit the isolated old primary took safe (the batched `failover-wait` sweep lost
    /// acknowledged commits that way).
    async fn wait_replicas(
        &self,
        mut report: CommitReport,
        wrote_on: Option<MultiplexedConnection>,
    ) -> CommitReport {
        let Some(wait) = self.ctx.config.wait else {
            return report;
        };
        if !report.is_known() {
            return report;
        }
        let margin_ms = self.ctx.connector.config().block_margin_ms;
        let conn = match wrote_on {
            Some(conn) => Ok(conn),
            None => self.link.conn().await,
        };
        let acked = match conn {
            Ok(mut waiting) => {
                waiting.set_response_timeout(Duration::from_millis(wait.timeout_ms + margin_ms));
                let cmd = redis::cmd("WAIT")
                    .arg(wait.replicas)
                    .arg(wait.timeout_ms)
                    .to_owned();
                cmd.query_async::<u64>(&mut waiting)
                    .await
                    .map_err(PipelineError::from)
            }
            Err(e) => Err(e),
        };
        match acked {
            Ok(n) => {
                report.acked_replicas = Some(n);
                if n < wait.replicas {
                    report.outcome = CommitOutcome::Unknown;
                }
            }
            Err(e) => {
                report.outcome = CommitOutcome::Unknown;
                report.retry = Some(self.link.note_error(&e));
                report.error = Some(e.to_string());
            }
        }
        report
    }
}

/// The keys (marker, object, outbox) and arguments of one [`COMMIT_LUA`] call.
pub(crate) fn commit_call(
    keys: &Keys,
    d: &Decision,
    at_ms: u64,
    touch: bool,
) -> ([String; 3], [String; 9]) {
    let keys = [
        keys.decision(&d.tenant, &d.id),
        keys.object(&d.tenant, &d.object),
        keys.outbox(&d.tenant),
    ];
    let args = [
        d.id.clone(),
        d.kind.clone(),
        d.tenant.clone(),
        d.object.clone(),
        d.version.to_string(),
        d.payload.clone(),
        at_ms.to_string(),
        d.marker_value(),
        if touch { "1" } else { "0" }.to_string(),
    ];
    (keys, args)
}

fn parse_commit_reply(reply: &Value) -> Result<CommitReport, PipelineError> {
    let unexpected = || {
        PipelineError::reply(
            "commit script",
            format!("expected {{0|1, id}}, got {reply:?}"),
        )
    };
    let Value::Array(parts) = reply else {
        return Err(unexpected());
    };
    match (parts.first(), parts.get(1).and_then(as_string)) {
        (Some(Value::Int(1)), Some(id)) => Ok(CommitReport::ok(CommitOutcome::Committed, Some(id))),
        (Some(Value::Int(0)), _) => Ok(CommitReport::ok(CommitOutcome::AlreadyCommitted, None)),
        _ => Err(unexpected()),
    }
}
