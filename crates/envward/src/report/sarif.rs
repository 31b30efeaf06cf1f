//! SARIF 2.1.0 (one run; rules with help; results located at env file
//! lines), for GitHub code scanning and other SARIF viewers. Our own small
//! model: only what we emit.

use serde_json::{Value, json};

use crate::check::{Report, Severity};
use crate::source::Origin;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn location(origin: &Origin) -> Option<Value> {
    let (path, line, column) = match origin {
        Origin::File {
            path, line, column, ..
        } => (path, *line, *column),
        Origin::FileRef { declared, .. } => return location(declared),
        _ => return None,
    };
    Some(json!({
        "physicalLocation": {
            "artifactLocation": { "uri": path.to_string_lossy().replace('\\', "/"), "uriBaseId": "%SRCROOT%" },
            "region": { "startLine": line, "startColumn": column }
        }
    }))
}

/// The report as a SARIF 2.1.0 log.
///
/// ```
/// # use envward::check::{Report, Finding, Severity};
/// let report = Report { environments: vec!["production".into()], findings: vec![], checks: 3, skipped: vec![], timestamp: "2026-01-01T00:00:00Z".into(), root: ".".into(), rules: vec![], coverage: vec![] };
/// let log = envward::report::sarif(&report);
/// assert_eq!(log["version"], "2.1.0");
/// assert_eq!(log["runs"][0]["tool"]["driver"]["name"], "envward");
/// ```
pub fn sarif(report: &Report) -> Value {
    let rules_list = &report.rules;
    let rules: Vec<Value> = rules_list
        .iter()
        .map(|(id, severity, summary)| {
            let id: &str = id;
            let mut rule = json!({
                "id": id,
                "name": id.replace(['.', '-'], "_"),
                "shortDescription": { "text": summary },
                "defaultConfiguration": { "level": level(*severity) },
                "helpUri": format!("https://envward.invalid/docs/rules#{id}"),
            });
            if let Some(r) = crate::check::rules::find(id) {
                rule["fullDescription"] = json!({ "text": r.why });
                rule["help"] = json!({
                    "text": format!("{} Fix: {}", r.why, r.fix),
                    "markdown": format!("{}\n\n**Fix:** {}\n\n`envward rules explain {id}`", r.why, r.fix),
                });
            } else {
                rule["help"] = json!({ "text": format!("{summary}. See docs/schema.md.") });
            }
            rule
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut text = f.message.clone();
            if let Some(env) = &f.environment {
                text = format!("[{env}] {text}");
            }
            if let Some(help) = &f.help {
                text = format!("{text} ({help})");
            }
            let mut r = json!({
                "ruleId": f.rule,
                "ruleIndex": rules_list.iter().position(|(id, ..)| *id == f.rule).unwrap_or(0),
                "level": level(f.severity),
                "message": { "text": text },
                "properties": { "environment": f.environment, "key": f.key },
            });
            if let Some(id) = f.django {
                r["properties"]["django"] = json!(id);
            }
            let loc = f.origin.as_ref().and_then(location).unwrap_or_else(|| {
                json!({ "physicalLocation": { "artifactLocation": { "uri": crate::config::PROJECT_FILE, "uriBaseId": "%SRCROOT%" } } })
            });
            r["locations"] = json!([loc]);
            r
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "envward",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://envward.invalid",
                "rules": rules,
            }},
            "invocations": [{ "executionSuccessful": true, "endTimeUtc": report.timestamp }],
            "results": results,
        }]
    })
}
