//! JUnit XML: a test suite per environment, a test case per rule, a
//! failure per finding, for CI test viewers.

use std::fmt::Write as _;

use crate::check::{Report, Severity};

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// The report as JUnit XML. Warnings and infos are test cases that pass
/// with a `<system-out>` note; errors are `<failure>`s.
pub fn junit(report: &Report) -> String {
    let rules = &report.rules;
    let mut groups: Vec<Option<&str>> = vec![None];
    groups.extend(report.environments.iter().map(|e| Some(e.as_str())));
    let mut suites = String::new();
    let (mut total, mut total_failures) = (0, 0);
    for env in groups {
        let name = env.unwrap_or("envward.toml");
        let ids: Vec<_> = match env {
            None => rules
                .iter()
                .filter(|(id, ..)| *id == "schema.invalid")
                .collect(),
            Some(_) => rules
                .iter()
                .filter(|(id, ..)| *id != "schema.invalid")
                .collect(),
        };
        let mut cases = String::new();
        let mut failures = 0;
        for (id, _, summary) in &ids {
            let found: Vec<_> = report
                .findings
                .iter()
                .filter(|f| f.rule == *id && f.environment.as_deref() == env)
                .collect();
            let _ = writeln!(
                cases,
                "    <testcase classname=\"{}\" name=\"{}\">",
                esc(name),
                esc(id)
            );
            let errors: Vec<_> = found
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .collect();
            if !errors.is_empty() {
                failures += 1;
                let body: Vec<String> = errors
                    .iter()
                    .map(|f| {
                        let at = f
                            .origin
                            .as_ref()
                            .map(|o| format!(" ({o})"))
                            .unwrap_or_default();
                        format!("{}{at}", f.message)
                    })
                    .collect();
                let _ = writeln!(
                    cases,
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                    esc(&format!("{} finding(s): {summary}", errors.len())),
                    esc(id),
                    esc(&body.join("\n"))
                );
            }
            let notes: Vec<String> = found
                .iter()
                .filter(|f| f.severity != Severity::Error)
                .map(|f| format!("{}: {}", f.severity.name(), f.message))
                .collect();
            if !notes.is_empty() {
                let _ = writeln!(
                    cases,
                    "      <system-out>{}</system-out>",
                    esc(&notes.join("\n"))
                );
            }
            cases.push_str("    </testcase>\n");
        }
        total += ids.len();
        total_failures += failures;
        let _ = write!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" timestamp=\"{}\">\n{cases}  </testsuite>\n",
            esc(&format!("envward check: {name}")),
            ids.len(),
            esc(report.timestamp.trim_end_matches('Z')),
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"envward check\" tests=\"{total}\" failures=\"{total_failures}\" errors=\"0\">\n{suites}</testsuites>\n"
    )
}
