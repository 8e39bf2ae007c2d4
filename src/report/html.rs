//! `report.html`: one self-contained page per run (`sim`, `replay`, `real`, `bench`) and per
//! sweep, with SVG plots in the style of Jepsen's performance plots, drawn with `plotters`' SVG
//! backend: effect throughput and commit→effect latency over time with every fault as a shaded
//! band labelled with its kind and target, consumer lag and pending entries, the latency
//! histogram, the violations with their timelines; for a sweep, violations per seed and per kind
//! and the coverage windows.
//!
//! A small inline script measures every plot once the page is laid out and writes the sizes
//! and the fault bands it finds into the `data-rendered` attribute of `<body>`, so a headless
//! browser can tell that the plots rendered (`tests/html_report.rs`).
//!
//! It formats what [`super::series`] derived and the checkers found; it never judges, never
//! reads a clock, and writes nothing a history hash covers.

use super::outcome::{Figures, RunOutcome};
use super::series::{FaultBand, Perf};
use super::sweep::Sweep;
use super::{ReportError, VIOLATIONS_LISTED_MAX};
use crate::check::timeline;
use crate::check::ViolationKind;
use crate::history::hash::format_hash;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontTransform;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The file name of the report in a run's or a sweep's directory.
pub const FILE_NAME: &str = "report.html";
/// The opacity of a fault band; the page's script finds the bands by it.
pub const BAND_OPACITY: f64 = 0.18;
/// Bands labelled in a plot at most; a run with more lists them all in its faults table.
const BAND_LABELS_MAX: usize = 60;
const WIDTH: u32 = 1000;
const HEIGHT: u32 = 320;
const FONT: &str = "sans-serif";

/// A plot as an SVG string, or why plotters could not draw it.
type Svg = Result<String, String>;

/// Writes `dir/report.html` for one run; `extra` are (name, value) rows a command adds to the
/// figures table (the bench's offered rate, the Redis ceiling). Returns the file's path.
pub fn write_run_html(
    dir: &Path,
    outcome: &RunOutcome,
    perf: &Perf,
    extra: &[(String, String)],
) -> Result<PathBuf, ReportError> {
    let page = run_html(outcome, perf, extra).map_err(|message| ReportError::Plot {
        path: dir.join(FILE_NAME),
        message,
    })?;
    write_page(dir, &page)
}

/// Writes `dir/report.html` for a sweep; `seed_reports` are the failing seeds' report pages.
pub fn write_sweep_html(
    dir: &Path,
    sweep: &Sweep,
    elapsed_s: f64,
    seed_reports: &[(u64, PathBuf)],
) -> Result<PathBuf, ReportError> {
    let page = sweep_html(sweep, elapsed_s, seed_reports).map_err(|message| ReportError::Plot {
        path: dir.join(FILE_NAME),
        message,
    })?;
    write_page(dir, &page)
}

fn write_page(dir: &Path, page: &str) -> Result<PathBuf, ReportError> {
    let path = dir.join(FILE_NAME);
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&path, page))
        .map_err(|source| ReportError::Io {
            path: path.clone(),
            source,
        })?;
    Ok(path)
}

