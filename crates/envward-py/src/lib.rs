//! The Python module `envward`: an environment's configuration loaded,
//! read and checked from Python, by the same library the `envward` binary
//! is a shell over (same files, same precedence, same refusals, same
//! deploy gate, same findings and report formats).
//!
//! What Python receives follows the binary's rules: values only when
//! asked for (`cfg["KEY"]`, `cfg.get`, `items()`, `apply()`), never in a
//! `repr`, an error message or a finding; an environment whose encrypted
//! files no identity opens, whose integrity is broken or that misses a
//! required key is refused, as `run` refuses it; a strict environment
//! passes the deploy gate first (`check=False` skips it, like
//! `--no-check`); reading a strict environment's secrets is recorded in
//! its audit log, as `run` and `export` record it.

use std::path::PathBuf;

use envward::check::{CheckOptions, Severity};
use envward::findings::{Finding as EnvFinding, Report as EnvReport};
use envward::ops::audit;
use envward::{Config as EnvConfig, ErrorKind, LoadOptions, Project, Resolved, Typed};
use pyo3::exceptions::{PyException, PyKeyError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

pyo3::create_exception!(
    envward,
    EnvwardError,
    PyException,
    "envward refused or failed: the message is the diagnostic the binary prints (never a secret value); `kind` is one of input, usage, tamper, identity, io, internal."
);
pyo3::create_exception!(
    envward,
    GateError,
    EnvwardError,
    "A strict environment failed the deploy gate: `report` holds its error findings."
);

fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Input => "input",
        ErrorKind::Usage => "usage",
        ErrorKind::Tamper => "tamper",
        ErrorKind::Identity => "identity",
        ErrorKind::Io => "io",
        ErrorKind::Internal => "internal",
        // A kind added to the library later: the broadest one.
        _ => "input",
    }
}

/// An `EnvwardError` with `message` and `kind` set.
fn error(py: Python<'_>, message: String, kind: &str) -> PyErr {
    let err = EnvwardError::new_err(message);
    // Setting an attribute on a fresh exception object cannot fail in a
    // way worth reporting over the error itself.
    let _ = err.value(py).setattr("kind", kind);
    err
}

fn load_error(py: Python<'_>, e: envward::LoadError) -> PyErr {
    error(py, e.diagnostic().render(false), kind_name(e.kind()))
}

fn options(
    project_dir: Option<PathBuf>,
    environment: Option<String>,
    namespace: Option<String>,
    identities: Option<Vec<PathBuf>>,
) -> LoadOptions {
    LoadOptions {
        project_dir,
        environment,
        namespace,
        // The real one, read when loading (what selects the environment
        // and overrides files, as for the binary).
        process_env: None,
        identities: identities.unwrap_or_default(),
        ..LoadOptions::default()
    }
}

/// The configuration of one environment: a read-only mapping from keys to
/// values (`str`). Its `repr` and iteration show keys, never values.
#[pyclass(module = "envward", frozen, mapping)]
struct Config {
    inner: Resolved,
}

impl Config {
    fn var(&self, key: &str) -> PyResult<&envward::Var> {
        self.inner
            .get(key)
            .ok_or_else(|| PyKeyError::new_err(key.to_string()))
    }
}

#[pymethods]
impl Config {
    /// The canonical name of the environment loaded.
    #[getter]
    fn environment(&self) -> &str {
        &self.inner.environment
    }

    /// The namespace selected, if any.
    #[getter]
    fn namespace(&self) -> Option<&str> {
        self.inner.namespace.as_deref()
    }

    /// Whether the environment is strict (production-like).
    #[getter]
    fn strict(&self) -> bool {
        self.inner.strict()
    }

    /// The project root.
    #[getter]
    fn root(&self) -> PathBuf {
        self.inner.root.clone()
    }

    /// The files read, as they were opened (under the project root).
    #[getter]
    fn files(&self) -> Vec<PathBuf> {
        self.inner.files.iter().map(|f| f.path.clone()).collect()
    }

    /// Warnings met while loading (duplicate keys, …), as the binary
    /// prints them.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner
            .warnings
            .iter()
            .map(|d| d.render(false))
            .collect()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __contains__(&self, key: &str) -> bool {
        self.inner.get(key).is_some()
    }

    fn __getitem__(&self, key: &str) -> PyResult<String> {
        Ok(self.var(key)?.value.expose().to_string())
    }

    /// The keys, sorted.
    fn __iter__(slf: PyRef<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let keys = PyList::new(py, slf.inner.iter().map(|v| v.key.as_str()))?;
        Ok(keys.try_iter()?.into_any().unbind())
    }

    /// The keys, sorted.
    fn keys(&self) -> Vec<String> {
        self.inner.iter().map(|v| v.key.to_string()).collect()
    }

