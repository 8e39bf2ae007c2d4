//! Sinks: how a consumer turns delivered entries into effects and acknowledgements.
//!
//! A sink applies a batch (`apply-batch` entries of one read, 1 for entry by entry): one round
//! trip per step of its plan for the whole batch, each entry still its own effect, its own
//! records and its own failpoints.
//!
//! - `atomic`: one Lua script: if the event id is new in the group's dedupe set, apply the effect
//!   (ledger HINCRBY and an effects-log RPUSH) and remember the id; XACK either way.
//! - `idempotent-api`: call the [`Downstream`] with the event id as idempotency key, then XACK.
//!
//! The planted bugs are plans of the same code, chosen once from the configuration: `naive`
//! (effect without dedupe, then XACK in a second round trip), `ack-first` (XACK, then the effect),
//! and `non-idempotent-api` (the correct sink against a downstream that does not dedupe). A
//! sink must never acknowledge an entry whose effect it has not applied, except in `ack-first`.

use std::sync::Arc;

use redis::Value;

use crate::history::{Op, Phase};
use crate::pipeline::config::{PipelineConfig, SinkKind, Variant};
use crate::pipeline::connector::Link;
use crate::pipeline::downstream::{ApiCall, ApiReply, Downstream};
use crate::pipeline::error::{PipelineError, Retry};
use crate::pipeline::failpoint::{CONSUMER_AFTER_ACK, CONSUMER_AFTER_EFFECT_BEFORE_ACK};
use crate::pipeline::keys::Keys;
use crate::pipeline::metrics::Counter;
use crate::pipeline::script::LuaScript;
use crate::pipeline::streams::as_u64;
use crate::pipeline::Context;

/// A batch of entries, four keys each: dedupe set, ledger, effects log, stream. ARGV: group,
/// dedupe (0|1), ack (0|1), then four per entry: entry id, event, object, amount. Returns two
/// integers per entry, `applied, acked`; `-1, 0` for a poison entry (an amount that is not an
/// integer), which changes nothing and stays pending. Each entry's amount is checked and its ledger
/// written before anything else of it; its dedupe mark comes last. Later entries see earlier ones'
/// marks, so a batch holding one event twice applies it once.
pub(crate) const EFFECT_LUA: &str = r#"
local out = {}
for i = 0, #KEYS / 4 - 1 do
  local k, a = i * 4, 3 + i * 4
  local id, event, object, amount = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  if not string.match(amount, '^-?%d+$') then
    out[#out + 1] = -1
    out[#out + 1] = 0
  else
    local applied = 0
    if ARGV[2] == '0' or redis.call('SISMEMBER', KEYS[k + 1], event) == 0 then
      redis.call('HINCRBY', KEYS[k + 2], object, amount)
      redis.call('RPUSH', KEYS[k + 3], event)
      if ARGV[2] == '1' then
        redis.call('SADD', KEYS[k + 1], event)
      end
      applied = 1
    end
    local acked = 0
    if ARGV[3] == '1' then
      acked = redis.call('XACK', KEYS[k + 4], ARGV[1], id)
    end
    out[#out + 1] = applied
    out[#out + 1] = acked
  end
end
return out
"#;

/// The order of effect and ack, decided once from sink and variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plan {
    /// Effect, dedupe and ack in one script.
    AtomicScript,
    /// `naive`: the effect without dedupe, then XACK.
    EffectThenAck,
    /// `ack-first` on the atomic sink: XACK, then the deduped effect.
    AckThenEffect,
    /// The downstream call, then XACK.
    ApiThenAck,
    /// `ack-first` on the API sink.
    AckThenApi,
}

/// One entry as the sink needs it.
#[derive(Clone, Copy, Debug)]
pub struct Item<'a> {
    pub tenant: &'a str,
    pub stream: &'a str,
    pub entry_id: &'a str,
    pub event: &'a str,
    pub object: &'a str,
    pub amount: &'a str,
    /// Commit time on the metrics clock, for the latency histogram.
    pub at_ms: Option<u64>,
}

/// Who applies: the worker's context, link and names.
pub struct Env<'a> {
    pub ctx: &'a Context,
    pub link: &'a mut Link,
    pub process: &'a str,
    pub concern: &'a str,
    pub consumer: &'a str,
}

impl Env<'_> {
    fn record_effect(&self, item: &Item<'_>, applied: bool) {
        let op = Op::Effect {
            concern: self.concern.to_string(),
            event: item.event.to_string(),
            entry_id: item.entry_id.to_string(),
            consumer: self.consumer.to_string(),
            applied,
        };
        self.ctx.recorder.record(self.process, Phase::Event, op);
        if applied {
            self.ctx.metrics.add(Counter::Effects, 1);
            if let Some(at_ms) = item.at_ms {
                self.ctx.metrics.record_latency(at_ms);
            }
        } else {
            self.ctx.metrics.add(Counter::DedupeHits, 1);
        }
    }

    fn record_ack(&self, item: &Item<'_>, acked: u64) {
        let op = Op::Ack {
            concern: self.concern.to_string(),
            event: item.event.to_string(),
            entry_id: item.entry_id.to_string(),
            consumer: self.consumer.to_string(),
            acked,
        };
        self.ctx.recorder.record(self.process, Phase::Event, op);
        self.ctx.metrics.add(Counter::Xacks, acked);
    }

    /// A poison entry: counted, and left pending for the reclaims to count its deliveries.
    fn sink_failed(&self) {
        self.ctx.metrics.add(Counter::SinkErrors, 1);
    }

    async fn failpoint(&self, point: &'static str) {
        self.ctx
            .failpoints
            .hit(point, self.process, &self.ctx.recorder)
            .await;
    }
}

