//! The command line contract that CI jobs and people script against: exit codes (0 clean, 1
//! violation, 2 bad input), the two final lines of `sim` (`history-hash: <16 hex>`, `verdict:
//! ...`), the replay command of a failing run, `--check-determinism`, the `scenarios` listing,
//! sweeps with `--jobs`, `--shard` and `--junit`, and malformed scenarios named by file, line and
//! key.

use std::path::{Path, PathBuf};
use std::process::Command;

mod support;
use support::cli::{code, outbox_chaos, text};

/// The last two lines of a run: the hash (16 hex digits) and the verdict.
fn final_lines(stdout: &str) -> (String, String) {
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.len() >= 2, "{stdout}");
    let (hash, verdict) = (lines[lines.len() - 2], lines[lines.len() - 1]);
    let digits = hash
        .strip_prefix("history-hash: ")
        .unwrap_or_else(|| panic!("not a hash line: {hash}"));
    assert!(
        digits.len() == 16
            && digits
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
        "{hash}"
    );
    (digits.to_string(), verdict.to_string())
}

#[test]
fn a_clean_run_exits_0_and_writes_its_report() {
    let reports = tempfile::tempdir().unwrap();
    let out = outbox_chaos(&["sim", "baseline", "--seed", "3"], reports.path());
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 0, "{stdout}{stderr}");
    let (hash, verdict) = final_lines(&stdout);
    assert_eq!(verdict, "verdict: clean");
    assert!(stdout.starts_with("sim baseline --seed 3: "), "{stdout}");
    assert!(
        stdout.contains("\nparameters:\n") && stdout.contains("  workload.decisions: "),
        "{stdout}"
    );
    assert!(
        !stdout.contains("replay:"),
        "a clean run needs no replay: {stdout}"
    );
    let dir = reports.path().join("baseline/3");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["history_hash"], hash.as_str());
    assert_eq!(
        summary["verdict"], "clean",
        "the verdict, without the line's label"
    );
    assert!(
        std::fs::read_to_string(dir.join("history.jsonl"))
            .unwrap()
            .lines()
            .count()
            > 100
    );
}

#[test]
fn a_run_with_a_violation_exits_1_and_says_how_to_replay_it() {
    let reports = tempfile::tempdir().unwrap();
    let out = outbox_chaos(
        &["sim", "scenarios/naive-sink.toml", "--seed", "1"],
        reports.path(),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 1, "{stdout}{stderr}");
    let (_, verdict) = final_lines(&stdout);
    let counts = verdict
        .strip_prefix("verdict: violations duplicate=")
        .unwrap_or_else(|| panic!("{verdict}"));
    assert!(counts.parse::<u64>().is_ok_and(|n| n > 0), "{verdict}");
    assert!(
        stdout.contains("\nreplay: outbox-chaos replay scenarios/naive-sink.toml --seed 1\n"),
        "{stdout}"
    );
    // The first violation's timeline follows it.
    assert!(stdout.contains("\nduplicate event=d-"), "{stdout}");
    assert!(stdout.contains(" fault crash worker-"), "{stdout}");
}

#[test]
fn check_determinism_runs_twice_and_prints_the_hash() {
    let reports = tempfile::tempdir().unwrap();
    let out = outbox_chaos(
        &[
            "sim",
            "consumer-crash",
            "--seed",
            "5",
            "--check-determinism",
        ],
        reports.path(),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 0, "{stdout}{stderr}");
    let (hash, verdict) = final_lines(&stdout);
    assert_eq!(verdict, "verdict: clean");
    assert!(
        stdout.contains(&format!("\ndeterminism: same history twice ({hash})\n")),
        "{stdout}"
    );
}

#[test]
fn replay_prints_the_trace_and_one_events_timeline() {
    let reports = tempfile::tempdir().unwrap();
    let out = outbox_chaos(
        &[
            "replay", "baseline", "--seed", "2", "--event", "d-000007", "--trace",
        ],
        reports.path(),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 0, "{stdout}{stderr}");
    assert!(stdout.contains("\ntrace ("), "{stdout}");
    let timeline = stdout
        .split("\ntimeline of d-000007:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        timeline.lines().next().unwrap().contains("commit d-000007"),
        "{timeline}"
    );
    assert_eq!(final_lines(&stdout).1, "verdict: clean");
    let unknown = outbox_chaos(
        &["replay", "baseline", "--seed", "2", "--event", "d-999999"],
        reports.path(),
    );
    assert_eq!(code(&unknown), 2, "{}", text(&unknown).1);
}

