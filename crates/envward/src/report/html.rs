//! A self-contained HTML page: a summary, an environment × rule matrix and
//! the findings grouped by environment, with filters by severity and
//! environment. Inline CSS and a small inline script only: no external
//! asset, no network request (a Content-Security-Policy forbids them), and
//! every text is HTML-escaped by the template (`templates/report.html`).
//!
//! Like every report it is built from a [`Report`] alone, which holds no
//! value: it cannot show a secret.

use askama::Template;

use crate::findings::{Report, RuleStatus, Severity};
use crate::plural::count;

/// The HTML report could not be rendered.
#[derive(Debug, thiserror::Error)]
#[error("could not render the HTML report: {0}")]
pub struct HtmlError(String);

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    project: String,
    timestamp: &'a str,
    environments: &'a [String],
    verdict: &'static str,
    verdict_class: &'static str,
    errors: usize,
    warnings: usize,
    infos: usize,
    checks: usize,
    passed: usize,
    /// Project-level rules (`schema.invalid`): one cell across every
    /// environment.
    project_rows: Vec<Row>,
    rows: Vec<Row>,
    /// Rules that ran in no environment, grouped by why.
    idle: Vec<(String, Vec<String>)>,
    /// Per environment, values no rule could read (encrypted, no identity).
    sealed: Vec<(String, Vec<String>)>,
    groups: Vec<Group<'a>>,
    total: usize,
    /// Errors in `envward.toml` itself: an environment without findings
    /// was checked against an invalid schema, and is not shown passing.
    project_errors: usize,
}

struct Row {
    rule: String,
    summary: String,
    cells: Vec<Cell>,
}

struct Cell {
    /// The environment (column), empty for a project-level cell.
    env: String,
    class: &'static str,
    text: String,
    title: String,
}

struct Group<'a> {
    /// The `data-env` value: the environment, or `envward.toml`.
    env: &'a str,
    findings: Vec<Item<'a>>,
}

struct Item<'a> {
    severity: &'static str,
    rule: &'a str,
    django: &'a str,
    key: &'a str,
    origin: String,
    message: Vec<Span<'a>>,
    why: Vec<Span<'a>>,
    help: Vec<Span<'a>>,
}

/// A piece of a message: text, or `code` between backticks.
struct Span<'a> {
    code: bool,
    text: &'a str,
}

/// Splits at backticks: text, code, text, … (an unpaired backtick stays
/// text). The template escapes each piece.
fn spans(s: &str) -> Vec<Span<'_>> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find('`') {
        let Some(len) = rest[open + 1..].find('`') else {
            break;
        };
        if open > 0 {
            out.push(Span {
                code: false,
                text: &rest[..open],
            });
        }
        out.push(Span {
            code: true,
            text: &rest[open + 1..open + 1 + len],
        });
        rest = &rest[open + 2 + len..];
    }
    if !rest.is_empty() {
        out.push(Span {
            code: false,
            text: rest,
        });
    }
    out
}

/// The name shown for findings about the project file itself.
const PROJECT: &str = "envward.toml";

fn counts(report: &Report, rule: &str, env: Option<&str>) -> [usize; 3] {
    let mut n = [0; 3];
    for f in report
        .findings
        .iter()
        .filter(|f| f.rule == rule && f.environment.as_deref() == env)
    {
        n[match f.severity {
            Severity::Error => 0,
            Severity::Warning => 1,
            Severity::Info => 2,
        }] += 1;
    }
    n
}

fn cell(report: &Report, rule: &str, env: Option<&str>) -> Cell {
    let [e, w, i] = counts(report, rule, env);
    let mut parts = Vec::new();
    if e > 0 {
        parts.push(count(e, "error", "errors"));
    }
    if w > 0 {
        parts.push(count(w, "warning", "warnings"));
    }
    if i > 0 {
        parts.push(count(i, "info", "infos"));
    }
    let status = report.status(rule, env);
    let (class, text, title) = if !parts.is_empty() {
        let class = if e > 0 {
            "error"
        } else if w > 0 {
            "warning"
        } else {
            "info"
        };
        (class, parts.join(" · "), String::new())
    } else {
        match status {
            Some(RuleStatus::Ran) => ("pass", "✔ pass".to_string(), String::new()),
            Some(RuleStatus::Skipped(why)) => ("skipped", "skipped".to_string(), why.clone()),
            Some(RuleStatus::NotApplicable) => (
                "na",
                "n/a".to_string(),
                "does not apply to this environment".to_string(),
            ),
            None => ("na", "–".to_string(), "not run".to_string()),
        }
    };
    Cell {
        env: env.unwrap_or_default().to_string(),
        class,
        text,
        title,
    }
}

