//! `check`: findings about configuration, one model for every kind of
//! problem (schema validation now, security rules later), rendered by one
//! writer per format.

pub mod custom;
pub mod django;
pub mod rules;
mod schema_rules;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::config::{PROJECT_FILE, ProjectFile};
use crate::error::LoadError;
use crate::findings::{RuleInfo, Tool, registry};
use crate::resolve::{Config, LoadOptions, Project};
use crate::source::Origin;
use crate::value::Resolved;

pub use crate::findings::{Coverage, Finding, Report, RuleStatus, Severity, Skipped};

/// Every built-in rule `check` can report (schema, consistency, security),
/// from the registry: id, default severity, summary.
pub fn all_rules() -> impl Iterator<Item = &'static RuleInfo> {
    registry::RULES.iter().filter(|r| !r.has_tag("process"))
}

/// What to check.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// How to load each environment (its `environment` is ignored when
    /// `all_environments` is set).
    pub load: LoadOptions,
    /// Check every known environment.
    pub all_environments: bool,
    /// Run only the rules of a profile, in every environment, with the
    /// profile's ids on the findings (`--profile django`).
    pub profile: Option<rules::Profile>,
}

/// Checks configuration against the schema of `envward.toml`.
///
/// ```
/// use envward::check::{check, CheckOptions, Severity};
/// use envward::LoadOptions;
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("envward.toml"), "[vars.PORT]\ntype = \"port\"\nrequired = true\n").unwrap();
/// std::fs::write(dir.path().join(".env"), "PORT=80800\n").unwrap();
/// let report = check(&CheckOptions {
///     load: LoadOptions { project_dir: Some(dir.path().into()), process_env: Some(Default::default()), ..Default::default() },
///     all_environments: false,
///     profile: None,
/// }).unwrap();
/// assert_eq!(report.findings[0].rule, "schema.type");
/// assert!(report.fails(Severity::Error));
/// ```
pub fn check(options: &CheckOptions) -> Result<Report, LoadError> {
    let opened = Project::open(options.load.project_dir.as_deref())?;
    let (project, text, known) = (&opened.file, &opened.text, &opened.environments);
    let mut findings = Vec::new();
    let mut coverage = vec![Coverage {
        rule: "schema.invalid".into(),
        environment: None,
        status: RuleStatus::Ran,
    }];
    let mut checks = 0;
    for p in crate::schema::validate_schema(&project.vars, text, known) {
        checks += 1;
        findings.push(Finding {
            rule: "schema.invalid".into(),
            severity: Severity::Error,
            environment: None,
            key: Some(p.key),
            origin: p.line.map(|line| Origin::File {
                path: PathBuf::from(PROJECT_FILE),
                line,
                column: 1,
                layer: crate::source::Layer::Default,
                namespace: String::new(),
            }),
            message: p.message,
            help: Some(p.help),
            location: None,
            tags: Vec::new(),
        });
    }

    let mut loaded: Vec<Resolved> = if options.all_environments {
        known
            .iter()
            .map(|env| {
                let mut load = options.load.clone();
                load.environment = Some(env.clone());
                Config::load_in(&opened, load)
            })
            .collect::<Result<_, _>>()?
    } else {
        vec![Config::load_in(&opened, options.load.clone())?]
    };
    let environments: Vec<String> = loaded.iter().map(|c| c.environment.clone()).collect();
    // Encrypted values no identity opens: rules that need them are skipped
    // (reported as such), rules that need no value still run.
    let mut skipped = Vec::new();
    for cfg in &loaded {
        checks += integrity(cfg, &mut findings, &mut coverage);
    }
    for cfg in &mut loaded {
        cfg.withhold_sealed();
        skipped.extend(cfg.withheld.iter().map(|key| Skipped {
            environment: cfg.environment.clone(),
            key: key.clone(),
            reason: "encrypted",
        }));
    }
    let mut patterns = schema_rules::Patterns::default();
    for cfg in &loaded {
        checks += schema_rules::check_environment(project, cfg, &mut patterns, &mut findings);
        for id in all_rules()
            .filter(|r| matches!(r.group, "schema" | "consistency"))
            .map(|r| r.id)
        {
            let applies = match id {
                "consistency.missing-in-environment" => loaded.len() > 1,
                "schema.unknown-key" => !project.vars.is_empty(),
                _ => true,
            };
            coverage.push(Coverage {
                rule: Cow::Borrowed(id),
                environment: Some(cfg.environment.clone()),
                status: if applies {
                    RuleStatus::Ran
                } else {
                    RuleStatus::NotApplicable
                },
            });
        }
    }
    if loaded.len() > 1 {
        checks += consistency(project, &loaded, &mut findings);
    }
    for problem in rules::validate_settings(&project.rules)
        .into_iter()
        .chain(custom::validate(&project.custom_rules))
    {
        checks += 1;
        findings.push(Finding {
            rule: "schema.invalid".into(),
            severity: Severity::Error,
            environment: None,
            key: None,
            origin: None,
            message: problem.0,
            help: Some(problem.1),
            location: None,
            tags: Vec::new(),
        });
    }
    let shared = rules::Shared::default();
    for cfg in &loaded {
        checks += rules::run(
            cfg,
            &loaded,
            &project.rules,
            &shared,
            options.profile,
            &mut findings,
            &mut coverage,
        );
        checks += custom::run(&project.custom_rules, cfg, &mut findings, &mut coverage);
    }
    let mut report = Report::new(Tool::Check, opened.root.clone());
    report.environments = environments;
    report.findings = findings;
    report.checks = checks;
    report.skipped = skipped;
    report.coverage = coverage;
    report.rules = all_rules()
        .map(|r| (Cow::Borrowed(r.id), r.severity, Cow::Borrowed(r.summary)))
        .chain(project.custom_rules.iter().map(|r| {
            (
                Cow::Owned(r.id.clone()),
                r.severity.map_or(Severity::Error, Severity::from),
                Cow::Owned(r.message.clone()),
            )
        }))
        .collect();
    crate::findings::apply_settings(&mut report, &project.rules, &loaded);
    sort(&mut report.findings, &report.environments);
    Ok(report)
}