#[test]
fn scenarios_lists_every_shipped_scenario_with_its_description() {
    let out = Command::new(env!("CARGO_BIN_EXE_outbox-chaos"))
        .arg("scenarios")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let (stdout, _) = text(&out);
    assert_eq!(code(&out), 0);
    let names: Vec<&str> = stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    let mut shipped: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
            .unwrap()
            .filter_map(|e| e.unwrap().file_name().into_string().ok())
            .filter_map(|f| f.strip_suffix(".toml").map(str::to_string))
            .collect();
    shipped.sort();
    let mut listed: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    listed.sort();
    assert_eq!(listed, shipped, "{stdout}");
    assert!(
        stdout.lines().any(|l| l.starts_with("consumer-crash ")
            && l.contains("expect pass")
            && l.contains("XACK")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("naive-sink ") && l.contains("expect duplicate")),
        "{stdout}"
    );
}

#[test]
fn a_sweep_shards_writes_junit_and_exits_by_the_expectation() {
    let reports = tempfile::tempdir().unwrap();
    let junit: PathBuf = reports.path().join("out.xml");
    let junit_arg = junit.to_str().unwrap();
    let args = [
        "sweep",
        "naive-sink",
        "--seeds",
        "0..6",
        "--jobs",
        "2",
        "--shard",
        "2/3",
        "--junit",
        junit_arg,
    ];
    let out = outbox_chaos(&args, reports.path());
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 0, "the planted bug is found: {stdout}{stderr}");
    assert!(
        stdout.starts_with("sweep naive-sink: 2 seeds (0..6, shard 2/3)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  seed 1: duplicate=") && stdout.contains("  seed 4: duplicate="),
        "{stdout}"
    );
    assert!(
        stdout.contains("replay: outbox-chaos replay naive-sink --seed 4"),
        "{stdout}"
    );
    assert!(
        stdout.contains(" seeds/min on 2 jobs, ") && stdout.ends_with("result: pass\n"),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("name=\"seed 1\"") && xml.contains("name=\"expect duplicate\"/>"),
        "{xml}"
    );
    let sweep_dir = reports.path().join("naive-sink/sweep-0-6-shard-2-of-3");
    assert!(sweep_dir.join("summary.json").is_file() && sweep_dir.join("junit.xml").is_file());
    assert!(
        reports.path().join("naive-sink/4/history.jsonl").is_file(),
        "failing seeds get reports"
    );
    // Without its faults the planted bug is never found: the sweep fails.
    let quiet = outbox_chaos(
        &[
            "sweep",
            "naive-sink",
            "--seeds",
            "0..2",
            "--jobs",
            "1",
            "--no-faults",
        ],
        reports.path(),
    );
    assert_eq!(
        code(&quiet),
        0,
        "--no-faults expects pass: {}",
        text(&quiet).0
    );
}

const VALID: &str = "name = \"NAME\"\ndescription = \"d\"\ndrain_ms = 1000\nexpect = \"pass\"\n\n[workload]\ntenants = 1\ndecisions = 10\nconcerns = [\"billing\"]\n";

#[test]
fn malformed_scenarios_exit_2_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "unknown",
            ("tenants = 1", "tenants = 1\ntenantz = 2"),
            ":8:1: key `workload.tenantz`: unknown field `tenantz`",
        ),
        (
            "wrongtype",
            ("decisions = 10", "decisions = \"ten\""),
            ":8:13: key `workload.decisions`: invalid type: string \"ten\", expected u64",
        ),
        (
            "seedrange",
            ("drain_ms = 1000", "drain_ms = 1000\nseeds = \"100..5\""),
            ":4:9: key `seeds`: the seed range `100..5` is empty",
        ),
    ];
    for (name, (from, to), expected) in cases {
        let path = dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, VALID.replace("NAME", name).replace(from, to)).unwrap();
        let out = outbox_chaos(&["sim", path.to_str().unwrap(), "--seed", "1"], dir.path());
        let (stdout, stderr) = text(&out);
        assert_eq!(code(&out), 2, "{name}: {stdout}{stderr}");
        let located = format!("{}{expected}", path.display());
        assert!(
            stderr.contains(&located),
            "{name}: expected `{located}` in: {stderr}"
        );
    }
}

#[test]
fn bad_command_lines_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["sweep", "baseline", "--seeds", "5..1"],
        vec!["sweep", "baseline", "--shard", "3/2"],
        vec!["sim", "no-such-scenario", "--seed", "1"],
        vec!["sim", "baseline"],
        vec!["sim", "baseline", "--seed", "minus-one"],
    ] {
        let out = outbox_chaos(&args, dir.path());
        assert_eq!(code(&out), 2, "{args:?}: {}", text(&out).1);
    }
    let out = outbox_chaos(&["sim", "nope", "--seed", "1"], dir.path());
    assert!(
        text(&out)
            .1
            .contains("no scenario named `nope` (known: ack-first, baseline,"),
        "{}",
        text(&out).1
    );
}