/// One run's page.
pub fn run_html(outcome: &RunOutcome, perf: &Perf, extra: &[(String, String)]) -> Svg {
    let s = &outcome.scenario;
    let title = format!("{} {}", s.name, outcome.run);
    let mut body = String::new();
    let verdict = super::verdict_line(&outcome.report);
    let _ = writeln!(
        body,
        "<h1>{}</h1>\n<p>{}</p>\n<p class=\"verdict {}\">{}</p>",
        esc(&title),
        esc(&s.description),
        if outcome.is_clean() {
            "clean"
        } else {
            "failed"
        },
        esc(&verdict)
    );
    let world = match outcome.figures {
        Figures::Simulated { redis_commands } => {
            format!("simulation ({redis_commands} Redis commands; times are simulated)")
        }
        Figures::WallClock { wall_ms } => format!("containers (wall clock {wall_ms} ms)"),
    };
    let mut rows: Vec<(String, String)> = vec![
        ("world".into(), world),
        (
            "history".into(),
            format!(
                "{} records, hash {}",
                outcome.history.len(),
                format_hash(outcome.history_hash())
            ),
        ),
    ];
    rows.extend(perf_rows(perf));
    rows.extend(extra.iter().cloned());
    body.push_str(&table(&["figure", "value"], &rows));
    body.push_str(&run_plots(perf)?);
    body.push_str(&faults_table(perf));
    body.push_str(&violations_section(outcome));
    let coverage: Vec<(String, String)> = outcome
        .report
        .coverage
        .ordered()
        .into_iter()
        .map(|(w, n)| (w.to_string(), n.to_string()))
        .collect();
    let _ = writeln!(body, "<h2>Coverage windows</h2>");
    body.push_str(&table(&["window", "times reached"], &coverage));
    let parameters: Vec<(String, String)> = outcome
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    let _ = writeln!(body, "<details><summary>Parameters</summary>");
    body.push_str(&table(&["parameter", "value"], &parameters));
    body.push_str("</details>\n");
    Ok(page(&title, &body))
}

/// The figures table's rows of a run's performance.
fn perf_rows(perf: &Perf) -> Vec<(String, String)> {
    let rate = |n: u64| format!("{n} ({:.1}/s)", perf.mean_per_s(n));
    let latency = match perf.latency_quantiles() {
        Some([p50, p99, p999, max]) => {
            format!("p50 {p50} ms, p99 {p99} ms, p99.9 {p999} ms, max {max} ms")
        }
        None => "no effect".into(),
    };
    vec![
        ("duration".into(), format!("{} ms", perf.end_ms)),
        ("decisions committed".into(), rate(perf.committed)),
        (
            format!("effects applied ({} concerns)", perf.concerns),
            rate(perf.effected),
        ),
        ("commit → effect latency".into(), latency),
        ("reclaims".into(), perf.reclaims.to_string()),
        ("dedupe hits".into(), perf.dedupe_hits.to_string()),
        ("dead letters".into(), perf.dead_letters.to_string()),
        ("faults".into(), perf.faults.len().to_string()),
    ]
}

fn run_plots(perf: &Perf) -> Result<String, String> {
    let s = &perf.plot;
    let secs = |i: usize| s.at_ms(i) as f64 / 1_000.0;
    let line = |v: &[u64]| -> Vec<(f64, f64)> {
        v.iter()
            .enumerate()
            .map(|(i, &n)| (secs(i), s.per_s(n)))
            .collect()
    };
    let level = |v: &[u64]| -> Vec<(f64, f64)> {
        v.iter()
            .enumerate()
            .map(|(i, &n)| (secs(i + 1), n as f64))
            .collect()
    };
    let quantile = |q: usize| -> Vec<(f64, f64)> {
        s.latency
            .iter()
            .enumerate()
            .filter_map(|(i, l)| l.map(|l| (secs(i), l[q] as f64)))
            .collect()
    };
    let unit = format!("per s ({} ms buckets)", s.bucket_ms);
    let mut out = String::from("<h2>Over time</h2>\n");
    let plots: [(&str, &str, &str, Vec<Line>); 3] = [
        (
            "throughput",
            "Throughput",
            &unit,
            vec![
                Line::new("decisions committed/s", line(&s.committed), BLUE),
                Line::new("effects applied/s", line(&s.effected), GREEN_DARK),
            ],
        ),
        (
            "latency",
            "Commit → effect latency",
            "ms",
            vec![
                Line::new("p50", quantile(0), BLUE),
                Line::new("p99", quantile(1), ORANGE),
                Line::new("max", quantile(2), RED),
            ],
        ),
        (
            "lag",
            "Consumer lag and pending entries",
            "entries",
            vec![
                Line::new("lag (committed, not delivered)", level(&s.lag), BLUE),
                Line::new("pending (delivered, not acked)", level(&s.pending), ORANGE),
            ],
        ),
    ];
    let x_max = (perf.end_ms as f64 / 1_000.0).max(0.001);
    for (id, title, y_desc, lines) in plots {
        let svg = time_plot(title, y_desc, x_max, &lines, &perf.faults)?;
        out.push_str(&figure(id, perf.faults.len(), &svg));
    }
    let svg = latency_histogram(perf)?;
    out.push_str(&figure("latency-histogram", 0, &svg));
    Ok(out)
}

