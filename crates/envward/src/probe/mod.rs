//! `probe`: post-deploy checks of a live URL — what the deployment actually
//! serves, as the deploy gate checks what it is configured to serve.
//!
//! A few plain requests (no redirect followed, bodies read up to
//! [`BODY_LIMIT`]): the URL itself over HTTPS (the certificate verified
//! with the system's roots or a CA file), the same host over plain HTTP
//! (must redirect to HTTPS), a path that cannot exist (must not show a
//! framework's debug page) and health endpoints (must not show a secret).
//! Every response is searched for the environment's own secret values
//! (with their encoded forms: [`crate::known`]). Findings go into the one
//! [`Report`]; rules are registered with the `probe` tag.

mod cert;

use std::path::PathBuf;
use std::time::Duration;

pub use cert::Thresholds as CertExpiry;

use crate::findings::{Finding, Location, Report, Section, Severity, Tool, registry};
use crate::known::KnownValues;

/// The most of a response body read (and searched).
pub const BODY_LIMIT: u64 = 1 << 20;

/// HSTS max-age below which `probe.hsts` warns (one year, as the
/// configuration rule `https.hsts`).
pub const HSTS_MIN_SECONDS: u64 = 31_536_000;

/// The settings that name a deployment's public URL, in the order asked
/// when no URL is given.
pub const URL_SETTINGS: &[&str] = &["BASE_URL", "SITE_URL", "APP_URL", "PUBLIC_URL"];

/// Health endpoints requested when none are given.
pub const DEFAULT_HEALTH_PATHS: &[&str] = &["/health", "/healthz", "/status"];

/// The sections of a probe report: the registry groups of its rules.
pub const SECTIONS: &[(&str, &str)] = &[
    ("transport", "HTTPS and TLS"),
    ("headers", "security headers and cookies"),
    ("exposure", "what responses show"),
];

/// The parameters probe rule `id` takes in `[rules."ID"]`, with their
/// defaults (none for most).
pub fn params(id: &str) -> &'static [(&'static str, &'static str)] {
    match id {
        "probe.cert-expiry" => cert::PARAMS,
        _ => &[],
    }
}

/// What to probe.
#[derive(Clone, Debug)]
pub struct ProbeOptions {
    /// The deployment's URL (`https://…`); empty: the environment's
    /// (see [`URL_SETTINGS`]), with [`probe_project`].
    pub url: String,
    /// Where plain HTTP is served; `None`: the same host on port 80.
    pub http_url: Option<String>,
    /// Health endpoints, as paths (`/health`) or URLs.
    pub health: Vec<String>,
    /// PEM certificates to trust instead of the system's roots.
    pub ca_file: Option<PathBuf>,
    /// Per request.
    pub timeout: Duration,
    /// The environment the deployment runs (named on findings).
    pub environment: Option<String>,
}

/// Why a probe could not run at all (a finding is not an error).
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The URL does not parse or is not http(s).
    #[error("`{url}` is not an http:// or https:// URL{why}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// More, with a leading separator.
        why: String,
    },
    /// The CA file could not be read or holds no certificate.
    #[error("cannot use {path} as a CA file: {why}")]
    CaFile {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
    /// The environment's configuration does not load.
    #[error(transparent)]
    Load(#[from] crate::LoadError),
    /// No URL given, and the environment sets none of [`URL_SETTINGS`].
    #[error("no URL given, and {}", match environment {
        Some(e) => format!("`{e}` sets none of {}", URL_SETTINGS.join(", ")),
        None => "no envward project here to read it from".to_string(),
    })]
    NoUrl {
        /// The environment looked in, when there is a project.
        environment: Option<String>,
    },
    /// `[rules."probe.*"]` of envward.toml names an unknown parameter.
    #[error("{message}")]
    Rules {
        /// What is wrong.
        message: String,
        /// What to do.
        help: String,
    },
    /// The deployment did not answer at all.
    #[error("{url} did not answer: {why}")]
    Unreachable {
        /// The URL.
        url: String,
        /// Why (a transport error; never a header or body).
        why: String,
    },
}

