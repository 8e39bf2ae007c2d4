//! A run's performance over time, derived from its history alone, once for both worlds: the
//! committed and effected rates, commit→effect latency (an HDR histogram, and its quantiles per
//! time bucket), consumer lag and pending entries, reclaims, dedupe hits and dead letters, the
//! faults as time bands, and per fault the time the effect rate took to recover.
//!
//! Times are the records' `time_ms`: simulated ms in the simulation, wall-clock ms since the
//! run's start in the container world, so "per second" means per simulated second in the first.
//! The `bench` command prints these figures and `report.html` plots them.
//!
//! Pure functions of the history: this module never reads a clock, never judges (the checkers
//! do) and iterates only ordered maps, so the same history gives the same figures byte for byte.

use crate::check::coverage::{fault_kind, HEAL_ALL};
use crate::history::{CommitOutcome, Op, Phase, Record};
use hdrhistogram::Histogram;
use std::collections::{BTreeMap, BTreeSet};

/// The recovery goal: the effect rate is back to this fraction of its level before the fault.
pub const RECOVERY_FRACTION: f64 = 0.9;
/// How much of the time before a fault sets the level it is measured against.
pub const RECOVERY_BASELINE_MS: u64 = 3_000;
/// The bucket of the recovery measure and of the bench's per-second table.
pub const SECOND_MS: u64 = 1_000;
/// About this many buckets in a plot, whatever the run's length.
const PLOT_BUCKETS: u64 = 120;

/// One fault as a band of time: from its start (crash, partition, hold, latency, loss, power
/// loss, failover) to the record that ends it (restart, heal, release), or the run's end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultBand {
    pub kind: String,
    pub target: String,
    pub detail: String,
    pub start_ms: u64,
    /// `None` while it was never healed (it lasted to the end of the run).
    pub end_ms: Option<u64>,
}

impl FaultBand {
    /// `crash worker-billing-0`, the band's label in a plot.
    pub fn label(&self) -> String {
        format!("{} {}", self.kind, self.target)
    }
}

/// How long the effect rate took to come back after one fault.
#[derive(Clone, Debug, PartialEq)]
pub enum Recovery {
    /// No effects in the baseline before the fault: nothing to come back to.
    NoBaseline,
    /// The rate never fell under the goal: recovered at once.
    NoDip,
    /// Back to the goal this many ms after the fault started.
    After { ms: u64, baseline_per_s: f64 },
    /// Still under the goal when the run ended.
    Never { baseline_per_s: f64 },
}

impl std::fmt::Display for Recovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Recovery::NoBaseline => f.write_str("no effects before it (no baseline)"),
            Recovery::NoDip => f.write_str("0 ms (no dip under 90%)"),
            Recovery::After { ms, baseline_per_s } => {
                write!(f, "{ms} ms (baseline {baseline_per_s:.0} effects/s)")
            }
            Recovery::Never { baseline_per_s } => {
                write!(
                    f,
                    "not recovered by the end of the run (baseline {baseline_per_s:.0} effects/s)"
                )
            }
        }
    }
}

/// Counts per time bucket and the state after each bucket.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    pub bucket_ms: u64,
    /// Decisions committed (their first `ok` commit) per bucket.
    pub committed: Vec<u64>,
    /// Effects applied (one per decision and concern) per bucket.
    pub effected: Vec<u64>,
    /// Deliveries that were redeliveries (XAUTOCLAIM or a re-read) per bucket.
    pub reclaims: Vec<u64>,
    /// Effects a sink recognised as duplicates per bucket.
    pub dedupe_hits: Vec<u64>,
    pub dead_letters: Vec<u64>,
    /// Committed (decision, concern) pairs not yet delivered to their group, after each bucket.
    pub lag: Vec<u64>,
    /// Entries delivered and not yet acknowledged (or dead-lettered), after each bucket.
    pub pending: Vec<u64>,
    /// Commit→effect latency quantiles (p50, p99, max) of the effects of each bucket, in ms.
    pub latency: Vec<Option<[u64; 3]>>,
}