const GREEN_DARK: RGBColor = RGBColor(0, 130, 60);
const ORANGE: RGBColor = RGBColor(230, 120, 0);

struct Line {
    name: &'static str,
    points: Vec<(f64, f64)>,
    color: RGBColor,
}

impl Line {
    fn new(name: &'static str, points: Vec<(f64, f64)>, color: RGBColor) -> Line {
        Line {
            name,
            points,
            color,
        }
    }
}

/// A fault kind's colour, the same in every plot.
fn band_color(kind: &str) -> RGBColor {
    match kind {
        "crash" => RGBColor(220, 30, 30),
        "power-loss" => RGBColor(120, 0, 0),
        "partition" => RGBColor(140, 60, 200),
        "latency" => RGBColor(240, 160, 0),
        "loss" => RGBColor(150, 90, 40),
        "hold" => RGBColor(30, 120, 220),
        "failover" => RGBColor(220, 0, 180),
        _ => RGBColor(110, 110, 110),
    }
}

fn plot_err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Lines over time (seconds) with the faults as shaded, labelled bands.
fn time_plot(title: &str, y_desc: &str, x_max: f64, lines: &[Line], faults: &[FaultBand]) -> Svg {
    let y_top = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(0.0f64, f64::max);
    let y_max = if y_top > 0.0 { y_top * 1.15 } else { 1.0 };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 18))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc("time (s)")
            .y_desc(y_desc)
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(plot_err)?;
        // An instant (a failover) still gets a visible band.
        let min_width = x_max / 400.0;
        chart
            .draw_series(faults.iter().map(|f| {
                let x0 = f.start_ms as f64 / 1_000.0;
                let x1 = f.end_ms.map_or(x_max, |e| e as f64 / 1_000.0);
                let x1 = x1.max(x0 + min_width).min(x_max);
                Rectangle::new(
                    [(x0.min(x_max), 0.0), (x1, y_max)],
                    band_color(&f.kind).mix(BAND_OPACITY).filled(),
                )
            }))
            .map_err(plot_err)?;
        let label_font = (FONT, 11)
            .into_font()
            .transform(FontTransform::Rotate90)
            .color(&BLACK.mix(0.75));
        chart
            .draw_series(faults.iter().take(BAND_LABELS_MAX).map(|f| {
                let x = (f.start_ms as f64 / 1_000.0).min(x_max);
                Text::new(short(&f.label()), (x, y_max * 0.98), label_font.clone())
            }))
            .map_err(plot_err)?;
        for l in lines {
            let color = l.color;
            chart
                .draw_series(LineSeries::new(
                    l.points.iter().copied(),
                    color.stroke_width(2),
                ))
                .map_err(plot_err)?
                .label(l.name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

/// Bars of counts over named or numbered categories.
fn bar_plot(title: &str, x_desc: &str, bars: &[(String, u64)], color: RGBColor) -> Svg {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        bars_on(&root, title, x_desc, bars, color)?;
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

fn bars_on(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    x_desc: &str,
    bars: &[(String, u64)],
    color: RGBColor,
) -> Result<(), String> {
    let n = bars.len().max(1) as u32;
    let y_max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64 * 1.15;
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 18))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((0..n).into_segmented(), 0f64..y_max)
        .map_err(plot_err)?;
    let names: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc("count")
        .light_line_style(WHITE.mix(0.0))
        .disable_x_mesh()
        // Never 0: plotters' key-point search does not end when asked for no labels (an empty
        // histogram: a run whose decisions never took effect).
        .x_labels(names.len().clamp(1, 40))
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(i) => names.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .draw()
        .map_err(plot_err)?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, b)| {
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(i as u32), 0.0),
                    (SegmentValue::Exact(i as u32 + 1), b.1 as f64),
                ],
                color.filled(),
            );
            bar.set_margin(0, 0, 3, 3);
            bar
        }))
        .map_err(plot_err)?;
    Ok(())
}

