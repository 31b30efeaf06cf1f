//! SARIF 2.1.0 (one run; rules with help; results located at file lines),
//! for GitHub code scanning and other SARIF viewers. Our own small typed
//! model: only what we emit, serialised with serde.

use serde::Serialize;

use crate::findings::{Finding, Location, Report, Severity, Tool};

/// A SARIF log: the document `envward … --format sarif` writes.
#[derive(Clone, Debug, Serialize)]
pub struct Log {
    /// The schema URI.
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    /// Always `2.1.0`.
    pub version: &'static str,
    /// One run.
    pub runs: Vec<Run>,
}

/// One run of the tool.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    /// envward and its rules.
    pub tool: ToolComponent,
    /// When it ran.
    pub invocations: Vec<Invocation>,
    /// One result per finding.
    pub results: Vec<SarifResult>,
}

/// `tool`: the driver.
#[derive(Clone, Debug, Serialize)]
pub struct ToolComponent {
    /// The driver.
    pub driver: Driver,
}

/// The driver: name, version, rules.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    /// `envward`.
    pub name: &'static str,
    /// envward's version.
    pub version: &'static str,
    /// Where to read about it.
    pub information_uri: &'static str,
    /// Every rule that can report.
    pub rules: Vec<ReportingDescriptor>,
}

/// A rule.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportingDescriptor {
    /// The rule id.
    pub id: String,
    /// The id as an identifier (`debug_enabled`).
    pub name: String,
    /// The summary.
    pub short_description: Message,
    /// Why it matters, for built-in security rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_description: Option<Message>,
    /// The default level.
    pub default_configuration: Configuration,
    /// Where its documentation is.
    pub help_uri: String,
    /// How to fix it.
    pub help: MultiformatMessage,
}

/// A plain-text message.
#[derive(Clone, Debug, Serialize)]
pub struct Message {
    /// The text.
    pub text: String,
}

/// A message as text and, optionally, Markdown.
#[derive(Clone, Debug, Serialize)]
pub struct MultiformatMessage {
    /// The text.
    pub text: String,
    /// The Markdown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
}

/// A rule's default configuration.
#[derive(Clone, Debug, Serialize)]
pub struct Configuration {
    /// `error`, `warning` or `note`.
    pub level: Level,
}

/// A SARIF level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// An error.
    Error,
    /// A warning.
    Warning,
    /// A note (our `info`).
    Note,
}

impl From<Severity> for Level {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
            Severity::Info => Level::Note,
        }
    }
}

/// When the run happened.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    /// Always true: findings are results, not a failed run.
    pub execution_successful: bool,
    /// The report's timestamp.
    pub end_time_utc: String,
}

/// One finding.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    /// The rule id.
    pub rule_id: String,
    /// Its index in the driver's rules.
    pub rule_index: usize,
    /// The level.
    pub level: Level,
    /// The message (with the environment and the help).
    pub message: Message,
    /// Where.
    pub locations: Vec<SarifLocation>,
    /// Environment, key and Django's id.
    pub properties: Properties,
}

/// A result's location: a file region, or a named thing (an environment
/// variable of a process).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifLocation {
    /// A file and region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_location: Option<PhysicalLocation>,
    /// A variable.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logical_locations: Vec<LogicalLocation>,
}

/// A file and, when known, a region of it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    /// The file.
    pub artifact_location: ArtifactLocation,
    /// The line and column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
}

/// A file, relative to the source root.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    /// The path, with `/`.
    pub uri: String,
    /// `%SRCROOT%`.
    pub uri_base_id: &'static str,
}

/// A line and column.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    /// 1-based line.
    pub start_line: u32,
    /// 1-based column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_column: Option<u32>,
}

/// A named place that is not a file.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogicalLocation {
    /// The name (`GITHUB_TOKEN`).
    pub name: String,
    /// `variable`.
    pub kind: &'static str,
}

/// Our properties of a result.
#[derive(Clone, Debug, Serialize)]
pub struct Properties {
    /// The environment.
    pub environment: Option<String>,
    /// The key.
    pub key: Option<String>,
    /// Django's id, under `--profile django`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub django: Option<String>,
    /// Where in history (`scan --git`): `commit`, `author_date`,
    /// `last_commit`, `last_author_date`, `commits`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub history: Option<crate::findings::History>,
}