    /// `(key, value)` pairs, sorted by key: every value, secrets included.
    fn items(&self) -> Vec<(String, String)> {
        self.inner
            .iter()
            .map(|v| (v.key.to_string(), v.value.expose().to_string()))
            .collect()
    }

    /// The value of `key`, or `default` when it is not set.
    #[pyo3(signature = (key, default = None))]
    fn get(&self, key: &str, default: Option<Py<PyAny>>, py: Python<'_>) -> Py<PyAny> {
        match self.inner.get(key) {
            Some(v) => v
                .value
                .expose()
                .into_pyobject(py)
                .map(|s| s.into_any().unbind())
                .unwrap_or_else(|_| py.None()),
            None => default.unwrap_or_else(|| py.None()),
        }
    }

    /// The value of `key` read as the type `envward.toml` declares for it:
    /// `int`, `float`, `bool`, `port` (int), `duration` (seconds, float),
    /// `list` (list of str), `json` (parsed), anything else `str`. A value
    /// that does not read as its type raises `ValueError` (a secret value
    /// is never quoted).
    fn typed(&self, key: &str, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.var(key)?;
        let typed = self
            .inner
            .typed(key)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let any = match typed {
            Typed::Text(s) => s.into_pyobject(py)?.into_any(),
            Typed::Int(i) => i.into_pyobject(py)?.into_any(),
            Typed::Float(f) => f.into_pyobject(py)?.into_any(),
            Typed::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
            Typed::Port(p) => p.into_pyobject(py)?.into_any(),
            Typed::Url(u) => u.as_str().into_pyobject(py)?.into_any(),
            Typed::Duration(d) => d.as_secs_f64().into_pyobject(py)?.into_any(),
            Typed::List(items) => PyList::new(py, items)?.into_any(),
            Typed::Json(v) => {
                let json = py.import("json")?;
                json.call_method1("loads", (v.to_string(),))?
            }
        };
        Ok(any.unbind())
    }

    /// Whether the value of `key` is masked everywhere envward shows it (a
    /// secret, an encrypted value, or one built from a secret).
    fn is_sensitive(&self, key: &str) -> PyResult<bool> {
        Ok(self.var(key)?.sensitive)
    }

    /// The value as `envward list` shows it: masked when sensitive.
    fn masked(&self, key: &str) -> PyResult<String> {
        Ok(self.var(key)?.value.masked().to_string())
    }

    /// Where the winning definition of `key` is (`.env.production:3`,
    /// `process environment`, …).
    fn origin(&self, key: &str) -> PyResult<String> {
        Ok(self.var(key)?.origin.to_string())
    }

    /// The configuration as a `dict` (every value, secrets included).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for v in self.inner.iter() {
            dict.set_item(v.key.as_str(), v.value.expose())?;
        }
        Ok(dict)
    }

    /// Sets every key in `os.environ`; a variable already set is kept
    /// unless `override` is true. Returns the keys set.
    #[pyo3(signature = (*, r#override = false))]
    fn apply(&self, r#override: bool, py: Python<'_>) -> PyResult<Vec<String>> {
        let environ = py.import("os")?.getattr("environ")?;
        let mut set = Vec::new();
        for v in self.inner.iter() {
            if !r#override && environ.contains(v.key.as_str())? {
                continue;
            }
            environ.set_item(v.key.as_str(), v.value.expose())?;
            set.push(v.key.to_string());
        }
        Ok(set)
    }

    fn __repr__(&self) -> String {
        format!(
            "<envward.Config environment='{}' keys={}{}>",
            self.inner.environment,
            self.inner.len(),
            if self.inner.strict() { " strict" } else { "" }
        )
    }
}

/// One finding of a report: rule, severity, where, what (never a secret
/// value).
#[pyclass(module = "envward", frozen, get_all)]
#[derive(Clone)]
struct Finding {
    /// The rule's id (`secret.weak`, `schema.required`, …).
    rule: String,
    /// `error`, `warning` or `info`.
    severity: String,
    /// The environment, when the finding is about one.
    environment: Option<String>,
    /// The key, when the finding is about one.
    key: Option<String>,
    /// What is wrong.
    message: String,
    /// How to fix it.
    help: Option<String>,
    /// The file, relative to the project, when known.
    file: Option<PathBuf>,
    /// 1-based line, when known.
    line: Option<u32>,
    /// 1-based column, when known.
    column: Option<u32>,
}

impl Finding {
    fn of(f: &EnvFinding) -> Finding {
        let place = f.place();
        Finding {
            rule: f.rule.to_string(),
            severity: f.severity.name().to_string(),
            environment: f.environment.clone(),
            key: f.key.clone(),
            message: f.message.clone(),
            help: f.help.clone(),
            file: place.as_ref().map(|p| p.path.clone()),
            line: place.as_ref().and_then(|p| p.line),
            column: place.as_ref().and_then(|p| p.column),
        }
    }
}