/// The distribution of commit→effect latencies (linear buckets up to the maximum).
fn latency_histogram(perf: &Perf) -> Svg {
    let h = &perf.latency;
    let max = h.max();
    let width = super::series::plot_bucket_ms(max.max(1) * 120 / 40).max(1);
    let mut bars: Vec<(String, u64)> = Vec::new();
    let mut low = 0u64;
    while low <= max && !h.is_empty() {
        let high = low + width - 1;
        bars.push((format!("{low}"), h.count_between(low, high)));
        low += width;
    }
    bar_plot(
        &format!(
            "Commit → effect latency histogram ({} effects)",
            perf.latency.len()
        ),
        &format!("latency (ms, buckets of {width} ms)"),
        &bars,
        BLUE,
    )
}

fn faults_table(perf: &Perf) -> String {
    let mut out = String::from("<h2>Faults</h2>\n");
    if perf.faults.is_empty() {
        out.push_str("<p>No fault fired.</p>\n");
        return out;
    }
    out.push_str("<table><tr><th>start (ms)</th><th>end (ms)</th><th>kind</th><th>target</th><th>detail</th><th>time to recover (effects back to 90%)</th></tr>\n");
    for (f, r) in perf.faults.iter().zip(&perf.recoveries) {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td><span class=\"swatch\" style=\"background:{}\"></span>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            f.start_ms,
            f.end_ms.map_or("end of run".to_string(), |e| e.to_string()),
            css_color(band_color(&f.kind)),
            esc(&f.kind),
            esc(&f.target),
            esc(&f.detail),
            esc(&r.to_string())
        );
    }
    out.push_str("</table>\n");
    out
}

fn violations_section(outcome: &RunOutcome) -> String {
    let mut out = String::from("<h2>Violations</h2>\n");
    let all: Vec<_> = outcome.report.violations().collect();
    if all.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        out.push_str("<table class=\"violations\"><tr><th>kind</th><th>event</th><th>concern</th><th>what</th><th>timeline</th></tr>\n");
        for v in all.iter().take(VIOLATIONS_LISTED_MAX) {
            let story = timeline::render(&outcome.history, &v.timeline);
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><details><summary>{} records</summary><pre>{}</pre></details></td></tr>",
                v.kind,
                esc(v.event.as_deref().or(v.entry.as_deref()).unwrap_or("")),
                esc(v.concern.as_deref().unwrap_or("")),
                esc(&v.message),
                v.timeline.len(),
                esc(&story)
            );
        }
        out.push_str("</table>\n");
        if all.len() > VIOLATIONS_LISTED_MAX {
            let _ = writeln!(
                out,
                "<p>... and {} more (see summary.json).</p>",
                all.len() - VIOLATIONS_LISTED_MAX
            );
        }
    }
    for r in &outcome.report.results {
        if r.findings.violations.is_empty() {
            for reason in &r.findings.undecided {
                let _ = writeln!(out, "<p>undecided {}: {}</p>", r.kind, esc(reason));
            }
        }
    }
    if let Some(e) = &outcome.audit_error {
        let _ = writeln!(out, "<p>audit failed: {}</p>", esc(e));
    }
    out
}