impl Series {
    pub fn len(&self) -> usize {
        self.committed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.committed.is_empty()
    }

    /// Start of bucket `i` in ms.
    pub fn at_ms(&self, i: usize) -> u64 {
        i as u64 * self.bucket_ms
    }

    /// A count per bucket as a rate per second.
    pub fn per_s(&self, count: u64) -> f64 {
        count as f64 * 1_000.0 / self.bucket_ms as f64
    }
}

/// Everything the bench prints and the report plots.
#[derive(Clone, Debug)]
pub struct Perf {
    /// The last record's time.
    pub end_ms: u64,
    pub concerns: usize,
    /// Buckets of about 1/120 of the run, for plots.
    pub plot: Series,
    /// One-second buckets, for the bench's table and the recovery times.
    pub seconds: Series,
    /// Every commit→effect latency in ms.
    pub latency: Histogram<u64>,
    pub faults: Vec<FaultBand>,
    pub recoveries: Vec<Recovery>,
    pub committed: u64,
    pub effected: u64,
    pub reclaims: u64,
    pub dedupe_hits: u64,
    pub dead_letters: u64,
}

impl Perf {
    pub fn build(history: &[Record]) -> Perf {
        let end_ms = history.iter().map(|r| r.time_ms).max().unwrap_or(0);
        let facts = Facts::collect(history);
        let plot = facts.series(plot_bucket_ms(end_ms), end_ms);
        let seconds = facts.series(SECOND_MS, end_ms);
        let faults = fault_bands(history);
        let recoveries = faults.iter().map(|f| recovery(&seconds, f)).collect();
        // Fixed bounds: `saturating_record` on an auto-resizing histogram (`Histogram::new`)
        // clamps to its initial highest value, 2 ms, so every latency above its first 2,047 ms
        // read as 2 ms (a backlogged container bench printed p50 2 ms for seconds of lag).
        let mut latency = Histogram::<u64>::new_with_bounds(1, LATENCY_MS_MAX, 3)
            .expect("valid histogram bounds");
        for &(_, ms) in &facts.latencies {
            latency.saturating_record(ms);
        }
        Perf {
            end_ms,
            concerns: facts.concerns.len(),
            committed: seconds.committed.iter().sum(),
            effected: seconds.effected.iter().sum(),
            reclaims: seconds.reclaims.iter().sum(),
            dedupe_hits: seconds.dedupe_hits.iter().sum(),
            dead_letters: seconds.dead_letters.iter().sum(),
            plot,
            seconds,
            latency,
            faults,
            recoveries,
        }
    }

    /// `(p50, p99, p99.9, max)` of commit→effect in ms, `None` without a single effect.
    pub fn latency_quantiles(&self) -> Option<[u64; 4]> {
        (!self.latency.is_empty()).then(|| {
            [
                self.latency.value_at_quantile(0.5),
                self.latency.value_at_quantile(0.99),
                self.latency.value_at_quantile(0.999),
                self.latency.max(),
            ]
        })
    }

    /// Mean rate per second over the run (0 for an empty run).
    pub fn mean_per_s(&self, count: u64) -> f64 {
        count as f64 * 1_000.0 / self.end_ms.max(1) as f64
    }

    /// The highest one-second effect rate of the run.
    pub fn peak_effects_per_s(&self) -> u64 {
        self.seconds.effected.iter().copied().max().unwrap_or(0)
    }
}

/// Latencies above an hour are recorded as an hour.
const LATENCY_MS_MAX: u64 = 3_600_000;

/// Rows of the bench's per-second table at most; faults listed at most.
const TABLE_ROWS_MAX: usize = 600;
const FAULTS_LISTED_MAX: usize = 60;

