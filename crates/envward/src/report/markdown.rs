//! A Markdown summary for pull-request comments and `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write as _;

use crate::findings::{Report, Severity};
use crate::plural::count;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The report as Markdown: a verdict, a table of counts per environment
/// (per section for `doctor`), and the findings.
pub fn markdown(report: &Report) -> String {
    let (e, w, i) = (
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Info),
    );
    let tool = report.tool.name();
    let verdict = if e > 0 {
        format!("❌ **envward {tool} failed**")
    } else if w > 0 {
        format!("⚠️ **envward {tool} passed with warnings**")
    } else {
        format!("✅ **envward {tool} passed**")
    };
    let (mut out, column) = match &report.process {
        Some(p) => (
            format!(
                "{verdict}: {}, {}, {i} info, {} audited.\n\n",
                count(e, "error", "errors"),
                count(w, "warning", "warnings"),
                count(p.variables, "variable", "variables"),
            ),
            "section",
        ),
        None => (
            format!(
                "{verdict}: {}, {}, {i} info in {}, {}.\n\n",
                count(e, "error", "errors"),
                count(w, "warning", "warnings"),
                count(report.environments.len(), "environment", "environments"),
                count(report.tally().checks, "check", "checks"),
            ),
            "environment",
        ),
    };
    let _ = writeln!(
        out,
        "| {column} | errors | warnings | infos |\n| --- | ---: | ---: | ---: |"
    );
    // The project file's group is a row only in the findings table.
    let groups = report.groups();
    let skip = usize::from(report.sections.is_empty());
    for group in groups.iter().skip(skip) {
        let count = |s: Severity| group.findings.iter().filter(|f| f.severity == s).count();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(group.title),
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Info)
        );
    }
    if !report.findings.is_empty() {
        let _ = writeln!(
            out,
            "\n| | {column} | rule | key | message | where |\n| --- | --- | --- | --- | --- | --- |"
        );
        for f in &report.findings {
            let mark = match f.severity {
                Severity::Error => "❌",
                Severity::Warning => "⚠️",
                Severity::Info => "ℹ️",
            };
            let _ = writeln!(
                out,
                "| {mark} | {} | `{}`{} | {} | {} | {} |",
                cell(report.group_of(f)),
                f.rule,
                f.django().map(|id| format!(" ({id})")).unwrap_or_default(),
                f.key
                    .as_deref()
                    .map(|k| format!("`{k}`"))
                    .unwrap_or_default(),
                cell(&f.message),
                f.origin
                    .as_ref()
                    .map(|o| format!("`{}`", cell(&o.to_string())))
                    .unwrap_or_default(),
            );
        }
    }
    out
}
