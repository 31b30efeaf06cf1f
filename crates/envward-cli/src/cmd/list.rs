//! `envward list`: every key, its value (secrets masked) and origin.

use std::io::Write;
use std::process::ExitCode;

use anstyle::Style;

use crate::global::{Global, TextOrJson};
use crate::output::style;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show the values of sensitive keys
    #[arg(long)]
    pub reveal: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    /// Print only the keys
    #[arg(long, conflicts_with = "reveal")]
    pub keys_only: bool,
}

/// Values longer than this are not padded to: the origin follows them.
const VALUE_COLUMN: usize = 40;

pub fn run(g: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let cfg = g.load()?;
    if args.reveal {
        crate::audit::reads(&cfg, "list", || crate::audit::sensitive_keys(&cfg));
    }
    fn shown(v: &envward::Var, reveal: bool) -> &str {
        if reveal {
            v.value.expose()
        } else {
            v.value.masked()
        }
    }
    match args.format {
        TextOrJson::Json => {
            // Streamed, one variable at a time: no copy of the whole
            // configuration as a JSON tree (fields in the order they had).
            #[derive(serde::Serialize)]
            struct Doc<'a> {
                environment: &'a str,
                layout: &'a str,
                namespace: Option<&'a str>,
                vars: Vars<'a>,
            }
            /// The configuration, whether values are revealed, whether
            /// only keys are listed.
            struct Vars<'a>(&'a envward::Resolved, bool, bool);
            #[derive(serde::Serialize)]
            struct Item<'a> {
                key: &'a str,
                origin: &'a envward::Origin,
                sensitive: bool,
                #[serde(skip_serializing_if = "Option::is_none")]
                value: Option<&'a str>,
            }
            impl serde::Serialize for Vars<'_> {
                fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    use serde::ser::SerializeSeq;
                    let Vars(cfg, reveal, keys_only) = *self;
                    let mut seq = s.serialize_seq(Some(cfg.iter().count()))?;
                    for v in cfg.iter() {
                        seq.serialize_element(&Item {
                            key: &v.key,
                            origin: &v.origin,
                            sensitive: v.sensitive,
                            value: (!keys_only).then(|| shown(v, reveal)),
                        })?;
                    }
                    seq.end()
                }
            }
            let doc = Doc {
                environment: &cfg.environment,
                layout: cfg.layout,
                namespace: cfg.namespace.as_deref(),
                vars: Vars(&cfg, args.reveal, args.keys_only),
            };
            // Data, never styled: straight to stdout (no ANSI filter to go
            // through, byte by byte).
            let mut out = std::io::stdout().lock();
            let mut buffered = std::io::BufWriter::with_capacity(1 << 16, &mut out);
            serde_json::to_writer_pretty(&mut buffered, &doc)?;
            writeln!(buffered)?;
            buffered.flush()?;
        }
        TextOrJson::Text => {
            let mut out = anstream::stdout().lock();
            let width = cfg.iter().map(|v| v.key.len()).max().unwrap_or(0);
            // Origins line up after the values; a very long value is not
            // padded to.
            let values: Vec<String> = cfg
                .iter()
                .map(|v| super::cell(shown(v, args.reveal)).into_owned())
                .collect();
            let value_width = values
                .iter()
                .map(|v| v.chars().count())
                .filter(|&n| n <= VALUE_COLUMN)
                .max()
                .unwrap_or(0);
            for (v, value) in cfg.iter().zip(&values) {
                if args.keys_only {
                    writeln!(out, "{}", v.key)?;
                    continue;
                }
                let pad = value_width.saturating_sub(value.chars().count());
                let vstyle = if v.sensitive && !args.reveal {
                    style::SECRET
                } else {
                    Style::new()
                };
                writeln!(
                    out,
                    "{k}{key:<width$}{k:#}  {vs}{value}{vs:#}{:pad$}  {d}{origin}{d:#}",
                    "",
                    k = style::KEY,
                    key = v.key,
                    vs = vstyle,
                    d = style::DIM,
                    origin = v.origin,
                )?;
            }
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