/// Why a finding of `rule` matters: the built-in rule's own text, a short
/// reason for the schema rules, nothing for custom rules.
fn why(rule: &str) -> &'static str {
    if let Some(r) = crate::check::rules::find(rule) {
        return r.why;
    }
    match rule {
        "schema.invalid" => {
            "A schema that contradicts itself cannot validate the configuration it describes."
        }
        "schema.required" => {
            "The application needs this key; `envward run` refuses to start it while the key is missing."
        }
        "schema.type" | "schema.choices" | "schema.pattern" | "schema.range" | "schema.length" => {
            "The application reads this value; one of the wrong shape fails at start-up, or later while serving."
        }
        "schema.equals" | "schema.not-equals" => {
            "envward.toml pins this value for this environment."
        }
        "schema.deprecated" => {
            "A deprecated key is ignored, or soon will be: the setting silently stops applying."
        }
        "schema.unknown-key" => {
            "Often a typo: the application reads another name and quietly gets its default."
        }
        "consistency.missing-in-environment" => {
            "A key missing from one environment falls back silently, so that environment behaves differently."
        }
        _ => "",
    }
}

/// The report as one self-contained HTML page.
///
/// ```
/// # use envward::findings::{Report, Tool};
/// let mut report = Report::new(Tool::Check, "/srv/webapp".into());
/// report.environments = vec!["production".into()];
/// let page = envward::report::html(&report).unwrap();
/// assert!(page.starts_with("<!DOCTYPE html>") && page.contains("webapp"));
/// ```
pub fn html(report: &Report) -> Result<String, HtmlError> {
    let (errors, warnings, infos) = (
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Info),
    );
    let (verdict, verdict_class) = if errors > 0 {
        ("failed", "error")
    } else if warnings > 0 {
        ("passed with warnings", "warning")
    } else {
        ("passed", "pass")
    };
    let mut project_rows = Vec::new();
    let mut rows = Vec::new();
    let mut idle: Vec<(String, Vec<String>)> = Vec::new();
    for (id, _, summary) in &report.rules {
        let considered: Vec<_> = report.coverage.iter().filter(|c| c.rule == *id).collect();
        if considered.is_empty() {
            continue;
        }
        if considered.iter().all(|c| c.environment.is_none()) {
            project_rows.push(Row {
                rule: id.to_string(),
                summary: summary.to_string(),
                cells: vec![cell(report, id, None)],
            });
            continue;
        }
        let ran = considered.iter().any(|c| c.status == RuleStatus::Ran);
        let found = report.findings.iter().any(|f| f.rule == *id);
        if !ran && !found {
            let why = match &considered[0].status {
                RuleStatus::Skipped(why) => why.clone(),
                _ => "does not apply to the environments checked".to_string(),
            };
            match idle.iter_mut().find(|(w, _)| *w == why) {
                Some((_, ids)) => ids.push(id.to_string()),
                None => idle.push((why, vec![id.to_string()])),
            }
            continue;
        }
        rows.push(Row {
            rule: id.to_string(),
            summary: summary.to_string(),
            cells: report
                .environments
                .iter()
                .map(|env| cell(report, id, Some(env)))
                .collect(),
        });
    }

    let mut names: Vec<Option<&str>> = vec![None];
    names.extend(report.environments.iter().map(|e| Some(e.as_str())));
    let groups = names
        .into_iter()
        .map(|env| Group {
            env: env.unwrap_or(PROJECT),
            findings: report
                .findings
                .iter()
                .filter(|f| f.environment.as_deref() == env)
                .map(|f| Item {
                    severity: f.severity.name(),
                    rule: &f.rule,
                    django: f.django().unwrap_or(""),
                    key: f.key.as_deref().unwrap_or(""),
                    origin: f
                        .origin
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    message: spans(&f.message),
                    why: spans(why(&f.rule)),
                    help: spans(f.help.as_deref().unwrap_or("")),
                })
                .collect(),
        })
        .filter(|g| g.env != PROJECT || !g.findings.is_empty())
        .collect();

    let page = Page {
        project: report
            .root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| report.root.display().to_string()),
        timestamp: &report.timestamp,
        environments: &report.environments,
        verdict,
        verdict_class,
        errors,
        warnings,
        infos,
        project_errors: report
            .findings
            .iter()
            .filter(|f| f.environment.is_none() && f.severity == Severity::Error)
            .count(),
        checks: report.tally().checks,
        passed: report.tally().passed,
        project_rows,
        rows,
        idle,
        sealed: report
            .environments
            .iter()
            .map(|env| {
                let keys: Vec<String> = report
                    .skipped
                    .iter()
                    .filter(|s| &s.environment == env)
                    .map(|s| s.key.clone())
                    .collect();
                (env.clone(), keys)
            })
            .filter(|(_, keys)| !keys.is_empty())
            .collect(),
        groups,
        total: report.findings.len(),
    };
    page.render().map_err(|e| HtmlError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::spans;

    #[test]
    fn backticks_become_code_spans() {
        let s = spans("`DEBUG` = \"True\" must be `false` here `x");
        let got: Vec<_> = s.iter().map(|s| (s.code, s.text)).collect();
        assert_eq!(
            got,
            [
                (true, "DEBUG"),
                (false, " = \"True\" must be "),
                (true, "false"),
                (false, " here `x"),
            ]
        );
        assert!(spans("").is_empty());
    }
}