/// The bench's figures as text: the per-second table, totals, latency quantiles, and each
/// fault's time to recover. `clock` names the seconds (`simulated`, `wall-clock`).
pub fn bench_lines(perf: &Perf, clock: &str) -> Vec<String> {
    let s = &perf.seconds;
    let mut out = vec![
        format!("over time (per {clock} second):"),
        format!(
            "  {:>6} {:>11} {:>9} {:>8} {:>7} {:>5} {:>7} {:>7} {:>8} {:>8}",
            "t(s)",
            "committed/s",
            "effects/s",
            "reclaims",
            "dedupe",
            "dead",
            "lag",
            "pending",
            "p50(ms)",
            "p99(ms)"
        ),
    ];
    for i in 0..s.len().min(TABLE_ROWS_MAX) {
        let (p50, p99) = s.latency[i].map_or(("-".to_string(), "-".to_string()), |l| {
            (l[0].to_string(), l[1].to_string())
        });
        out.push(format!(
            "  {:>6} {:>11} {:>9} {:>8} {:>7} {:>5} {:>7} {:>7} {:>8} {:>8}",
            i,
            s.committed[i],
            s.effected[i],
            s.reclaims[i],
            s.dedupe_hits[i],
            s.dead_letters[i],
            s.lag[i],
            s.pending[i],
            p50,
            p99
        ));
    }
    if s.len() > TABLE_ROWS_MAX {
        out.push(format!(
            "  ... {} more seconds (report.html plots them all)",
            s.len() - TABLE_ROWS_MAX
        ));
    }
    let peak = |v: &[u64]| v.iter().copied().max().unwrap_or(0);
    out.push(format!(
        "committed: {} decisions, {:.1}/s mean, {}/s peak",
        perf.committed,
        perf.mean_per_s(perf.committed),
        peak(&s.committed)
    ));
    out.push(format!(
        "effected: {} effects ({} concerns), {:.1}/s mean, {}/s peak",
        perf.effected,
        perf.concerns,
        perf.mean_per_s(perf.effected),
        peak(&s.effected)
    ));
    out.push(match perf.latency_quantiles() {
        Some([p50, p99, p999, max]) => format!(
            "latency commit->effect: p50 {p50} ms, p99 {p99} ms, p99.9 {p999} ms, max {max} ms ({} effects)",
            perf.latency.len()
        ),
        None => "latency commit->effect: no effect applied".to_string(),
    });
    out.push(format!(
        "reclaims: {}, dedupe hits: {}, dead letters: {}, lag max: {}, pending max: {}",
        perf.reclaims,
        perf.dedupe_hits,
        perf.dead_letters,
        peak(&s.lag),
        peak(&s.pending)
    ));
    out.push(format!(
        "faults: {} (time to recover: until the effect rate is back to {:.0}% of its mean over the {} ms before)",
        perf.faults.len(),
        RECOVERY_FRACTION * 100.0,
        RECOVERY_BASELINE_MS
    ));
    for (f, r) in perf
        .faults
        .iter()
        .zip(&perf.recoveries)
        .take(FAULTS_LISTED_MAX)
    {
        let until = f
            .end_ms
            .map_or("the end".to_string(), |e| format!("{e} ms"));
        out.push(format!(
            "  at {} ms {} (until {until}): {r}",
            f.start_ms,
            f.label()
        ));
    }
    if perf.faults.len() > FAULTS_LISTED_MAX {
        out.push(format!(
            "  ... and {} more faults (report.html lists them all)",
            perf.faults.len() - FAULTS_LISTED_MAX
        ));
    }
    out
}

/// A bucket size of 1, 2 or 5 × 10^k ms giving at most about [`PLOT_BUCKETS`] buckets.
pub fn plot_bucket_ms(end_ms: u64) -> u64 {
    let want = end_ms.div_ceil(PLOT_BUCKETS).max(1);
    let mut base = 1u64;
    loop {
        for step in [1, 2, 5] {
            if base * step >= want {
                return base * step;
            }
        }
        base *= 10;
    }
}

/// The history's events with their times, extracted once for every bucket size.
struct Facts {
    concerns: BTreeSet<String>,
    /// First ok commit time of each decision.
    commits: Vec<u64>,
    /// (time, latency) of every applied effect whose decision has an ok commit.
    latencies: Vec<(u64, u64)>,
    effects: Vec<u64>,
    reclaims: Vec<u64>,
    dedupe_hits: Vec<u64>,
    dead_letters: Vec<u64>,
    /// (time, +1/-1) changes of the lag and of the pending count.
    lag: Vec<(u64, i64)>,
    pending: Vec<(u64, i64)>,
}

