//! Consumer-group workers: one group per downstream concern, many workers per group.
//!
//! A worker creates its group on every tenant stream (XGROUP CREATE … MKSTREAM, BUSYGROUP
//! tolerated), re-reads its own pending entries after a (re)start, reads new entries with
//! XREADGROUP (COUNT, BLOCK, on a connection of its own), reclaims entries idle longer than
//! `min-idle-ms` with XAUTOCLAIM, dead-letters an entry delivered more than `max-deliveries` times
//! (XACK and XADD to the dead-letter stream in one script), and sends every other entry through
//! its [`Sink`], `apply-batch` entries of one read per sink call (one script for the whole batch
//! with the `atomic` sink). Reclaims run every `reclaim-interval-ms`, not on every read, so the hot
//! path is one XREADGROUP and one script call per batch. Errors go through [`Link::recover`]: one classification decides reconnect,
//! retry, back off or stop.
//!
//! A worker keeps nothing that matters in memory: dropped at any await and started again under
//! the same name, it resumes from Redis's state alone. It must never acknowledge an entry it did
//! not apply, dead-letter or find deleted (the `ack-first` variant excepted, on purpose).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use redis::Value;

use crate::history::{Op, Phase};
use crate::pipeline::config::Variant;
use crate::pipeline::connector::{Link, Purpose};
use crate::pipeline::downstream::Downstream;
use crate::pipeline::error::{PipelineError, Retry};
use crate::pipeline::failpoint::CONSUMER_AFTER_READ;
use crate::pipeline::keys::{check_name, field};
use crate::pipeline::metrics::Counter;
use crate::pipeline::script::LuaScript;
use crate::pipeline::sink::{Env, Item, Sink};
use crate::pipeline::streams::{self, Entry, EntryId, PAGES_MAX, PAGE_COUNT};
use crate::pipeline::Context;

/// KEYS: stream, dead-letter stream. ARGV: group, entry id, deliveries, event, tenant, object,
/// version, payload, type. XACK and XADD together, and XADD only if this call acked the entry,
/// so racing workers dead-letter an entry once.
const DEAD_LETTER_LUA: &str = r#"
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if acked == 1 then
  redis.call('XADD', KEYS[2], '*', 'event', ARGV[4], 'entry-id', ARGV[2], 'group', ARGV[1],
    'deliveries', ARGV[3], 'tenant', ARGV[5], 'object', ARGV[6], 'version', ARGV[7],
    'payload', ARGV[8], 'type', ARGV[9])
end
return acked
"#;

/// XAUTOCLAIM pages per stream and reclaim round.
const RECLAIM_PAGES_MAX: usize = 64;

/// One worker of one concern's consumer group.
pub struct Worker {
    ctx: Context,
    concern: String,
    consumer: String,
    process: String,
    tenants: Vec<String>,
    streams: Vec<String>,
    sink: Sink,
    dead_letter: LuaScript,
    cmd: Link,
    block: Link,
    groups_ready: bool,
    reread_own: bool,
    next_reclaim: tokio::time::Instant,
}

impl Worker {
    /// Worker `index` of `concern`: consumer `<concern>-<index>`, process
    /// `worker-<concern>-<index>`. `downstream` is needed by the `idempotent-api` sink only.
    pub fn new(
        ctx: &Context,
        concern: &str,
        index: usize,
        tenants: &[String],
        downstream: Option<Arc<dyn Downstream>>,
    ) -> Result<Worker, PipelineError> {
        if !ctx.config.concerns.iter().any(|c| c == concern) {
            return Err(PipelineError::Config(format!(
                "concern `{concern}` is not configured"
            )));
        }
        if let Some(bad) = tenants.iter().find(|t| check_name(t).is_err()) {
            return Err(PipelineError::Config(format!("bad tenant name `{bad}`")));
        }
        let consumer = format!("{concern}-{index}");
        let process = format!("worker-{consumer}");
        let block_ms = ctx.config.block_ms;
        Ok(Worker {
            sink: Sink::new(&ctx.config, downstream)?,
            dead_letter: LuaScript::new("dead-letter", DEAD_LETTER_LUA),
            cmd: ctx.link(&process, Purpose::Commands),
            block: ctx.link(&process, Purpose::Blocking { block_ms }),
            streams: tenants.iter().map(|t| ctx.keys.outbox(t)).collect(),
            tenants: tenants.to_vec(),
            ctx: ctx.clone(),
            concern: concern.to_string(),
            consumer,
            process,
            groups_ready: false,
            reread_own: ctx.config.variant != Variant::NoReclaim,
            next_reclaim: tokio::time::Instant::now(),
        })
    }

    pub fn process(&self) -> &str {
        &self.process
    }

