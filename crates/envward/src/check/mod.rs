//! `check`: findings about configuration, one model for every kind of
//! problem (schema validation now, security rules later), rendered by one
//! writer per format.

pub mod custom;
pub mod django;
pub mod framework;
pub mod rules;
mod schema_rules;
pub mod setting;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use crate::config::{PROJECT_FILE, ProjectFile};
use crate::error::LoadError;
use crate::findings::{RuleInfo, Tool, registry};
use crate::resolve::{Config, LoadOptions, Project};
use crate::source::Origin;
use crate::value::Resolved;

pub use crate::findings::{Coverage, Finding, Report, RuleStatus, Severity, Skipped};

/// Every built-in rule `check` can report (schema, consistency, security),
/// from the registry: id, default severity, summary. (Not `doctor`'s
/// rules, tagged `process`, nor `probe`'s, tagged `probe`.)
pub fn all_rules() -> impl Iterator<Item = &'static RuleInfo> {
    registry::RULES
        .iter()
        .filter(|r| !r.has_tag("process") && !r.has_tag("probe") && !r.has_tag("log"))
}

/// What to check.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// How to load each environment (its `environment` is ignored when
    /// `all_environments` is set).
    pub load: LoadOptions,
    /// Check every known environment.
    pub all_environments: bool,
    /// A profile: its rules also run in environments that are not strict,
    /// and its ids go on the findings (`--profile django`). Every other
    /// rule runs as without it.
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
    check_in(&opened, options)
}

/// [`check`] of a project already opened (`envward.toml` is not read
/// again; the `project_dir` of the load options is not used).
pub fn check_in(opened: &Project, options: &CheckOptions) -> Result<Report, LoadError> {
    let mut loaded: Vec<Resolved> = if options.all_environments {
        opened
            .environments
            .iter()
            .map(|env| {
                let mut load = options.load.clone();
                load.environment = Some(env.clone());
                Config::load_in(opened, load)
            })
            .collect::<Result<_, _>>()?
    } else {
        vec![Config::load_in(opened, options.load.clone())?]
    };
    let mut shared = rules::Shared::default();
    let process = options.load.process_env();
    shared.identity_files = crate::crypto::identity_files(&options.load.identities, &process);
    let (compared, others) = compared_environments(opened, options, &loaded, &shared);
    shared.compared = compared;
    shared.expected.others = others;
    shared.expected.load = Some(options.load.clone());
    Ok(check_loaded(opened, &mut loaded, options.profile, shared))
}

/// The secrets (as digests) and the keys of the environments not checked
/// in this run, when a strict one is: `secret.reused-across-environments`
/// then finds a development secret reused in production without
/// `--all-envs`, and `config.missing-in-strict` a key production lacks.
/// Loaded without asking for a passphrase; an environment that does not
/// load is left out (it is not the one checked).
fn compared_environments(
    opened: &Project,
    options: &CheckOptions,
    loaded: &[Resolved],
    shared: &rules::Shared,
) -> (Vec<rules::EnvDigests>, Vec<rules::OwnKeys>) {
    if options.all_environments || !loaded.iter().any(Resolved::strict) {
        return (Vec::new(), Vec::new());
    }
    opened
        .environments
        .iter()
        .filter(|env| !loaded.iter().any(|c| &c.environment == *env))
        .filter_map(|env| {
            let mut load = options.load.clone();
            load.environment = Some(env.clone());
            load.passphrase_prompt = None;
            let cfg = Config::load_in(opened, load).ok()?;
            Some((shared.digests_of(&cfg), rules::OwnKeys::of(&cfg)))
        })
        .unzip()
}

/// The keys of the environments of `opened` other than `cfg`'s, read from
/// their files alone (no process environment, secret store or secrets
/// directory, no decryption: an encrypted value is a key set), for the
/// deploy gate's `config.missing-in-strict`.
fn other_keys(opened: &Project, cfg: &Resolved) -> Vec<rules::OwnKeys> {
    opened
        .environments
        .iter()
        .filter(|env| **env != cfg.environment)
        .filter_map(|env| {
            let load = LoadOptions {
                project_dir: Some(cfg.root.clone()),
                environment: Some(env.clone()),
                process_env: Some(BTreeMap::new()),
                allow_undefined: true,
                files_only: true,
                ..LoadOptions::default()
            };
            Config::load_in(opened, load)
                .ok()
                .map(|c| rules::OwnKeys::of(&c))
        })
        .collect()
}

/// The deploy gate of `run` and `export`: [`check`] of one environment
/// already loaded (nothing is read twice, no passphrase asked twice).
pub fn gate(cfg: &mut Resolved) -> Result<Report, LoadError> {
    let opened = Project::open(Some(&cfg.root))?;
    Ok(gate_in(&opened, cfg))
}