impl Facts {
    fn collect(history: &[Record]) -> Facts {
        let concerns: BTreeSet<String> = history
            .iter()
            .filter_map(|r| match &r.op {
                Op::Deliver { concern, .. } | Op::Effect { concern, .. } => Some(concern.clone()),
                _ => None,
            })
            .collect();
        let mut f = Facts {
            concerns,
            commits: Vec::new(),
            latencies: Vec::new(),
            effects: Vec::new(),
            reclaims: Vec::new(),
            dedupe_hits: Vec::new(),
            dead_letters: Vec::new(),
            lag: Vec::new(),
            pending: Vec::new(),
        };
        let groups = f.concerns.len() as i64;
        let mut committed_at: BTreeMap<&str, u64> = BTreeMap::new();
        let mut delivered: BTreeSet<(&str, &str)> = BTreeSet::new();
        // Groups that received an event before its commit was known ok (a late reply).
        let mut early: BTreeMap<&str, i64> = BTreeMap::new();
        let mut pending: BTreeSet<(&str, &str)> = BTreeSet::new();
        for r in history {
            let t = r.time_ms;
            match &r.op {
                Op::Commit {
                    event,
                    outcome: Some(CommitOutcome::Committed | CommitOutcome::AlreadyCommitted),
                    ..
                } if r.phase == Phase::Ok && !committed_at.contains_key(event.as_str()) => {
                    committed_at.insert(event, t);
                    f.commits.push(t);
                    let already = early.get(event.as_str()).copied().unwrap_or(0);
                    f.lag.push((t, groups - already));
                }
                Op::Deliver {
                    concern,
                    event,
                    entry_id,
                    reclaimed,
                    ..
                } => {
                    if *reclaimed {
                        f.reclaims.push(t);
                    }
                    // A first delivery ends one group's lag; before the commit is known ok,
                    // the commit will count it as delivered already.
                    if delivered.insert((concern, event)) {
                        if committed_at.contains_key(event.as_str()) {
                            f.lag.push((t, -1));
                        } else {
                            *early.entry(event).or_insert(0) += 1;
                        }
                    }
                    if pending.insert((concern, entry_id)) {
                        f.pending.push((t, 1));
                    }
                }
                Op::Effect {
                    event,
                    applied: true,
                    ..
                } => {
                    f.effects.push(t);
                    if let Some(&c) = committed_at.get(event.as_str()) {
                        f.latencies.push((t, t.saturating_sub(c)));
                    }
                }
                Op::Effect { applied: false, .. } => f.dedupe_hits.push(t),
                Op::Ack {
                    concern,
                    entry_id,
                    acked,
                    ..
                } if *acked > 0 && pending.remove(&(concern.as_str(), entry_id.as_str())) => {
                    f.pending.push((t, -1));
                }
                Op::DeadLetter {
                    concern, entry_id, ..
                } => {
                    f.dead_letters.push(t);
                    if pending.remove(&(concern.as_str(), entry_id.as_str())) {
                        f.pending.push((t, -1));
                    }
                }
                _ => {}
            }
        }
        f
    }

    fn series(&self, bucket_ms: u64, end_ms: u64) -> Series {
        let n = (end_ms / bucket_ms + 1) as usize;
        let bucket = |t: u64| ((t / bucket_ms) as usize).min(n - 1);
        let counts = |times: &[u64]| {
            let mut v = vec![0u64; n];
            times.iter().for_each(|&t| v[bucket(t)] += 1);
            v
        };
        let level = |changes: &[(u64, i64)]| {
            let mut delta = vec![0i64; n];
            changes.iter().for_each(|&(t, d)| delta[bucket(t)] += d);
            let mut sum = 0i64;
            delta
                .into_iter()
                .map(|d| {
                    sum += d;
                    sum.max(0) as u64
                })
                .collect()
        };
        let mut per_bucket: Vec<Vec<u64>> = vec![Vec::new(); n];
        for &(t, ms) in &self.latencies {
            per_bucket[bucket(t)].push(ms);
        }
        let latency = per_bucket
            .into_iter()
            .map(|mut v| {
                (!v.is_empty()).then(|| {
                    v.sort_unstable();
                    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
                    [q(0.5), q(0.99), v[v.len() - 1]]
                })
            })
            .collect();
        Series {
            bucket_ms,
            committed: counts(&self.commits),
            effected: counts(&self.effects),
            reclaims: counts(&self.reclaims),
            dedupe_hits: counts(&self.dedupe_hits),
            dead_letters: counts(&self.dead_letters),
            lag: level(&self.lag),
            pending: level(&self.pending),
            latency,
        }
    }
}

