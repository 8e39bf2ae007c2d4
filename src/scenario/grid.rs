//! The outcome table's grid: Redis durability settings × faults, each cell an ordinary scenario
//! derived in memory from a shipped base scenario, in the shipped scenarios' own vocabulary.
//!
//! Two bases carry the story: a standalone one (`power-loss-everysec`: one Redis, the consumers
//! held across the fault so the story stays about commits) for the persistence rows, and a
//! Sentinel one (`failover-async`: a primary, two replicas, three Sentinels) for the replication
//! rows. A base has exactly one *main fault*, a scripted fault of a kind the grid varies
//! ([`FaultCase`]); a cell keeps everything else of its base (the workload, the pipeline, the
//! other scripted faults) and puts its own fault at the main fault's time, for the main fault's
//! duration. A cell equal to a shipped scenario (same topology, workload, pipeline and faults)
//! carries that scenario's `expect`; the others carry none ([`expectation_of`]).
//!
//! Plain data and pure functions, like the rest of `scenario`: nothing here runs a cell.

use super::{Expectation, FaultKind, Persistence, Scenario, ScriptedFault, Topology, TopologyKind};

/// The base of the persistence rows.
pub const STANDALONE_BASE: &str = "power-loss-everysec";
/// The base of the replication rows.
pub const SENTINEL_BASE: &str = "failover-async";

/// The fault kinds a base's main fault may have: the ones the grid varies.
const VARIED: [FaultKind; 4] = [
    FaultKind::RedisCrash,
    FaultKind::RedisPowerLoss,
    FaultKind::Failover,
    FaultKind::Partition,
];

/// One row of the grid: a durability setting applied to a base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setting {
    /// In cell names and `--settings`: `aof-everysec`, `wait-1`.
    pub key: &'static str,
    /// In the table: `aof-everysec`, `Sentinel, WAIT 1`.
    pub label: &'static str,
    pub base: Base,
    change: Change,
}

/// Which base a row derives from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    Standalone,
    Sentinel,
}

impl Base {
    pub fn name(self) -> &'static str {
        match self {
            Base::Standalone => STANDALONE_BASE,
            Base::Sentinel => SENTINEL_BASE,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    Persistence(Persistence),
    /// `WAIT n` after every commit, with this timeout (0 replicas: asynchronous replication),
    /// and at least this drain: a commit the isolated primary could not replicate is retried
    /// until the new primary takes it, long after the fault window.
    Wait {
        replicas: u32,
        timeout_ms: u64,
        drain_ms_min: u64,
    },
}

/// The rows, in table order.
pub const SETTINGS: [Setting; 6] = [
    Setting {
        key: "none",
        label: "no persistence",
        base: Base::Standalone,
        change: Change::Persistence(Persistence::None),
    },
    Setting {
        key: "rdb",
        label: "rdb (snapshot every 1 s)",
        base: Base::Standalone,
        change: Change::Persistence(Persistence::Rdb),
    },
    Setting {
        key: "aof-everysec",
        label: "aof-everysec",
        base: Base::Standalone,
        change: Change::Persistence(Persistence::AofEverysec),
    },
    Setting {
        key: "aof-always",
        label: "aof-always",
        base: Base::Standalone,
        change: Change::Persistence(Persistence::AofAlways),
    },
    Setting {
        key: "async",
        label: "Sentinel, async replication",
        base: Base::Sentinel,
        change: Change::Wait {
            replicas: 0,
            timeout_ms: 0,
            drain_ms_min: 0,
        },
    },
    Setting {
        key: "wait-1",
        label: "Sentinel, WAIT 1 (200 ms)",
        base: Base::Sentinel,
        change: Change::Wait {
            replicas: 1,
            timeout_ms: 200,
            drain_ms_min: 40_000,
        },
    },
];

/// One column of the grid: the fault put in the base's main fault's place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultCase {
    /// In cell names and `--faults`: `redis-power-loss`, `failover-isolate`.
    pub key: &'static str,
    /// In the table.
    pub label: &'static str,
    kind: FaultKind,
    target: &'static str,
}

