//! Pinned history hashes: a few seeds of several shipped scenarios must give exactly the history
//! they gave when the hashes were pinned.
//!
//! Performance work on the model, the recorder, the checkers or the simulation loop must leave
//! every history byte-identical; this test is what makes that stick. A later change that alters
//! the pipeline's behaviour on purpose (a new decision, another fault draw, a changed record)
//! re-pins these hashes in the same commit and says so in its message, with the reason.
//!
//! The hashes were produced by the binary built from the commit before the speed work (the
//! session's baseline) and checked against it for seeds 0, 1, 2, 7 and 42 of every scenario.

use outbox_chaos::scenario::{self, Scenario};
use outbox_chaos::sim;
use std::path::Path;

/// (scenario, seed, history hash): pass scenarios with crashes, partitions and trims, and planted
/// bugs whose findings depend on exact interleavings.
const PINNED: &[(&str, u64, &str)] = &[
    ("consumer-crash", 0, "def27f64f6c044d9"),
    ("consumer-crash", 7, "1fabced03ea0ac62"),
    ("partitions", 1, "f00a79b9d2b0efcd"),
    ("partitions", 42, "4acb0f5542acdd88"),
    ("baseline", 2, "a163f667a4d3a4db"),
    ("unsafe-trim", 0, "17fcabe653811ace"),
    ("dual-write", 7, "3ff2ecf5069277fc"),
    ("idempotent-api", 1, "b66d257efec1cc1d"),
];

fn shipped(name: &str) -> Scenario {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    scenario::find(&dir, name).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn history_hashes_stay_pinned() {
    let mut moved = Vec::new();
    for &(name, seed, pinned) in PINNED {
        let run = sim::run(&shipped(name), seed).unwrap_or_else(|e| panic!("{e}"));
        let hash = format!("{:016x}", run.history_hash());
        if hash != pinned {
            moved.push(format!("{name} seed {seed}: pinned {pinned}, now {hash}"));
        }
    }
    assert!(
        moved.is_empty(),
        "histories changed (re-pin only for a deliberate behaviour change, and say so):\n{}",
        moved.join("\n")
    );
}