/// Which kind ends a fault of this kind (`None`: an instant, such as a failover).
fn ending_kind(kind: &str) -> Option<&'static str> {
    match kind {
        fault_kind::CRASH | fault_kind::POWER_LOSS => Some(fault_kind::RESTART),
        fault_kind::PARTITION | fault_kind::LOSS | fault_kind::LATENCY => Some(fault_kind::HEAL),
        fault_kind::HOLD => Some(fault_kind::RELEASE),
        _ => None,
    }
}

/// The history's faults as bands, in the order they started.
pub fn fault_bands(history: &[Record]) -> Vec<FaultBand> {
    let mut bands: Vec<FaultBand> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for r in history {
        let Op::Fault {
            kind,
            target,
            detail,
        } = &r.op
        else {
            continue;
        };
        let ends = |b: &FaultBand| {
            ending_kind(&b.kind) == Some(kind.as_str())
                && (b.target == *target || (kind == fault_kind::HEAL && target == HEAL_ALL))
        };
        if [fault_kind::RESTART, fault_kind::HEAL, fault_kind::RELEASE].contains(&kind.as_str()) {
            let mut still = Vec::with_capacity(open.len());
            for i in open {
                if ends(&bands[i]) {
                    bands[i].end_ms = Some(r.time_ms);
                } else {
                    still.push(i);
                }
            }
            open = still;
            continue;
        }
        let instant = ending_kind(kind).is_none();
        if !instant {
            open.push(bands.len());
        }
        bands.push(FaultBand {
            kind: kind.clone(),
            target: target.clone(),
            detail: detail.clone(),
            start_ms: r.time_ms,
            end_ms: instant.then_some(r.time_ms),
        });
    }
    bands
}

