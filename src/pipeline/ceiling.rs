//! The Redis ceiling: what a server does with the pipeline's work when no pipeline logic is in
//! the way, so a throughput can be given as a ratio of it measured on the same server in the
//! same run. Both `load --ceiling` and the container bench (`bench --world real`) call
//! [`measure`]; there is no second implementation.
//!
//! The work is the pipeline's own: every decision committed with the commit script
//! ([`commit_call`]), then every concern's effects applied with the atomic sink's effect script
//! ([`effect_call`]) in batches of `apply_batch` entries of one tenant; every call EVALSHA,
//! [`CEILING_DEPTH`] calls pipelined per round trip, over as many connections as the run has
//! producers (commits) and workers (effects). No reads, no reclaims, no retries, no history.
//! The keys live under `<prefix>ceiling:`, apart from the pipeline's, and are deleted right
//! after; the XACKs find nothing pending (no group delivered these entries), which makes the
//! ceiling a little higher, never lower. It never touches a key outside that prefix.

use serde::Serialize;

use crate::pipeline::connector::{Connector, Purpose};
use crate::pipeline::error::PipelineError;
use crate::pipeline::keys::Keys;
use crate::pipeline::producer::{commit_call, Decision, COMMIT_LUA};
use crate::pipeline::script::LuaScript;
use crate::pipeline::sink::{effect_call, Item, EFFECT_LUA};
use crate::pipeline::streams;

/// Script calls per pipelined round trip (as `redis-benchmark -P 16`).
pub const CEILING_DEPTH: usize = 16;
/// Business objects per tenant of [`synthetic_decision`].
const OBJECTS_PER_TENANT: u64 = 100;

/// What the measure did and how long it took.
#[derive(Clone, Debug, Serialize)]
pub struct Ceiling {
    pub decisions: u64,
    pub concerns: usize,
    pub commit_ms: u64,
    pub effect_ms: u64,
    /// Script calls sent.
    pub calls: u64,
    pub round_trips: u64,
    /// Decisions over the time of both phases.
    pub decisions_per_s: f64,
}

impl Ceiling {
    pub fn describe(&self) -> String {
        format!(
            "{:.0} decisions/s ({} decisions, {} concerns: commits {} ms, effects {} ms; {} script calls in {} EVALSHA round trips of up to {CEILING_DEPTH})",
            self.decisions_per_s,
            self.decisions,
            self.concerns,
            self.commit_ms,
            self.effect_ms,
            self.calls,
            self.round_trips
        )
    }
}

/// The work to measure.
pub struct Work<'a> {
    /// The pipeline's key prefix; the measure writes under `<prefix>ceiling:`.
    pub prefix: &'a str,
    pub decisions: &'a [Decision],
    pub tenants: &'a [String],
    pub concerns: &'a [String],
    /// Connections of the commit phase (the run's producers).
    pub producers: usize,
    /// Connections of the effect phase (the run's workers, every concern's).
    pub workers: usize,
    pub apply_batch: u64,
}

/// Decision `i` of a synthetic workload tagged `tag`: tenants round-robin, objects cycling with
/// rising versions, id `d-<tag>-<i>`.
pub fn synthetic_decision(tag: &str, i: u64, tenants: &[String]) -> Decision {
    let per_tenant = i / tenants.len() as u64;
    Decision {
        id: format!("d-{tag}-{i:06}"),
        tenant: tenants[(i % tenants.len() as u64) as usize].clone(),
        object: format!("o{}", per_tenant % OBJECTS_PER_TENANT),
        version: per_tenant / OBJECTS_PER_TENANT + 1,
        kind: "order-placed".into(),
        payload: (i % 10 + 1).to_string(),
    }
}