/// A sweep's page.
pub fn sweep_html(sweep: &Sweep, elapsed_s: f64, seed_reports: &[(u64, PathBuf)]) -> Svg {
    let title = format!(
        "sweep {} seeds {}..{}",
        sweep.scenario, sweep.range.start, sweep.range.end
    );
    let summary = sweep.summary(elapsed_s);
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<h1>{}</h1>\n<p class=\"verdict {}\">expect {}: {}</p>",
        esc(&title),
        if summary.passed { "clean" } else { "failed" },
        esc(&summary.expect),
        if summary.passed { "met" } else { "NOT met" }
    );
    let rows = vec![
        ("seeds run".to_string(), summary.seeds_run.to_string()),
        ("failing seeds".into(), summary.failing.len().to_string()),
        (
            "wall time".into(),
            format!("{:.1} s ({:.1} seeds/s)", elapsed_s, summary.seeds_per_s),
        ),
        (
            "never reached (must_reach)".into(),
            summary.never_reached.join(", "),
        ),
        (
            "undecided seeds".into(),
            summary
                .undecided_seeds
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(" "),
        ),
    ];
    body.push_str(&table(&["figure", "value"], &rows));
    let per_seed: Vec<(String, u64)> = sweep
        .outcomes()
        .map(|o| {
            let n: u64 = o.gating.values().chain(o.reported.values()).sum();
            (o.seed.to_string(), n)
        })
        .collect();
    let per_kind: Vec<(String, u64)> = ViolationKind::ALL
        .iter()
        .map(|k| {
            (
                k.name().to_string(),
                sweep.totals().get(k).copied().unwrap_or(0),
            )
        })
        .collect();
    let coverage: Vec<(String, u64)> = sweep
        .coverage()
        .ordered()
        .into_iter()
        .map(|(w, n)| (w.to_string(), n))
        .collect();
    body.push_str("<h2>Violations</h2>\n");
    body.push_str(&figure(
        "violations-per-seed",
        0,
        &bar_plot("Violations per seed", "seed", &per_seed, RED)?,
    ));
    body.push_str(&figure(
        "violations-per-kind",
        0,
        &bar_plot("Violations per kind (all seeds)", "kind", &per_kind, RED)?,
    ));
    let seeds_with = sweep.seeds_with();
    let kind_rows: Vec<(String, String)> = per_kind
        .iter()
        .map(|(k, n)| {
            let seeds = k
                .parse::<ViolationKind>()
                .ok()
                .and_then(|k| seeds_with.get(&k).copied())
                .unwrap_or(0);
            (k.clone(), format!("{n} in {seeds} seeds"))
        })
        .collect();
    body.push_str(&table(&["kind", "violations"], &kind_rows));
    body.push_str("<h2>Coverage windows</h2>\n");
    body.push_str(&figure(
        "coverage",
        0,
        &bar_plot(
            "Coverage windows reached (all seeds)",
            "window",
            &coverage,
            GREEN_DARK,
        )?,
    ));
    let must: Vec<(String, String)> = coverage
        .iter()
        .map(|(w, n)| {
            let required = if sweep.must_reach.contains(w) {
                " (must reach)"
            } else {
                ""
            };
            (format!("{w}{required}"), n.to_string())
        })
        .collect();
    body.push_str(&table(&["window", "times reached"], &must));
    body.push_str("<h2>Failing seeds</h2>\n");
    if summary.failing.is_empty() {
        body.push_str("<p>None.</p>\n");
    } else {
        let links: std::collections::BTreeMap<u64, &PathBuf> =
            seed_reports.iter().map(|(s, p)| (*s, p)).collect();
        body.push_str("<table><tr><th>seed</th><th>verdict</th><th>history hash</th><th>replay</th><th>report</th></tr>\n");
        for f in &summary.failing {
            let report = links
                .get(&f.seed)
                .map(|p| esc(&p.display().to_string()))
                .unwrap_or_default();
            let _ = writeln!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{report}</td></tr>",
                f.seed,
                esc(&f.verdict),
                esc(&f.history_hash),
                esc(&f.replay)
            );
        }
        body.push_str("</table>\n");
    }
    Ok(page(&title, &body))
}