impl ProbeError {
    /// The kind of error, for exit codes.
    pub fn kind(&self) -> crate::ErrorKind {
        match self {
            ProbeError::BadUrl { .. } | ProbeError::NoUrl { .. } | ProbeError::Rules { .. } => {
                crate::ErrorKind::Usage
            }
            ProbeError::Load(e) => e.kind(),
            ProbeError::CaFile { .. } | ProbeError::Unreachable { .. } => crate::ErrorKind::Io,
        }
    }
}

/// One answer, as read.
struct Answer {
    url: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The parts of a URL the probe needs.
#[derive(Clone, Debug)]
struct Target {
    https: bool,
    /// `host` or `host:port` as written.
    authority: String,
    host: String,
    /// The port, given or the scheme's.
    port: u16,
}

impl Target {
    /// `scheme://authority`: the URL without user, path, query or
    /// fragment, which the other requests are made under.
    fn origin(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.authority)
    }
}

/// A URL as it may be shown: a password in it masked.
fn shown(url: &str) -> String {
    crate::secret::mask_url_userinfo(url).unwrap_or_else(|| url.to_string())
}

fn target(url: &str) -> Result<Target, ProbeError> {
    let bad = |why: &str| ProbeError::BadUrl {
        url: shown(url),
        why: why.to_string(),
    };
    let parsed = url::Url::parse(url).map_err(|e| bad(&format!(": {e}")))?;
    let https = match parsed.scheme() {
        "https" => true,
        "http" => false,
        _ => return Err(bad("")),
    };
    let host = parsed
        .host_str()
        .ok_or_else(|| bad(": no host"))?
        .to_string();
    let authority = match parsed.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    let port = parsed.port_or_known_default().unwrap_or(443);
    Ok(Target {
        https,
        authority,
        host,
        port,
    })
}

fn agent(options: &ProbeOptions) -> Result<ureq::Agent, ProbeError> {
    let tls = crate::tls::config(options.ca_file.as_deref()).map_err(|why| ProbeError::CaFile {
        path: options
            .ca_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        why,
    })?;
    Ok(ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(options.timeout))
        .timeout_connect(Some(options.timeout))
        .user_agent("envward-probe")
        .tls_config(tls)
        .build()
        .into())
}

/// Why a request got no answer.
struct Failure {
    /// In words (a transport or TLS error; never a header or body).
    why: String,
    /// Whether the TLS handshake refused the server (its certificate, its
    /// name, its protocol), rather than no server answering.
    tls: bool,
}

/// GET `url`: the answer, or why there was none.
fn get(agent: &ureq::Agent, url: &str) -> Result<Answer, Failure> {
    use std::io::Read;
    let mut response = agent.get(url).call().map_err(|e| Failure {
        why: crate::tls::transport_error(&e),
        tls: is_tls_failure(&e),
    })?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    // A body that cannot be read whole is searched as far as it was.
    let _ = response
        .body_mut()
        .as_reader()
        .take(BODY_LIMIT)
        .read_to_end(&mut body);
    Ok(Answer {
        url: url.to_string(),
        status,
        headers,
        body,
    })
}

/// Whether an error is the TLS handshake refusing the server. rustls'
/// errors met while reading the stream come wrapped in an I/O error
/// (`InvalidData`), known by their words.
fn is_tls_failure(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => true,
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
            let w = io.to_string().to_ascii_lowercase();
            ["certificate", "tls", "handshake", "peer"]
                .iter()
                .any(|m| w.contains(m))
        }
        _ => false,
    }
}

/// Collects the findings of one probe.
struct Out {
    environment: Option<String>,
    findings: Vec<Finding>,
    requests: usize,
}

impl Out {
    fn add(&mut self, rule: &'static str, url: &str, message: String, help: &str) {
        let severity = registry::find(rule).map_or(Severity::Warning, |r| r.severity);
        self.add_as(rule, severity, url, message, help);
    }

