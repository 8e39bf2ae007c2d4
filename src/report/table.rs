//! The outcome table (`outbox-chaos table`): what each cell of the grid of durability settings ×
//! faults (`crate::scenario::grid`) came to over its seeds in the simulation, a seed and the
//! command that reproduces it, whether the cell met the expectation of the shipped scenario it
//! equals, and, when asked, whether a run in containers with that seed confirmed the finding.
//!
//! Per cell: the seed shown is the first that shows the cell's finding (the expected kind when
//! the cell expects one, else the first failing seed), or the first seed when every seed was
//! clean. A cell's expectation is judged by the same rules as a sweep of it
//! ([`Sweep::expectation_met`]); a container run that ran is judged by them too, as the `real`
//! command judges it. A container run is "confirmed" only when it ran and found every gating
//! kind the simulated seed found; a cell never tried in containers says why.
//!
//! This module formats and applies the sweep's rules; it never runs a cell or reads a clock.

use crate::check::{Expect, ViolationKind};
use crate::report::sweep::{SeedOutcome, Sweep};
use crate::scenario::grid::Cell;
use crate::scenario::{SeedRange, Shard};
use std::collections::BTreeMap;
use std::fmt::Write;

/// What became of a cell's finding in containers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Containers {
    /// The table ran in the simulation only (`--world sim`).
    NotAsked,
    /// No container run, and why (nothing to confirm; a kind that world cannot inject).
    NotTried(String),
    /// The container run broke before its checkers could judge it.
    Broken { run: String, error: String },
    /// The container run with the cell's seed, and the run's id.
    Ran { run: String, seed: SeedOutcome },
}

/// A cell after its seeds ran.
#[derive(Clone, Debug)]
pub struct CellRun {
    pub cell: Cell,
    /// The scenario file as the reproduce command names it.
    pub file: String,
    pub seeds: Vec<SeedOutcome>,
    pub containers: Containers,
}

/// How a container run compares with the simulated seed it reran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confirmation {
    /// Every gating kind the simulated seed showed, the container run showed too.
    Confirmed,
    /// Some of them.
    Partly { missing: Vec<ViolationKind> },
    /// None of them.
    NotConfirmed,
}

impl CellRun {
    fn sweep(&self, seeds: impl Iterator<Item = SeedOutcome>) -> Sweep {
        let mut sweep = Sweep::new(
            &self.cell.scenario,
            SeedRange { start: 0, end: 0 },
            Shard::ALL,
        );
        seeds.for_each(|o| sweep.add(o));
        sweep
    }

    /// The seed the table shows (see the module doc); `None` when no seed ran.
    pub fn shown(&self) -> Option<&SeedOutcome> {
        let expected = match (&self.cell.expected, Expect::from(self.cell.scenario.expect)) {
            (Some(_), Expect::Violation(kind)) => Some(kind),
            _ => None,
        };
        let wanted = |s: &&SeedOutcome| expected.is_some_and(|k| s.found(k));
        self.seeds
            .iter()
            .find(|s| s.error.is_some())
            .or_else(|| self.seeds.iter().find(wanted))
            .or_else(|| self.seeds.iter().find(|s| s.is_failing()))
            .or_else(|| self.seeds.first())
    }

    /// Seeds that broke.
    pub fn broken(&self) -> bool {
        self.seeds.iter().any(|s| s.error.is_some())
            || matches!(self.containers, Containers::Broken { .. })
    }

    /// The simulated seeds met the cell's expectation: `None` when it has none.
    pub fn sim_met(&self) -> Option<bool> {
        self.cell.expected.as_ref()?;
        Some(self.sweep(self.seeds.iter().cloned()).expectation_met())
    }

    /// The container run met the cell's expectation: `None` when it has none or did not run.
    pub fn containers_met(&self) -> Option<bool> {
        self.cell.expected.as_ref()?;
        match &self.containers {
            Containers::Ran { seed, .. } => {
                Some(self.sweep(std::iter::once(seed.clone())).expectation_met())
            }
            _ => None,
        }
    }

    /// How the container run compares with the shown simulated seed.
    pub fn confirmation(&self) -> Option<Confirmation> {
        let Containers::Ran { seed: real, .. } = &self.containers else {
            return None;
        };
        let sim = self.shown()?;
        let wanted: Vec<ViolationKind> = sim.gating.keys().copied().collect();
        let missing: Vec<ViolationKind> = wanted
            .iter()
            .copied()
            .filter(|k| !real.gating.contains_key(k))
            .collect();
        Some(if missing.is_empty() {
            Confirmation::Confirmed
        } else if missing.len() == wanted.len() {
            Confirmation::NotConfirmed
        } else {
            Confirmation::Partly { missing }
        })
    }

