//! JUnit XML for a sweep, the format CI systems show as test results.
//!
//! One testcase per seed; under `expect = "pass"` a failing seed is a `<failure>` naming its
//! violation kinds and its replay command. Under a planted bug, seeds are informational and one
//! extra testcase, `expect <kind>`, fails when no seed produced the kind (or one showed a kind it
//! does not explain). A broken run is always a failure. Each `must_reach`
//! window is a testcase that fails when never reached. Every text is XML-escaped.

use super::replay_command;
use super::sweep::{SeedOutcome, Sweep};
use crate::check::Expect;
use std::fmt::Write;

/// Escapes text for XML content and attribute values. Characters XML 1.0 cannot carry at all
/// (control characters other than tab, newline, carriage return) become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

struct Case {
    name: String,
    failure: Option<Failure>,
}

struct Failure {
    kind: String,
    message: String,
    body: String,
}

/// The whole document. `elapsed_s` is the sweep's wall time.
pub fn junit_xml(sweep: &Sweep, elapsed_s: f64) -> String {
    let cases = cases(sweep);
    let failures = cases.iter().filter(|c| c.failure.is_some()).count();
    let suite = escape(&sweep.scenario);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"outbox-chaos\" tests=\"{}\" failures=\"{failures}\" time=\"{elapsed_s:.3}\">", cases.len());
    let _ = writeln!(out, "  <testsuite name=\"{suite}\" tests=\"{}\" failures=\"{failures}\" time=\"{elapsed_s:.3}\">", cases.len());
    for case in &cases {
        write_case(&mut out, &suite, case);
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn write_case(out: &mut String, suite: &str, case: &Case) {
    let name = escape(&case.name);
    match &case.failure {
        None => {
            let _ = writeln!(
                out,
                "    <testcase classname=\"outbox-chaos.{suite}\" name=\"{name}\"/>"
            );
        }
        Some(f) => {
            let _ = writeln!(
                out,
                "    <testcase classname=\"outbox-chaos.{suite}\" name=\"{name}\">"
            );
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                escape(&f.kind),
                escape(&f.message),
                escape(&f.body)
            );
            let _ = writeln!(out, "    </testcase>");
        }
    }
}

fn cases(sweep: &Sweep) -> Vec<Case> {
    if sweep.is_empty_shard() {
        return vec![Case {
            name: format!("shard {} (no seed of {})", sweep.shard, sweep.range),
            failure: None,
        }];
    }
    let mut cases: Vec<Case> = sweep.outcomes().map(|o| seed_case(sweep, o)).collect();
    if let Expect::Violation(kind) = sweep.expect {
        let unexpected = sweep.unexpected_kinds();
        let message = if !sweep.outcomes().any(|o| o.found(kind)) {
            format!("no seed produced the planted bug's violation `{kind}`")
        } else if let Some((other, seed)) = unexpected.iter().next() {
            format!("seed {seed} shows `{other}`, which the planted bug `{kind}` does not explain")
        } else {
            "a seed's run broke".to_string()
        };
        let failure = (!sweep.expectation_met()).then(|| Failure {
            kind: "expectation".into(),
            message,
            body: format!("seeds run: {}", sweep.outcomes().count()),
        });
        cases.push(Case {
            name: format!("expect {kind}"),
            failure,
        });
    }
    let never = sweep.never_reached();
    for w in &sweep.must_reach {
        let failure = never.contains(w).then(|| Failure {
            kind: "coverage".into(),
            message: format!("window never reached: {w}"),
            body: String::new(),
        });
        cases.push(Case {
            name: format!("must_reach {w}"),
            failure,
        });
    }
    cases
}

fn seed_case(sweep: &Sweep, o: &SeedOutcome) -> Case {
    let name = format!("seed {}", o.seed);
    let broken = o.error.is_some();
    if !broken && (sweep.expect != Expect::Pass || !o.is_failing()) {
        return Case {
            name,
            failure: None,
        };
    }
    let mut kinds: Vec<&str> = o
        .gating
        .keys()
        .chain(o.undecided.iter())
        .map(|k| k.name())
        .collect();
    if broken {
        kinds.push("error");
    }
    let body = format!(
        "verdict: {}\nhistory-hash: {}\nreplay: {}\n",
        o.verdict,
        o.history_hash,
        replay_command(&sweep.target, o.seed)
    );
    Case {
        name,
        failure: Some(Failure {
            kind: kinds.join(","),
            message: format!("verdict: {}", o.verdict),
            body,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::testkit::*;
    use crate::scenario::Shard;

    #[test]
    fn escapes_markup_quotes_and_control_characters() {
        assert_eq!(
            escape("a<b>&\"c\" 'd'"),
            "a&lt;b&gt;&amp;&quot;c&quot; &apos;d&apos;"
        );
        assert_eq!(
            escape("tab\there\nnul\u{0}bell\u{7}"),
            "tab\there\nnul\u{FFFD}bell\u{FFFD}"
        );
        assert_eq!(escape("héllo ✓"), "héllo ✓");
    }

    fn sweep(expect: &str, must_reach: &str) -> Sweep {
        let scenario = super::super::sweep::tests::scenario(expect, must_reach);
        Sweep::new(&scenario, "0..3".parse().unwrap(), Shard::ALL)
    }

    #[test]
    fn one_case_per_seed_failures_with_replay() {
        let mut s = sweep("pass", "\"partition-in-flight\"");
        s.add(super::super::sweep::tests::outcome(0, clean_run()));
        s.add(super::super::sweep::tests::outcome(1, duplicated_run()));
        let xml = junit_xml(&s, 1.25);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"outbox-chaos\" tests=\"3\" failures=\"2\" time=\"1.250\">\n"), "{xml}");
        assert!(
            xml.contains("<testcase classname=\"outbox-chaos.s\" name=\"seed 0\"/>"),
            "{xml}"
        );
        assert!(xml.contains("<failure type=\"duplicate\" message=\"verdict: violations duplicate=1\">verdict: violations duplicate=1\nhistory-hash: "), "{xml}");
        assert!(
            xml.contains("replay: outbox-chaos replay s --seed 1\n</failure>"),
            "{xml}"
        );
        assert!(xml.contains("<failure type=\"coverage\" message=\"window never reached: partition-in-flight\"></failure>"), "{xml}");
        assert!(xml.ends_with("  </testsuite>\n</testsuites>\n"));
    }

    #[test]
    fn planted_bug_adds_an_expectation_case() {
        let mut s = sweep("lost", "");
        s.add(super::super::sweep::tests::outcome(0, duplicated_run()));
        let xml = junit_xml(&s, 0.5);
        assert!(
            xml.contains("name=\"seed 0\"/>"),
            "seeds are informational under a planted bug: {xml}"
        );
        assert!(
            xml.contains("name=\"expect lost\">\n      <failure type=\"expectation\""),
            "{xml}"
        );
    }
}