/// Measures the ceiling of `work` on the server `connector` reaches, and deletes its keys.
pub async fn measure(connector: &Connector, work: &Work<'_>) -> Result<Ceiling, PipelineError> {
    assert!(
        work.producers > 0 && work.workers > 0,
        "a ceiling needs connections"
    );
    let mut admin = connector.connect(Purpose::Commands).await?;
    let keys = Keys::new(&format!("{}ceiling:", work.prefix));
    let (commit, effect) = (
        LuaScript::new("commit", COMMIT_LUA),
        LuaScript::new("effect", EFFECT_LUA),
    );
    commit.load(&mut admin).await?;
    effect.load(&mut admin).await?;
    // Every call of the commit phase, dealt to the producers' connections.
    let mut calls: Vec<Vec<redis::Cmd>> = vec![Vec::new(); work.producers];
    for (i, d) in work.decisions.iter().enumerate() {
        let (k, a) = commit_call(&keys, d, 0, false);
        calls[i % work.producers].push(commit.evalsha_cmd(&k, &a));
    }
    let (commit_ms, commit_trips) = send_lanes(connector, calls).await?;
    // The effect phase: per concern, per tenant, batches of `apply_batch` entries.
    let mut calls: Vec<Vec<redis::Cmd>> = vec![Vec::new(); work.workers];
    let batch = usize::try_from(work.apply_batch.max(1)).unwrap_or(usize::MAX);
    let mut n = 0;
    for concern in work.concerns {
        for tenant in work.tenants {
            let stream = keys.outbox(tenant);
            let mine: Vec<(String, &Decision)> = work
                .decisions
                .iter()
                .filter(|d| &d.tenant == tenant)
                .enumerate()
                .map(|(i, d)| (format!("1-{i}"), d))
                .collect();
            for chunk in mine.chunks(batch) {
                let items: Vec<Item<'_>> = chunk
                    .iter()
                    .map(|(id, d)| Item {
                        tenant,
                        stream: &stream,
                        entry_id: id,
                        event: &d.id,
                        object: &d.object,
                        amount: &d.payload,
                        at_ms: None,
                    })
                    .collect();
                let (k, a) = effect_call(&keys, concern, &items, true, true);
                calls[n % work.workers].push(effect.evalsha_cmd(&k, &a));
                n += 1;
            }
        }
    }
    let (effect_ms, effect_trips) = send_lanes(connector, calls).await?;
    let written = streams::scan_all(&mut admin, &keys.all_pattern()).await?;
    for chunk in written.chunks(1_000) {
        let _: u64 = redis::cmd("UNLINK")
            .arg(chunk)
            .query_async(&mut admin)
            .await?;
    }
    let decisions = work.decisions.len() as u64;
    let total_ms = (commit_ms + effect_ms).max(1);
    Ok(Ceiling {
        decisions,
        concerns: work.concerns.len(),
        commit_ms,
        effect_ms,
        calls: decisions + n as u64,
        round_trips: commit_trips + effect_trips,
        decisions_per_s: decisions as f64 * 1000.0 / total_ms as f64,
    })
}

/// Sends each lane's calls on a connection of its own, [`CEILING_DEPTH`] per round trip, all
/// lanes at once; the wall time of the slowest and the round trips made. An error reply fails.
async fn send_lanes(
    connector: &Connector,
    lanes: Vec<Vec<redis::Cmd>>,
) -> Result<(u64, u64), PipelineError> {
    let mut conns = Vec::new();
    for _ in &lanes {
        conns.push(connector.connect(Purpose::Commands).await?);
    }
    let started = tokio::time::Instant::now();
    let mut handles = Vec::new();
    for (mut conn, calls) in conns.into_iter().zip(lanes) {
        handles.push(tokio::spawn(async move {
            let mut trips = 0u64;
            for chunk in calls.chunks(CEILING_DEPTH) {
                let mut pipe = redis::pipe();
                for c in chunk {
                    pipe.add_command(c.clone());
                }
                let _: Vec<redis::Value> = pipe.query_async(&mut conn).await?;
                trips += 1;
            }
            Ok::<u64, redis::RedisError>(trips)
        }));
    }
    let mut trips = 0;
    for h in handles {
        trips += h
            .await
            .map_err(|e| PipelineError::reply("ceiling", format!("a lane stopped: {e}")))??;
    }
    Ok(((started.elapsed().as_millis() as u64).max(1), trips))
}
