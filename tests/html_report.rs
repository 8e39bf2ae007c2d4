//! `bench` and `report.html`: a simulated bench of `consumer-crash` and of `baseline` prints its
//! figures and writes its report; a bench of a planted bug exits 1 naming the violation; the
//! reports of a bench and of a sweep open in headless Chromium (Debian's `chromium`, which
//! `ci/test` installs), whose DOM after the page's own measuring script says every plot has a
//! non-zero size and every fault band is drawn. A screenshot is kept beside each report (under
//! the test target's tmp directory) for people to look at.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;
use support::cli::outbox_chaos;

fn stdout_of(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A directory that outlives the test (the screenshots are kept), emptied first.
fn kept_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("html_report")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The path after `html: ` in a command's output.
fn html_path(stdout: &str) -> PathBuf {
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("html: "))
        .unwrap_or_else(|| panic!("no `html:` line:\n{stdout}"));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(line);
    assert!(path.is_file(), "{} missing", path.display());
    path
}

/// One plot as the page's script measured it.
#[derive(Debug, serde::Deserialize)]
struct Plot {
    plot: String,
    width: f64,
    height: f64,
    bands: usize,
    expected_bands: usize,
    elements: usize,
}

fn chromium() -> Command {
    let bin = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect(
            "headless Chromium is needed (Debian: apt-get install chromium; ci/test installs it)",
        );
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--no-first-run",
    ]);
    cmd
}

/// Opens `html` in headless Chromium: the plots as measured in the page, and a screenshot
/// written beside it.
fn render(html: &Path) -> Vec<Plot> {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", html.canonicalize().unwrap().display());
    let profile_arg = format!("--user-data-dir={}", profile.path().display());
    let out = chromium()
        .arg(&profile_arg)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{}", stdout_of(&out));
    let attr = dom
        .split("data-rendered=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("the page's script did not run:\n{dom:.2000}"));
    let json = attr
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let plots: Vec<Plot> = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let png = html.with_file_name("report.png");
    let shot = chromium()
        .arg(&profile_arg)
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1100,2600")
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(shot.status.success(), "{}", stdout_of(&shot));
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 10_000,
        "screenshot {} is {size} bytes",
        png.display()
    );
    plots
}

fn assert_rendered(plots: &[Plot], names: &[&str]) {
    for name in names {
        let p = plots
            .iter()
            .find(|p| p.plot == *name)
            .unwrap_or_else(|| panic!("no plot {name}: {plots:?}"));
        assert!(p.width > 100.0 && p.height > 100.0, "{p:?}");
        assert!(p.elements > 10, "{p:?}");
        assert_eq!(p.bands, p.expected_bands, "{p:?}");
    }
}

#[test]
fn bench_of_consumer_crash_prints_figures_and_its_report_renders() {
    let reports = kept_dir("bench-consumer-crash");
    let out = outbox_chaos(
        &[
            "bench",
            "consumer-crash",
            "--duration",
            "4",
            "--rate",
            "300",
        ],
        &reports,
    );
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for needle in [
        "bench consumer-crash --seed 0: ",
        "offered: 300 decisions/s for 4 s",
        "over time (per simulated second):",
        "committed: 1200 decisions",
        "latency commit->effect: p50 ",
        "reclaims: ",
        "faults: ",
        "verdict: clean",
    ] {
        assert!(text.contains(needle), "missing `{needle}`:\n{text}");
    }
    // Every fault recovery is stated.
    assert!(
        text.lines()
            .filter(|l| l.starts_with("  at ") && l.contains(" ms ("))
            .count()
            > 0,
        "{text}"
    );
    let plots = render(&html_path(&text));
    assert_rendered(
        &plots,
        &["throughput", "latency", "lag", "latency-histogram"],
    );
    let throughput = plots.iter().find(|p| p.plot == "throughput").unwrap();
    assert!(throughput.bands > 0, "consumer-crash has faults: {plots:?}");
}

#[test]
fn bench_of_baseline_has_no_fault_and_keeps_up_with_its_rate() {
    let reports = kept_dir("bench-baseline");
    let out = outbox_chaos(
        &["bench", "baseline", "--duration", "3", "--rate", "200"],
        &reports,
    );
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("committed: 600 decisions"), "{text}");
    assert!(
        text.contains("effected: 1200 effects (2 concerns)"),
        "{text}"
    );
    assert!(text.contains("faults: 0 "), "{text}");
    let html = std::fs::read_to_string(html_path(&text)).unwrap();
    assert!(html.contains("<svg") && html.contains("data-plot=\"throughput\""));
}

#[test]
fn bench_of_a_planted_bug_exits_1_naming_the_violation() {
    let reports = tempfile::tempdir().unwrap();
    let out = outbox_chaos(
        &["bench", "naive-sink", "--duration", "4", "--seed", "1"],
        reports.path(),
    );
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let verdict = text.lines().last().unwrap_or_default();
    assert!(
        verdict.starts_with("verdict: violations duplicate="),
        "{text}"
    );
    let html = std::fs::read_to_string(html_path(&text)).unwrap();
    assert!(html.contains("<td>duplicate</td>"), "the violations table");
}

#[test]
fn bad_bench_flags_are_bad_input() {
    let reports = tempfile::tempdir().unwrap();
    let out = outbox_chaos(&["bench", "baseline", "--rate", "-3"], reports.path());
    assert_eq!(out.status.code(), Some(2), "{}", stdout_of(&out));
    let out = outbox_chaos(&["bench", "baseline", "--duration", "0"], reports.path());
    assert_eq!(out.status.code(), Some(2), "{}", stdout_of(&out));
    let out = outbox_chaos(&["bench", "baseline", "--in-flight", "0"], reports.path());
    assert_eq!(out.status.code(), Some(2), "{}", stdout_of(&out));
    let out = outbox_chaos(
        &["bench", "baseline", "--apply-batch", "5000"],
        reports.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stdout_of(&out));
}

#[test]
fn bench_with_the_fast_pipeline_keeps_up_and_stays_clean() {
    let reports = tempfile::tempdir().unwrap();
    let out = outbox_chaos(
        &[
            "bench",
            "consumer-crash",
            "--duration",
            "3",
            "--rate",
            "300",
            "--in-flight",
            "8",
            "--apply-batch",
            "16",
        ],
        reports.path(),
    );
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("committed: 900 decisions"), "{text}");
    assert!(text.contains("verdict: clean"), "{text}");
}

#[test]
fn a_sweep_report_and_its_failing_seeds_reports_render() {
    let reports = kept_dir("sweep-naive-sink");
    let out = outbox_chaos(
        &["sweep", "naive-sink", "--seeds", "0..4", "--jobs", "2"],
        &reports,
    );
    let text = stdout_of(&out);
    assert!(out.status.code().is_some(), "{text}");
    let plots = render(&html_path(&text));
    assert_rendered(
        &plots,
        &["violations-per-seed", "violations-per-kind", "coverage"],
    );
    // A failing seed's own report, written where the sweep writes its reports.
    let seed_page = std::fs::read_dir(reports.join("naive-sink"))
        .unwrap()
        .filter_map(|e| Some(e.ok()?.path().join("report.html")))
        .find(|p| p.is_file() && !p.parent().unwrap().ends_with("sweep-0-4"))
        .unwrap_or_else(|| panic!("no failing seed's report.html:\n{text}"));
    let plots = render(&seed_page);
    assert_rendered(&plots, &["throughput", "latency", "lag"]);
}