#[pymethods]
impl Finding {
    fn __repr__(&self) -> String {
        format!(
            "<envward.Finding {} {} {}>",
            self.severity,
            self.rule,
            self.key.as_deref().unwrap_or("-")
        )
    }
}

fn severity(name: &str) -> PyResult<Severity> {
    match name {
        "error" => Ok(Severity::Error),
        "warning" => Ok(Severity::Warning),
        "info" => Ok(Severity::Info),
        other => Err(PyValueError::new_err(format!(
            "unknown severity {other:?}: expected \"error\", \"warning\" or \"info\""
        ))),
    }
}

/// What `check` found: the one findings model every report format of the
/// binary reads, with the same writers.
#[pyclass(module = "envward", frozen)]
struct Report {
    inner: EnvReport,
}

#[pymethods]
impl Report {
    /// Every finding, in report order.
    #[getter]
    fn findings(&self) -> Vec<Finding> {
        self.inner.findings.iter().map(Finding::of).collect()
    }

    /// The environments checked.
    #[getter]
    fn environments(&self) -> Vec<String> {
        self.inner.environments.clone()
    }

    /// How many findings are errors.
    #[getter]
    fn errors(&self) -> usize {
        self.inner.count(Severity::Error)
    }

    /// How many findings are warnings.
    #[getter]
    fn warnings(&self) -> usize {
        self.inner.count(Severity::Warning)
    }

    /// Whether a finding is at least as serious as `threshold` (what makes
    /// `envward check` exit 1).
    #[pyo3(signature = (threshold = "error"))]
    fn fails(&self, threshold: &str) -> PyResult<bool> {
        Ok(self.inner.fails(severity(threshold)?))
    }

    /// The report as `envward check` prints it (no colour).
    fn to_text(&self) -> String {
        envward::report::text(&self.inner, false)
    }

