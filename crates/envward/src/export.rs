//! The configuration in a format another tool reads (`envward export`).
//! Values are revealed: exporting is asking for them.

use base64::Engine;

use crate::value::Resolved;

/// An output format of [`render`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// `KEY=value` lines, quoted so that any `.env` reader gets the value back.
    Dotenv,
    /// One JSON object.
    Json,
    /// `export KEY='value'` lines, safe for `eval` in POSIX sh and bash.
    Shell,
    /// A YAML mapping.
    Yaml,
    /// A file for `docker run --env-file` (no multi-line values).
    Docker,
    /// A Kubernetes Secret manifest (`name`: its `metadata.name`).
    K8sSecret,
    /// Lines for `$GITHUB_ENV`.
    Github,
}

/// A value that the format cannot carry.
#[derive(Debug, thiserror::Error)]
#[error("cannot export `{key}`: it {reason}")]
pub struct ExportError {
    /// The key (never its value).
    pub key: String,
    /// Why.
    pub reason: &'static str,
    /// What to do instead.
    pub help: &'static str,
}

/// Names that change how a shell or the dynamic loader behaves: exported
/// for `eval`, `PS4='$(…)'` runs code under `set -x`, `BASH_ENV` and `ENV`
/// name files every shell sources, `LD_PRELOAD` loads code into every
/// program. `--format shell` refuses them (and every `LD_*`, `DYLD_*` and
/// `BASH_FUNC_*` name) unless allowed.
pub const UNSAFE_SHELL_NAMES: &[&str] = &[
    "PS1",
    "PS2",
    "PS3",
    "PS4",
    "PROMPT_COMMAND",
    "BASH_ENV",
    "ENV",
    "IFS",
    "SHELLOPTS",
    "BASHOPTS",
    "CDPATH",
    "GLOBIGNORE",
    "PATH",
    "HOME",
    "SHELL",
    "PYTHONSTARTUP",
    "PERL5OPT",
    "NODE_OPTIONS",
];

/// Whether exporting `name` into a shell changes how the shell or the
/// loader behaves (see [`UNSAFE_SHELL_NAMES`]).
pub fn is_unsafe_shell_name(name: &str) -> bool {
    UNSAFE_SHELL_NAMES.contains(&name)
        || ["LD_", "DYLD_", "BASH_FUNC_"]
            .iter()
            .any(|p| name.starts_with(p))
}

/// The configuration `cfg` in `format`. `name` is the Kubernetes Secret's
/// name (default `<environment>-config`). Values are written byte for
/// byte (quoted or escaped as the format needs, never stripped).
///
/// ```
/// use envward::{Config, LoadOptions};
/// use envward::export::{render, Format};
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join(".env"), "GREETING=it's me\n").unwrap();
/// let cfg = Config::load(LoadOptions { project_dir: Some(dir.path().into()), process_env: Some(Default::default()), ..Default::default() }).unwrap();
/// assert_eq!(render(&cfg, Format::Shell, None).unwrap(), "export GREETING='it'\\''s me'\n");
/// ```
pub fn render(cfg: &Resolved, format: Format, name: Option<&str>) -> Result<String, ExportError> {
    render_with(cfg, format, name, false)
}

/// [`render`], with `allow_unsafe_names` letting `--format shell` export
/// the names [`is_unsafe_shell_name`] refuses.
pub fn render_with(
    cfg: &Resolved,
    format: Format,
    name: Option<&str>,
    allow_unsafe_names: bool,
) -> Result<String, ExportError> {
    let mut s = String::new();
    let vars = || cfg.iter().map(|v| (v.key.as_str(), v.value.expose()));
    let json = |v: &str| serde_json::Value::from(v).to_string();
    match format {
        Format::Dotenv => {
            // Sized once (no copy of the values left behind by a growing
            // buffer), and pieces pushed one by one: no formatted or quoted
            // copy of each line, except for a value that needs quotes.
            s.reserve_exact(vars().map(|(k, v)| k.len() + v.len() + 2).sum());
            for (k, v) in vars() {
                s.push_str(k);
                s.push('=');
                if crate::dotenv::is_bare(v) {
                    s.push_str(v);
                } else {
                    s.push_str(&crate::dotenv::quote_value(v));
                }
                s.push('\n');
            }
        }
        Format::Json => {
            let map: serde_json::Map<String, serde_json::Value> =
                vars().map(|(k, v)| (k.to_string(), v.into())).collect();
            s = serde_json::to_string_pretty(&map).unwrap_or_default();
            s.push('\n');
        }
        Format::Shell => {
            for (k, v) in vars() {
                if !is_shell_name(k) {
                    return Err(ExportError {
                        key: k.to_string(),
                        reason: "is not a valid shell variable name",
                        help: "rename it, or use --format json",
                    });
                }
                if !allow_unsafe_names && is_unsafe_shell_name(k) {
                    return Err(ExportError {
                        key: k.to_string(),
                        reason: "changes how a shell or the loader behaves once exported",
                        help: "rename it; or pass --allow-unsafe-names if the shell that evaluates the export should get it",
                    });
                }
                s.push_str(&format!("export {k}={}\n", shell_quote(v)));
            }
        }
        Format::Yaml => {
            for (k, v) in vars() {
                s.push_str(&format!("{}: {}\n", json(k), json(v)));
            }
            if s.is_empty() {
                s.push_str("{}\n");
            }
        }
        Format::Docker => {
            for (k, v) in vars() {
                if v.contains(['\n', '\r']) {
                    return Err(ExportError {
                        key: k.to_string(),
                        reason: "has a multi-line value, which docker --env-file cannot carry",
                        help: "use --format dotenv with docker compose's env_file, or --format k8s-secret",
                    });
                }
                s.push_str(&format!("{k}={v}\n"));
            }
        }
        Format::K8sSecret => {
            let name = name
                .map(str::to_string)
                .unwrap_or_else(|| format!("{}-config", cfg.environment));
            s.push_str("apiVersion: v1\nkind: Secret\nmetadata:\n");
            s.push_str(&format!("  name: {}\n", json(&name)));
            s.push_str("type: Opaque\ndata:");
            if cfg.is_empty() {
                s.push_str(" {}");
            }
            s.push('\n');
            for (k, v) in vars() {
                let mut b64 = base64::engine::general_purpose::STANDARD.encode(v);
                if b64.is_empty() {
                    // A bare empty scalar is YAML's null, not "".
                    b64.push_str("\"\"");
                }
                s.push_str(&format!("  {}: {b64}\n", json(k)));
            }
        }
        Format::Github => {
            for (k, v) in vars() {
                if v.contains(['\n', '\r']) {
                    let mut n = 0;
                    let delim = loop {
                        let d = format!("ENVWARD_EOF_{n}");
                        if !v.contains(&d) {
                            break d;
                        }
                        n += 1;
                    };
                    s.push_str(&format!("{k}<<{delim}\n{v}\n{delim}\n"));
                } else {
                    s.push_str(&format!("{k}={v}\n"));
                }
            }
        }
    }
    Ok(s)
}

fn is_shell_name(k: &str) -> bool {
    let b = k.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// Single-quotes for POSIX sh: nothing inside is special except `'`,
/// written as `'\''`.
pub fn shell_quote(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    out.push('\'');
    for c in v.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}
