//! `envward help [COMMAND… | TOPIC]`: a command's help, or a reference
//! page built into the binary, so that a user with only the binary can
//! read what the documentation says (`envward help config` is every
//! setting of `envward.toml`).

use std::io::Write;
use std::process::ExitCode;

use envward::Diagnostic;

use crate::exit::Exit;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A command (`check`, `recipients add`) or a topic (`config`, `schema`, …)
    #[arg(value_name = "COMMAND|TOPIC")]
    pub words: Vec<String>,
}

/// A reference page: its name for `envward help NAME`, what it covers,
/// and its text (the repository's `docs/` page, built in).
pub struct Topic {
    pub name: &'static str,
    pub about: &'static str,
    pub text: &'static str,
}

/// Every topic, in the order `envward help topics` lists them.
pub const TOPICS: &[Topic] = &[
    Topic {
        name: "config",
        about: "envward.toml: every setting",
        text: include_str!("../../docs/configuration-file.md"),
    },
    Topic {
        name: "schema",
        about: "[vars.KEY] declarations, types and `envward check`",
        text: include_str!("../../docs/schema.md"),
    },
    Topic {
        name: "rules",
        about: "the security rules, report formats and exceptions",
        text: include_str!("../../docs/rules.md"),
    },
    Topic {
        name: "resolution",
        about: "layers, precedence, references and sensitive values",
        text: include_str!("../../docs/resolution.md"),
    },
    Topic {
        name: "dotenv",
        about: "the .env syntax envward reads and writes",
        text: include_str!("../../docs/dotenv-syntax.md"),
    },
    Topic {
        name: "encryption",
        about: "encrypted values, identities, recipients and the file format",
        text: include_str!("../../docs/encryption.md"),
    },
    Topic {
        name: "scan",
        about: "finding secrets in files and redacting them from output",
        text: include_str!("../../docs/scan.md"),
    },
    Topic {
        name: "vault",
        about: "OpenBao / Vault KV v2 as a source; pull and push",
        text: include_str!("../../docs/vault.md"),
    },
    Topic {
        name: "operations",
        about: "backups, generation and rotation, history snapshots and the audit log",
        text: include_str!("../../docs/operations.md"),
    },
    Topic {
        name: "security",
        about: "what envward protects against, and what it does not",
        text: include_str!("../../docs/security.md"),
    },
    Topic {
        name: "commands",
        about: "every command and option, in one page",
        text: include_str!("../../docs/cli.md"),
    },
];

/// How the binary points at a topic: `envward help NAME`.
pub fn pointer(name: &str) -> String {
    format!("`envward help {name}`")
}

/// `cmd` is the whole command line's definition ([`crate::cli::command`]).
pub fn run(args: Args, mut cmd: clap::Command) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let Some(first) = args.words.first() else {
        write!(out, "{}", cmd.render_long_help())?;
        writeln!(out, "\n{}", topics_text())?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    };
    if first == "topics" && args.words.len() == 1 {
        writeln!(out, "{}", topics_text())?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(topic) = TOPICS.iter().find(|t| t.name == first) {
        out.write_all(topic.text.as_bytes())?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut sub = &mut cmd;
    for word in &args.words {
        let names: Vec<String> = sub
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| s.get_name().to_string())
            .collect();
        match sub.find_subcommand_mut(word) {
            Some(next) => sub = next,
            None => {
                let candidates = names
                    .iter()
                    .map(String::as_str)
                    .chain(TOPICS.iter().map(|t| t.name));
                let help = match envward::suggest::closest(word, candidates) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "`envward help` lists the commands and topics".to_string(),
                };
                return Err(Exit::input(
                    Diagnostic::error(format!("no command or help topic `{word}`")).with_help(help),
                ));
            }
        }
    }
    write!(out, "{}", sub.render_long_help())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn topics_text() -> String {
    let mut s = String::from("Reference topics (envward help TOPIC):\n");
    for t in TOPICS {
        s.push_str(&format!("  {:<12} {}\n", t.name, t.about));
    }
    s
}