fn physical(place: &Location) -> SarifLocation {
    SarifLocation {
        physical_location: Some(PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: place.path.to_string_lossy().replace('\\', "/"),
                uri_base_id: "%SRCROOT%",
            },
            region: place.line.map(|line| Region {
                start_line: line,
                start_column: place.column,
            }),
        }),
        logical_locations: Vec::new(),
    }
}

/// Where a finding is: its file place; for configuration without one, the
/// project file; for a variable of a process, the variable.
fn locate(report: &Report, f: &Finding) -> Vec<SarifLocation> {
    if let Some(place) = f.place() {
        return vec![physical(&place)];
    }
    match (report.tool, &f.key) {
        (Tool::Check, _) | (_, None) => vec![physical(&Location::file(
            crate::config::PROJECT_FILE.into(),
        ))],
        (_, Some(key)) => vec![SarifLocation {
            physical_location: None,
            logical_locations: vec![LogicalLocation {
                name: key.clone(),
                kind: "variable",
            }],
        }],
    }
}

fn descriptor(id: &str, severity: Severity, summary: &str) -> ReportingDescriptor {
    let (full_description, help) = match crate::check::rules::find(id) {
        Some(r) => (
            Some(Message {
                text: r.why.to_string(),
            }),
            MultiformatMessage {
                text: format!("{} Fix: {}", r.why, r.fix),
                markdown: Some(format!(
                    "{}\n\n**Fix:** {}\n\n`envward rules explain {id}`",
                    r.why, r.fix
                )),
            },
        ),
        None if id.starts_with("scan.") => (
            None,
            MultiformatMessage {
                text: format!("{summary}. See docs/scan.md (envward scan)."),
                markdown: None,
            },
        ),
        None if id.starts_with("doctor.") => (
            None,
            MultiformatMessage {
                text: format!("{summary}. See `envward help doctor`."),
                markdown: None,
            },
        ),
        None => (
            None,
            MultiformatMessage {
                text: format!("{summary}. See `envward help schema`."),
                markdown: None,
            },
        ),
    };
    ReportingDescriptor {
        id: id.to_string(),
        name: id.replace(['.', '-'], "_"),
        short_description: Message {
            text: summary.to_string(),
        },
        full_description,
        default_configuration: Configuration {
            level: severity.into(),
        },
        help_uri: format!("https://envward.invalid/docs/rules#{id}"),
        help,
    }
}

/// The report as a SARIF 2.1.0 log (serialise it with `serde_json`).
///
/// ```
/// # use envward::findings::{Report, Tool};
/// let report = Report::new(Tool::Check, ".".into());
/// let log = serde_json::to_value(envward::report::sarif(&report)).unwrap();
/// assert_eq!(log["version"], "2.1.0");
/// assert_eq!(log["runs"][0]["tool"]["driver"]["name"], "envward");
/// ```
pub fn sarif(report: &Report) -> Log {
    let rules = report
        .rules
        .iter()
        .map(|(id, severity, summary)| descriptor(id, *severity, summary))
        .collect();
    let results = report
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
            SarifResult {
                rule_id: f.rule.to_string(),
                rule_index: report
                    .rules
                    .iter()
                    .position(|(id, ..)| *id == f.rule)
                    .unwrap_or(0),
                level: f.severity.into(),
                message: Message { text },
                locations: locate(report, f),
                properties: Properties {
                    environment: f.environment.clone(),
                    key: f.key.clone(),
                    django: f.django().map(str::to_string),
                    history: f.location.as_ref().and_then(|l| l.history.clone()),
                },
            }
        })
        .collect();
    Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![Run {
            tool: ToolComponent {
                driver: Driver {
                    name: "envward",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: "https://envward.invalid",
                    rules,
                },
            },
            invocations: vec![Invocation {
                execution_successful: true,
                end_time_utc: report.timestamp.clone(),
            }],
            results,
        }],
    }
}
