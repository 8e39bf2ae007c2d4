//! Sinks: how a consumer turns one delivered entry into an effect and an acknowledgement.
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
use crate::pipeline::error::PipelineError;
use crate::pipeline::failpoint::{CONSUMER_AFTER_ACK, CONSUMER_AFTER_EFFECT_BEFORE_ACK};
use crate::pipeline::metrics::Counter;
use crate::pipeline::script::LuaScript;
use crate::pipeline::streams::as_u64;
use crate::pipeline::Context;

/// KEYS: dedupe set, ledger, effects log, stream. ARGV: group, entry id, event, object, amount,
/// dedupe (0|1), ack (0|1). Returns `{applied, acked}`. The amount is checked and the ledger
/// written before anything else, so a poison entry changes nothing; the dedupe mark comes last.
pub(crate) const EFFECT_LUA: &str = r#"
if not string.match(ARGV[5], '^-?%d+$') then
  return redis.error_reply('ERR poison entry ' .. ARGV[2] .. ': amount `' .. ARGV[5] .. '` is not an integer')
end
local applied = 0
if ARGV[6] == '0' or redis.call('SISMEMBER', KEYS[1], ARGV[3]) == 0 then
  redis.call('HINCRBY', KEYS[2], ARGV[4], ARGV[5])
  redis.call('RPUSH', KEYS[3], ARGV[3])
  if ARGV[6] == '1' then
    redis.call('SADD', KEYS[1], ARGV[3])
  end
  applied = 1
end
local acked = 0
if ARGV[7] == '1' then
  acked = redis.call('XACK', KEYS[4], ARGV[1], ARGV[2])
end
return {applied, acked}
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

    /// Applies one entry's effect and acknowledges it, in the plan's order, recording both.
    pub async fn apply(&self, env: &mut Env<'_>, item: &Item<'_>) -> Result<(), PipelineError> {
        match self.plan {
            Plan::AtomicScript => {
                let (applied, acked) = self.effect_script(env, item, true, true).await?;
                env.record_effect(item, applied);
                env.record_ack(item, acked);
                // The ack is inside the script: both points come after it.
                env.failpoint(CONSUMER_AFTER_EFFECT_BEFORE_ACK).await;
                env.failpoint(CONSUMER_AFTER_ACK).await;
            }
            Plan::EffectThenAck | Plan::ApiThenAck => {
                let applied = match self.plan {
                    Plan::EffectThenAck => self.effect_script(env, item, false, false).await?.0,
                    _ => self.call_api(env, item).await?,
                };
                env.record_effect(item, applied);
                env.failpoint(CONSUMER_AFTER_EFFECT_BEFORE_ACK).await;
                let acked = xack(env, item).await?;
                env.record_ack(item, acked);
                env.failpoint(CONSUMER_AFTER_ACK).await;
            }
            Plan::AckThenEffect | Plan::AckThenApi => {
                let acked = xack(env, item).await?;
                env.record_ack(item, acked);
                env.failpoint(CONSUMER_AFTER_ACK).await;
                let applied = match self.plan {
                    Plan::AckThenEffect => self.effect_script(env, item, true, false).await?.0,
                    _ => self.call_api(env, item).await?,
                };
                env.record_effect(item, applied);
            }
        }
        Ok(())
    }

    async fn effect_script(
        &self,
        env: &mut Env<'_>,
        item: &Item<'_>,
        dedupe: bool,
        ack: bool,
    ) -> Result<(bool, u64), PipelineError> {
        let keys = &env.ctx.keys;
        let (tenant, concern) = (item.tenant, env.concern);
        let (dedupe_key, ledger, effects) = (
            keys.dedupe(tenant, concern),
            keys.ledger(tenant, concern),
            keys.effects(tenant, concern),
        );
        let flag = |b: bool| if b { "1" } else { "0" };
        let args = [
            concern,
            item.entry_id,
            item.event,
            item.object,
            item.amount,
            flag(dedupe),
            flag(ack),
        ];
        let reply = self
            .script
            .invoke(
                env.link.conn().await?,
                &[&dedupe_key, &ledger, &effects, item.stream],
                &args,
            )
            .await?;
        let pair = match &reply {
            Value::Array(v) if v.len() == 2 => (as_u64(&v[0]), as_u64(&v[1])),
            _ => (None, None),
        };
        match pair {
            (Some(applied), Some(acked)) => Ok((applied == 1, acked)),
            _ => Err(PipelineError::reply("effect script", format!("{reply:?}"))),
        }
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

async fn xack(env: &mut Env<'_>, item: &Item<'_>) -> Result<u64, PipelineError> {
    let conn = env.link.conn().await?;
    let acked: u64 = redis::cmd("XACK")
        .arg(item.stream)
        .arg(env.concern)
        .arg(item.entry_id)
        .query_async(conn)
        .await?;
    Ok(acked)
}
