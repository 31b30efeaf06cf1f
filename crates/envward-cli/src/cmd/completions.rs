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

/// `cmd` is the whole command line's definition (`Cli::command()`).
pub fn run(args: Args, mut cmd: clap::Command) -> anyhow::Result<ExitCode> {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "envward", &mut buf);
    let mut out = std::io::stdout().lock();
    out.write_all(&buf)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `cmd` is the whole command line's definition (`Cli::command()`).
pub fn man(args: ManArgs, cmd: clap::Command) -> anyhow::Result<ExitCode> {
    match args.dir {
        None => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut buf)?;
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
                let mut buf = Vec::new();
                clap_mangen::Man::new(page).render(&mut buf)?;
                std::fs::write(dir.join(format!("{name}.1")), buf)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