/// The columns, in table order.
pub const FAULTS: [FaultCase; 5] = [
    FaultCase {
        key: "redis-crash",
        label: "primary process crash",
        kind: FaultKind::RedisCrash,
        target: "redis",
    },
    FaultCase {
        key: "redis-power-loss",
        label: "primary power loss",
        kind: FaultKind::RedisPowerLoss,
        target: "redis",
    },
    FaultCase {
        key: "failover-pause",
        label: "failover: primary paused",
        kind: FaultKind::Failover,
        target: "pause",
    },
    FaultCase {
        key: "failover-isolate",
        label: "failover: primary isolated, clients still write to it",
        kind: FaultKind::Failover,
        target: "isolate",
    },
    FaultCase {
        key: "partition",
        label: "app cut off from the primary",
        kind: FaultKind::Partition,
        target: "app|redis",
    },
];

impl FaultCase {
    /// Why this fault has no cell in a row of `base`, if it has none.
    pub fn not_for(&self, base: Base) -> Option<&'static str> {
        match (self.kind, base) {
            (FaultKind::Failover, Base::Standalone) => Some("a failover needs Sentinels"),
            _ => None,
        }
    }
}

/// One cell: its row and column, and the scenario it runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub setting: Setting,
    pub fault: FaultCase,
    /// Named `table-<setting>-<fault>`; `expect` is the matched scenario's, else `pass` as a
    /// placeholder (see [`Cell::expected`]).
    pub scenario: Scenario,
    /// The shipped scenario this cell equals and its `expect`, if any.
    pub expected: Option<(Expectation, String)>,
}

/// Why a grid cannot be built: a base that does not have the shape the grid needs, or a
/// selection that names no row or column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct GridError(pub String);

/// Rows and columns to build, by key; `None` takes them all.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub settings: Option<Vec<String>>,
    pub faults: Option<Vec<String>>,
}

impl Selection {
    fn check(&self) -> Result<(), GridError> {
        let known = |keys: &[&str]| keys.join(", ");
        for (chosen, keys, flag) in [
            (
                &self.settings,
                SETTINGS.iter().map(|s| s.key).collect::<Vec<_>>(),
                "--settings",
            ),
            (
                &self.faults,
                FAULTS.iter().map(|f| f.key).collect::<Vec<_>>(),
                "--faults",
            ),
        ] {
            for key in chosen.iter().flatten() {
                if !keys.contains(&key.as_str()) {
                    return Err(GridError(format!(
                        "{flag} {key}: no such {} (known: {})",
                        if flag == "--settings" {
                            "setting"
                        } else {
                            "fault"
                        },
                        known(&keys)
                    )));
                }
            }
        }
        Ok(())
    }

    fn has(list: &Option<Vec<String>>, key: &str) -> bool {
        list.as_ref().is_none_or(|l| l.iter().any(|k| k == key))
    }
}

/// The cells of the grid, rows then columns in table order, from the two bases and the shipped
/// scenarios (for the expectations). A cell whose fault does not apply to its row's base is left
/// out ([`FaultCase::not_for`]).
pub fn cells(
    standalone: &Scenario,
    sentinel: &Scenario,
    shipped: &[Scenario],
    selection: &Selection,
) -> Result<Vec<Cell>, GridError> {
    selection.check()?;
    let mut out = Vec::new();
    for setting in SETTINGS
        .iter()
        .filter(|s| Selection::has(&selection.settings, s.key))
    {
        let base = match setting.base {
            Base::Standalone => standalone,
            Base::Sentinel => sentinel,
        };
        for fault in FAULTS
            .iter()
            .filter(|f| Selection::has(&selection.faults, f.key))
            .filter(|f| f.not_for(setting.base).is_none())
        {
            let scenario = derive(base, setting, fault)?;
            let expected = expectation_of(&scenario, shipped);
            let scenario = Scenario {
                expect: expected.as_ref().map_or(Expectation::Pass, |(e, _)| *e),
                ..scenario
            };
            out.push(Cell {
                setting: *setting,
                fault: *fault,
                scenario,
                expected,
            });
        }
    }
    if out.is_empty() {
        return Err(GridError(
            "the selection leaves no cell (failover faults exist only in the Sentinel rows)".into(),
        ));
    }
    Ok(out)
}

