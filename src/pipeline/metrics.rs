//! Pipeline metrics: counters, per-group gauges and the commit→effect latency histogram.
//!
//! Counters are atomics bumped on the hot path; gauges (lag, pending per concern) are sampled from
//! XINFO GROUPS by [`sample_groups`]; latency goes into an HDR histogram. [`Metrics::snapshot`]
//! reads it all as plain data. Time is `tokio::time` only: the clock starts when `Metrics` is made,
//! and producers stamp each outbox entry with [`Metrics::now_ms`] so a consumer sharing this
//! `Metrics` can measure commit→effect latency. Metrics must never influence behaviour.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use hdrhistogram::Histogram;
use redis::aio::MultiplexedConnection;
use serde::{Deserialize, Serialize};

use crate::pipeline::connector::{Link, Purpose};
use crate::pipeline::error::{PipelineError, Retry};
use crate::pipeline::keys::Keys;
use crate::pipeline::streams;
use crate::pipeline::Context;

/// Latencies above an hour are clamped into the top bucket.
const LATENCY_MS_MAX: u64 = 3_600_000;

/// Shared by every component of a run. Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Counters {
    commits: AtomicU64,
    xadds: AtomicU64,
    deliveries: AtomicU64,
    effects: AtomicU64,
    xacks: AtomicU64,
    reclaims: AtomicU64,
    dedupe_hits: AtomicU64,
    dead_letters: AtomicU64,
    sink_errors: AtomicU64,
    trimmed: AtomicU64,
}

struct Inner {
    start: tokio::time::Instant,
    counters: Counters,
    groups: Mutex<BTreeMap<String, GroupGauge>>,
    latency_ms: Mutex<Histogram<u64>>,
}

/// Lag (never delivered) and pending (delivered, not acked) of one concern, summed over tenants.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupGauge {
    pub lag: u64,
    pub pending: u64,
}

/// Percentiles of the commit→effect latency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub count: u64,
    pub p50_ms: u64,
    pub p90_ms: u64,
    pub p99_ms: u64,
    pub max_ms: u64,
}

/// Everything, as plain data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricsSnapshot {
    pub elapsed_ms: u64,
    pub commits: u64,
    pub xadds: u64,
    pub deliveries: u64,
    pub effects: u64,
    pub xacks: u64,
    pub reclaims: u64,
    pub dedupe_hits: u64,
    pub dead_letters: u64,
    pub sink_errors: u64,
    pub trimmed: u64,
    pub xadd_per_s: f64,
    pub xack_per_s: f64,
    pub groups: BTreeMap<String, GroupGauge>,
    pub latency: LatencySummary,
}

/// A counter of [`Metrics`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counter {
    Commits,
    Xadds,
    Deliveries,
    Effects,
    Xacks,
    Reclaims,
    DedupeHits,
    DeadLetters,
    SinkErrors,
    Trimmed,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Starts the clock now (`tokio::time`: simulated time in turmoil).
    pub fn new() -> Metrics {
        let histogram =
            Histogram::new_with_bounds(1, LATENCY_MS_MAX, 3).expect("valid histogram bounds");
        let inner = Inner {
            start: tokio::time::Instant::now(),
            counters: Counters::default(),
            groups: Mutex::new(BTreeMap::new()),
            latency_ms: Mutex::new(histogram),
        };
        Metrics {
            inner: Arc::new(inner),
        }
    }

    /// Milliseconds since this `Metrics` was made.
    pub fn now_ms(&self) -> u64 {
        self.inner.start.elapsed().as_millis() as u64
    }

    fn counter(&self, c: Counter) -> &AtomicU64 {
        let k = &self.inner.counters;
        match c {
            Counter::Commits => &k.commits,
            Counter::Xadds => &k.xadds,
            Counter::Deliveries => &k.deliveries,
            Counter::Effects => &k.effects,
            Counter::Xacks => &k.xacks,
            Counter::Reclaims => &k.reclaims,
            Counter::DedupeHits => &k.dedupe_hits,
            Counter::DeadLetters => &k.dead_letters,
            Counter::SinkErrors => &k.sink_errors,
            Counter::Trimmed => &k.trimmed,
        }
    }

    pub fn add(&self, c: Counter, n: u64) {
        self.counter(c).fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self, c: Counter) -> u64 {
        self.counter(c).load(Ordering::Relaxed)
    }

    /// An effect of an entry committed at `committed_ms` (on this clock) was just applied.
    pub fn record_latency(&self, committed_ms: u64) {
        let latency_ms = self
            .now_ms()
            .saturating_sub(committed_ms)
            .clamp(1, LATENCY_MS_MAX);
        let mut h = self
            .inner
            .latency_ms
            .lock()
            .expect("latency histogram poisoned");
        h.record(latency_ms)
            .expect("latency clamped into the histogram's bounds");
    }

    pub fn set_group(&self, concern: &str, gauge: GroupGauge) {
        self.inner
            .groups
            .lock()
            .expect("gauges poisoned")
            .insert(concern.to_string(), gauge);
    }

    pub fn snapshot(&self) -> MetricsSnapshot {
        let elapsed_ms = self.now_ms();
        let per_s = |n: u64| {
            if elapsed_ms == 0 {
                0.0
            } else {
                n as f64 * 1000.0 / elapsed_ms as f64
            }
        };
        let h = self
            .inner
            .latency_ms
            .lock()
            .expect("latency histogram poisoned");
        let latency = LatencySummary {
            count: h.len(),
            p50_ms: h.value_at_quantile(0.5),
            p90_ms: h.value_at_quantile(0.9),
            p99_ms: h.value_at_quantile(0.99),
            max_ms: h.max(),
        };
        MetricsSnapshot {
            elapsed_ms,
            commits: self.get(Counter::Commits),
            xadds: self.get(Counter::Xadds),
            deliveries: self.get(Counter::Deliveries),
            effects: self.get(Counter::Effects),
            xacks: self.get(Counter::Xacks),
            reclaims: self.get(Counter::Reclaims),
            dedupe_hits: self.get(Counter::DedupeHits),
            dead_letters: self.get(Counter::DeadLetters),
            sink_errors: self.get(Counter::SinkErrors),
            trimmed: self.get(Counter::Trimmed),
            xadd_per_s: per_s(self.get(Counter::Xadds)),
            xack_per_s: per_s(self.get(Counter::Xacks)),
            groups: self.inner.groups.lock().expect("gauges poisoned").clone(),
            latency,
        }
    }
}

