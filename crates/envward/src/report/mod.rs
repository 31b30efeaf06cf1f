//! Writers for check reports: the same findings as text, JSON, SARIF,
//! JUnit XML, Markdown or HTML.

mod html;
mod junit;
mod markdown;
pub mod sarif;

pub use html::{HtmlError, html};
pub use junit::junit;
pub use markdown::markdown;
pub use sarif::sarif;

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use serde_json::json;

use crate::findings::{Report, Severity};
use crate::plural::{count, noun};

/// Version of the JSON report format; bumped on incompatible changes.
pub const JSON_VERSION: u32 = 1;

pub(crate) const ERROR: Style = AnsiColor::Red.on_default().bold();
pub(crate) const WARNING: Style = AnsiColor::Yellow.on_default().bold();
pub(crate) const INFO: Style = AnsiColor::Blue.on_default();
pub(crate) const OK: Style = AnsiColor::Green.on_default().bold();
pub(crate) const DIM: Style = Style::new().dimmed();
pub(crate) const BOLD: Style = Style::new().bold();

/// A titled group of findings as text: `✔ title: no problems` when there
/// is none, else the title and each finding (see [`write_finding`]).
pub(crate) fn write_group(
    out: &mut String,
    title: &str,
    items: &[&crate::findings::Finding],
    styled: bool,
    process_origin: bool,
) {
    let st = |s: Style| if styled { s } else { Style::new() };
    if items.is_empty() {
        let _ = writeln!(
            out,
            "{}✔{:#} {}{title}{:#}: no problems",
            st(OK),
            st(OK),
            st(BOLD),
            st(BOLD)
        );
        return;
    }
    let _ = writeln!(out, "{}{title}{:#}", st(BOLD), st(BOLD));
    for f in items {
        write_finding(out, f, styled, process_origin);
    }
}

/// The summary marker and its style for `errors` and `warnings`.
pub(crate) fn verdict(errors: usize, warnings: usize) -> (&'static str, Style) {
    if errors > 0 {
        ("✖", ERROR)
    } else if warnings > 0 {
        ("⚠", WARNING)
    } else {
        ("✔", OK)
    }
}

/// One finding as text lines: marker, severity, message, origin (the
/// process environment only with `process_origin`), rule, help.
pub(crate) fn write_finding(
    out: &mut String,
    f: &crate::findings::Finding,
    styled: bool,
    process_origin: bool,
) {
    let st = |s: Style| if styled { s } else { Style::new() };
    let (m, style) = marker(f.severity);
    let style = st(style);
    let _ = write!(
        out,
        "  {style}{m} {:<7}{style:#} {}",
        f.severity.name(),
        f.message
    );
    match (&f.origin, &f.location) {
        (Some(crate::source::Origin::Process), _) if !process_origin => {}
        (Some(origin), _) => {
            let _ = write!(out, "  {}{origin}{:#}", st(DIM), st(DIM));
        }
        (None, Some(place)) => {
            let _ = write!(out, "  {}{}", st(DIM), place.path.display());
            if let Some(line) = place.line {
                let _ = write!(out, ":{line}");
                if let Some(column) = place.column {
                    let _ = write!(out, ":{column}");
                }
            }
            if let Some(history) = &place.history {
                let _ = write!(out, " @ {}", history.summary());
            }
            let _ = write!(out, "{:#}", st(DIM));
        }
        (None, None) => {}
    }
    match f.django() {
        Some(id) => {
            let _ = writeln!(out, "  {}[{} · django {id}]{:#}", st(DIM), f.rule, st(DIM));
        }
        None => {
            let _ = writeln!(out, "  {}[{}]{:#}", st(DIM), f.rule, st(DIM));
        }
    }
    if let Some(help) = &f.help {
        let _ = writeln!(out, "      {}help:{:#} {help}", st(DIM), st(DIM));
    }
}

pub(crate) fn marker(s: Severity) -> (&'static str, Style) {
    match s {
        Severity::Error => ("✖", ERROR),
        Severity::Warning => ("⚠", WARNING),
        Severity::Info => ("ℹ", INFO),
    }
}