/// The index of the base's main fault: its one scripted fault of a kind the grid varies.
fn main_fault(base: &Scenario) -> Result<usize, GridError> {
    let found: Vec<usize> = base
        .faults
        .script
        .iter()
        .enumerate()
        .filter(|(_, f)| VARIED.contains(&f.kind))
        .map(|(i, _)| i)
        .collect();
    match (found.as_slice(), base.faults.rates.kinds().is_empty()) {
        ([one], true) => Ok(*one),
        (_, false) => Err(GridError(format!(
            "base scenario `{}` draws faults by rate; the grid needs every fault scripted",
            base.name
        ))),
        _ => Err(GridError(format!(
            "base scenario `{}` has {} scripted faults of the kinds the grid varies (redis-crash, redis-power-loss, failover, partition); it needs exactly one",
            base.name,
            found.len()
        ))),
    }
}

/// The cell's scenario: the base with the row's setting and the column's fault.
pub fn derive(
    base: &Scenario,
    setting: &Setting,
    fault: &FaultCase,
) -> Result<Scenario, GridError> {
    let at = main_fault(base)?;
    let mut s = base.clone();
    let main = &s.faults.script[at];
    s.faults.script[at] = ScriptedFault {
        at_ms: main.at_ms,
        kind: fault.kind,
        target: Some(fault.target.to_string()),
        duration_ms: main.duration_ms,
    };
    match setting.change {
        Change::Persistence(p) => s.topology.persistence = p,
        Change::Wait {
            replicas,
            timeout_ms,
            drain_ms_min,
        } => {
            s.pipeline.wait_replicas = replicas;
            s.pipeline.wait_timeout_ms = timeout_ms;
            s.drain_ms = s.drain_ms.max(drain_ms_min);
        }
    }
    s.name = format!("table-{}-{}", setting.key, fault.key);
    s.description = format!(
        "Outcome table cell: {}, {} (derived from `{}`).",
        setting.label, fault.label, base.name
    );
    // The table reports what a cell shows; the base's windows belong to the base's own fault.
    s.must_reach.clear();
    s.invoked_as = None;
    super::validate(&s).map_err(|v| {
        GridError(format!(
            "cell {}: the derived scenario is invalid at `{}`: {}",
            s.name,
            super::locate::path_text(&v.path),
            v.message
        ))
    })?;
    Ok(s)
}

/// The shipped scenario `cell` equals, with its `expect`: the same topology, workload, pipeline,
/// faults and drain (the name, description, seeds and windows may differ). The first by name.
pub fn expectation_of(cell: &Scenario, shipped: &[Scenario]) -> Option<(Expectation, String)> {
    shipped
        .iter()
        .filter(|s| same_run(s, cell))
        .min_by(|a, b| a.name.cmp(&b.name))
        .map(|s| (s.expect, s.name.clone()))
}

/// Whether two scenarios ask for the same run: everything a seed draws from and a world builds.
fn same_run(a: &Scenario, b: &Scenario) -> bool {
    same_topology(&a.topology, &b.topology)
        && a.drain_ms == b.drain_ms
        && a.workload == b.workload
        && a.pipeline == b.pipeline
        && a.faults == b.faults
}