    /// A finding of a rule at a severity below its registered one (the
    /// rules that grade: `probe.cert-expiry`, `probe.hsts`, …).
    fn add_as(
        &mut self,
        rule: &'static str,
        severity: Severity,
        url: &str,
        message: String,
        help: &str,
    ) {
        let mut f = Finding::new(rule, severity, message);
        f.environment = self.environment.clone();
        f.help = Some(help.to_string());
        f.location = Some(Location::file(PathBuf::from(shown(url))));
        self.findings.push(f);
    }
}

/// What [`probe_project`] gives: the report, and the warnings met while
/// loading the environment (duplicate keys, …) for the caller to show.
pub struct Probed {
    /// The findings, `[rules."probe.*"]` of envward.toml applied.
    pub report: Report,
    /// Warnings of loading the environment.
    pub warnings: Vec<crate::Diagnostic>,
}

/// Probes the deployment of the environment `load` selects, when `project`
/// has a configuration: its URL when `options.url` is empty, its secret
/// values searched for in every answer, `[rules."probe.*"]` applied (as
/// for `check`). Without a configuration, only `options.url` is probed.
pub fn probe_project(
    project: &crate::Project,
    load: crate::LoadOptions,
    mut options: ProbeOptions,
) -> Result<Probed, ProbeError> {
    // A misspelt parameter of a probe rule would silently leave its
    // default in force: refused, as `check` reports it.
    let probe_rules: indexmap::IndexMap<_, _> = project
        .file
        .rules
        .iter()
        .filter(|(id, _)| id.starts_with("probe."))
        .map(|(id, s)| (id.clone(), s.clone()))
        .collect();
    if let Some((message, help)) = crate::check::rules::validate_settings(&probe_rules, &[])
        .into_iter()
        .next()
    {
        return Err(ProbeError::Rules { message, help });
    }
    let cfg = if project.has_configuration() {
        Some(crate::Config::load_in(project, load)?)
    } else {
        None
    };
    if options.url.trim().is_empty() {
        options.url = cfg
            .as_ref()
            .and_then(|cfg| {
                URL_SETTINGS
                    .iter()
                    .find_map(|k| cfg.value(k).filter(|v| !v.trim().is_empty()))
            })
            .map(str::to_string)
            .ok_or_else(|| ProbeError::NoUrl {
                environment: cfg.as_ref().map(|c| c.environment.clone()),
            })?;
    }
    if options.environment.is_none() {
        options.environment = cfg.as_ref().map(|c| c.environment.clone());
    }
    let known = cfg
        .as_ref()
        .map(|cfg| KnownValues::of(cfg, project.file.redact.min_length()));
    let mut report = probe(&options, known.as_ref(), &project.file.rules)?;
    crate::findings::apply_settings(&mut report, &project.file.rules, cfg.as_slice());
    Ok(Probed {
        report,
        warnings: cfg.map(|c| c.warnings).unwrap_or_default(),
    })
}