fn figure(id: &str, bands: usize, svg: &str) -> String {
    // The SVG's XML declaration, if any, has no place inside HTML.
    let svg = svg
        .trim_start()
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        .unwrap_or(svg)
        .trim();
    format!("<figure data-plot=\"{id}\" data-fault-bands=\"{bands}\">\n{svg}\n</figure>\n")
}

fn table(header: &[&str], rows: &[(String, String)]) -> String {
    let mut out = String::from("<table><tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr>\n");
    for (a, b) in rows {
        let _ = writeln!(out, "<tr><td>{}</td><td>{}</td></tr>", esc(a), esc(b));
    }
    out.push_str("</table>\n");
    out
}

/// A band's label cut to fit the plot's height.
fn short(label: &str) -> String {
    const MAX: usize = 36;
    if label.chars().count() <= MAX {
        return label.to_string();
    }
    let cut: String = label.chars().take(MAX - 1).collect();
    format!("{cut}…")
}

fn css_color(c: RGBColor) -> String {
    format!("rgba({},{},{},{BAND_OPACITY})", c.0, c.1, c.2)
}

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Measures every plot once laid out; `tests/html_report.rs` reads the result.
const RENDER_CHECK: &str = r#"<script>
(function () {
  var plots = [];
  document.querySelectorAll('figure[data-plot]').forEach(function (fig) {
    var svg = fig.querySelector('svg');
    var r = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    var bands = svg ? svg.querySelectorAll('rect[opacity="BAND_OPACITY"]').length : 0;
    var drawn = svg ? svg.querySelectorAll('path, polyline, line, rect, text').length : 0;
    plots.push({ plot: fig.getAttribute('data-plot'), width: r.width, height: r.height,
                 bands: bands, expected_bands: Number(fig.getAttribute('data-fault-bands')),
                 elements: drawn });
  });
  document.body.setAttribute('data-rendered', JSON.stringify(plots));
})();
</script>"#;

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1040px}\
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:2px 8px;\
text-align:left;vertical-align:top;font-size:13px}th{background:#f2f2f2}\
.verdict{font-weight:bold}.clean{color:#070}.failed{color:#b00}\
figure{margin:0 0 1em}pre{font-size:12px;margin:0}\
.swatch{display:inline-block;width:10px;height:10px;margin-right:4px}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}{}\n</body>\n</html>\n",
        esc(title),
        RENDER_CHECK.replace("BAND_OPACITY", &BAND_OPACITY.to_string())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{check_all, CheckOptions};
    use crate::history::testkit::*;

    #[test]
    fn escapes() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn plots_carry_their_bands() {
        let (h, _) = duplicated_run();
        let perf = Perf::build(&h);
        let svg = time_plot(
            "t",
            "y",
            1.0,
            &[Line::new("l", vec![(0.0, 1.0), (1.0, 2.0)], BLUE)],
            &perf.faults,
        )
        .unwrap();
        assert_eq!(perf.faults.len(), 1);
        let band = format!("opacity=\"{BAND_OPACITY}\"");
        assert_eq!(svg.matches(&band).count(), 1, "{svg}");
        assert!(svg.contains("crash worker-billing-0"), "{svg}");
        let report = check_all(&h, None, CheckOptions::default());
        assert!(!report.is_clean());
    }

    /// A run whose decisions never took effect has no bars: the plot is still drawn (plotters
    /// asked for no axis labels never returned).
    #[test]
    fn an_empty_bar_plot_is_drawn() {
        let svg = bar_plot("latency", "ms", &[], BLUE).unwrap();
        assert!(svg.contains("<svg"), "{svg}");
    }
}