    fn reclaims(&self) -> bool {
        self.ctx.config.variant != Variant::NoReclaim
    }

    /// Works until dropped, or until an error that no retry can fix.
    pub async fn run(mut self) -> Result<(), PipelineError> {
        loop {
            match self.step().await {
                Ok(()) => {
                    self.cmd.succeeded();
                    self.block.succeeded();
                }
                Err(e) => self.recover(e).await?,
            }
        }
    }

    async fn recover(&mut self, e: PipelineError) -> Result<(), PipelineError> {
        match self.cmd.recover(&e).await {
            Retry::Reconnect => {
                // Both links likely point at the same dead or demoted server.
                self.block.note_error(&e);
                self.reread_own = self.reclaims();
                // A restarted server without persistence lost groups and scripts.
                self.groups_ready = false;
            }
            Retry::RetryNow => self.groups_ready = false,
            Retry::WaitAndRetry => {}
            Retry::Never => return Err(e),
        }
        Ok(())
    }

    /// One round: setup if needed, own pending if needed, reclaim if due, one read.
    async fn step(&mut self) -> Result<(), PipelineError> {
        if !self.groups_ready {
            self.ensure_groups().await?;
            self.sink.prepare(&mut self.cmd).await?;
            self.dead_letter.load(self.cmd.conn().await?).await?;
            self.groups_ready = true;
        }
        if self.reread_own {
            for t in 0..self.streams.len() {
                self.read_own_pending(t).await?;
            }
            self.reread_own = false;
        }
        if self.reclaims() && tokio::time::Instant::now() >= self.next_reclaim {
            for t in 0..self.streams.len() {
                self.reclaim(t).await?;
            }
            self.next_reclaim = tokio::time::Instant::now()
                + Duration::from_millis(self.ctx.config.reclaim_interval_ms);
        }
        for (t, entries) in self.read_new().await? {
            let fresh = entries.into_iter().map(|e| (e, 1)).collect();
            self.handle_batch(t, fresh, false).await?;
        }
        Ok(())
    }

    async fn ensure_groups(&mut self) -> Result<(), PipelineError> {
        let conn = self.cmd.conn().await?;
        for stream in &self.streams {
            let created = redis::cmd("XGROUP")
                .arg("CREATE")
                .arg(stream)
                .arg(&self.concern)
                .arg("0")
                .arg("MKSTREAM")
                .query_async::<Value>(conn)
                .await;
            match created {
                Err(e) if e.code() == Some("BUSYGROUP") => {}
                other => {
                    other?;
                }
            }
        }
        Ok(())
    }

    /// New entries of every tenant stream, blocking up to `block-ms`, per stream.
    async fn read_new(&mut self) -> Result<Vec<(usize, Vec<Entry>)>, PipelineError> {
        let mut cmd = redis::cmd("XREADGROUP");
        cmd.arg("GROUP").arg(&self.concern).arg(&self.consumer);
        cmd.arg("COUNT")
            .arg(self.ctx.config.read_count)
            .arg("BLOCK")
            .arg(self.ctx.config.block_ms);
        cmd.arg("STREAMS").arg(&self.streams);
        for _ in &self.streams {
            cmd.arg(">");
        }
        let reply: Value = cmd.query_async(self.block.conn().await?).await?;
        let mut out = Vec::new();
        for (key, entries) in streams::parse_read(reply)? {
            out.push((self.stream_index(&key)?, entries));
        }
        Ok(out)
    }

    fn stream_index(&self, key: &str) -> Result<usize, PipelineError> {
        let found = self.streams.iter().position(|s| s == key);
        found.ok_or_else(|| PipelineError::reply("XREADGROUP", format!("unasked stream `{key}`")))
    }

    /// This consumer's own pending entries of stream `t` (after a restart or a lost connection).
    async fn read_own_pending(&mut self, t: usize) -> Result<(), PipelineError> {
        let mut start = "0".to_string();
        for _ in 0..PAGES_MAX {
            let mut cmd = redis::cmd("XREADGROUP");
            cmd.arg("GROUP")
                .arg(&self.concern)
                .arg(&self.consumer)
                .arg("COUNT")
                .arg(self.ctx.config.read_count);
            cmd.arg("STREAMS").arg(&self.streams[t]).arg(&start);
            let reply: Value = cmd.query_async(self.cmd.conn().await?).await?;
            let entries: Vec<Entry> = streams::parse_read(reply)?
                .into_iter()
                .flat_map(|(_, e)| e)
                .collect();
            let Some(last) = entries.last() else {
                return Ok(());
            };
            start = last.id.clone();
            let batch = self.with_delivery_counts(t, entries).await?;
            self.handle_batch(t, batch, true).await?;
        }
        Err(PipelineError::too_many_pages(
            format!("{}: own pending entries", self.process),
            PAGES_MAX,
        ))
    }

