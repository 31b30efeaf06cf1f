//! JUnit XML: a test suite per group (environment or section), a test
//! case per rule, a failure per rule with errors, for CI test viewers.

use std::fmt::Write as _;

use crate::findings::{Report, Severity};

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

/// The report as JUnit XML: a test suite per group (`check`: the project
/// file and each environment; `doctor`: each section), a test case per
/// rule, a failure per rule with errors. Warnings and infos are test cases
/// that pass with a `<system-out>` note; the cases of a skipped group are
/// `<skipped>`.
pub fn junit(report: &Report) -> String {
    let tool = format!("envward {}", report.tool.name());
    let mut suites = String::new();
    let (mut total, mut total_failures, mut total_skipped) = (0, 0, 0);
    for group in report.groups() {
        let mut cases = String::new();
        let mut failures = 0;
        for (id, _, summary) in &group.rules {
            let found: Vec<_> = group.findings.iter().filter(|f| f.rule == *id).collect();
            let _ = writeln!(
                cases,
                "    <testcase classname=\"{}\" name=\"{}\">",
                esc(group.name),
                esc(id)
            );
            if let Some(reason) = group.skipped {
                let _ = writeln!(cases, "      <skipped message=\"{}\"/>", esc(reason));
            }
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
                    esc(&format!(
                        "{}: {summary}",
                        crate::plural::count(errors.len(), "finding", "findings")
                    )),
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
        let skipped = if group.skipped.is_some() {
            group.rules.len()
        } else {
            0
        };
        total += group.rules.len();
        total_failures += failures;
        total_skipped += skipped;
        let _ = write!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" timestamp=\"{}\">\n{cases}  </testsuite>\n",
            esc(&format!("{tool}: {}", group.title)),
            group.rules.len(),
            esc(report.timestamp.trim_end_matches('Z')),
        );
    }
    let skipped = if total_skipped > 0 {
        format!(" skipped=\"{total_skipped}\"")
    } else {
        String::new()
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{tool}\" tests=\"{total}\" failures=\"{total_failures}\" errors=\"0\"{skipped}>\n{suites}</testsuites>\n"
    )
}