/// How long the effect rate (one-second buckets) took to return to [`RECOVERY_FRACTION`] of its
/// mean over the [`RECOVERY_BASELINE_MS`] before the fault. The fault's own bucket and the ones
/// after it are searched for a dip under the goal (until the fault ended and one baseline more);
/// without one it recovered at once, else at the first bucket after the dip back at the goal.
pub fn recovery(seconds: &Series, fault: &FaultBand) -> Recovery {
    let b = seconds.bucket_ms;
    let first = (fault.start_ms / b) as usize;
    let before = (RECOVERY_BASELINE_MS / b).max(1) as usize;
    let from = first.saturating_sub(before);
    if from == first {
        return Recovery::NoBaseline;
    }
    let base: u64 = seconds.effected[from..first].iter().sum();
    let baseline_per_s = seconds.per_s(base) / (first - from) as f64;
    if base == 0 {
        return Recovery::NoBaseline;
    }
    let goal = baseline_per_s * RECOVERY_FRACTION;
    let rate = |i: usize| seconds.per_s(seconds.effected[i]);
    // The last bucket is partial: it never counts as a dip.
    let last = seconds.len().saturating_sub(1);
    let search_end = fault
        .end_ms
        .map_or(last, |e| ((e + RECOVERY_BASELINE_MS) / b) as usize)
        .min(last);
    let Some(dip) = (first..search_end).find(|&i| rate(i) < goal) else {
        return Recovery::NoDip;
    };
    match (dip + 1..=last).find(|&i| rate(i) >= goal) {
        Some(i) => Recovery::After {
            ms: (i as u64 * b).saturating_sub(fault.start_ms),
            baseline_per_s,
        },
        None => Recovery::Never { baseline_per_s },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::testkit::*;

    fn fault(t: u64, kind: &str, target: &str) -> Record {
        Record {
            index: 0,
            time_ms: t,
            process: "nemesis".into(),
            phase: Phase::Event,
            op: Op::Fault {
                kind: kind.into(),
                target: target.into(),
                detail: String::new(),
            },
        }
    }

    #[test]
    fn bands_pair_starts_with_their_ends() {
        let h = vec![
            fault(100, "crash", "worker-a"),
            fault(150, "partition", "redis|worker-a"),
            fault(200, "failover", "redis-2"),
            fault(300, "restart", "worker-a"),
            fault(400, "heal", "*"),
            fault(500, "hold", "producer-0"),
        ];
        let bands = fault_bands(&h);
        let spans: Vec<(&str, u64, Option<u64>)> = bands
            .iter()
            .map(|b| (b.kind.as_str(), b.start_ms, b.end_ms))
            .collect();
        assert_eq!(
            spans,
            vec![
                ("crash", 100, Some(300)),
                ("partition", 150, Some(400)),
                ("failover", 200, Some(200)),
                ("hold", 500, None),
            ]
        );
        assert_eq!(bands[0].label(), "crash worker-a");
    }

    #[test]
    fn plot_buckets_are_round() {
        assert_eq!(plot_bucket_ms(0), 1);
        assert_eq!(plot_bucket_ms(2_000), 20);
        assert_eq!(plot_bucket_ms(6_100), 100);
        assert_eq!(plot_bucket_ms(60_000), 500);
    }

    #[test]
    fn a_clean_run_has_its_figures() {
        let (h, _) = clean_run();
        let perf = Perf::build(&h);
        assert!(perf.committed > 0 && perf.effected > 0, "{perf:?}");
        assert_eq!(perf.latency.len(), perf.effected);
        // Everything delivered and acknowledged in the end.
        assert_eq!(perf.seconds.lag.last(), Some(&0));
        assert_eq!(perf.seconds.pending.last(), Some(&0));
        assert!(perf.latency_quantiles().is_some());
    }

    #[test]
    fn latencies_over_two_seconds_keep_their_value() {
        let mut h = Hist::new();
        h.commit("d1", 1, Phase::Ok);
        for _ in 0..400 {
            h.failpoint("worker-a", "consumer.after_read");
        }
        h.effect("billing", "d1", "1-0", "worker-a", true);
        let perf = Perf::build(&h.records);
        let [p50, _, _, max] = perf.latency_quantiles().unwrap();
        // The testkit writes a record every 10 ms: 401 records after the commit.
        assert!((4_000..4_100).contains(&p50), "p50 {p50}");
        assert!((4_000..4_100).contains(&max), "max {max}");
    }

    fn seconds(effected: Vec<u64>) -> Series {
        Series {
            bucket_ms: 1_000,
            committed: vec![0; effected.len()],
            effected,
            ..Series::default()
        }
    }

    #[test]
    fn recovery_is_measured_from_the_fault_to_the_goal() {
        let band = |start_ms, end_ms| FaultBand {
            kind: "crash".into(),
            target: "w".into(),
            detail: String::new(),
            start_ms,
            end_ms: Some(end_ms),
        };
        let s = seconds(vec![100, 100, 100, 100, 30, 50, 95, 100, 100]);
        assert_eq!(
            recovery(&s, &band(4_500, 5_000)),
            Recovery::After {
                ms: 1_500,
                baseline_per_s: 100.0
            }
        );
        assert_eq!(recovery(&s, &band(500, 900)), Recovery::NoBaseline);
        let flat = seconds(vec![100; 9]);
        assert_eq!(recovery(&flat, &band(4_500, 5_000)), Recovery::NoDip);
        let down = seconds(vec![100, 100, 100, 100, 10, 10, 10, 10, 10]);
        assert_eq!(
            recovery(&down, &band(4_000, 4_100)),
            Recovery::Never {
                baseline_per_s: 100.0
            }
        );
    }
}
