//! The binary's part of the audit log: reads of sensitive values, and
//! failed decryptions, recorded through `envward::ops::audit` (changes are
//! recorded by the library's write path). A log that cannot be written
//! never stops a command: it says so once on stderr.

use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use envward::ops::audit::{self, Action, Event};

use crate::global::Global;

/// Why a decryption failed in this run (set where the error is turned
/// into an exit), recorded when the command ends.
static DECRYPT_FAILED: Mutex<Option<String>> = Mutex::new(None);

/// Whether this run already said that the log could not be written.
static WARNED: AtomicBool = AtomicBool::new(false);

/// Notes that a decryption failed (`detail` names the kind, never a value).
pub fn decryption_failed(detail: &str) {
    if let Ok(mut d) = DECRYPT_FAILED.lock()
        && d.is_none()
    {
        *d = Some(detail.to_string());
    }
}

/// Records that `command` revealed the sensitive `keys` of `cfg`, when the
/// environment logs reads ([`audit::record_read`]); on failure, says so
/// once.
pub fn reads(cfg: &envward::Resolved, command: &str, keys: impl FnOnce() -> Vec<String>) {
    warn_once(audit::record_read(cfg, command, keys));
}

/// Appends `event`; on failure, says so once.
pub fn write(root: &std::path::Path, event: &Event<'_>) {
    warn_once(audit::record(root, event));
}

/// Says once per run that the log could not be written.
fn warn_once(result: Result<(), audit::AuditError>) {
    if let Err(e) = result
        && !WARNED.swap(true, Ordering::Relaxed)
    {
        anstream::eprintln!("warning: audit log not written: {e}");
    }
}

/// After a command: when a decryption failed, one `decrypt-failed` entry
/// in the project's log (when there is a project).
pub fn after(g: &Global, command: &str, result: &anyhow::Result<ExitCode>) {
    if result.is_ok() {
        return;
    }
    let Some(detail) = DECRYPT_FAILED.lock().ok().and_then(|mut d| d.take()) else {
        return;
    };
    let Ok(project) = envward::Project::open(g.project.as_deref()) else {
        return;
    };
    let process: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    let environment = project
        .environment(g.env.last().map(String::as_str), &process)
        .unwrap_or_else(|_| "unknown".to_string());
    write(
        &project.root,
        &Event {
            command,
            action: Action::DecryptFailed,
            environment: &environment,
            keys: Vec::new(),
            file: None,
            detail: Some(detail),
        },
    );
}
