//! `outbox-chaos table` on a tiny grid: two persistence rows × the power loss of the primary, one
//! seed each. `aof-everysec` must lose acknowledged commits, `aof-always` none; each row carries
//! the expectation of the shipped scenario it equals, its reproduce command reruns the seed to
//! the same verdict, and bad selections are refused with exit 2.

mod support;
use support::cli::{code, outbox_chaos, run, text};

/// The data rows of the Markdown table in `stdout`.
fn rows(stdout: &str) -> Vec<Vec<String>> {
    stdout
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| setting |"))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn a_tiny_table_finds_the_loss_where_it_is_and_none_where_it_is_not() {
    let reports = tempfile::tempdir().unwrap();
    let args = [
        "table",
        "--seeds",
        "0..1",
        "--jobs",
        "1",
        "--settings",
        "aof-everysec,aof-always",
        "--faults",
        "redis-power-loss",
    ];
    let out = outbox_chaos(&args, reports.path());
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 0, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("outbox-chaos table --seeds 0..1 --settings aof-everysec,aof-always --faults redis-power-loss\n"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().last(), Some("result: pass"), "{stdout}");
    let rows = rows(&stdout);
    assert_eq!(rows.len(), 2, "{stdout}");
    let (lossy, clean) = (&rows[0], &rows[1]);
    assert_eq!(lossy[..2], ["aof-everysec", "primary power loss"]);
    assert_eq!(clean[..2], ["aof-always", "primary power loss"]);

    // "lost N of M acknowledged commits", with 0 < N <= M.
    let numbers: Vec<u64> = lossy[2]
        .strip_prefix("lost ")
        .and_then(|r| r.strip_suffix(" acknowledged commits"))
        .unwrap_or_else(|| panic!("not a loss: {}", lossy[2]))
        .split(" of ")
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(numbers[0] > 0 && numbers[0] <= numbers[1], "{numbers:?}");
    assert_eq!(clean[2], "clean");
    assert_eq!(lossy[3], "1 of 1 (seeds 0..1)");
    assert_eq!(lossy[5], "lost (as `power-loss-everysec`): met");
    assert_eq!(clean[5], "pass (as `power-loss-always`): met");

    // The reproduce command reruns the cell's seed to the same verdict.
    let command = lossy[4].trim_matches('`');
    let file = command
        .strip_prefix("outbox-chaos sim ")
        .and_then(|r| r.strip_suffix(" --seed 0"))
        .unwrap_or_else(|| panic!("{command}"));
    assert!(
        file.ends_with("table/table-aof-everysec-redis-power-loss.toml"),
        "{file}"
    );
    let again = outbox_chaos(&["sim", file, "--seed", "0"], reports.path());
    let (sim_out, sim_err) = text(&again);
    assert_eq!(code(&again), 1, "{sim_out}{sim_err}");
    let verdict = sim_out.lines().last().unwrap();
    assert!(
        verdict.starts_with("verdict: violations lost="),
        "{verdict}"
    );
    let table_md = std::fs::read_to_string(reports.path().join("table").join("table.md")).unwrap();
    assert!(
        table_md.contains("| aof-everysec | primary power loss | lost "),
        "{table_md}"
    );
}

#[test]
fn a_selection_that_names_no_cell_or_an_unknown_key_is_bad_input() {
    let out = run(&["table", "--faults", "meteor"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("--faults meteor: no such fault (known: redis-crash, redis-power-loss"),
        "{stderr}"
    );
    let out = run(&[
        "table",
        "--settings",
        "aof-always",
        "--faults",
        "failover-pause",
    ]);
    let (_, stderr) = text(&out);
    assert_eq!(code(&out), 2, "{stderr}");
    assert!(stderr.contains("the selection leaves no cell"), "{stderr}");
    let out = run(&["table", "--seeds", "3..3"]);
    let (_, stderr) = text(&out);
    assert_eq!(code(&out), 2, "{stderr}");
    assert!(stderr.contains("3..3"), "{stderr}");
}
