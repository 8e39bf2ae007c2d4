//! The pipeline's configuration: one serde struct that scenario files embed.
//!
//! Every planted bug is one value of [`Variant`], never a copy of the code: components read the
//! variant at the one place where the bug lives. Unknown keys are rejected so a typo in a
//! scenario cannot silently run the default. This module must never read the environment.

use serde::{Deserialize, Serialize};

use crate::pipeline::error::PipelineError;

/// How a consumer applies an effect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SinkKind {
    /// One Lua script: dedupe, ledger HINCRBY, effects-log RPUSH, XACK. Exactly once.
    #[default]
    Atomic,
    /// A downstream API called with the event id as idempotency key, then XACK.
    IdempotentApi,
}

/// The pipeline as it should be (`correct`), or one planted bug.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// No planted bug: named `none`, as scenario files say it (`correct` is accepted too).
    #[default]
    #[serde(rename = "none", alias = "correct")]
    Correct,
    /// `atomic` sink only: the effect without dedupe, then XACK in a second round trip.
    Naive,
    /// XACK first, then the effect: a stop in between loses the effect.
    AckFirst,
    /// The producer writes state and event in two round trips.
    DualWrite,
    /// Consumers never reclaim pending entries (no XAUTOCLAIM, no re-read of their own PEL).
    NoReclaim,
    /// The trimmer ignores pending entries and trims everything delivered.
    UnsafeTrim,
    /// `idempotent-api` sink only: the downstream ignores the idempotency key.
    NonIdempotentApi,
}

/// Upper bound of `apply-batch`: a batch is one script call whose keys and arguments grow with it.
pub const APPLY_BATCH_MAX: u64 = 1_024;
/// Upper bound of `in-flight`: the commits one producer has sent and not seen answered.
pub const IN_FLIGHT_MAX: u64 = 1_024;

/// `WAIT replicas timeout` after each commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WaitConfig {
    pub replicas: u64,
    pub timeout_ms: u64,
}

/// Connection timeouts and reconnect backoff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct ConnectConfig {
    pub connect_timeout_ms: u64,
    /// Response timeout of command connections.
    pub response_timeout_ms: u64,
    /// Added to BLOCK (and WAIT) for the response timeout of blocking calls.
    pub block_margin_ms: u64,
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
}

impl Default for ConnectConfig {
    fn default() -> Self {
        ConnectConfig {
            connect_timeout_ms: 1_000,
            response_timeout_ms: 1_000,
            block_margin_ms: 1_000,
            backoff_base_ms: 10,
            backoff_max_ms: 1_000,
        }
    }
}

/// The whole pipeline's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct PipelineConfig {
    /// Every key the pipeline writes starts with it.
    pub prefix: String,
    /// One consumer group per downstream concern, in this order.
    pub concerns: Vec<String>,
    pub sink: SinkKind,
    pub variant: Variant,
    /// XREADGROUP / XAUTOCLAIM COUNT.
    pub read_count: u64,
    /// Entries of one read a consumer applies with one sink call (one script for the `atomic`
    /// sink): the effects, dedupe marks and XACKs of the whole batch in one round trip, each
    /// entry's effect still its own atomic step. 1 applies entry by entry. At most
    /// [`APPLY_BATCH_MAX`].
    pub apply_batch: u64,
    /// Commits one producer keeps in flight on its multiplexed connection (pipelined, outcomes
    /// reported in order). 1 waits for each reply before sending the next. At most
    /// [`IN_FLIGHT_MAX`].
    pub in_flight: u64,
    /// XREADGROUP BLOCK.
    pub block_ms: u64,
    /// Entries idle longer than this are reclaimed by XAUTOCLAIM.
    pub min_idle_ms: u64,
    pub reclaim_interval_ms: u64,
    /// An entry delivered more often than this goes to the dead-letter stream.
    pub max_deliveries: u64,
    pub wait: Option<WaitConfig>,
    /// How often the trimmer runs; 0 disables it.
    pub trim_interval_ms: u64,
    /// Attempts of one decision by `Producer::commit_until_known` before it gives up.
    pub commit_attempts_max: u32,
    pub connect: ConnectConfig,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            prefix: "oc:".to_string(),
            concerns: vec!["billing".to_string()],
            sink: SinkKind::Atomic,
            variant: Variant::Correct,
            read_count: 64,
            apply_batch: 64,
            in_flight: 32,
            block_ms: 200,
            min_idle_ms: 1_000,
            reclaim_interval_ms: 500,
            max_deliveries: 5,
            wait: None,
            trim_interval_ms: 1_000,
            commit_attempts_max: 100,
            connect: ConnectConfig::default(),
        }
    }
}

impl PipelineConfig {
    /// Rejects combinations that mean nothing, with a sentence saying why.
    pub fn validate(&self) -> Result<(), PipelineError> {
        let bad = |why: String| Err(PipelineError::Config(why));
        if self.prefix.is_empty() {
            return bad("prefix must not be empty: keys would collide with other data".into());
        }
        if self.concerns.is_empty() {
            return bad("at least one concern is needed".into());
        }
        for c in &self.concerns {
            if let Err(why) = crate::pipeline::keys::check_name(c) {
                return bad(format!("concern `{c}`: {why}"));
            }
        }
        let mut sorted = self.concerns.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != self.concerns.len() {
            return bad("concerns must be distinct".into());
        }
        match (self.sink, self.variant) {
            (SinkKind::IdempotentApi, Variant::Naive) => bad(
                "variant `naive` needs sink `atomic` (use `non-idempotent-api` for the API)".into(),
            ),
            (SinkKind::Atomic, Variant::NonIdempotentApi) => {
                bad("variant `non-idempotent-api` needs sink `idempotent-api`".into())
            }
            _ if self.read_count == 0 || self.max_deliveries == 0 => {
                bad("read-count and max-deliveries must be positive".into())
            }
            _ if !(1..=APPLY_BATCH_MAX).contains(&self.apply_batch) => bad(format!(
                "apply-batch must be between 1 and {APPLY_BATCH_MAX}, not {}",
                self.apply_batch
            )),
            _ if !(1..=IN_FLIGHT_MAX).contains(&self.in_flight) => bad(format!(
                "in-flight must be between 1 and {IN_FLIGHT_MAX}, not {}",
                self.in_flight
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kebab_case_and_rejects_unknown_keys() {
        let cfg: PipelineConfig = toml::from_str(
            "sink = \"idempotent-api\"\nvariant = \"non-idempotent-api\"\nmin-idle-ms = 50\n\
             concerns = [\"a\", \"b\"]\nwait = { replicas = 1, timeout-ms = 100 }\n",
        )
        .unwrap();
        assert_eq!(cfg.variant, Variant::NonIdempotentApi);
        assert_eq!(cfg.min_idle_ms, 50);
        assert_eq!(
            cfg.wait,
            Some(WaitConfig {
                replicas: 1,
                timeout_ms: 100
            })
        );
        cfg.validate().unwrap();
        assert!(toml::from_str::<PipelineConfig>("sinq = \"atomic\"").is_err());
        let naive_api = PipelineConfig {
            sink: SinkKind::IdempotentApi,
            variant: Variant::Naive,
            ..Default::default()
        };
        assert!(naive_api.validate().is_err());
    }
}
