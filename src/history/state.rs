//! The final state of a run, as the checkers see it: what Redis and the downstream hold after the
//! drain, per decision.
//!
//! The pipeline's audit (`pipeline::audit`) reads Redis into this shape, and the downstream's
//! ledger is merged in for the API sinks. It is plain data, ordered (`BTreeMap`), so that a
//! checker's verdict and its report never depend on hash order.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything found for one decision (keyed by its id, which is also its event id).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionState {
    pub tenant: String,
    /// The decision's idempotency marker exists.
    pub marker: bool,
    /// The business object records this decision (its state change is in Redis).
    pub state: bool,
    /// Stream ids of the outbox entries carrying this event id that are still in the stream.
    pub outbox_entries: Vec<String>,
    /// Per concern: how many times the effect was applied (effects log or downstream ledger).
    pub effects: BTreeMap<String, u64>,
    /// Per concern: how many dead-letter entries carry this event.
    pub dead_lettered: BTreeMap<String, u64>,
}

/// One stream entry that a group still owes: pending (delivered, not acked) or never delivered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwedEntry {
    pub tenant: String,
    pub entry_id: String,
    /// The event id the entry carries, when the entry is still in the stream.
    pub event: Option<String>,
    /// The consumer holding it, for pending entries; `None` for never-delivered ones.
    pub consumer: Option<String>,
}

/// What one consumer group (one concern) still owes after the drain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupState {
    pub pending: Vec<OwedEntry>,
    pub undelivered: Vec<OwedEntry>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalState {
    /// The concerns (consumer groups) of the run, in configuration order.
    pub concerns: Vec<String>,
    pub decisions: BTreeMap<String, DecisionState>,
    /// Per concern.
    pub groups: BTreeMap<String, GroupState>,
}