/// The integrity of an encrypted environment: every breach is an error;
/// every encrypted file no identity opened is a warning that its MAC and
/// values were not verified (only its structure was).
fn integrity(cfg: &Resolved, findings: &mut Vec<Finding>, coverage: &mut Vec<Coverage>) -> usize {
    let at = |path: &std::path::Path, line: u32| Origin::File {
        path: path.to_path_buf(),
        line,
        column: 1,
        layer: crate::source::Layer::Environment,
        namespace: String::new(),
    };
    for b in &cfg.integrity {
        findings.push(Finding {
            rule: "encryption.integrity".into(),
            severity: Severity::Error,
            environment: Some(cfg.environment.clone()),
            key: b.key.clone(),
            origin: Some(at(&b.path, b.line)),
            message: b.to_string(),
            help: Some(b.help(&cfg.environment)),
            location: None,
            tags: Vec::new(),
        });
    }
    for file in &cfg.sealed {
        findings.push(Finding {
            rule: "encryption.unverified".into(),
            severity: Severity::Warning,
            environment: Some(cfg.environment.clone()),
            key: None,
            origin: Some(at(&file.path, 1)),
            message: format!(
                "the integrity of {} ({}) was NOT verified: no identity can decrypt it, so its MAC and values were not checked (only its header and the shape of its values)",
                file.path.display(),
                file.scope
            ),
            help: Some(
                "run `envward check` with an identity (ENVWARD_IDENTITY, --identity) to verify it; a broken MAC is then an error".into(),
            ),
            location: None,
            tags: Vec::new(),
        });
    }
    for rule in ["encryption.integrity", "encryption.unverified"] {
        coverage.push(Coverage {
            rule: Cow::Borrowed(rule),
            environment: Some(cfg.environment.clone()),
            status: RuleStatus::Ran,
        });
    }
    2
}

/// Keys set in the files of some environments but not in others.
fn consistency(project: &ProjectFile, loaded: &[Resolved], findings: &mut Vec<Finding>) -> usize {
    let mut present: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for cfg in loaded {
        for var in cfg.iter() {
            if !matches!(var.origin, Origin::Default) {
                present
                    .entry(var.key.as_str())
                    .or_default()
                    .insert(cfg.environment.as_str());
            }
        }
        for key in &cfg.withheld {
            present
                .entry(key.as_str())
                .or_default()
                .insert(cfg.environment.as_str());
        }
    }
    let mut checks = 0;
    for (key, envs) in &present {
        checks += 1;
        if envs.len() == loaded.len() {
            continue;
        }
        let declared_default = project.vars.get(*key).is_some_and(|v| v.default.is_some());
        for cfg in loaded {
            if envs.contains(cfg.environment.as_str()) || declared_default {
                continue;
            }
            findings.push(Finding {
                rule: "consistency.missing-in-environment".into(),
                severity: Severity::Warning,
                environment: Some(cfg.environment.clone()),
                key: Some(key.to_string()),
                origin: None,
                message: format!(
                    "`{key}` is set in {} but not in {}",
                    envs.iter().copied().collect::<Vec<_>>().join(", "),
                    cfg.environment
                ),
                help: Some(format!(
                    "set it in {}'s files, or declare a default under [vars.{key}]",
                    cfg.environment
                )),
                location: None,
                tags: Vec::new(),
            });
        }
    }
    checks
}

fn sort(findings: &mut [Finding], environments: &[String]) {
    let env_rank = |e: &Option<String>| match e {
        None => 0,
        Some(e) => {
            1 + environments
                .iter()
                .position(|x| x == e)
                .unwrap_or(usize::MAX - 1)
        }
    };
    findings.sort_by(|a, b| {
        env_rank(&a.environment)
            .cmp(&env_rank(&b.environment))
            .then(b.severity.cmp(&a.severity))
            .then(a.key.cmp(&b.key))
            .then(a.rule.cmp(&b.rule))
    });
}