    /// The cell's expectation held wherever it was judged.
    pub fn met(&self) -> bool {
        self.sim_met() != Some(false) && self.containers_met() != Some(false)
    }
}

/// A seed's outcome in words: `clean`, `lost 48 of 150 acknowledged commits`, `duplicate 5`,
/// `undecided: stuck`, `broken: …`; non-gating kinds follow in parentheses.
pub fn outcome_words(s: &SeedOutcome) -> String {
    if let Some(e) = &s.error {
        return format!("broken: {e}");
    }
    let mut parts: Vec<String> = Vec::new();
    for (kind, n) in &s.gating {
        parts.push(match kind {
            // The checker reports an effect per concern; the table counts commits.
            ViolationKind::Lost if s.lost_acknowledged > 0 => format!(
                "lost {} of {} acknowledged commits",
                s.lost_acknowledged, s.acknowledged
            ),
            ViolationKind::Lost => {
                format!("lost effects {n} (no acknowledged commit lost)")
            }
            other => format!("{} {n}", other.name()),
        });
    }
    if !s.undecided.is_empty() {
        let kinds: Vec<&str> = s.undecided.iter().map(|k| k.name()).collect();
        parts.push(format!("undecided: {}", kinds.join(", ")));
    }
    let mut out = if parts.is_empty() {
        "clean".to_string()
    } else {
        parts.join("; ")
    };
    if !s.reported.is_empty() {
        let reported: Vec<String> = s
            .reported
            .iter()
            .map(|(k, n)| format!("{} {n}", k.name()))
            .collect();
        let _ = write!(out, " (not gating: {})", reported.join(", "));
    }
    out
}