/// Probes the deployment at `options.url`; `known` are the environment's
/// secret values, searched for in every answer; `rules` give the probe
/// rules' parameters (`[rules."probe.cert-expiry"]`; the findings are not
/// filtered by them here: see [`probe_project`]).
pub fn probe(
    options: &ProbeOptions,
    known: Option<&KnownValues>,
    rules: &indexmap::IndexMap<String, crate::config::rules::RuleSettings>,
) -> Result<Report, ProbeError> {
    let main = target(&options.url)?;
    let agent = agent(options)?;
    let mut out = Out {
        environment: options.environment.clone(),
        findings: Vec::new(),
        requests: 0,
    };
    let root = main.origin();

    // The URL itself.
    out.requests += 1;
    let first = match get(&agent, &options.url) {
        Ok(answer) => Some(answer),
        Err(Failure { why, tls: true }) if main.https => {
            out.add(
                "probe.tls",
                &options.url,
                format!("the TLS handshake with {} failed: {why}", main.authority),
                "serve a certificate that is valid for this name and chains to a trusted root (or pass the internal CA with --ca-file)",
            );
            None
        }
        Err(Failure { why, .. }) => {
            return Err(ProbeError::Unreachable {
                url: shown(&options.url),
                why,
            });
        }
    };
    // The sections whose checks did not run, and why: nothing read after
    // a failed handshake; no HTTPS headers to judge on a plain-HTTP URL
    // (its answers are still searched).
    let unread: &[(&str, &str)] = match (&first, main.https) {
        (None, _) => &[
            (
                "headers",
                "the TLS handshake failed: nothing was read over HTTPS",
            ),
            (
                "exposure",
                "the TLS handshake failed: nothing was read over HTTPS",
            ),
        ],
        (Some(_), false) => &[("headers", "the URL is plain HTTP: probe its https:// URL")],
        _ => &[],
    };
    let mut answers = Vec::new();
    if let Some(answer) = first {
        if !main.https {
            out.add(
                "probe.https",
                &options.url,
                format!("{} is served over plain HTTP", main.authority),
                "serve the deployment over HTTPS and probe its https:// URL",
            );
        } else {
            headers(&mut out, &answer);
            csp(&mut out, &answer);
            // Switched off: no handshake made for it.
            if rules.get("probe.cert-expiry").and_then(|s| s.enabled) != Some(false) {
                expiry(&mut out, options, &main, CertExpiry::of(rules));
            }
        }
        answers.push(answer);
    }

    // Plain HTTP must send browsers to HTTPS.
    if main.https {
        let http_url = options
            .http_url
            .clone()
            .unwrap_or_else(|| format!("http://{}/", main.host));
        out.requests += 1;
        // Nothing listening on plain HTTP (an error): nothing served in
        // clear.
        if let Ok(answer) = get(&agent, &http_url) {
            redirect(&mut out, &answer);
            answers.push(answer);
        }
    }

    // A page that cannot exist: a framework's debug page shows settings.
    if answers.iter().any(|a| a.url == options.url) {
        let mut nonce = [0u8; 8];
        // A fixed path when the system has no randomness: still one that
        // no application serves.
        let _ = getrandom::fill(&mut nonce);
        let missing = format!("{root}/envward-probe-{:016x}", u64::from_le_bytes(nonce));
        out.requests += 1;
        if let Ok(answer) = get(&agent, &missing) {
            debug_page(&mut out, &answer);
            answers.push(answer);
        }
        let health: Vec<String> = if options.health.is_empty() {
            DEFAULT_HEALTH_PATHS.iter().map(|p| p.to_string()).collect()
        } else {
            options.health.clone()
        };
        for path in health {
            let url = if path.contains("://") {
                path
            } else {
                format!("{root}/{}", path.trim_start_matches('/'))
            };
            out.requests += 1;
            if let Ok(answer) = get(&agent, &url) {
                if (200..300).contains(&answer.status) {
                    debug_page(&mut out, &answer);
                }
                answers.push(answer);
            }
        }
    }

    for answer in &answers {
        cookies(&mut out, answer, main.https);
        server_version(&mut out, answer);
        if let Some(known) = known {
            leaks(&mut out, answer, known);
        }
    }
    dedupe(&mut out.findings);

    let mut report = Report::new(Tool::Probe, PathBuf::from(&options.url));
    report.sections = SECTIONS
        .iter()
        .map(|(id, title)| Section {
            id,
            title,
            skipped: unread
                .iter()
                .find(|(section, _)| section == id)
                .map(|(_, why)| why.to_string()),
        })
        .collect();
    report.rules = registry::entries_tagged("probe");
    report.checks = out.requests;
    if let Some(env) = &options.environment {
        report.environments = vec![env.clone()];
    }
    report.findings = out.findings;
    Ok(report)
}

/// How long the certificates the deployment presents remain valid. The
/// chain is read in a handshake of its own, verified as the requests are;
/// when that handshake fails (the server went away since), there is
/// nothing to judge and the request's own failure was reported.
fn expiry(out: &mut Out, options: &ProbeOptions, main: &Target, thresholds: CertExpiry) {
    let Ok(chain) = crate::tls::peer_chain(
        &main.host,
        main.port,
        options.ca_file.as_deref(),
        options.timeout,
    ) else {
        return;
    };
    for (severity, message) in cert::judge(
        &chain,
        &main.authority,
        jiff::Timestamp::now().as_second(),
        thresholds,
    ) {
        out.add_as(
            "probe.cert-expiry",
            severity,
            &options.url,
            message,
            "renew the certificate and check that its renewal runs by itself (certbot's or acme.sh's timer, the load balancer's managed certificate); run `envward probe --fail-on warning` from cron to hear of it a month ahead",
        );
    }
}

