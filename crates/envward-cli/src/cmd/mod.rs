//! One module per subcommand, each with `Args` and `run`.

pub mod backup;
pub mod check;
pub mod completions;
pub mod crypt;
pub mod diff;
pub mod doctor;
pub mod edit;
pub mod explain;
pub mod export;
pub mod generate;
pub mod generated;
pub mod get;
pub mod help;
pub mod history;
pub mod hook;
pub mod init;
pub mod keys;
pub mod list;
pub mod log;
pub mod probe;
pub mod redact;
pub mod rotate;
pub mod rules;
pub mod run;
pub mod scan;
pub mod schema;
pub mod set;
pub mod status;
pub mod sync;
pub mod template;

use envward::Resolved;

use crate::exit::Exit;

/// The error for a key that is not configured, with a "did you mean".
pub fn unknown_key(cfg: &Resolved, key: &str) -> anyhow::Error {
    let mut d = envward::Diagnostic::error(format!(
        "`{key}` is not set in environment `{}`{}",
        cfg.environment,
        cfg.namespace
            .as_ref()
            .map(|n| format!(", namespace `{n}`"))
            .unwrap_or_default()
    ));
    if let Some(s) = envward::suggest::closest(key, cfg.iter().map(|v| v.key.as_str())) {
        d = d.with_help(format!("did you mean `{s}`?"));
    } else {
        d = d.with_help("`envward list` shows every configured key");
    }
    Exit::input(d)
}

/// A value for a column of text: `""` when empty (so that an empty value
/// is seen, not missed), else [`one_line`].
pub fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.is_empty() {
        std::borrow::Cow::Borrowed("\"\"")
    } else {
        one_line(text)
    }
}

/// A value for a one-line display: control characters escaped.
pub fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_control) {
        let escaped: String = text.escape_debug().collect();
        std::borrow::Cow::Owned(escaped)
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}
