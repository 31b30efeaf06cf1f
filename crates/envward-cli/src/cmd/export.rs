//! `envward export`: the configuration in a format another tool reads.
//! Values are revealed: exporting is asking for them.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use base64::Engine;
use clap::ValueEnum;
use envward::{Diagnostic, Resolved};

use crate::cli::Global;
use crate::exit::Exit;

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// KEY=value lines, quoted so that any .env reader gets the value back
    Dotenv,
    /// One JSON object
    Json,
    /// `export KEY='value'` lines, safe for `eval` in POSIX sh and bash
    Shell,
    /// A YAML mapping
    Yaml,
    /// A file for `docker run --env-file` (no multi-line values)
    Docker,
    /// A Kubernetes Secret manifest
    K8sSecret,
    /// Lines for `$GITHUB_ENV`
    Github,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Dotenv)]
    pub format: Format,
    /// Write to FILE (created 0600) instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// metadata.name of the Kubernetes Secret [default: <environment>-config]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

pub fn run(g: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let cfg = g.load_complete()?;
    let text = render(&cfg, &args)?;
    let mut out = crate::output::sink(args.output.as_deref())?;
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn render(cfg: &Resolved, args: &Args) -> anyhow::Result<String> {
    let mut s = String::new();
    let vars = || cfg.iter().map(|v| (v.key.as_str(), v.value.expose()));
    match args.format {
        Format::Dotenv => {
            for (k, v) in vars() {
                s.push_str(&format!("{k}={}\n", envward::dotenv::quote_value(v)));
            }
        }
        Format::Json => {
            let map: serde_json::Map<String, serde_json::Value> =
                vars().map(|(k, v)| (k.to_string(), v.into())).collect();
            s = serde_json::to_string_pretty(&map)?;
            s.push('\n');
        }
        Format::Shell => {
            for (k, v) in vars() {
                if !is_shell_name(k) {
                    return Err(refuse(
                        k,
                        "is not a valid shell variable name",
                        "rename it, or use --format json",
                    ));
                }
                s.push_str(&format!("export {k}={}\n", shell_quote(v)));
            }
        }
        Format::Yaml => {
            for (k, v) in vars() {
                s.push_str(&format!(
                    "{}: {}\n",
                    serde_json::to_string(k)?,
                    serde_json::to_string(v)?
                ));
            }
            if s.is_empty() {
                s.push_str("{}\n");
            }
        }
        Format::Docker => {
            for (k, v) in vars() {
                if v.contains(['\n', '\r']) {
                    return Err(refuse(
                        k,
                        "has a multi-line value, which docker --env-file cannot carry",
                        "use --format dotenv with docker compose's env_file, or --format k8s-secret",
                    ));
                }
                s.push_str(&format!("{k}={v}\n"));
            }
        }
        Format::K8sSecret => {
            let name = args
                .name
                .clone()
                .unwrap_or_else(|| format!("{}-config", cfg.environment));
            s.push_str("apiVersion: v1\nkind: Secret\nmetadata:\n");
            s.push_str(&format!("  name: {}\n", serde_json::to_string(&name)?));
            s.push_str("type: Opaque\ndata:");
            if cfg.is_empty() {
                s.push_str(" {}");
            }
            s.push('\n');
            for (k, v) in vars() {
                let b64 = base64::engine::general_purpose::STANDARD.encode(v);
                s.push_str(&format!("  {}: {b64}\n", serde_json::to_string(k)?));
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

fn refuse(key: &str, what: &str, help: &str) -> anyhow::Error {
    Exit::input(
        Diagnostic::error(format!("cannot export `{key}`: it {what}")).with_help(help.to_string()),
    )
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
