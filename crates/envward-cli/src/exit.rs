//! Exit codes, in one place (see DESIGN.md): 0 success, 1 a check failed,
//! 2 usage error or bad input, N the child's status for `run`, and 70
//! (EX_SOFTWARE) for a bug in envward.

use std::process::ExitCode;

use envward::Diagnostic;

/// Stop with this code after printing `diagnostic` (if any) to stderr.
#[derive(Debug)]
pub struct Exit {
    pub code: u8,
    pub diagnostic: Option<Diagnostic>,
}

impl Exit {
    /// Bad input or usage: exit 2.
    pub fn input(diagnostic: Diagnostic) -> anyhow::Error {
        Exit {
            code: 2,
            diagnostic: Some(diagnostic),
        }
        .into()
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.diagnostic {
            Some(d) => f.write_str(&d.message),
            None => write!(f, "exit {}", self.code),
        }
    }
}

impl std::error::Error for Exit {}

/// The one table from a library error's kind to the exit code.
pub fn code_of(kind: envward::ErrorKind) -> u8 {
    use envward::ErrorKind;
    match kind {
        ErrorKind::Input
        | ErrorKind::Usage
        | ErrorKind::Tamper
        | ErrorKind::Identity
        | ErrorKind::Io => 2,
        ErrorKind::Internal => INTERNAL,
        // A kind added later is a failure, not a success.
        _ => 2,
    }
}

/// A bug in envward (sysexits' EX_SOFTWARE).
pub const INTERNAL: u8 = 70;

/// Notes a failed decryption for the audit log (recorded when the command
/// ends): errors of kind tamper or identity.
fn note_decryption(kind: envward::ErrorKind) {
    match kind {
        envward::ErrorKind::Tamper => {
            crate::audit::decryption_failed("tampered or corrupt encrypted data")
        }
        envward::ErrorKind::Identity => {
            crate::audit::decryption_failed("no identity, or none that can decrypt")
        }
        _ => {}
    }
}

impl From<envward::LoadError> for Exit {
    fn from(e: envward::LoadError) -> Self {
        note_decryption(e.kind());
        Exit {
            code: code_of(e.kind()),
            diagnostic: Some(e.diagnostic()),
        }
    }
}

impl From<envward::store::StoreError> for Exit {
    fn from(e: envward::store::StoreError) -> Self {
        note_decryption(e.kind());
        Exit {
            code: code_of(e.kind()),
            diagnostic: Some(e.diagnostic()),
        }
    }
}

/// Turns the result of a command into the process exit code.
pub fn report(result: anyhow::Result<ExitCode>) -> ExitCode {
    let err = match result {
        Ok(code) => return code,
        Err(err) => err,
    };
    // A closed pipe (`envward list | head`) is a quiet success.
    if err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    }) {
        return ExitCode::SUCCESS;
    }
    if let Some(exit) = err.downcast_ref::<Exit>() {
        if let Some(d) = &exit.diagnostic {
            crate::output::diagnostic(d);
        }
        return ExitCode::from(exit.code);
    }
    if let Some(load) = err.downcast_ref::<envward::LoadError>() {
        note_decryption(load.kind());
        crate::output::diagnostic(&load.diagnostic());
        return ExitCode::from(code_of(load.kind()));
    }
    crate::output::diagnostic(&Diagnostic::error(format!("{err:#}")));
    ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bug_is_not_bad_input() {
        assert_eq!(code_of(envward::ErrorKind::Internal), INTERNAL);
        for kind in [
            envward::ErrorKind::Input,
            envward::ErrorKind::Usage,
            envward::ErrorKind::Tamper,
            envward::ErrorKind::Identity,
            envward::ErrorKind::Io,
        ] {
            assert_eq!(code_of(kind), 2, "{kind:?}");
        }
    }
}