    /// `envward check --format json`.
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string_pretty(&envward::report::json(&self.inner))
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// `envward check --format sarif`.
    fn to_sarif(&self) -> PyResult<String> {
        serde_json::to_string_pretty(&envward::report::sarif(&self.inner))
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// `envward check --format junit`.
    fn to_junit(&self) -> String {
        envward::report::junit(&self.inner)
    }

    /// `envward check --format markdown`.
    fn to_markdown(&self) -> String {
        envward::report::markdown(&self.inner)
    }

    /// `envward check --format html`.
    fn to_html(&self) -> PyResult<String> {
        envward::report::html(&self.inner).map_err(|e| PyValueError::new_err(e.to_string()))
    }

    fn __repr__(&self) -> String {
        format!(
            "<envward.Report environments={:?} errors={} warnings={}>",
            self.inner.environments,
            self.inner.count(Severity::Error),
            self.inner.count(Severity::Warning)
        )
    }
}

/// Loads the configuration of one environment, as `envward run` would hand
/// it to a program.
///
/// `environment` defaults as for the binary (`ENVWARD_ENV`, the variables
/// `[resolve] environment_variables` names, then `development`);
/// `project_dir` is where `envward.toml` is looked for (upwards; default
/// the current directory); `identities` are identity files tried before
/// `ENVWARD_IDENTITY`, `ENVWARD_IDENTITY_FILE` and the default one.
/// Raises `EnvwardError` when the environment cannot be used (a file that
/// does not parse, an encrypted file no identity opens, a broken
/// integrity, a required key missing) and `GateError` when it is strict and
/// fails the deploy gate, unless `check` is false.
#[pyfunction]
#[pyo3(signature = (environment = None, *, project_dir = None, namespace = None, identities = None, check = true))]
fn load(
    py: Python<'_>,
    environment: Option<String>,
    project_dir: Option<PathBuf>,
    namespace: Option<String>,
    identities: Option<Vec<PathBuf>>,
    check: bool,
) -> PyResult<Config> {
    let options = options(project_dir, environment, namespace, identities);
    // The gate looks keys other environments set up again with them.
    let gate_options = options.clone();
    let loaded = py.detach(move || -> Result<_, envward::LoadError> {
        let project = Project::open(options.project_dir.as_deref())?;
        let cfg = EnvConfig::load_in(&project, options)?;
        Ok((project, cfg))
    });
    let (project, mut cfg) = loaded.map_err(|e| load_error(py, e))?;
    // What `run` refuses, in its order (`ensure_complete`: a sealed file,
    // a broken integrity, a required key without a value), before the
    // gate runs.
    if let Err(e) = cfg.ensure_complete() {
        let kind = match e {
            envward::ValueError::Sealed { .. } => ErrorKind::Identity,
            envward::ValueError::Integrity { .. } => ErrorKind::Tamper,
            _ => ErrorKind::Input,
        };
        return Err(error(
            py,
            format!(
                "{e} (environment `{}`); nothing was loaded",
                cfg.environment
            ),
            kind_name(kind),
        ));
    }
    let gate = (check && cfg.strict())
        .then(|| py.detach(|| envward::check::gate_with(&project, &mut cfg, &gate_options)));
    if let Some(mut report) = gate
        && report.fails(Severity::Error)
    {
        report.findings.retain(|f| f.severity == Severity::Error);
        let message = format!(
            "`{}` is strict and fails the deploy gate ({}); nothing was loaded\n{}",
            cfg.environment,
            envward::plural::count(report.findings.len(), "error", "errors"),
            envward::report::text(&report, false)
        );
        let err = GateError::new_err(message);
        let value = err.value(py);
        value.setattr("kind", "input")?;
        value.setattr("report", Report { inner: report })?;
        return Err(err);
    }
    // Python received the sensitive values: one read entry, as `run`
    // records it, where the environment audits reads. A log that cannot be
    // written does not stop the load (the binary warns; a library says
    // nothing).
    let _ = audit::record_read(&cfg, "python", || cfg.sensitive_keys());
    Ok(Config { inner: cfg })
}

/// Checks configuration, as `envward check` does: one environment, or
/// every one with `all_envs`; `profile="django"` adds Django's deploy
/// checks. Returns the report (it raises only when a project cannot be
/// read, not for findings).
#[pyfunction]
#[pyo3(signature = (environment = None, *, all_envs = false, project_dir = None, identities = None, profile = None))]
fn check(
    py: Python<'_>,
    environment: Option<String>,
    all_envs: bool,
    project_dir: Option<PathBuf>,
    identities: Option<Vec<PathBuf>>,
    profile: Option<String>,
) -> PyResult<Report> {
    let profile = match profile.as_deref() {
        None => None,
        Some("django") => Some(envward::check::rules::Profile::Django),
        Some(other) => {
            return Err(PyValueError::new_err(format!(
                "unknown profile {other:?}: expected \"django\""
            )));
        }
    };
    let options = CheckOptions {
        load: options(project_dir, environment, None, identities),
        all_environments: all_envs,
        profile,
    };
    let report = py
        .detach(move || envward::check::check(&options))
        .map_err(|e| load_error(py, e))?;
    Ok(Report { inner: report })
}

/// Probes a live deployment, as `envward probe` does: HTTPS and its
/// redirect, security headers and cookies, debug pages, and the
/// environment's secret values in any answer. `url` defaults to the
/// environment's `BASE_URL`, `SITE_URL`, `APP_URL` or `PUBLIC_URL`.
/// Returns the report; raises `EnvwardError` when the URL is missing or
/// bad, the deployment does not answer, or the project does not load.
#[pyfunction]
#[pyo3(signature = (url = None, *, environment = None, project_dir = None, health = None, http_url = None, ca_file = None, timeout = 10.0, identities = None))]
#[allow(clippy::too_many_arguments)]
fn probe(
    py: Python<'_>,
    url: Option<String>,
    environment: Option<String>,
    project_dir: Option<PathBuf>,
    health: Option<Vec<String>>,
    http_url: Option<String>,
    ca_file: Option<PathBuf>,
    timeout: f64,
    identities: Option<Vec<PathBuf>>,
) -> PyResult<Report> {
    let load = options(project_dir, environment, None, identities);
    let probe_options = envward::probe::ProbeOptions {
        url: url.unwrap_or_default(),
        http_url,
        health: health.unwrap_or_default(),
        ca_file,
        timeout: std::time::Duration::from_secs_f64(timeout.clamp(0.1, 3600.0)),
        environment: None,
    };
    let probed = py
        .detach(move || -> Result<_, envward::probe::ProbeError> {
            let project = Project::open(load.project_dir.as_deref())?;
            envward::probe::probe_project(&project, load, probe_options)
        })
        .map_err(|e| match e {
            envward::probe::ProbeError::Load(e) => load_error(py, e),
            e => {
                let kind = kind_name(e.kind());
                error(py, e.to_string(), kind)
            }
        })?;
    Ok(Report {
        inner: probed.report,
    })
}

/// envward: application configuration for every environment, defined,
/// layered, encrypted, validated and leak-free.
#[pymodule(name = "envward")]
fn envward_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("EnvwardError", py.get_type::<EnvwardError>())?;
    m.add("GateError", py.get_type::<GateError>())?;
    m.add_class::<Config>()?;
    m.add_class::<Report>()?;
    m.add_class::<Finding>()?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(probe, m)?)?;
    Ok(())
}
