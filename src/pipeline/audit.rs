//! The audit: reads what a run left in Redis (and in the downstream's ledger) into
//! [`FinalState`], per decision and per consumer group, for the checkers of `check/`.
//!
//! It reads markers (SCAN + MGET), outbox entries (XRANGE), effects logs (LRANGE), dead-letter
//! streams (XRANGE) and each group's pending (XPENDING) and never-delivered entries (entries after
//! its last-delivered id). [`summarize`] is the small verdict the `load` command needs (lost or
//! doubled effects); the full checkers live in `check/`. The audit must never write to Redis, and
//! must never let SCAN's hash order reach its output.

use std::collections::BTreeMap;
use std::fmt;

use redis::aio::MultiplexedConnection;
use serde::{Deserialize, Serialize};

use crate::history::state::{DecisionState, FinalState, GroupState, OwedEntry};
use crate::pipeline::config::PipelineConfig;
use crate::pipeline::downstream::Ledger;
use crate::pipeline::error::PipelineError;
use crate::pipeline::keys::{field, Keys};
use crate::pipeline::streams::{self, Entry, EntryId};

/// Keys per MGET and list elements per LRANGE.
const BATCH: usize = 1_000;

/// Reads the final state of every tenant. Every decision gets an `effects` count for every
/// configured concern (zero included); `dead_lettered` lists only concerns with dead letters.
pub async fn audit(
    conn: &mut MultiplexedConnection,
    config: &PipelineConfig,
    tenants: &[String],
    downstream: Option<&Ledger>,
) -> Result<FinalState, PipelineError> {
    let keys = Keys::new(&config.prefix);
    let mut state = FinalState {
        concerns: config.concerns.clone(),
        ..Default::default()
    };
    for concern in &config.concerns {
        state.groups.insert(concern.clone(), GroupState::default());
    }
    for tenant in tenants {
        read_markers(conn, &keys, tenant, &mut state).await?;
        let entries = streams::range_all(conn, &keys.outbox(tenant)).await?;
        for e in &entries {
            decision(
                &mut state,
                e.field(field::EVENT).unwrap_or_default(),
                tenant,
            )
            .outbox_entries
            .push(e.id.clone());
        }
        for concern in &config.concerns {
            read_effects(conn, &keys, tenant, concern, &mut state).await?;
            read_dead_letters(conn, &keys, tenant, concern, &mut state).await?;
            read_owed(conn, &keys, tenant, concern, &entries, &mut state).await?;
        }
    }
    if let Some(ledger) = downstream {
        merge_downstream(&mut state, ledger);
    }
    for d in state.decisions.values_mut() {
        for concern in &config.concerns {
            d.effects.entry(concern.clone()).or_insert(0);
        }
    }
    Ok(state)
}

/// The decision's state, created (unknown to Redis's markers so far) when absent.
fn decision<'a>(state: &'a mut FinalState, event: &str, tenant: &str) -> &'a mut DecisionState {
    state
        .decisions
        .entry(event.to_string())
        .or_insert_with(|| DecisionState {
            tenant: tenant.to_string(),
            ..Default::default()
        })
}

/// Markers and, from their value (`object@version`, written in the same atomic step as the
/// object), whether the decision's state change is in Redis, even if a later decision has since
/// overwritten the object.
async fn read_markers(
    conn: &mut MultiplexedConnection,
    keys: &Keys,
    tenant: &str,
    state: &mut FinalState,
) -> Result<(), PipelineError> {
    let marker_keys = streams::scan_all(conn, &keys.decision_pattern(tenant)).await?;
    for chunk in marker_keys.chunks(BATCH) {
        let values: Vec<Option<String>> = redis::cmd("MGET").arg(chunk).query_async(conn).await?;
        for (key, value) in chunk.iter().zip(values) {
            let Some(id) = keys.decision_id(tenant, key) else {
                continue;
            };
            let d = decision(state, id, tenant);
            d.marker = value.is_some();
            d.state = value.as_deref().is_some_and(|v| {
                v.rsplit_once('@')
                    .is_some_and(|(_, ver)| ver.parse::<u64>().is_ok())
            });
        }
    }
    Ok(())
}

async fn read_effects(
    conn: &mut MultiplexedConnection,
    keys: &Keys,
    tenant: &str,
    concern: &str,
    state: &mut FinalState,
) -> Result<(), PipelineError> {
    let key = keys.effects(tenant, concern);
    for page in 0..streams::PAGES_MAX {
        let start = page * BATCH;
        let events: Vec<String> = redis::cmd("LRANGE")
            .arg(&key)
            .arg(start)
            .arg(start + BATCH - 1)
            .query_async(conn)
            .await?;
        for event in &events {
            *decision(state, event, tenant)
                .effects
                .entry(concern.to_string())
                .or_insert(0) += 1;
        }
        if events.len() < BATCH {
            return Ok(());
        }
    }
    Err(PipelineError::too_many_pages(
        format!("effects log {key}"),
        streams::PAGES_MAX,
    ))
}

