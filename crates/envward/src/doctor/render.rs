//! The doctor report as text (grouped, ✖ ⚠ ✔ markers) or JSON.

use std::fmt::Write as _;

use anstyle::Style;
use serde_json::{Value, json};

use super::section_of;
use crate::findings::{Report, Severity};

/// Version of the doctor JSON format; bumped on incompatible changes.
pub const JSON_VERSION: u32 = 1;

use crate::plural::noun;
use crate::report::{BOLD, DIM, write_group, write_summary};

/// The report as text: what was audited, one group per section with ✖ ⚠
/// ℹ markers (✔ when a section is clean, ⏭ when it was skipped), and a
/// summary line. ANSI styles only when `styled`.
pub fn text(report: &Report, styled: bool) -> String {
    let st = |s: Style| if styled { s } else { Style::new() };
    let mut out = String::new();
    let process = report.process.clone().unwrap_or_default();
    let whose = match (process.pid, process.owner) {
        (None, _) => {
            "the environment envward was started with (what this shell exports)".to_string()
        }
        (Some(pid), Some(uid)) => format!("the environment of process {pid} (uid {uid})"),
        (Some(pid), None) => format!("the environment of process {pid}"),
    };
    let _ = write!(
        out,
        "{}Auditing{:#} {whose}: {} {}",
        st(BOLD),
        st(BOLD),
        process.variables,
        noun(process.variables, "variable", "variables")
    );
    if process.invalid_utf8 > 0 {
        let _ = write!(
            out,
            ", {} not valid UTF-8 (read lossily)",
            process.invalid_utf8
        );
    }
    let _ = writeln!(out);
    if let Some(p) = &process.project {
        let _ = writeln!(
            out,
            "{}project {}, environment {}{}{:#}",
            st(DIM),
            p.root.display(),
            p.environment,
            if p.strict { " (strict)" } else { "" },
            st(DIM)
        );
    }
    for group in report.groups() {
        if let Some(reason) = group.skipped {
            let _ = writeln!(
                out,
                "{}⏭ {}: skipped: {reason}{:#}",
                st(DIM),
                group.title,
                st(DIM)
            );
            continue;
        }
        write_group(&mut out, group.title, &group.findings, styled, false);
    }
    let tail = format!(
        " ({} {} audited)",
        process.variables,
        noun(process.variables, "variable", "variables"),
    );
    write_summary(&mut out, report, &tail, styled);
    out
}

/// The report as JSON (format version [`JSON_VERSION`]); see
/// `docs/cli.md` for the schema. Keys, paths, modes and origins only.
pub fn json(report: &Report) -> Value {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(f).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut v {
                map.insert("section".into(), section_of(&f.rule).into());
            }
            v
        })
        .collect();
    let process = report.process.clone().unwrap_or_default();
    let skipped: Vec<Value> = report
        .sections
        .iter()
        .filter_map(|s| {
            let reason = s.skipped.as_ref()?;
            Some(json!({ "section": s.id, "reason": reason }))
        })
        .collect();
    json!({
        "version": JSON_VERSION,
        "target": {
            "kind": if process.pid.is_some() { "pid" } else { "self" },
            "pid": process.pid,
            "uid": process.owner,
            "variables": process.variables,
            "invalid_utf8": process.invalid_utf8,
        },
        "project": process.project,
        "summary": {
            "errors": report.count(Severity::Error),
            "warnings": report.count(Severity::Warning),
            "infos": report.count(Severity::Info),
        },
        "findings": findings,
        "skipped": skipped,
    })
}