/// [`gate`] with the project `cfg` was loaded from (`Config::load_in`)
/// already open: `envward.toml` is not read and parsed a second time.
pub fn gate_in(opened: &Project, cfg: &mut Resolved) -> Report {
    check_loaded(
        opened,
        std::slice::from_mut(cfg),
        None,
        rules::Shared::default(),
    )
}

/// [`gate_in`] that also reads the keys the other environments set in
/// their files, and looks a key no file of `cfg` names up again with
/// `load` (the options `cfg` was loaded with): the gate then reports what
/// `check -e ENV` reports about a secret or deploy setting missing here
/// (`config.missing-in-strict`).
pub fn gate_with(opened: &Project, cfg: &mut Resolved, load: &LoadOptions) -> Report {
    let mut shared = rules::Shared::default();
    if cfg.strict() {
        shared.expected.others = other_keys(opened, cfg);
        shared.expected.load = Some(load.clone());
    }
    check_loaded(opened, std::slice::from_mut(cfg), None, shared)
}

/// Checks environments of `opened` already loaded. Sealed values (no
/// identity opens them) are taken out of `loaded` and reported as skipped.
fn check_loaded(
    opened: &Project,
    loaded: &mut [Resolved],
    profile: Option<rules::Profile>,
    mut shared: rules::Shared,
) -> Report {
    let (project, text, known) = (&opened.file, &opened.text, &opened.environments);
    let mut findings = Vec::new();
    let mut coverage = vec![Coverage {
        rule: "schema.invalid".into(),
        environment: None,
        status: RuleStatus::Ran,
    }];
    let mut checks = 0;
    let (problems, compiled) = crate::schema::validate_schema_compiling(&project.vars, text, known);
    for p in problems {
        checks += 1;
        findings.push(Finding {
            rule: "schema.invalid".into(),
            severity: Severity::Error,
            environment: None,
            key: Some(p.key),
            origin: p.line.map(|line| Origin::File {
                path: std::path::Path::new(PROJECT_FILE).into(),
                line,
                column: p.column,
                layer: crate::source::Layer::Default,
                namespace: "".into(),
            }),
            message: p.message,
            help: Some(p.help),
            location: None,
            tags: Vec::new(),
        });
    }

    let environments: Vec<String> = loaded.iter().map(|c| c.environment.clone()).collect();
    // Encrypted values no identity opens: rules that need them are skipped
    // (reported as such), rules that need no value still run.
    let mut skipped = Vec::new();
    for cfg in loaded.iter() {
        checks += integrity(cfg, &mut findings, &mut coverage);
    }
    for cfg in loaded.iter_mut() {
        cfg.withhold_sealed();
        skipped.extend(cfg.withheld.keys().map(|key| Skipped {
            environment: cfg.environment.clone(),
            key: key.clone(),
            reason: "encrypted",
        }));
    }
    let mut patterns = schema_rules::Patterns::compiled(compiled);
    let loaded: &[Resolved] = loaded;
    for cfg in loaded {
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
        checks += consistency(project, loaded, &mut findings);
    }
    for problem in rules::validate_settings(&project.rules, &project.custom_rules)
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
    shared.redact_min_length = project.redact.min_length();
    shared.environments = known
        .iter()
        .map(|env| {
            let aliases = project
                .environments
                .get(env)
                .map(|e| e.aliases.clone())
                .unwrap_or_default();
            (env.clone(), aliases)
        })
        .collect();
    shared.expected.declared = project
        .vars
        .iter()
        .map(|(key, spec)| rules::Declared {
            key: key.clone(),
            sensitive: spec.declared_sensitive(),
            silent: spec.required.is_none() && spec.env.values().all(|r| r.required.is_none()),
        })
        .collect();
    for cfg in loaded {
        checks += rules::run(
            cfg,
            loaded,
            &project.rules,
            &shared,
            profile,
            framework::django(opened, cfg).is_some(),
            &mut findings,
            &mut coverage,
        );
        checks += custom::run(&project.custom_rules, cfg, &mut findings, &mut coverage);
    }
    let mut report = Report::new(Tool::Check, opened.root.clone());
    report.environments = environments;
    report.rule_sets = loaded
        .iter()
        .map(|c| (c.environment.clone(), c.rule_set))
        .collect();
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
    crate::findings::apply_settings(&mut report, &project.rules, loaded);
    // A key missing from a strict environment that another sets is one
    // problem: the error of `config.missing-in-strict` says it, the
    // warning of `consistency.missing-in-environment` would say it again.
    let missing: BTreeSet<(Option<String>, Option<String>)> = report
        .findings
        .iter()
        .filter(|f| f.rule == "config.missing-in-strict")
        .map(|f| (f.environment.clone(), f.key.clone()))
        .collect();
    if !missing.is_empty() {
        report.findings.retain(|f| {
            f.rule != "consistency.missing-in-environment"
                || !missing.contains(&(f.environment.clone(), f.key.clone()))
        });
    }
    once_per_shared_line(&mut report.findings, loaded);
    sort(&mut report.findings, &report.environments);
    report
}