/// Strict-Transport-Security, X-Content-Type-Options, framing.
fn headers(out: &mut Out, a: &Answer) {
    match a.header("strict-transport-security") {
        None => out.add(
            "probe.hsts",
            &a.url,
            "no Strict-Transport-Security header: browsers may still try plain HTTP first".into(),
            "send `Strict-Transport-Security: max-age=31536000; includeSubDomains` (Django: SECURE_HSTS_SECONDS=31536000)",
        ),
        Some(value) => {
            let max_age = value
                .split(';')
                .filter_map(|p| p.trim().split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("max-age"))
                .and_then(|(_, v)| v.trim().trim_matches('"').parse::<u64>().ok());
            let has = |directive: &str| {
                value
                    .split(';')
                    .any(|p| p.trim().eq_ignore_ascii_case(directive))
            };
            // As `https.hsts` asks of SECURE_HSTS_INCLUDE_SUBDOMAINS and
            // SECURE_HSTS_PRELOAD; not for a max-age of 0 (HSTS withdrawn,
            // reported below).
            if max_age != Some(0) {
                if !has("includesubdomains") {
                    out.add(
                        "probe.hsts",
                        &a.url,
                        "Strict-Transport-Security has no includeSubDomains: subdomains can still be reached over plain HTTP, and a cookie set there for the whole domain read or planted".into(),
                        "add `includeSubDomains` once every subdomain serves HTTPS (Django: SECURE_HSTS_INCLUDE_SUBDOMAINS=True)",
                    );
                }
                if !has("preload") {
                    out.add_as(
                        "probe.hsts",
                        Severity::Info,
                        &a.url,
                        "Strict-Transport-Security has no preload: a browser's first visit can still go over plain HTTP".into(),
                        "add `preload` (with includeSubDomains and a max-age of a year) and submit the domain to the browsers' HSTS preload list (Django: SECURE_HSTS_PRELOAD=True)",
                    );
                }
            }
            match max_age {
                Some(s) if s >= HSTS_MIN_SECONDS => {}
                Some(s) => out.add(
                    "probe.hsts",
                    &a.url,
                    format!("Strict-Transport-Security max-age is {s} seconds, less than a year ({HSTS_MIN_SECONDS})"),
                    "raise max-age to 31536000 once HTTPS works everywhere",
                ),
                None => out.add(
                    "probe.hsts",
                    &a.url,
                    "Strict-Transport-Security has no valid max-age".into(),
                    "send `Strict-Transport-Security: max-age=31536000; includeSubDomains`",
                ),
            }
        }
    }
    if !a
        .header("x-content-type-options")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("nosniff"))
    {
        out.add(
            "probe.nosniff",
            &a.url,
            "no `X-Content-Type-Options: nosniff`: browsers may guess content types".into(),
            "send `X-Content-Type-Options: nosniff` (Django: SECURE_CONTENT_TYPE_NOSNIFF=True)",
        );
    }
    let framed = a.header("x-frame-options").is_some()
        || a.headers_named("content-security-policy")
            .any(|v| v.to_ascii_lowercase().contains("frame-ancestors"));
    if !framed {
        out.add(
            "probe.framing",
            &a.url,
            "neither X-Frame-Options nor a Content-Security-Policy frame-ancestors: other sites can frame the pages (clickjacking)".into(),
            "send `X-Frame-Options: DENY` or `Content-Security-Policy: frame-ancestors 'none'`",
        );
    }
}

