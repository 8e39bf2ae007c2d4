//! The Redis ceiling of a bench in the container world: what the run's own primary does with the
//! pipeline's work when a raw client sends it pipelined with no pipeline logic (no retries, no
//! failpoints, no history, no reclaims), measured in the same run just before the pipeline
//! starts, so the bench can print the pipeline's rate as a ratio of it on a noisy machine.
//!
//! The work per decision is the pipeline's: the commit script (marker, object, outbox XADD),
//! then per concern one share of an `XREADGROUP COUNT` and of one call of the atomic sink's
//! batched effect script (dedupe, ledger, effects log, XACK per entry). Commits go
//! [`PIPELINE_DEPTH`] to a round trip, effects [`PIPELINE_DEPTH`] entries to a script call, on
//! [`CLIENTS`] clones of one multiplexed connection. Its keys live under [`PREFIX`], apart
//! from the pipeline's, and are deleted afterwards.
//!
//! It talks only to the run's own primary, through the run's connector.

use std::time::Instant;

use redis::aio::MultiplexedConnection;
use redis::streams::{StreamReadOptions, StreamReadReply};
use redis::Value;

use crate::pipeline::error::PipelineError;
use crate::pipeline::producer::COMMIT_LUA;
use crate::pipeline::sink::EFFECT_LUA;

/// Commands per round trip (`redis-benchmark -P 16`).
pub const PIPELINE_DEPTH: u64 = 16;
/// Concurrent raw clients.
pub const CLIENTS: u64 = 8;
/// Where the ceiling's keys live.
pub const PREFIX: &str = "ceiling:";
/// Objects the decisions cycle over.
const OBJECTS: u64 = 100;

/// What the ceiling measure did and how long it took.
#[derive(Clone, Debug, PartialEq)]
pub struct Ceiling {
    pub decisions: u64,
    pub concerns: usize,
    /// Wall-clock ms of the commits, then of the reads and effects of every concern.
    pub commit_ms: f64,
    pub effect_ms: f64,
}

impl Ceiling {
    /// Decisions per second, each committed and applied in every concern.
    pub fn decisions_per_s(&self) -> f64 {
        self.decisions as f64 * 1_000.0 / (self.commit_ms + self.effect_ms).max(1e-3)
    }

    pub fn describe(&self) -> String {
        format!(
            "{:.0} decisions/s ({} decisions: commits {:.0} ms, reads and effects in {} concerns {:.0} ms; raw client, {CLIENTS} connections' worth of pipelines of {PIPELINE_DEPTH})",
            self.decisions_per_s(),
            self.decisions,
            self.commit_ms,
            self.concerns,
            self.effect_ms
        )
    }
}

/// Runs the measure on `conn` (the run's primary) and deletes its keys.
pub async fn measure(
    conn: MultiplexedConnection,
    decisions: u64,
    concerns: &[String],
) -> Result<Ceiling, PipelineError> {
    let mut c = conn.clone();
    let commit_sha: String = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg(COMMIT_LUA)
        .query_async(&mut c)
        .await?;
    let effect_sha: String = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg(EFFECT_LUA)
        .query_async(&mut c)
        .await?;
    let stream = format!("{PREFIX}outbox");
    for concern in concerns {
        let _: Value = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&stream)
            .arg(concern)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut c)
            .await?;
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let (mut conn, sha, stream) = (conn.clone(), commit_sha.clone(), stream.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = client * PIPELINE_DEPTH;
            while i < decisions {
                let mut pipe = redis::pipe();
                for d in i..(i + PIPELINE_DEPTH).min(decisions) {
                    let event = format!("c-{d:07}");
                    pipe.cmd("EVALSHA")
                        .arg(&sha)
                        .arg(3)
                        .arg(format!("{PREFIX}marker:{event}"))
                        .arg(format!("{PREFIX}object:o{}", d % OBJECTS))
                        .arg(&stream)
                        .arg(&event)
                        .arg("order-placed")
                        .arg("t0")
                        .arg(format!("o{}", d % OBJECTS))
                        .arg(d / OBJECTS + 1)
                        .arg(1 + d % 100)
                        .arg(d)
                        .arg("m")
                        .arg(0);
                }
                let _: Vec<Value> = pipe.query_async(&mut conn).await?;
                i += CLIENTS * PIPELINE_DEPTH;
            }
            Ok::<(), PipelineError>(())
        }));
    }
    join(tasks).await?;
    let commit_ms = started.elapsed().as_secs_f64() * 1_000.0;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for concern in concerns {
        for client in 0..CLIENTS {
            let (mut conn, sha, stream) = (conn.clone(), effect_sha.clone(), stream.clone());
            let concern = concern.clone();
            tasks.push(tokio::spawn(async move {
                let consumer = format!("raw-{client}");
                loop {
                    let opts = StreamReadOptions::default()
                        .group(&concern, &consumer)
                        .count(PIPELINE_DEPTH as usize);
                    let reply: StreamReadReply = redis::cmd("XREADGROUP")
                        .arg(&opts)
                        .arg("STREAMS")
                        .arg(&stream)
                        .arg(">")
                        .query_async(&mut conn)
                        .await?;
                    let entries: Vec<_> = reply.keys.into_iter().flat_map(|k| k.ids).collect();
                    if entries.is_empty() {
                        return Ok::<(), PipelineError>(());
                    }
                    // The effect script takes a batch: four keys and four arguments per entry.
                    let mut cmd = redis::cmd("EVALSHA");
                    cmd.arg(&sha).arg(entries.len() * 4);
                    for _ in &entries {
                        cmd.arg(format!("{PREFIX}dedupe:{concern}"))
                            .arg(format!("{PREFIX}ledger:{concern}"))
                            .arg(format!("{PREFIX}effects:{concern}"))
                            .arg(&stream);
                    }
                    cmd.arg(&concern).arg(1).arg(1);
                    for e in &entries {
                        let field =
                            |name: &str| -> String { e.get::<String>(name).unwrap_or_default() };
                        cmd.arg(&e.id)
                            .arg(field("event"))
                            .arg(field("object"))
                            .arg(field("payload"));
                    }
                    let _: Value = cmd.query_async(&mut conn).await?;
                }
            }));
        }
    }
    join(tasks).await?;
    let effect_ms = started.elapsed().as_secs_f64() * 1_000.0;
    cleanup(&mut c, decisions, concerns).await?;
    Ok(Ceiling {
        decisions,
        concerns: concerns.len(),
        commit_ms,
        effect_ms,
    })
}

async fn join(
    tasks: Vec<tokio::task::JoinHandle<Result<(), PipelineError>>>,
) -> Result<(), PipelineError> {
    for t in tasks {
        t.await
            .map_err(|e| PipelineError::reply("ceiling", e.to_string()))??;
    }
    Ok(())
}

/// Deletes every key the measure wrote.
async fn cleanup(
    conn: &mut MultiplexedConnection,
    decisions: u64,
    concerns: &[String],
) -> Result<(), PipelineError> {
    let mut keys: Vec<String> = vec![format!("{PREFIX}outbox")];
    for c in concerns {
        keys.extend(["dedupe", "ledger", "effects"].map(|k| format!("{PREFIX}{k}:{c}")));
    }
    keys.extend((0..OBJECTS).map(|o| format!("{PREFIX}object:o{o}")));
    keys.extend((0..decisions).map(|d| format!("{PREFIX}marker:c-{d:07}")));
    for chunk in keys.chunks(1_000) {
        let _: Value = redis::cmd("UNLINK").arg(chunk).query_async(conn).await?;
    }
    Ok(())
}
