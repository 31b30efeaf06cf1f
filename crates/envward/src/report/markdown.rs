//! A Markdown summary for pull-request comments and `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write as _;

use crate::check::{Report, Severity};

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The report as Markdown: a verdict, a per-environment table of counts,
/// and the findings.
pub fn markdown(report: &Report) -> String {
    let (e, w, i) = (
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Info),
    );
    let verdict = if e > 0 {
        "❌ **envward check failed**"
    } else if w > 0 {
        "⚠️ **envward check passed with warnings**"
    } else {
        "✅ **envward check passed**"
    };
    let mut out = format!(
        "{verdict}: {e} error(s), {w} warning(s), {i} info in {} environment(s), {} checks.\n\n",
        report.environments.len(),
        report.checks
    );
    out.push_str("| environment | errors | warnings | infos |\n| --- | ---: | ---: | ---: |\n");
    for env in &report.environments {
        let count = |s: Severity| {
            report
                .findings
                .iter()
                .filter(|f| f.severity == s && f.environment.as_deref() == Some(env.as_str()))
                .count()
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(env),
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Info)
        );
    }
    if !report.findings.is_empty() {
        out.push_str("\n| | environment | rule | key | message | where |\n| --- | --- | --- | --- | --- | --- |\n");
        for f in &report.findings {
            let mark = match f.severity {
                Severity::Error => "❌",
                Severity::Warning => "⚠️",
                Severity::Info => "ℹ️",
            };
            let _ = writeln!(
                out,
                "| {mark} | {} | `{}`{} | {} | {} | {} |",
                cell(f.environment.as_deref().unwrap_or("envward.toml")),
                f.rule,
                f.django.map(|id| format!(" ({id})")).unwrap_or_default(),
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