/// The integrity of an encrypted environment: every breach is an error;
/// every encrypted file no identity opened is a warning that its MAC and
/// values were not verified (only its structure was).
fn integrity(cfg: &Resolved, findings: &mut Vec<Finding>, coverage: &mut Vec<Coverage>) -> usize {
    let at = |path: &std::path::Path, line: u32| Origin::File {
        path: path.into(),
        line,
        column: 1,
        layer: crate::source::Layer::Environment,
        namespace: "".into(),
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
///
/// Only environments with files of their own are compared: one that has
/// only the shared files (or no file at all) defines exactly what every
/// environment does. A key that only strict environments set (HSTS, secure
/// cookies, production secrets) is production hardening: a non-strict
/// environment is not asked to set it. A key required in an environment
/// is left to `schema.required` there.
fn consistency(project: &ProjectFile, loaded: &[Resolved], findings: &mut Vec<Finding>) -> usize {
    let loaded: Vec<&Resolved> = loaded
        .iter()
        .filter(|c| c.files.iter().any(|f| !f.shared))
        .collect();
    if loaded.len() < 2 {
        return 0;
    }
    let strict: BTreeMap<&str, bool> = loaded
        .iter()
        .map(|c| (c.environment.as_str(), c.strict()))
        .collect();
    let mut present: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for cfg in loaded.iter().copied() {
        for var in cfg.iter() {
            if !matches!(var.origin, Origin::Default) {
                present
                    .entry(var.key.as_str())
                    .or_default()
                    .insert(cfg.environment.as_str());
            }
        }
        for key in cfg.withheld.keys() {
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
        let spec = project.vars.get(*key);
        let declared_default = spec
            .is_some_and(|v| v.default.is_some() || v.env.values().any(|r| r.default.is_some()));
        let strict_only = envs.iter().all(|e| strict.get(e).copied().unwrap_or(false));
        for cfg in loaded.iter().copied() {
            if envs.contains(cfg.environment.as_str())
                || declared_default
                || (strict_only && !cfg.strict())
                // `schema.required` already says it is missing there.
                || spec.is_some_and(|v| v.is_required_in(&cfg.environment))
            {
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

/// A value in a file every environment reads (`.env`, `env/common.env`)
/// is one line: the same rule about the same key on that line is reported
/// in one environment, where it is most severe (the first of them), saying
/// which other environments it was also found in. The same message about a
/// default in `envward.toml` is reported once the same way.
fn once_per_shared_line(findings: &mut Vec<Finding>, loaded: &[Resolved]) {
    if loaded.len() < 2 {
        return;
    }
    let shared: BTreeSet<&std::path::Path> = loaded
        .iter()
        .flat_map(|c| c.files.iter().filter(|f| f.shared))
        .map(|f| f.display.as_path())
        .collect();
    // A default in envward.toml is shared too: the same message about it
    // in several environments is one problem.
    let line_of = |f: &Finding| match &f.origin {
        Some(Origin::File { path, line, .. }) if shared.contains(&**path) => Some((
            f.rule.clone(),
            f.key.clone(),
            Some((path.clone(), *line)),
            None,
        )),
        Some(Origin::Default) => {
            Some((f.rule.clone(), f.key.clone(), None, Some(f.message.clone())))
        }
        _ => None,
    };
    let mut groups: BTreeMap<_, Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if f.environment.is_some()
            && let Some(id) = line_of(f)
        {
            groups.entry(id).or_default().push(i);
        }
    }
    let mut dropped: BTreeSet<usize> = BTreeSet::new();
    for members in groups.values() {
        // The environment where the line matters most keeps every finding
        // it has there (one rule may say two things about one line); the
        // same findings in the other environments are dropped and named.
        let first = *members
            .iter()
            .max_by_key(|&&i| (findings[i].severity, std::cmp::Reverse(i)))
            .unwrap_or(&members[0]);
        let kept_env = findings[first].environment.clone();
        let mut others: Vec<String> = Vec::new();
        for &i in members {
            if findings[i].environment != kept_env {
                if let Some(env) = &findings[i].environment
                    && !others.contains(env)
                {
                    others.push(env.clone());
                }
                dropped.insert(i);
            }
        }
        if others.is_empty() {
            continue;
        }
        for &i in members.iter().filter(|i| !dropped.contains(i)) {
            let what = match findings[i].origin {
                Some(Origin::Default) => "the same default: also in",
                _ => "a shared file: also read by",
            };
            findings[i].message = format!("{} ({what} {})", findings[i].message, others.join(", "));
        }
    }
    let mut i = 0;
    findings.retain(|_| {
        i += 1;
        !dropped.contains(&(i - 1))
    });
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