/// `|` and line breaks would break a Markdown row.
fn cell_text(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The whole table, with its header; `containers` adds the container column.
pub fn markdown(runs: &[CellRun], containers: bool) -> String {
    let mut out = String::new();
    let mut header = vec![
        "setting",
        "fault",
        "outcome in the simulation",
        "seeds showing it",
        "reproduce",
        "expected",
    ];
    if containers {
        header.push("in containers (same seed)");
    }
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(
        out,
        "|{}",
        header.iter().map(|_| "---|").collect::<String>()
    );
    for run in runs {
        let mut row = vec![
            run.cell.setting.label.to_string(),
            run.cell.fault.label.to_string(),
        ];
        let shown = run.shown();
        row.push(shown.map_or("no seed ran".to_string(), outcome_words));
        row.push(seeds_showing(run));
        row.push(match shown {
            Some(s) => format!("`outbox-chaos sim {} --seed {}`", run.file, s.seed),
            None => "—".to_string(),
        });
        row.push(expected_text(run));
        if containers {
            row.push(containers_text(run));
        }
        let row: Vec<String> = row.iter().map(|c| cell_text(c)).collect();
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out
}

/// `5 of 5`: seeds whose outcome is the shown seed's kind of outcome (failing or clean).
fn seeds_showing(run: &CellRun) -> String {
    let Some(shown) = run.shown() else {
        return "0".into();
    };
    let same = |s: &SeedOutcome| match (&shown.error, shown.is_failing()) {
        (Some(_), _) => s.error.is_some(),
        (None, true) => {
            shown.gating.keys().any(|k| s.gating.contains_key(k))
                || (shown.gating.is_empty() && s.is_failing())
        }
        (None, false) => !s.is_failing(),
    };
    let n = run.seeds.iter().filter(|s| same(s)).count();
    let seeds = run.seeds.iter().map(|s| s.seed);
    let (lo, hi) = (seeds.clone().min(), seeds.max());
    match (lo, hi) {
        (Some(lo), Some(hi)) => format!("{n} of {} (seeds {lo}..{})", run.seeds.len(), hi + 1),
        _ => format!("{n} of 0"),
    }
}

fn expected_text(run: &CellRun) -> String {
    let Some((expect, name)) = &run.cell.expected else {
        return "—".into();
    };
    let verdict = match run.sim_met() {
        Some(true) => "met",
        _ => "NOT met",
    };
    format!("{expect} (as `{name}`): {verdict}")
}

fn containers_text(run: &CellRun) -> String {
    match &run.containers {
        Containers::NotAsked => "—".into(),
        Containers::NotTried(why) => format!("not tried: {why}"),
        Containers::Broken { run, error } => format!("broken (run {run}): {error}"),
        Containers::Ran { run: id, seed } => {
            let words = outcome_words(seed);
            let judged = match run.containers_met() {
                Some(true) => ", expectation met",
                Some(false) => ", expectation NOT met",
                None => "",
            };
            match run.confirmation() {
                Some(Confirmation::Confirmed) if seed.gating.is_empty() => {
                    format!("ran, clean as in the simulation (run {id}){judged}")
                }
                Some(Confirmation::Confirmed) => {
                    format!("confirmed: {words} (run {id}){judged}")
                }
                Some(Confirmation::Partly { missing }) => {
                    let m: Vec<&str> = missing.iter().map(|k| k.name()).collect();
                    format!(
                        "partly confirmed ({} not seen): {words} (run {id}){judged}",
                        m.join(", ")
                    )
                }
                Some(Confirmation::NotConfirmed) | None => {
                    format!("not confirmed: {words} (run {id}){judged}")
                }
            }
        }
    }
}

/// The lines after the table: what was left out and why, the cells whose expectation failed,
/// and last `result: pass` or `result: fail`.
pub fn judgement_lines(runs: &[CellRun], left_out: &[String]) -> Vec<String> {
    let mut lines: Vec<String> = left_out.to_vec();
    let mut failed = false;
    for run in runs {
        if run.broken() {
            failed = true;
            lines.push(format!(
                "broken: {} ({})",
                run.cell.scenario.name,
                run.shown().map(outcome_words).unwrap_or_default()
            ));
        }
        if !run.met() {
            failed = true;
            let (expect, name) = run.cell.expected.as_ref().expect("judged cells expect");
            let mut wheres = Vec::new();
            if run.sim_met() == Some(false) {
                wheres.push("in the simulation");
            }
            if run.containers_met() == Some(false) {
                wheres.push("in containers");
            }
            lines.push(format!(
                "expectation not met: {} expects {expect} as `{name}` does, {}",
                run.cell.scenario.name,
                wheres.join(" and ")
            ));
        }
    }
    lines.push(format!("result: {}", if failed { "fail" } else { "pass" }));
    lines
}

/// 0 every cell met its expectation (cells without one always do), 1 one did not, 3 a run
/// broke (bad input, 2, is the binary's).
pub fn exit_code(runs: &[CellRun]) -> u8 {
    if runs.iter().any(CellRun::broken) {
        3
    } else if runs.iter().all(CellRun::met) {
        0
    } else {
        1
    }
}

/// Cells per outcome word (`clean`, `lost`, …), for a one-line summary.
pub fn tally(runs: &[CellRun]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for run in runs {
        let key = match run.shown() {
            None => "no seed".to_string(),
            Some(s) if s.error.is_some() => "broken".to_string(),
            Some(s) if !s.is_failing() => "clean".to_string(),
            Some(s) => s
                .gating
                .keys()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join("+"),
        };
        *out.entry(key).or_insert(0) += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::coverage::Coverage;
    use crate::scenario::grid::{cells, Selection, SENTINEL_BASE, STANDALONE_BASE};
    use crate::scenario::{find, list_scenarios, scenarios_dir};

    fn seed(seed: u64, gating: &[(ViolationKind, u64)], acked: u64, lost: u64) -> SeedOutcome {
        SeedOutcome {
            seed,
            history_hash: "0".repeat(16),
            verdict: String::new(),
            gating: gating.iter().copied().collect(),
            reported: BTreeMap::new(),
            undecided: Vec::new(),
            coverage: Coverage::default(),
            error: None,
            acknowledged: acked,
            lost_acknowledged: lost,
        }
    }

    fn cell(setting: &str, fault: &str) -> Cell {
        let dir = scenarios_dir();
        let shipped = list_scenarios(&dir).unwrap();
        let selection = Selection {
            settings: Some(vec![setting.into()]),
            faults: Some(vec![fault.into()]),
        };
        let standalone = find(&dir, STANDALONE_BASE).unwrap();
        let sentinel = find(&dir, SENTINEL_BASE).unwrap();
        cells(&standalone, &sentinel, &shipped, &selection)
            .unwrap()
            .remove(0)
    }

    fn run(cell: Cell, seeds: Vec<SeedOutcome>, containers: Containers) -> CellRun {
        CellRun {
            file: format!("reports/table/{}.toml", cell.scenario.name),
            cell,
            seeds,
            containers,
        }
    }

    #[test]
    fn a_lossy_cell_shows_its_first_lossy_seed_and_meets_its_expectation() {
        let lost = ViolationKind::Lost;
        let r = run(
            cell("aof-everysec", "redis-power-loss"),
            vec![
                seed(0, &[], 150, 0),
                seed(1, &[(lost, 40)], 151, 40),
                seed(2, &[(lost, 3)], 150, 3),
            ],
            Containers::NotAsked,
        );
        assert_eq!(r.shown().unwrap().seed, 1);
        assert_eq!(r.sim_met(), Some(true));
        let table = markdown(std::slice::from_ref(&r), false);
        let row = table.lines().nth(2).unwrap();
        assert!(
            row.contains("| lost 40 of 151 acknowledged commits |"),
            "{row}"
        );
        assert!(row.contains("| 2 of 3 (seeds 0..3) |"), "{row}");
        assert!(row.contains(
            "`outbox-chaos sim reports/table/table-aof-everysec-redis-power-loss.toml --seed 1`"
        ));
        assert!(
            row.contains("lost (as `power-loss-everysec`): met"),
            "{row}"
        );
        assert_eq!(exit_code(&[r]), 0);
    }

    #[test]
    fn a_clean_cell_that_expects_a_loss_fails_and_a_broken_seed_is_exit_3() {
        let r = run(
            cell("aof-everysec", "redis-power-loss"),
            vec![seed(0, &[], 150, 0)],
            Containers::NotAsked,
        );
        assert_eq!(r.sim_met(), Some(false));
        assert_eq!(exit_code(std::slice::from_ref(&r)), 1);
        let lines = judgement_lines(std::slice::from_ref(&r), &[]);
        assert_eq!(lines.last().unwrap(), "result: fail");
        assert!(lines[0].starts_with("expectation not met: table-aof-everysec-redis-power-loss expects lost as `power-loss-everysec` does, in the simulation"), "{lines:?}");
        let mut broken = seed(1, &[], 0, 0);
        broken.error = Some("turmoil gave up".into());
        let b = run(cell("rdb", "partition"), vec![broken], Containers::NotAsked);
        assert_eq!(exit_code(std::slice::from_ref(&b)), 3);
        assert!(outcome_words(b.shown().unwrap()).starts_with("broken: turmoil"));
        // No expectation: anything goes, and the table says so.
        let free = run(
            cell("rdb", "partition"),
            vec![seed(0, &[(ViolationKind::Duplicate, 2)], 10, 0)],
            Containers::NotAsked,
        );
        assert_eq!(free.sim_met(), None);
        assert_eq!(exit_code(&[free]), 0);
    }

    #[test]
    fn containers_say_what_ran_and_never_claim_more() {
        let lost = ViolationKind::Lost;
        let sim = vec![seed(
            3,
            &[(lost, 20), (ViolationKind::Duplicate, 1)],
            100,
            20,
        )];
        let c = cell("async", "failover-isolate");
        let ran = |gating: &[(ViolationKind, u64)], lost_n| Containers::Ran {
            run: "r1".into(),
            seed: seed(3, gating, 90, lost_n),
        };
        let all = run(
            c.clone(),
            sim.clone(),
            ran(&[(lost, 5), (ViolationKind::Duplicate, 1)], 5),
        );
        assert_eq!(all.confirmation(), Some(Confirmation::Confirmed));
        let part = run(c.clone(), sim.clone(), ran(&[(lost, 5)], 5));
        assert_eq!(
            part.confirmation(),
            Some(Confirmation::Partly {
                missing: vec![ViolationKind::Duplicate]
            })
        );
        let none = run(c.clone(), sim.clone(), ran(&[], 0));
        assert_eq!(none.confirmation(), Some(Confirmation::NotConfirmed));
        assert_eq!(
            none.containers_met(),
            Some(false),
            "failover-async expects lost"
        );
        let text = markdown(std::slice::from_ref(&none), true);
        assert!(
            text.contains("not confirmed: clean (run r1), expectation NOT met"),
            "{text}"
        );
        let why = run(
            c,
            sim,
            Containers::NotTried("the container world cannot inject `crash-downstream`".into()),
        );
        assert_eq!(why.confirmation(), None);
        let text = markdown(&[why], true);
        assert!(
            text.contains("| not tried: the container world cannot inject"),
            "{text}"
        );
    }

    #[test]
    fn pipes_in_a_cell_do_not_break_the_row() {
        assert_eq!(cell_text("a|b\nc"), "a\\|b c");
    }
}