    /// XAUTOCLAIM every entry of stream `t` idle longer than `min-idle-ms`.
    async fn reclaim(&mut self, t: usize) -> Result<(), PipelineError> {
        let mut cursor = "0-0".to_string();
        for _ in 0..RECLAIM_PAGES_MAX {
            let mut cmd = redis::cmd("XAUTOCLAIM");
            cmd.arg(&self.streams[t])
                .arg(&self.concern)
                .arg(&self.consumer)
                .arg(self.ctx.config.min_idle_ms);
            cmd.arg(&cursor)
                .arg("COUNT")
                .arg(self.ctx.config.read_count);
            let claim = streams::parse_autoclaim(cmd.query_async(self.cmd.conn().await?).await?)?;
            if !claim.deleted.is_empty() {
                let op = Op::ClaimedDeleted {
                    concern: self.concern.clone(),
                    entry_ids: claim.deleted,
                };
                self.ctx.recorder.record(&self.process, Phase::Event, op);
            }
            let batch = self.with_delivery_counts(t, claim.claimed).await?;
            self.handle_batch(t, batch, true).await?;
            if claim.next == "0-0" {
                return Ok(());
            }
            cursor = claim.next;
        }
        Ok(())
    }

    /// `entries` (all in this consumer's PEL) with their delivery counts.
    async fn with_delivery_counts(
        &mut self,
        t: usize,
        entries: Vec<Entry>,
    ) -> Result<Vec<(Entry, u64)>, PipelineError> {
        let counts = self.delivery_counts(t, &entries).await?;
        Ok(entries
            .into_iter()
            .map(|e| {
                let deliveries = counts.get(&e.id).copied().unwrap_or(1);
                (e, deliveries)
            })
            .collect())
    }

    /// Delivery counts of `entries` (all in this consumer's PEL), from extended XPENDING.
    async fn delivery_counts(
        &mut self,
        t: usize,
        entries: &[Entry],
    ) -> Result<BTreeMap<String, u64>, PipelineError> {
        let mut counts = BTreeMap::new();
        let ids: Vec<EntryId> = entries
            .iter()
            .map(|e| e.id.parse())
            .collect::<Result<_, _>>()?;
        let (Some(first), Some(last)) = (ids.iter().min().copied(), ids.iter().max().copied())
        else {
            return Ok(counts);
        };
        let mut start = first;
        for _ in 0..PAGES_MAX {
            let (stream, group, consumer) =
                (&self.streams[t], &self.concern, self.consumer.as_str());
            let conn = self.cmd.conn().await?;
            let page = streams::pending_range(
                conn,
                stream,
                group,
                (start, last),
                PAGE_COUNT,
                Some(consumer),
            )
            .await?;
            let full = page.len() as u64 == PAGE_COUNT;
            let next = page.last().map(|p| p.id.parse::<EntryId>()).transpose()?;
            counts.extend(page.into_iter().map(|p| (p.id, p.deliveries)));
            match next {
                Some(id) if full => start = id.next(),
                _ => return Ok(counts),
            }
        }
        Err(PipelineError::too_many_pages(
            format!("{}: XPENDING", self.process),
            PAGES_MAX,
        ))
    }

    /// Delivered entries of stream `t` (with their delivery counts), `apply-batch` at a time:
    /// each entry of a batch is recorded and passes its failpoint, then is dropped (deleted),
    /// dead-lettered, counted as poison or kept; the kept ones go through the sink together.
    async fn handle_batch(
        &mut self,
        t: usize,
        entries: Vec<(Entry, u64)>,
        reclaimed: bool,
    ) -> Result<(), PipelineError> {
        let size = usize::try_from(self.ctx.config.apply_batch.max(1)).unwrap_or(usize::MAX);
        for batch in entries.chunks(size) {
            let mut kept = Vec::with_capacity(batch.len());
            for (entry, deliveries) in batch {
                if let Some(event) = self.deliver(t, entry, *deliveries, reclaimed).await? {
                    kept.push((entry, event));
                }
            }
            self.apply(t, &kept).await?;
        }
        Ok(())
    }