/// The page's Content-Security-Policy must hold scripts back. Judged on
/// an HTML answer (or one that does not say what it is, which browsers
/// sniff), not on an API's JSON. With several policies, a script must pass
/// each, so one that holds scripts back is enough.
fn csp(out: &mut Out, a: &Answer) {
    if a.header("content-type")
        .is_some_and(|t| !t.to_ascii_lowercase().contains("html"))
    {
        return;
    }
    let policies: Vec<&str> = a.headers_named("content-security-policy").collect();
    const HELP: &str = "send a Content-Security-Policy whose script-src (or default-src) names only your own origins, nonces or hashes, e.g. `default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'` (Django: django-csp, CSP_DEFAULT_SRC / CSP_SCRIPT_SRC)";
    if policies.is_empty() {
        let message = if a.header("content-security-policy-report-only").is_some() {
            "only Content-Security-Policy-Report-Only: violations are reported, nothing is blocked, so injected scripts run"
        } else {
            "no Content-Security-Policy: an injected script runs with the page's rights"
        };
        out.add("probe.csp", &a.url, message.into(), HELP);
        return;
    }
    let weak: Vec<String> = policies
        .iter()
        .map(|p| crate::csp::script_weakness(p))
        .collect::<Option<_>>()
        .unwrap_or_default();
    if let Some(first) = weak.first() {
        out.add(
            "probe.csp",
            &a.url,
            format!("the Content-Security-Policy {first}"),
            HELP,
        );
    }
}

/// The plain-HTTP answer must redirect to HTTPS.
fn redirect(out: &mut Out, a: &Answer) {
    if (300..400).contains(&a.status) {
        let location = a.header("location").unwrap_or_default();
        if !location
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("https://")
        {
            out.add(
                "probe.https-redirect",
                &a.url,
                format!(
                    "plain HTTP redirects (status {}) but not to an https:// URL",
                    a.status
                ),
                "redirect every plain-HTTP request to the same path over https:// (Django: SECURE_SSL_REDIRECT=True behind a proxy that sets X-Forwarded-Proto)",
            );
        } else if !matches!(a.status, 301 | 308) {
            out.add_as(
                "probe.https-redirect",
                Severity::Info,
                &a.url,
                format!(
                    "plain HTTP redirects to HTTPS with status {}, a temporary redirect: browsers and crawlers keep asking over plain HTTP first",
                    a.status
                ),
                "answer plain HTTP with a permanent redirect, 301 or 308 (nginx: `return 301 https://$host$request_uri;`)",
            );
        }
    } else {
        out.add(
            "probe.https-redirect",
            &a.url,
            format!(
                "plain HTTP answers with status {} instead of a redirect to HTTPS",
                a.status
            ),
            "redirect every plain-HTTP request to https:// (301 or 308), or do not listen on plain HTTP",
        );
    }
}

/// Markers of frameworks' debug pages (settings, tracebacks, consoles).
const DEBUG_MARKERS: &[(&str, &str)] = &[
    (
        "you're seeing this error because you have <code>debug = true</code>",
        "Django",
    ),
    (
        "you're seeing this error because you have debug = true",
        "Django",
    ),
    ("werkzeug debugger", "Werkzeug (Flask)"),
    ("whoops! there was an error", "Laravel (Whoops)"),
    ("action controller: exception caught", "Ruby on Rails"),
    ("<title>error</title>\n<pre>error:", "Express"),
    ("traceback (most recent call last)", "a Python traceback"),
    ("at layer.handle [as handle_request]", "Express"),
];

fn debug_page(out: &mut Out, a: &Answer) {
    let body = String::from_utf8_lossy(&a.body).to_ascii_lowercase();
    if let Some((_, framework)) = DEBUG_MARKERS.iter().find(|(m, _)| body.contains(m)) {
        out.add(
            "probe.debug-page",
            &a.url,
            format!(
                "the answer (status {}) is {framework}'s debug page or a traceback: it shows code, paths and settings",
                a.status
            ),
            "turn debug mode off in this environment (DEBUG=False) and serve plain error pages",
        );
    }
}

/// Session-like cookie names (must be HttpOnly).
/// (A CSRF cookie is read by the page's scripts by design: not one.)
fn session_like(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    !n.contains("csrf")
        && !n.contains("xsrf")
        && ["session", "sess", "sid", "auth", "token", "jwt"]
            .iter()
            .any(|w| n.contains(w))
}

