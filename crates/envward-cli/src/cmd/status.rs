//! `envward status`: a health summary that is safe to expose (health
//! endpoints, dashboards): counts only, never a value, never a length.

use std::io::Write;
use std::process::ExitCode;

use envward::{Config, Project};
use serde_json::{Value, json};

use crate::exit::Exit;
use crate::global::{Global, TextOrJson};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

pub fn run(g: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let project = Project::open(g.project.as_deref()).map_err(Exit::from)?;
    let mut envs = Vec::new();
    for env in &project.environments {
        let mut opts = g.load_options();
        opts.environment = Some(env.clone());
        let entry = match Config::load_in(&project, opts) {
            Ok(cfg) => {
                let encrypted_files = cfg.encrypted_files.len();
                json!({
                    "environment": env,
                    "loads": true,
                    "strict": cfg.strict(),
                    "files": cfg.files.len(),
                    "encrypted_files": encrypted_files,
                    "keys": cfg.len(),
                    "sensitive_keys": cfg.iter().filter(|v| v.sensitive).count(),
                    "required_missing": cfg.missing_required().len(),
                })
            }
            // The error text may quote a line: only say that it fails.
            Err(_) => json!({ "environment": env, "loads": false }),
        };
        envs.push(entry);
    }
    let last_check: Value = envward::ops::last_check::load(&project.root)
        .and_then(|c| serde_json::to_value(c).ok())
        .unwrap_or(Value::Null);
    let doc = json!({
        "version": 1,
        "layout": envward::layout::Layout::detect(&project.root, &project.file.layout).kind_name(),
        "environments": envs,
        "last_check": last_check,
    });
    let mut out = anstream::stdout().lock();
    match args.format {
        TextOrJson::Json => {
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        TextOrJson::Text => {
            for e in doc["environments"].as_array().into_iter().flatten() {
                let name = e["environment"].as_str().unwrap_or("");
                if e["loads"] == false {
                    writeln!(
                        out,
                        "{name:<14} does not load (run `envward check -e {name}`)"
                    )?;
                    continue;
                }
                writeln!(
                    out,
                    "{name:<14} {} ({} sensitive), {} ({} encrypted), {} required missing{}",
                    counted(&e["keys"], "key", "keys"),
                    e["sensitive_keys"],
                    counted(&e["files"], "file", "files"),
                    e["encrypted_files"],
                    e["required_missing"],
                    if e["strict"] == true { ", strict" } else { "" }
                )?;
            }
            match doc["last_check"].as_object() {
                Some(c) => writeln!(
                    out,
                    "last check     {} — {}, {} ({})",
                    c.get("timestamp").and_then(Value::as_str).unwrap_or("?"),
                    counted(c.get("errors").unwrap_or(&Value::Null), "error", "errors"),
                    counted(
                        c.get("warnings").unwrap_or(&Value::Null),
                        "warning",
                        "warnings"
                    ),
                    c.get("environments")
                        .and_then(Value::as_array)
                        .map(|a| a
                            .iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(", "))
                        .unwrap_or_default()
                )?,
                None if project.root.join(".envward").is_dir() => writeln!(
                    out,
                    "last check     none recorded yet (`envward check` records one)"
                )?,
                None => writeln!(
                    out,
                    "last check     none recorded (create .envward/ to record them)"
                )?,
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// A count from the status document with its noun ("1 file", "2 files").
fn counted(n: &Value, one: &str, many: &str) -> String {
    match n.as_u64() {
        Some(n) => envward::plural::count(n as usize, one, many),
        None => format!("{n} {many}"),
    }
}