/// A configured sink. One per worker.
pub struct Sink {
    plan: Plan,
    script: LuaScript,
    downstream: Option<Arc<dyn Downstream>>,
}

impl Sink {
    /// The API plans need a downstream; the atomic ones ignore it.
    pub fn new(
        config: &PipelineConfig,
        downstream: Option<Arc<dyn Downstream>>,
    ) -> Result<Sink, PipelineError> {
        let plan = match (config.sink, config.variant) {
            (SinkKind::Atomic, Variant::Naive) => Plan::EffectThenAck,
            (SinkKind::Atomic, Variant::AckFirst) => Plan::AckThenEffect,
            (SinkKind::Atomic, _) => Plan::AtomicScript,
            (SinkKind::IdempotentApi, Variant::AckFirst) => Plan::AckThenApi,
            (SinkKind::IdempotentApi, _) => Plan::ApiThenAck,
        };
        if matches!(plan, Plan::ApiThenAck | Plan::AckThenApi) && downstream.is_none() {
            return Err(PipelineError::Config(
                "sink `idempotent-api` needs a downstream".into(),
            ));
        }
        Ok(Sink {
            plan,
            script: LuaScript::new("effect", EFFECT_LUA),
            downstream,
        })
    }

    /// Loads the script ahead of the first entry.
    pub async fn prepare(&self, link: &mut Link) -> Result<(), PipelineError> {
        self.script.load(link.conn().await?).await
    }