fn cookies(out: &mut Out, a: &Answer, https: bool) {
    for cookie in a.headers_named("set-cookie") {
        let mut parts = cookie.split(';');
        let name = parts
            .next()
            .and_then(|p| p.split_once('='))
            .map(|(n, _)| n.trim().to_string())
            .unwrap_or_default();
        if name.is_empty() {
            continue;
        }
        let attrs: Vec<String> = parts.map(|p| p.trim().to_ascii_lowercase()).collect();
        let has = |a: &str| {
            attrs
                .iter()
                .any(|x| x == a || x.starts_with(&format!("{a}=")))
        };
        if https && !has("secure") {
            out.add(
                "probe.cookie-secure",
                &a.url,
                format!("cookie `{name}` is set without `Secure`: it is also sent over plain HTTP"),
                "mark it Secure (Django: SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)",
            );
        }
        if session_like(&name) && !has("httponly") {
            out.add(
                "probe.cookie-httponly",
                &a.url,
                format!("cookie `{name}` looks like a session cookie and is set without `HttpOnly`: scripts can read it"),
                "mark it HttpOnly (Django: SESSION_COOKIE_HTTPONLY=True)",
            );
        }
    }
}

fn server_version(out: &mut Out, a: &Answer) {
    for name in ["server", "x-powered-by"] {
        if let Some(v) = a.header(name)
            && v.bytes().any(|b| b.is_ascii_digit())
        {
            // The product and version are not secret: they are what the
            // finding is about.
            out.add(
                "probe.server-version",
                &a.url,
                format!(
                    "the `{name}` header tells software and version: `{}`",
                    v.trim()
                ),
                "send no version (nginx: server_tokens off; remove X-Powered-By)",
            );
        }
    }
}

/// A known secret value (or an encoded form) in an answer's headers or
/// body: named by key, never shown.
fn leaks(out: &mut Out, a: &Answer, known: &KnownValues) {
    let mut text = Vec::with_capacity(a.body.len() + 256);
    for (n, v) in &a.headers {
        text.extend_from_slice(n.as_bytes());
        text.extend_from_slice(b": ");
        text.extend_from_slice(v.as_bytes());
        text.push(b'\n');
    }
    text.extend_from_slice(&a.body);
    let mut seen = std::collections::BTreeSet::new();
    for m in known.find_iter(&text) {
        if seen.insert((m.pattern.key.clone(), m.pattern.encoding.name())) {
            let encoded = match m.pattern.encoding.name() {
                "plain" => String::new(),
                other => format!(" ({other}-encoded)"),
            };
            let mut f_message = format!(
                "the answer (status {}) contains the value of `{}`{encoded}",
                a.status, m.pattern.key
            );
            if m.pattern.environment.as_str() != out.environment.as_deref().unwrap_or_default() {
                f_message.push_str(&format!(" of `{}`", m.pattern.environment));
            }
            out.add(
                "probe.secret-leak",
                &a.url,
                f_message,
                "never put configuration values in responses (health endpoints: report counts and booleans); rotate the secret: it has been served",
            );
        }
    }
}

/// One finding per rule, URL and message.
fn dedupe(findings: &mut Vec<Finding>) {
    let mut seen = std::collections::BTreeSet::new();
    findings.retain(|f| {
        seen.insert((
            f.rule.to_string(),
            f.location.as_ref().map(|l| l.path.clone()),
            f.message.clone(),
        ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(target("ftp://x").is_err());
        assert!(target("not a url").is_err());
        let t = target("https://example.com:8443/x").unwrap();
        assert!(t.https);
        assert_eq!(t.authority, "example.com:8443");
        assert_eq!(
            target("https://user:pw@example.com:8443/x?y")
                .unwrap()
                .origin(),
            "https://example.com:8443"
        );
    }

    #[test]
    fn session_cookies_are_recognised() {
        assert!(session_like("sessionid"));
        assert!(session_like("JSESSIONID"));
        assert!(!session_like("csrftoken"));
        assert!(!session_like("theme"));
    }
}
