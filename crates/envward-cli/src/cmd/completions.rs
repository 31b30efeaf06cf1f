//! `envward completions SHELL` and `envward man`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap_complete::Shell;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write envward.1 and one page per subcommand into DIR instead of printing envward.1
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `cmd` is the whole command line's definition ([`crate::cli::command`]).
pub fn run(args: Args, mut cmd: clap::Command) -> anyhow::Result<ExitCode> {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "envward", &mut buf);
    let mut out = std::io::stdout().lock();
    out.write_all(&buf)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// One man page: clap_mangen's sections, with the text after the options
/// (examples, exit codes, notes) under its own headings instead of clap's
/// "EXTRA".
fn man_page(cmd: clap::Command) -> std::io::Result<Vec<u8>> {
    let after = cmd.get_after_help().map(|s| s.to_string());
    let cmd = cmd.after_help(None::<&'static str>);
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut buf)?;
    let Some(after) = after else {
        return Ok(buf);
    };
    let mut sections = String::new();
    for paragraph in after.split("\n\n") {
        let (heading, body) = match paragraph.split_once('\n') {
            Some(("Examples:", body)) => ("EXAMPLES", body),
            _ if paragraph.starts_with("Exit codes") => ("EXIT STATUS", paragraph),
            _ => ("NOTES", paragraph),
        };
        if !sections.ends_with(&format!(".SH {heading}\n.nf\n")) {
            // A heading once, for consecutive paragraphs under it.
            if !sections.is_empty() {
                sections.push_str(".fi\n");
            }
            sections.push_str(&format!(".SH {heading}\n.nf\n"));
        } else {
            sections.push('\n');
        }
        for line in body.lines() {
            sections.push_str(&roff_line(line));
            sections.push('\n');
        }
    }
    sections.push_str(".fi\n");
    let text = String::from_utf8_lossy(&buf).into_owned();
    // Before VERSION, where clap_mangen puts its own EXTRA section.
    let text = match text.find(".SH VERSION") {
        Some(at) => format!("{}{sections}{}", &text[..at], &text[at..]),
        None => text + &sections,
    };
    Ok(text.into_bytes())
}

/// A line of literal text for roff: backslashes escaped, and a line that
/// starts with `.` or `'` not read as a request.
fn roff_line(line: &str) -> String {
    let line = line.replace('\\', "\\e");
    if line.starts_with('.') || line.starts_with('\'') {
        format!("\\&{line}")
    } else {
        line
    }
}

/// `cmd` is the whole command line's definition ([`crate::cli::command`]).
pub fn man(args: ManArgs, cmd: clap::Command) -> anyhow::Result<ExitCode> {
    match args.dir {
        None => {
            let buf = man_page(cmd)?;
            let mut out = std::io::stdout().lock();
            out.write_all(&buf)?;
            out.flush()?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir)?;
            let mut pages = vec![("envward".to_string(), cmd.clone())];
            for sub in cmd.get_subcommands() {
                let name = format!("envward-{}", sub.get_name());
                let page = sub.clone().bin_name(name.clone());
                pages.push((name, page));
            }
            for (name, page) in pages {
                std::fs::write(dir.join(format!("{name}.1")), man_page(page)?)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
