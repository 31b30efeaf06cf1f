//! `envward list`: every key, its value (secrets masked) and origin.

use std::cell::RefCell;
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
    // Every variable is resolved when it is written, and dropped after:
    // 1,000,000 keys hold no `Var` each (issue 18).
    g.load_streamed(|cfg, vars| {
        list(cfg, vars, &args)?;
        Ok(ExitCode::SUCCESS)
    })
}

fn shown(v: &envward::Var, reveal: bool) -> &str {
    if reveal {
        v.value.expose()
    } else {
        v.value.masked()
    }
}

fn list(
    cfg: &envward::Resolved,
    vars: &mut envward::VarStream<'_>,
    args: &Args,
) -> anyhow::Result<()> {
    if args.reveal && cfg.audit_reads {
        // Recorded before anything is revealed: a pass of its own over
        // the variables, taken only when reads are audited.
        let mut keys = Vec::new();
        vars.each(|v| {
            if v.sensitive {
                keys.push(v.key.to_string());
            }
            Ok::<_, envward::LoadError>(())
        })?;
        crate::audit::reads(cfg, "list", || keys);
    }
    match args.format {
        TextOrJson::Json => {
            // Streamed, one variable at a time: no copy of the whole
            // configuration as a JSON tree (fields in the order they had).
            #[derive(serde::Serialize)]
            struct Doc<'a, 'x> {
                environment: &'a str,
                layout: &'a str,
                namespace: Option<&'a str>,
                vars: Vars<'a, 'x>,
            }
            /// The variables, whether values are revealed, whether only
            /// keys are listed.
            struct Vars<'a, 'x>(RefCell<&'a mut envward::VarStream<'x>>, bool, bool);
            #[derive(serde::Serialize)]
            struct Item<'a> {
                key: &'a str,
                origin: &'a envward::Origin,
                sensitive: bool,
                #[serde(skip_serializing_if = "Option::is_none")]
                value: Option<&'a str>,
            }
            /// Writing an item failed, or (never after a load that
            /// succeeded) resolving its variable.
            enum Failed<E> {
                Write(E),
                Load(envward::LoadError),
            }
            impl<E> From<envward::LoadError> for Failed<E> {
                fn from(e: envward::LoadError) -> Self {
                    Failed::Load(e)
                }
            }
            impl serde::Serialize for Vars<'_, '_> {
                fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    use serde::ser::{Error, SerializeSeq};
                    let (reveal, keys_only) = (self.1, self.2);
                    let mut seq = s.serialize_seq(None)?;
                    self.0
                        .borrow_mut()
                        .each(|v| {
                            seq.serialize_element(&Item {
                                key: &v.key,
                                origin: &v.origin,
                                sensitive: v.sensitive,
                                value: (!keys_only).then(|| shown(v, reveal)),
                            })
                            .map_err(Failed::Write)
                        })
                        .map_err(|e| match e {
                            Failed::Write(e) => e,
                            Failed::Load(e) => S::Error::custom(e),
                        })?;
                    seq.end()
                }
            }
            let doc = Doc {
                environment: &cfg.environment,
                layout: cfg.layout,
                namespace: cfg.namespace.as_deref(),
                vars: Vars(RefCell::new(vars), args.reveal, args.keys_only),
            };
            // Data, never styled: straight to stdout (no ANSI filter to go
            // through, byte by byte).
            let mut out = std::io::stdout().lock();
            let mut buffered = std::io::BufWriter::with_capacity(1 << 16, &mut out);
            serde_json::to_writer_pretty(&mut buffered, &doc)?;
            writeln!(buffered)?;
            buffered.flush()?;
        }
        TextOrJson::Text if args.keys_only => {
            let mut out = anstream::stdout().lock();
            vars.each(|v| -> anyhow::Result<()> {
                writeln!(out, "{}", v.key)?;
                Ok(())
            })?;
            out.flush()?;
        }
        TextOrJson::Text => {
            // Origins line up after the values; a very long value is not
            // padded to. The widths are measured in a first pass that
            // keeps no value.
            let (mut width, mut value_width) = (0, 0);
            vars.each(|v| {
                width = width.max(v.key.len());
                let n = super::cell(shown(v, args.reveal)).chars().count();
                if n <= VALUE_COLUMN {
                    value_width = value_width.max(n);
                }
                Ok::<_, envward::LoadError>(())
            })?;
            let mut out = anstream::stdout().lock();
            vars.each(|v| -> anyhow::Result<()> {
                let value = super::cell(shown(v, args.reveal));
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
                Ok(())
            })?;
            out.flush()?;
        }
    }
    Ok(())
}