/// `snapshot_interval_ms` matters only with `rdb`.
fn same_topology(a: &Topology, b: &Topology) -> bool {
    let rdb = a.persistence == Persistence::Rdb;
    a.kind == b.kind
        && a.persistence == b.persistence
        && (a.kind == TopologyKind::Standalone
            || (a.replicas, a.sentinels) == (b.replicas, b.sentinels))
        && (!rdb || a.snapshot_interval_ms == b.snapshot_interval_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{find, scenarios_dir};

    fn shipped() -> Vec<Scenario> {
        crate::scenario::list_scenarios(&scenarios_dir()).unwrap()
    }

    fn bases() -> (Scenario, Scenario) {
        let dir = scenarios_dir();
        (
            find(&dir, STANDALONE_BASE).unwrap(),
            find(&dir, SENTINEL_BASE).unwrap(),
        )
    }

    #[test]
    fn every_cell_is_a_valid_scenario_and_failovers_only_have_sentinel_rows() {
        let (standalone, sentinel) = bases();
        let cells = cells(&standalone, &sentinel, &shipped(), &Selection::default()).unwrap();
        let standalone_rows = SETTINGS
            .iter()
            .filter(|s| s.base == Base::Standalone)
            .count();
        let sentinel_rows = SETTINGS.len() - standalone_rows;
        assert_eq!(
            cells.len(),
            standalone_rows * 3 + sentinel_rows * FAULTS.len()
        );
        for c in &cells {
            assert!(c.scenario.name.starts_with("table-"), "{}", c.scenario.name);
            assert_eq!(
                c.scenario.topology.kind == TopologyKind::Sentinel,
                c.setting.base == Base::Sentinel
            );
            // The cell's fault is at the base's main fault's place; the rest is the base's.
            let base = if c.setting.base == Base::Standalone {
                &standalone
            } else {
                &sentinel
            };
            let at = main_fault(base).unwrap();
            assert_eq!(c.scenario.faults.script.len(), base.faults.script.len());
            assert_eq!(c.scenario.faults.script[at].kind, c.fault.kind);
            assert_eq!(
                c.scenario.faults.script[at].at_ms,
                base.faults.script[at].at_ms
            );
            assert_eq!(c.scenario.workload, base.workload);
        }
        let names: std::collections::BTreeSet<_> = cells.iter().map(|c| &c.scenario.name).collect();
        assert_eq!(names.len(), cells.len(), "cell names are unique");
    }

    /// The cells that are shipped scenarios carry their `expect`, and only those.
    #[test]
    fn cells_equal_to_shipped_scenarios_carry_their_expectation() {
        let (standalone, sentinel) = bases();
        let cells = cells(&standalone, &sentinel, &shipped(), &Selection::default()).unwrap();
        let expected = |setting: &str, fault: &str| {
            cells
                .iter()
                .find(|c| c.setting.key == setting && c.fault.key == fault)
                .unwrap()
                .expected
                .clone()
                .map(|(e, name)| (e.to_string(), name))
        };
        let named = |e: &str, n: &str| Some((e.to_string(), n.to_string()));
        assert_eq!(
            expected("aof-everysec", "redis-power-loss"),
            named("lost", "power-loss-everysec")
        );
        assert_eq!(
            expected("aof-always", "redis-power-loss"),
            named("pass", "power-loss-always")
        );
        assert_eq!(
            expected("none", "redis-crash"),
            named("lost", "restart-no-persistence")
        );
        assert_eq!(
            expected("async", "failover-isolate"),
            named("lost", "failover-async")
        );
        assert_eq!(
            expected("wait-1", "failover-isolate"),
            named("pass", "failover-wait")
        );
        assert_eq!(expected("rdb", "partition"), None);
        for c in cells.iter().filter(|c| c.expected.is_none()) {
            assert_eq!(c.scenario.expect, Expectation::Pass, "the placeholder");
        }
    }

    #[test]
    fn a_selection_picks_rows_and_columns_and_unknown_keys_are_refused() {
        let (standalone, sentinel) = bases();
        let selection = Selection {
            settings: Some(vec!["aof-always".into(), "async".into()]),
            faults: Some(vec!["failover-pause".into()]),
        };
        let cells = cells(&standalone, &sentinel, &[], &selection).unwrap();
        let names: Vec<&str> = cells.iter().map(|c| c.scenario.name.as_str()).collect();
        assert_eq!(names, ["table-async-failover-pause"]);
        let bad = Selection {
            faults: Some(vec!["meteor".into()]),
            ..Selection::default()
        };
        let e = super::cells(&standalone, &sentinel, &[], &bad)
            .unwrap_err()
            .0;
        assert!(
            e.starts_with("--faults meteor: no such fault (known: redis-crash,"),
            "{e}"
        );
        let none = Selection {
            settings: Some(vec!["aof-always".into()]),
            faults: Some(vec!["failover-pause".into()]),
        };
        assert!(super::cells(&standalone, &sentinel, &[], &none).is_err());
    }

    #[test]
    fn a_base_without_one_main_fault_is_refused() {
        let (mut standalone, sentinel) = bases();
        standalone
            .faults
            .script
            .retain(|f| f.kind == FaultKind::Pause);
        let e = cells(&standalone, &sentinel, &[], &Selection::default())
            .unwrap_err()
            .0;
        assert!(
            e.contains("has 0 scripted faults of the kinds the grid varies"),
            "{e}"
        );
    }
}