async fn read_dead_letters(
    conn: &mut MultiplexedConnection,
    keys: &Keys,
    tenant: &str,
    concern: &str,
    state: &mut FinalState,
) -> Result<(), PipelineError> {
    for e in streams::range_all(conn, &keys.dlq(tenant, concern)).await? {
        let d = decision(state, e.field(field::EVENT).unwrap_or_default(), tenant);
        *d.dead_lettered.entry(concern.to_string()).or_insert(0) += 1;
    }
    Ok(())
}

/// The group's pending entries, and the entries after its last-delivered id (all of them when the
/// group does not exist on this stream).
async fn read_owed(
    conn: &mut MultiplexedConnection,
    keys: &Keys,
    tenant: &str,
    concern: &str,
    entries: &[Entry],
    state: &mut FinalState,
) -> Result<(), PipelineError> {
    let stream = keys.outbox(tenant);
    let group = streams::groups(conn, &stream)
        .await?
        .into_iter()
        .find(|g| g.name == concern);
    let event_of: BTreeMap<&str, &str> = entries
        .iter()
        .filter_map(|e| Some((e.id.as_str(), e.field(field::EVENT)?)))
        .collect();
    let owed = state.groups.entry(concern.to_string()).or_default();
    let last_delivered = match &group {
        Some(g) => g.last_delivered,
        None => EntryId::ZERO,
    };
    if group.is_some() {
        for p in streams::pending_all(conn, &stream, concern).await? {
            let event = event_of.get(p.id.as_str()).map(|e| e.to_string());
            owed.pending.push(OwedEntry {
                tenant: tenant.to_string(),
                entry_id: p.id,
                event,
                consumer: Some(p.consumer),
            });
        }
    }
    for e in entries {
        if e.id.parse::<EntryId>()? > last_delivered {
            let event = e.field(field::EVENT).map(str::to_string);
            owed.undelivered.push(OwedEntry {
                tenant: tenant.to_string(),
                entry_id: e.id.clone(),
                event,
                consumer: None,
            });
        }
    }
    Ok(())
}

/// Adds the downstream's applied effects (the `idempotent-api` sinks) to the decisions.
pub fn merge_downstream(state: &mut FinalState, ledger: &Ledger) {
    for (concern, events) in &ledger.effects {
        for (event, entry) in events {
            let d = decision(state, event, &entry.tenant);
            *d.effects.entry(concern.clone()).or_insert(0) += entry.applied;
        }
    }
}

/// One (event, concern) with a wrong number of effects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub event: String,
    pub concern: String,
    pub effects: u64,
}

/// The `load` command's verdict: enough to say lost or doubled, not the full checkers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSummary {
    pub decisions: u64,
    /// Decisions whose state change is in Redis.
    pub committed: u64,
    /// Committed decisions with exactly one effect in every concern.
    pub effected: u64,
    pub dead_lettered: u64,
    pub outbox_entries: u64,
    pub pending: u64,
    pub undelivered: u64,
    /// A committed decision (or an outbox event) with no effect and no dead letter in a concern.
    pub lost: Vec<Finding>,
    /// More than one effect for one (event, concern).
    pub doubled: Vec<Finding>,
}

impl AuditSummary {
    pub fn violations(&self) -> usize {
        self.lost.len() + self.doubled.len()
    }
}

pub fn summarize(state: &FinalState) -> AuditSummary {
    let mut s = AuditSummary {
        decisions: state.decisions.len() as u64,
        ..Default::default()
    };
    for (event, d) in &state.decisions {
        s.committed += u64::from(d.state);
        s.outbox_entries += d.outbox_entries.len() as u64;
        s.dead_lettered += d.dead_lettered.values().sum::<u64>();
        let mut all_once = d.state;
        for concern in &state.concerns {
            let effects = d.effects.get(concern).copied().unwrap_or(0);
            let dead = d.dead_lettered.get(concern).copied().unwrap_or(0);
            let finding = || Finding {
                event: event.clone(),
                concern: concern.clone(),
                effects,
            };
            if effects == 0 && dead == 0 && (d.state || !d.outbox_entries.is_empty()) {
                s.lost.push(finding());
            }
            if effects > 1 {
                s.doubled.push(finding());
            }
            all_once &= effects == 1;
        }
        s.effected += u64::from(all_once);
    }
    for g in state.groups.values() {
        s.pending += g.pending.len() as u64;
        s.undelivered += g.undelivered.len() as u64;
    }
    s
}

impl fmt::Display for AuditSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "audit: {} decisions, {} committed, {} effected exactly once in every concern",
            self.decisions, self.committed, self.effected
        )?;
        writeln!(
            f,
            "audit: {} outbox entries, {} dead letters, {} pending, {} never delivered",
            self.outbox_entries, self.dead_lettered, self.pending, self.undelivered
        )?;
        writeln!(
            f,
            "audit: {} lost, {} doubled",
            self.lost.len(),
            self.doubled.len()
        )?;
        for x in self.lost.iter().take(20) {
            writeln!(f, "  lost: {} in {}", x.event, x.concern)?;
        }
        for x in self.doubled.iter().take(20) {
            writeln!(
                f,
                "  doubled: {} in {} ({} effects)",
                x.event, x.concern, x.effects
            )?;
        }
        Ok(())
    }
}
