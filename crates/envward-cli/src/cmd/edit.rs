//! `envward edit`: the decrypted file in `$VISUAL`/`$EDITOR`, re-encrypted
//! on save through the library's write path. The plaintext lives in a
//! 0600 scratch file (on tmpfs when available) removed on every exit path.

use std::process::ExitCode;

use envward::Diagnostic;
use envward::dotenv::Document;
use envward::store::Scratch;

use crate::exit::Exit;
use crate::global::Global;

#[derive(Debug, clap::Args)]
pub struct EditArgs {}

/// The editor command: `$VISUAL`, `$EDITOR`, else `vi` on a terminal;
/// split on whitespace (no shell is involved). Without a terminal and
/// without an editor named, nothing is started: a terminal editor with no
/// terminal prints the decrypted file to a log.
fn editor_command() -> anyhow::Result<Vec<String>> {
    use std::io::IsTerminal;
    let named = ["VISUAL", "EDITOR"]
        .into_iter()
        .filter_map(|v| std::env::var(v).ok())
        .map(|v| v.split_whitespace().map(String::from).collect::<Vec<_>>())
        .find(|words| !words.is_empty());
    match named {
        Some(words) => Ok(words),
        None if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() => {
            Ok(vec!["vi".to_string()])
        }
        None => Err(Exit::input(
            Diagnostic::error("no terminal to edit in, and no editor named (VISUAL or EDITOR)")
                .with_help("in scripts, change values with `envward set KEY` (the value from stdin); nothing was started or changed"),
        )),
    }
}

/// Asks on the terminal whether to edit again after a parse error; `false`
/// without a terminal.
fn again() -> bool {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return false;
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "edit again? [Y/n] ");
    let _ = err.flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    !matches!(line.trim(), "n" | "N" | "no" | "No")
}

/// Signals that would kill envward while the editor runs: they are caught
/// (the editor gets them too) so the scratch file is always removed.
#[cfg(unix)]
struct Interrupts {
    flag: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ids: Vec<signal_hook::SigId>,
}

#[cfg(unix)]
impl Interrupts {
    fn catch() -> std::io::Result<Self> {
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut ids = Vec::new();
        for sig in [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
            signal_hook::consts::SIGQUIT,
        ] {
            ids.push(signal_hook::flag::register(
                sig,
                std::sync::Arc::clone(&flag),
            )?);
        }
        Ok(Interrupts { flag, ids })
    }

    fn interrupted(&self) -> bool {
        self.flag.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[cfg(unix)]
impl Drop for Interrupts {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// `envward edit`.
pub fn edit(g: &Global, _args: EditArgs) -> anyhow::Result<ExitCode> {
    let store = g.store("edit")?;
    let file = store.namespace_file().map_err(Exit::from)?;
    // Held until the end: a concurrent `set` or `edit` waits for this one.
    let mut tx = store.edit(&file).map_err(Exit::from)?;
    tx.recipients().map_err(Exit::from)?;
    let plain = tx.plaintext().map_err(Exit::from)?;
    // Parse errors name lines of the real file: its header lines come
    // before the plaintext the editor shows.
    let offset = tx.header_lines();
    let words = editor_command()?;
    let scratch = Scratch::new(plain.source().as_bytes())?;
    let mut last: Option<zeroize::Zeroizing<Vec<u8>>> = None;
    let edited = loop {
        #[cfg(unix)]
        let interrupts = Interrupts::catch()?;
        let status = std::process::Command::new(&words[0])
            .args(&words[1..])
            .arg(scratch.path())
            .status();
        #[cfg(unix)]
        if interrupts.interrupted() {
            drop(scratch);
            anstream::eprintln!("interrupted: nothing changed");
            return Ok(ExitCode::from(130));
        }
        let status = match status {
            Ok(s) => s,
            Err(e) => {
                return Err(Exit::input(
                    Diagnostic::error(format!("cannot start the editor `{}`: {e}", words[0]))
                        .with_help("set VISUAL or EDITOR; nothing changed"),
                ));
            }
        };
        if !status.success() {
            return Err(Exit::input(
                Diagnostic::error(format!("the editor exited with {status}: nothing changed"))
                    .with_help("save and quit normally to apply the edit"),
            ));
        }
        let text = scratch.read()?;
        if text.as_slice() == plain.source().as_bytes() {
            anstream::eprintln!("no changes to {}", file.display.display());
            return Ok(ExitCode::SUCCESS);
        }
        let mut shifted = zeroize::Zeroizing::new(vec![b'\n'; offset]);
        shifted.extend_from_slice(&text);
        match Document::parse_bytes(&shifted) {
            Ok(_) => {
                break Document::parse_bytes(&text).map_err(|e| {
                    Exit::from(envward::LoadError::from(e.with_path(&file.display)))
                })?;
            }
            Err(e) => {
                let unchanged = last
                    .as_ref()
                    .is_some_and(|l| l.as_slice() == text.as_slice());
                crate::output::diagnostic(
                    &envward::LoadError::from(e.with_path(&file.display)).diagnostic(),
                );
                if unchanged || !again() {
                    return Err(Exit {
                        code: 2,
                        diagnostic: Some(Diagnostic::error(format!(
                            "{} was not changed: the edited text does not parse",
                            file.display.display()
                        ))),
                    }
                    .into());
                }
                // The user's text stays in the scratch file for the next try.
                last = Some(text);
            }
        }
    };
    drop(scratch);
    tx.replace(edited).map_err(Exit::from)?;
    tx.encrypt(false);
    let done = tx.commit().map_err(Exit::from)?;
    crate::output::record_warning(&done);
    anstream::eprintln!("saved {} (encrypted)", file.display.display());
    Ok(ExitCode::SUCCESS)
}
