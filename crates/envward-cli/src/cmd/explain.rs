//! `envward explain KEY`: the value (masked), its origin, and the chain of
//! definitions it overrode.

use std::io::Write;
use std::process::ExitCode;

use serde_json::json;

use crate::global::{Global, TextOrJson};
use crate::output::style;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The key
    pub key: String,
    /// Show the value even when it is sensitive
    #[arg(long)]
    pub reveal: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

fn describe(origin: &envward::Origin) -> String {
    match origin {
        envward::Origin::File {
            layer, namespace, ..
        } => {
            format!("{} layer, namespace {namespace}", layer.name())
        }
        other => format!("{} layer", other.layer().name()),
    }
}

pub fn run(g: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let cfg = g.load()?;
    let Some(var) = cfg.get(&args.key) else {
        return Err(super::unknown_key(&cfg, &args.key));
    };
    let show = |v: &envward::Value| {
        if args.reveal {
            v.expose().to_string()
        } else {
            v.masked().to_string()
        }
    };
    let mut out = anstream::stdout().lock();
    match args.format {
        TextOrJson::Json => {
            let overridden: Vec<_> = var
                .overridden
                .iter()
                .map(|o| json!({ "origin": o.origin, "written": show(&o.written) }))
                .collect();
            let doc = json!({
                "environment": cfg.environment,
                "namespace": cfg.namespace,
                "key": var.key.as_str(),
                "value": show(&var.value),
                "sensitive": var.sensitive,
                "origin": var.origin,
                "overridden": overridden,
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        TextOrJson::Text => {
            let k = style::KEY;
            let d = style::DIM;
            let tag = if var.sensitive { "  (sensitive)" } else { "" };
            writeln!(
                out,
                "{k}{}{k:#}{tag}  in environment {}",
                var.key, cfg.environment
            )?;
            let hint = if var.sensitive && !args.reveal && !var.value.expose().is_empty() {
                "   (--reveal to show)"
            } else {
                ""
            };
            writeln!(
                out,
                "  value      {}{d}{hint}{d:#}",
                super::cell(&show(&var.value))
            )?;
            writeln!(
                out,
                "  from       {}  {d}{}{d:#}",
                var.origin,
                describe(&var.origin)
            )?;
            for (i, o) in var.overridden.iter().enumerate() {
                let label = if i == 0 { "overrides" } else { "" };
                writeln!(
                    out,
                    "  {label:<9}  {}  {d}{}; written as {}{d:#}",
                    o.origin,
                    describe(&o.origin),
                    super::cell(&show(&o.written))
                )?;
            }
            if var.overridden.is_empty() {
                writeln!(out, "  overrides  {d}nothing{d:#}")?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