/// Reads lag and pending of every concern over every tenant's stream into the gauges, and
/// returns them. A group whose lag Redis cannot compute (after deletions) counts 1 when its
/// last-delivered id is behind the stream's last id: "behind", not how far.
pub async fn sample_groups(
    conn: &mut MultiplexedConnection,
    keys: &Keys,
    tenants: &[String],
    concerns: &[String],
    metrics: &Metrics,
) -> Result<BTreeMap<String, GroupGauge>, PipelineError> {
    let mut totals: BTreeMap<String, GroupGauge> = concerns
        .iter()
        .map(|c| (c.clone(), GroupGauge::default()))
        .collect();
    for tenant in tenants {
        let stream = keys.outbox(tenant);
        let groups = streams::groups(conn, &stream).await?;
        let last = streams::last_generated(conn, &stream)
            .await?
            .unwrap_or_default();
        for g in groups {
            let Some(total) = totals.get_mut(&g.name) else {
                continue;
            };
            let behind = u64::from(g.last_delivered < last);
            total.lag += g.lag.unwrap_or(behind);
            total.pending += g.pending;
        }
    }
    for (concern, gauge) in &totals {
        metrics.set_group(concern, *gauge);
    }
    Ok(totals)
}

/// A task that keeps the lag and pending gauges fresh.
pub struct Sampler {
    ctx: Context,
    tenants: Vec<String>,
    link: Link,
}

impl Sampler {
    pub fn new(ctx: &Context, tenants: &[String]) -> Sampler {
        Sampler {
            link: ctx.link("sampler", Purpose::Commands),
            ctx: ctx.clone(),
            tenants: tenants.to_vec(),
        }
    }

    /// Samples every `interval_ms` until dropped, or until an error no retry can fix.
    pub async fn run(mut self, interval_ms: u64) -> Result<(), PipelineError> {
        loop {
            let sampled = match self.link.conn().await {
                Ok(conn) => {
                    let (keys, concerns) = (&self.ctx.keys, &self.ctx.config.concerns);
                    sample_groups(conn, keys, &self.tenants, concerns, &self.ctx.metrics).await
                }
                Err(e) => Err(e),
            };
            match sampled {
                Ok(_) => {
                    self.link.succeeded();
                    tokio::time::sleep(std::time::Duration::from_millis(interval_ms)).await;
                }
                Err(e) if self.link.recover(&e).await == Retry::Never => return Err(e),
                Err(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn snapshot_counts_and_latency() {
        let m = Metrics::new();
        m.add(Counter::Xadds, 10);
        let at = m.now_ms();
        tokio::time::sleep(Duration::from_millis(250)).await;
        m.record_latency(at);
        m.set_group("billing", GroupGauge { lag: 3, pending: 1 });
        let s = m.snapshot();
        assert_eq!(s.xadds, 10);
        assert_eq!(s.elapsed_ms, 250);
        assert_eq!(s.xadd_per_s, 40.0);
        assert_eq!(s.latency.count, 1);
        assert!((249..=251).contains(&s.latency.max_ms), "{:?}", s.latency);
        assert_eq!(s.groups["billing"], GroupGauge { lag: 3, pending: 1 });
    }
}