/// The report as text: grouped by environment then severity, with ✖ ⚠ ✔
/// markers and a summary line. ANSI styles only when `styled`. While
/// `envward.toml` has errors, an environment without findings is not
/// shown as passing (○: checked against an invalid schema).
pub fn text(report: &Report, styled: bool) -> String {
    let st = |s: Style| if styled { s } else { Style::new() };
    let mut out = String::new();
    if let Some(unit) = match report.tool {
        crate::findings::Tool::Scan => Some(("file", "files", "scanned")),
        crate::findings::Tool::Probe => Some(("request", "requests", "made")),
        crate::findings::Tool::Log => Some(("entry", "entries", "read")),
        _ => None,
    } {
        // Files or answers, not environments: one group per section.
        for group in report.groups() {
            if let (Some(why), true) = (group.skipped, group.findings.is_empty()) {
                let _ = writeln!(
                    out,
                    "{}⏭ {}: not checked: {why}{:#}",
                    st(DIM),
                    group.title,
                    st(DIM)
                );
                continue;
            }
            write_group(&mut out, group.title, &group.findings, styled, false);
        }
        let tail = format!(
            " ({} {})",
            crate::plural::count(report.checks, unit.0, unit.1),
            unit.2
        );
        write_summary(&mut out, report, &tail, styled);
        return out;
    }
    let project_errors = report
        .findings
        .iter()
        .filter(|f| f.environment.is_none() && f.severity == Severity::Error)
        .count();
    let mut groups: Vec<Option<&str>> = vec![None];
    groups.extend(report.environments.iter().map(|e| Some(e.as_str())));
    for group in groups {
        let items: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.environment.as_deref() == group)
            .collect();
        // The envward.toml group shows only when it has findings.
        if items.is_empty() && group.is_none() {
            continue;
        }
        let title = match group {
            None => "envward.toml".to_string(),
            Some(env) => match report.rule_sets.get(env) {
                Some(set) => format!("{env} ({})", set.describe()),
                None => env.to_string(),
            },
        };
        if items.is_empty() && project_errors > 0 {
            // Checked against a schema that is itself wrong: not a pass.
            let _ = writeln!(
                out,
                "○ {}{title}{:#}: no findings of its own, but checked against an invalid {} ({} above): fix it first",
                st(BOLD),
                st(BOLD),
                crate::config::PROJECT_FILE,
                count(project_errors, "error", "errors"),
            );
            continue;
        }
        write_group(&mut out, &title, &items, styled, true);
    }
    for env in &report.environments {
        let keys: Vec<&str> = report
            .skipped
            .iter()
            .filter(|s| &s.environment == env)
            .map(|s| s.key.as_str())
            .collect();
        if !keys.is_empty() {
            let _ = writeln!(
                out,
                "{}⏭ {env}: checks of {} skipped: encrypted and no identity available ({}){:#}",
                st(DIM),
                noun(keys.len(), "1 value", "these values"),
                keys.join(", "),
                st(DIM)
            );
        }
    }
    let n = report.environments.len();
    let tally = report.tally();
    let tail = format!(
        " in {} ({}, {} passed)",
        count(n, "environment", "environments"),
        count(tally.checks, "check", "checks"),
        tally.passed,
    );
    write_summary(&mut out, report, &tail, styled);
    out
}

/// The summary line: `✖ 1 error, 2 warnings, 0 info` and `tail`.
pub(crate) fn write_summary(out: &mut String, report: &Report, tail: &str, styled: bool) {
    let st = |s: Style| if styled { s } else { Style::new() };
    let (e, w, i) = report.counts();
    let (m, style) = verdict(e, w);
    let _ = writeln!(
        out,
        "{}{m}{:#} {e} {}, {w} {}, {i} info{tail}",
        st(style),
        st(style),
        noun(e, "error", "errors"),
        noun(w, "warning", "warnings"),
    );
}

/// The report as JSON (format version [`JSON_VERSION`]):
///
/// ```json
/// {"version": 1, "environments": ["production"],
///  "rule_sets": {"production": {"strict": true, "source": "name"}},
///  "summary": {"errors": 1, "warnings": 0, "infos": 0, "checks": 12, "passed": 11},
///  "findings": [{"rule": "schema.required", "severity": "error", "environment": "production",
///                "key": "SECRET_KEY", "origin": null, "message": "...", "help": "..."}]}
/// ```
pub fn json(report: &Report) -> serde_json::Value {
    let (e, w, i) = report.counts();
    let tally = report.tally();
    json!({
        "version": JSON_VERSION,
        "timestamp": report.timestamp,
        "environments": report.environments,
        "rule_sets": report.rule_sets,
        "summary": {
            "errors": e,
            "warnings": w,
            "infos": i,
            "checks": tally.checks,
            "passed": tally.passed,
        },
        "findings": report.findings,
        "skipped": report.skipped,
    })
}
