//! Retention: trims each tenant's outbox of entries that every group has acknowledged.
//!
//! The cut is `XTRIM MINID` at the oldest id any group still owes: its oldest pending entry, or
//! the first entry after its last-delivered id. Reading the groups and trimming are two round
//! trips, and that is safe because the owed minimum only grows in between: acks remove pending
//! entries, and new deliveries add pending ids above the old last-delivered id. The one thing that
//! could lower it, a group created later at id 0, is excluded by refusing to trim a stream until
//! every configured concern has its group there.
//!
//! The trimmer must never remove an entry some group has not acknowledged; the `unsafe-trim`
//! variant does exactly that on purpose (it ignores pending entries).

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::Value;

use crate::history::{Op, Phase};
use crate::pipeline::config::Variant;
use crate::pipeline::connector::{Link, Purpose};
use crate::pipeline::error::{PipelineError, Retry};
use crate::pipeline::metrics::Counter;
use crate::pipeline::streams::{self, as_string, EntryId};
use crate::pipeline::Context;

/// The trimmer task.
pub struct Trimmer {
    ctx: Context,
    process: String,
    tenants: Vec<String>,
    link: Link,
}

/// The trimmer's process name in the history: its host's in the simulation, its task's in the
/// container world.
pub const PROCESS: &str = "trimmer";

impl Trimmer {
    pub fn new(ctx: &Context, tenants: &[String]) -> Trimmer {
        let process = PROCESS.to_string();
        Trimmer {
            link: ctx.link(&process, Purpose::Commands),
            ctx: ctx.clone(),
            process,
            tenants: tenants.to_vec(),
        }
    }

    /// Trims every `trim-interval-ms` until dropped, or until an error no retry can fix.
    /// An interval of 0 disables trimming: the task returns at once.
    pub async fn run(mut self) -> Result<(), PipelineError> {
        if self.ctx.config.trim_interval_ms == 0 {
            return Ok(());
        }
        let interval = Duration::from_millis(self.ctx.config.trim_interval_ms);
        loop {
            match self.trim_all().await {
                Ok(_) => {
                    self.link.succeeded();
                    tokio::time::sleep(interval).await;
                }
                Err(e) => {
                    if self.link.recover(&e).await == Retry::Never {
                        return Err(e);
                    }
                }
            }
        }
    }

    /// One pass over every tenant; returns the number of entries removed.
    pub async fn trim_all(&mut self) -> Result<u64, PipelineError> {
        let mut removed = 0;
        for i in 0..self.tenants.len() {
            let tenant = self.tenants[i].clone();
            removed += self.trim_tenant(&tenant).await?;
        }
        Ok(removed)
    }

    async fn trim_tenant(&mut self, tenant: &str) -> Result<u64, PipelineError> {
        let stream = self.ctx.keys.outbox(tenant);
        let ignore_pending = self.ctx.config.variant == Variant::UnsafeTrim;
        let concerns = self.ctx.config.concerns.clone();
        let conn = self.link.conn().await?;
        let Some(min_id) = owed_min(conn, &stream, &concerns, ignore_pending).await? else {
            return Ok(0);
        };
        let removed: u64 = redis::cmd("XTRIM")
            .arg(&stream)
            .arg("MINID")
            .arg(min_id.to_string())
            .query_async(conn)
            .await?;
        if removed > 0 {
            let op = Op::Trim {
                tenant: tenant.to_string(),
                min_id: min_id.to_string(),
                removed,
            };
            self.ctx.recorder.record(&self.process, Phase::Event, op);
            self.ctx.metrics.add(Counter::Trimmed, removed);
        }
        Ok(removed)
    }
}

/// The oldest id any group of `stream` still owes, or `None` when the stream must not be trimmed
/// (it has no groups, or a configured concern has no group yet).
pub async fn owed_min(
    conn: &mut MultiplexedConnection,
    stream: &str,
    concerns: &[String],
    ignore_pending: bool,
) -> Result<Option<EntryId>, PipelineError> {
    let groups = streams::groups(conn, stream).await?;
    if groups.is_empty()
        || concerns
            .iter()
            .any(|c| !groups.iter().any(|g| &g.name == c))
    {
        return Ok(None);
    }
    let mut min_id: Option<EntryId> = None;
    for g in &groups {
        let mut owed = g.last_delivered.next();
        if g.pending > 0 && !ignore_pending {
            if let Some(oldest) = oldest_pending(conn, stream, &g.name).await? {
                owed = owed.min(oldest);
            }
        }
        min_id = Some(min_id.map_or(owed, |m| m.min(owed)));
    }
    Ok(min_id)
}

/// The smallest pending id of a group (summary XPENDING).
async fn oldest_pending(
    conn: &mut MultiplexedConnection,
    stream: &str,
    group: &str,
) -> Result<Option<EntryId>, PipelineError> {
    let reply: Value = redis::cmd("XPENDING")
        .arg(stream)
        .arg(group)
        .query_async(conn)
        .await?;
    let Value::Array(parts) = reply else {
        return Err(PipelineError::reply("XPENDING", format!("{reply:?}")));
    };
    parts
        .get(1)
        .and_then(as_string)
        .map(|id| id.parse())
        .transpose()
}
