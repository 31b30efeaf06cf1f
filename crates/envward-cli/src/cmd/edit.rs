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

/// The editor command: `$VISUAL`, `$EDITOR`, else `vi`; split on
/// whitespace (no shell is involved).
fn editor_command() -> Vec<String> {
    ["VISUAL", "EDITOR"]
        .into_iter()
        .filter_map(|v| std::env::var(v).ok())
        .map(|v| v.split_whitespace().map(String::from).collect::<Vec<_>>())
        .find(|words| !words.is_empty())
        .unwrap_or_else(|| vec!["vi".to_string()])
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
    let scratch = Scratch::new(plain.source().as_bytes())?;

    #[cfg(unix)]
    let interrupts = Interrupts::catch()?;
    let words = editor_command();
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
    let edited = scratch.read()?;
    drop(scratch);
    if edited.as_slice() == plain.source().as_bytes() {
        anstream::eprintln!("no changes to {}", file.display.display());
        return Ok(ExitCode::SUCCESS);
    }
    let edited = Document::parse_bytes(&edited)
        .map_err(|e| Exit::from(envward::LoadError::from(e.with_path(&file.display))))?;
    tx.replace(edited).map_err(Exit::from)?;
    tx.encrypt(false);
    let done = tx.commit().map_err(Exit::from)?;
    crate::output::record_warning(&done);
    anstream::eprintln!("saved {} (encrypted)", file.display.display());
    Ok(ExitCode::SUCCESS)
}