    /// One delivered entry: drop it if deleted; else record it, then dead-letter it or hand back
    /// its event for the sink (`None` when there is nothing to apply).
    async fn deliver(
        &mut self,
        t: usize,
        entry: &Entry,
        deliveries: u64,
        reclaimed: bool,
    ) -> Result<Option<String>, PipelineError> {
        if entry.fields.is_none() {
            // Trimmed or deleted while pending: its event is unknown, so there is no delivery of
            // an event to record, only the disappearance.
            self.drop_deleted(t, entry).await?;
            return Ok(None);
        }
        let event = entry.field(field::EVENT).unwrap_or_default().to_string();
        let op = Op::Deliver {
            concern: self.concern.clone(),
            event: event.clone(),
            entry_id: entry.id.clone(),
            consumer: self.consumer.clone(),
            reclaimed,
        };
        self.ctx.recorder.record(&self.process, Phase::Event, op);
        self.ctx.metrics.add(Counter::Deliveries, 1);
        if reclaimed {
            self.ctx.metrics.add(Counter::Reclaims, 1);
        }
        let ctx = self.ctx.clone();
        ctx.failpoints
            .hit(CONSUMER_AFTER_READ, &self.process, &ctx.recorder)
            .await;
        if deliveries > self.ctx.config.max_deliveries {
            self.move_to_dead_letter(t, entry, deliveries).await?;
            return Ok(None);
        }
        if entry.field(field::OBJECT).is_none() || entry.field(field::PAYLOAD).is_none() {
            // Without these fields no sink can apply it: poison.
            self.sink_failed();
            return Ok(None);
        }
        Ok(Some(event))
    }

    /// The kept entries of one batch of stream `t`, through the sink in one call.
    async fn apply(&mut self, t: usize, kept: &[(&Entry, String)]) -> Result<(), PipelineError> {
        if kept.is_empty() {
            return Ok(());
        }
        let (tenant, stream) = (self.tenants[t].clone(), self.streams[t].clone());
        let items: Vec<Item<'_>> = kept
            .iter()
            .map(|(entry, event)| Item {
                tenant: &tenant,
                stream: &stream,
                entry_id: &entry.id,
                event,
                object: entry.field(field::OBJECT).unwrap_or_default(),
                amount: entry.field(field::PAYLOAD).unwrap_or_default(),
                at_ms: entry.field(field::AT_MS).and_then(|v| v.parse().ok()),
            })
            .collect();
        let mut env = Env {
            ctx: &self.ctx,
            link: &mut self.cmd,
            process: &self.process,
            concern: &self.concern,
            consumer: &self.consumer,
        };
        match self.sink.apply_batch(&mut env, &items).await {
            // Refused for good as a whole (a poison entry alone is counted by the sink): counted,
            // left pending for the reclaims to count its deliveries until it is dead-lettered.
            Err(e) if e.retry() == Retry::Never => {
                self.sink_failed();
                Ok(())
            }
            other => other,
        }
    }

    /// A poison entry: counted, and left pending for the reclaims to count its deliveries.
    fn sink_failed(&self) {
        self.ctx.metrics.add(Counter::SinkErrors, 1);
    }

    /// A pending entry that is no longer in the stream (trimmed or deleted): nothing can apply it;
    /// acknowledge it so the group is not stuck on it. The loss is the history's to judge.
    async fn drop_deleted(&mut self, t: usize, entry: &Entry) -> Result<(), PipelineError> {
        let op = Op::ClaimedDeleted {
            concern: self.concern.clone(),
            entry_ids: vec![entry.id.clone()],
        };
        self.ctx.recorder.record(&self.process, Phase::Event, op);
        let conn = self.cmd.conn().await?;
        let _acked: u64 = redis::cmd("XACK")
            .arg(&self.streams[t])
            .arg(&self.concern)
            .arg(&entry.id)
            .query_async(conn)
            .await?;
        Ok(())
    }

    async fn move_to_dead_letter(
        &mut self,
        t: usize,
        entry: &Entry,
        deliveries: u64,
    ) -> Result<(), PipelineError> {
        let tenant = &self.tenants[t];
        let (stream, dlq) = (
            self.streams[t].clone(),
            self.ctx.keys.dlq(tenant, &self.concern),
        );
        let get = |name: &str| entry.field(name).unwrap_or_default();
        let deliveries_text = deliveries.to_string();
        let args = [
            self.concern.as_str(),
            entry.id.as_str(),
            deliveries_text.as_str(),
            get(field::EVENT),
            tenant.as_str(),
            get(field::OBJECT),
            get(field::VERSION),
            get(field::PAYLOAD),
            get(field::TYPE),
        ];
        let reply = self
            .dead_letter
            .invoke(self.cmd.conn().await?, &[&stream, &dlq], &args)
            .await?;
        if streams::as_u64(&reply) == Some(1) {
            let op = Op::DeadLetter {
                concern: self.concern.clone(),
                event: get(field::EVENT).to_string(),
                entry_id: entry.id.clone(),
                deliveries,
            };
            self.ctx.recorder.record(&self.process, Phase::Event, op);
            self.ctx.metrics.add(Counter::DeadLetters, 1);
        }
        Ok(())
    }
}