    /// Applies a batch of entries (one worker's read, in stream order) and acknowledges them, in
    /// the plan's order, with one round trip per step of the plan for the whole batch (the
    /// downstream API is called once per entry). The history stays per entry: an `Effect` and an
    /// `Ack` record and the failpoints of each entry, in the batch's order. A step's records come
    /// right after its reply, before any failpoint, so a stop at an entry's failpoint finds the
    /// history saying what Redis holds. With one item this is exactly the entry-by-entry sink.
    /// A poison entry (an amount that is not an integer) changes nothing, is counted, and stays
    /// pending (`ack-first` acknowledged it before finding out, on purpose).
    pub async fn apply_batch(
        &self,
        env: &mut Env<'_>,
        items: &[Item<'_>],
    ) -> Result<(), PipelineError> {
        if items.is_empty() {
            return Ok(());
        }
        match self.plan {
            Plan::AtomicScript => {
                let outcomes = self.effect_script(env, items, true, true).await?;
                for (item, outcome) in items.iter().zip(&outcomes) {
                    if let Some((applied, acked)) = *outcome {
                        env.record_effect(item, applied);
                        env.record_ack(item, acked);
                    }
                }
                // The ack is inside the script: both points come after it.
                for _ in outcomes.iter().flatten() {
                    env.failpoint(CONSUMER_AFTER_EFFECT_BEFORE_ACK).await;
                    env.failpoint(CONSUMER_AFTER_ACK).await;
                }
            }
            Plan::EffectThenAck | Plan::ApiThenAck => {
                let applied = match self.plan {
                    Plan::EffectThenAck => {
                        let outcomes = self.effect_script(env, items, false, false).await?;
                        let applied: Vec<Option<bool>> =
                            outcomes.iter().map(|o| o.map(|(a, _)| a)).collect();
                        for (item, applied) in items.iter().zip(&applied) {
                            if let Some(applied) = *applied {
                                env.record_effect(item, applied);
                            }
                        }
                        applied
                    }
                    _ => self.call_api_each(env, items).await?,
                };
                let done: Vec<Item<'_>> = items
                    .iter()
                    .zip(&applied)
                    .filter(|(_, a)| a.is_some())
                    .map(|(item, _)| *item)
                    .collect();
                for _ in &done {
                    env.failpoint(CONSUMER_AFTER_EFFECT_BEFORE_ACK).await;
                }
                let acked = xack(env, &done).await?;
                for (item, acked) in done.iter().zip(acked) {
                    env.record_ack(item, acked);
                }
                for _ in &done {
                    env.failpoint(CONSUMER_AFTER_ACK).await;
                }
            }
            Plan::AckThenEffect | Plan::AckThenApi => {
                let acked = xack(env, items).await?;
                for (item, acked) in items.iter().zip(acked) {
                    env.record_ack(item, acked);
                }
                for _ in items {
                    env.failpoint(CONSUMER_AFTER_ACK).await;
                }
                match self.plan {
                    Plan::AckThenEffect => {
                        let outcomes = self.effect_script(env, items, true, false).await?;
                        for (item, outcome) in items.iter().zip(outcomes) {
                            if let Some((applied, _)) = outcome {
                                env.record_effect(item, applied);
                            }
                        }
                    }
                    _ => {
                        self.call_api_each(env, items).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// One script call for the batch: per item `Some((applied, acked))`, or `None` for a poison
    /// entry (counted here).
    async fn effect_script(
        &self,
        env: &mut Env<'_>,
        items: &[Item<'_>],
        dedupe: bool,
        ack: bool,
    ) -> Result<Vec<Option<(bool, u64)>>, PipelineError> {
        let (script_keys, args) = effect_call(&env.ctx.keys, env.concern, items, dedupe, ack);
        let key_refs: Vec<&str> = script_keys.iter().map(String::as_str).collect();
        let reply = self
            .script
            .invoke(env.link.conn().await?, &key_refs, &args)
            .await?;
        let bad = || PipelineError::reply("effect script", format!("{reply:?}"));
        let Value::Array(values) = &reply else {
            return Err(bad());
        };
        if values.len() != items.len() * 2 {
            return Err(bad());
        }
        let mut outcomes = Vec::with_capacity(items.len());
        for pair in values.chunks(2) {
            outcomes.push(match (&pair[0], as_u64(&pair[1])) {
                (Value::Int(-1), _) => {
                    env.sink_failed();
                    None
                }
                (Value::Int(applied @ (0 | 1)), Some(acked)) => Some((*applied == 1, acked)),
                _ => return Err(bad()),
            });
        }
        Ok(outcomes)
    }

    /// The downstream API, one call per item in order, each recorded as it returns. `None` for an
    /// item the API refused for good (a poison entry, counted here).
    async fn call_api_each(
        &self,
        env: &Env<'_>,
        items: &[Item<'_>],
    ) -> Result<Vec<Option<bool>>, PipelineError> {
        let mut applied = Vec::with_capacity(items.len());
        for item in items {
            match self.call_api(env, item).await {
                Ok(a) => {
                    env.record_effect(item, a);
                    applied.push(Some(a));
                }
                Err(e) if e.retry() == Retry::Never => {
                    env.sink_failed();
                    applied.push(None);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(applied)
    }

    async fn call_api(&self, env: &Env<'_>, item: &Item<'_>) -> Result<bool, PipelineError> {
        let downstream = self.downstream.as_ref().expect("checked in Sink::new");
        let call = ApiCall {
            concern: env.concern.to_string(),
            key: item.event.to_string(),
            tenant: item.tenant.to_string(),
            object: item.object.to_string(),
            amount: item.amount.to_string(),
        };
        Ok(downstream.call(&call).await? == ApiReply::Applied)
    }
}

/// The keys and arguments of one [`EFFECT_LUA`] call for `items`, in the script's layout.
pub(crate) fn effect_call<'a>(
    keys: &Keys,
    concern: &'a str,
    items: &[Item<'a>],
    dedupe: bool,
    ack: bool,
) -> (Vec<String>, Vec<&'a str>) {
    let mut script_keys = Vec::with_capacity(items.len() * 4);
    for item in items {
        script_keys.push(keys.dedupe(item.tenant, concern));
        script_keys.push(keys.ledger(item.tenant, concern));
        script_keys.push(keys.effects(item.tenant, concern));
        script_keys.push(item.stream.to_string());
    }
    let flag = |b: bool| if b { "1" } else { "0" };
    let mut args = Vec::with_capacity(3 + items.len() * 4);
    args.extend([concern, flag(dedupe), flag(ack)]);
    for item in items {
        args.extend([item.entry_id, item.event, item.object, item.amount]);
    }
    (script_keys, args)
}

/// XACK of every item, one command each, pipelined in one round trip: how many each acked.
async fn xack(env: &mut Env<'_>, items: &[Item<'_>]) -> Result<Vec<u64>, PipelineError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for item in items {
        pipe.cmd("XACK")
            .arg(item.stream)
            .arg(env.concern)
            .arg(item.entry_id);
    }
    let acked: Vec<u64> = pipe.query_async(env.link.conn().await?).await?;
    Ok(acked)
}
