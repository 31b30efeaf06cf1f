//! Diagnostics: an error or warning with its location, the offending line
//! and a caret, rendered like rustc's.

use std::ops::Range;
use std::path::Path;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

/// How serious a diagnostic or a finding is (one type for both; `Error`
/// stops a command, `Warning` and `Info` do not). Ordered: `Info < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Should be fixed.
    Warning,
    /// Must be fixed: fails `check` by default.
    Error,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One source line to quote, with the span to underline. The text never
/// holds value text: it is built by the one excerpt function, which keeps
/// keys and structure and masks the rest (security invariant 7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    /// 1-based line number.
    pub line: u32,
    /// The line's text (masked where needed), without its line ending.
    pub text: String,
    /// Byte range in `text` to underline.
    pub span: Range<usize>,
}

/// A next step that names something only the caller can word: a command
/// of the `envward` binary, a function of a binding. Library messages never
/// name commands; they carry hints, and the caller words them
/// ([`Diagnostic::render_worded`]). [`Hint::describe`] is the library's own
/// wording, which names no command.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hint {
    /// Add a recipient to the environment.
    AddRecipient {
        /// The environment.
        environment: String,
    },
    /// Give an identity that can decrypt.
    ProvideIdentity,
    /// Create an age identity and use its recipient.
    CreateIdentity,
    /// Change encrypted files only through envward's write path.
    ChangeThroughEnvward,
    /// Show the files an environment reads.
    ListFiles,
    /// Create an environment's file by setting a key in it.
    SetKey,
    /// Show an environment's recipients.
    ListRecipients,
    /// Read the reference of every `envward.toml` setting.
    ProjectFileReference,
}

impl Hint {
    /// The library's wording: what to do, without naming a command.
    pub fn describe(&self) -> String {
        match self {
            Hint::AddRecipient { environment } => format!(
                "add a recipient to environment `{environment}` (its `recipients` in envward.toml)"
            ),
            Hint::ProvideIdentity => "provide an identity that can decrypt it".into(),
            Hint::CreateIdentity => "create an age identity and use its recipient".into(),
            Hint::ChangeThroughEnvward => {
                "change encrypted files only through envward, never by hand".into()
            }
            Hint::ListFiles => "list the environment's files to see which are read".into(),
            Hint::SetKey => "set a key in the environment to create its file".into(),
            Hint::ListRecipients => "list the environment's recipients".into(),
            Hint::ProjectFileReference => {
                "the project file reference lists every setting of envward.toml".into()
            }
        }
    }
}

/// A message about a place in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// `path:line:column`, when the problem has a place.
    pub location: Option<(String, u32, u32)>,
    /// The line to quote and the label under the caret.
    pub source: Option<(SourceLine, String)>,
    /// Other places involved (e.g. the first definition of a duplicate key).
    pub notes: Vec<String>,
    /// What to do about it.
    pub help: Option<String>,
    /// A next step for the caller to word (a command of the binary).
    pub hint: Option<Hint>,
}

impl Diagnostic {
    /// A new error.
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Severity::Error, message)
    }

    /// A new warning.
    pub fn warning(message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, message)
    }

    fn new(severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            message: message.into(),
            location: None,
            source: None,
            notes: Vec::new(),
            help: None,
            hint: None,
        }
    }

    /// Sets the location.
    pub fn with_location(mut self, path: Option<&Path>, line: u32, column: u32) -> Self {
        let path = path.map_or_else(|| "<input>".to_string(), |p| p.display().to_string());
        self.location = Some((path, line, column));
        self
    }

    /// Sets the quoted line and the label under the caret.
    pub fn with_source(mut self, line: SourceLine, label: impl Into<String>) -> Self {
        self.source = Some((line, label.into()));
        self
    }

    /// Adds a note.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Sets the suggestion.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the next step for the caller to word.
    pub fn with_hint(mut self, hint: Option<Hint>) -> Self {
        self.hint = hint;
        self
    }

    /// Renders the diagnostic as text, with ANSI colours when `styled`; a
    /// hint in the library's words ([`Hint::describe`]).
    ///
    /// ```
    /// use envward::dotenv::Document;
    /// let err = Document::parse("A=1\nFOO\n").unwrap_err();
    /// let text = err.diagnostic().render(false);
    /// assert!(text.contains("expected `=` after `FOO`"));
    /// assert!(text.contains("<input>:2:4"));
    /// assert!(text.contains("2 | FOO"));
    /// ```
    pub fn render(&self, styled: bool) -> String {
        self.render_worded(styled, &Hint::describe)
    }

    /// [`Diagnostic::render`], with the hint worded by `word` (the binary
    /// names its commands there).
    pub fn render_worded(&self, styled: bool, word: &dyn Fn(&Hint) -> String) -> String {
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
            Severity::Info => Level::INFO,
        };
        let mut group = Group::with_title(level.primary_title(self.message.as_str()));
        let origin;
        if let Some((path, line, column)) = &self.location {
            origin = format!("{path}:{line}:{column}");
            match &self.source {
                Some((src, label)) => {
                    let mut snippet = Snippet::source(src.text.as_str())
                        .line_start(src.line as usize)
                        .annotation(
                            AnnotationKind::Primary
                                .span(src.span.clone())
                                .label(label.as_str()),
                        );
                    // The renderer derives the column from the excerpt; a
                    // long line is cut, so then the origin is given.
                    let derived = src
                        .text
                        .get(..src.span.start)
                        .map(|t| t.chars().count() + 1);
                    if derived == Some(*column as usize) {
                        snippet = snippet.path(path.as_str());
                    } else {
                        group = group.element(
                            Origin::path(path.as_str())
                                .line(*line as usize)
                                .char_column(*column as usize),
                        );
                    }
                    group = group.element(snippet);
                }
                None => {
                    group = group.element(Level::NOTE.message(format!("at {origin}")));
                }
            }
        }
        for note in &self.notes {
            group = group.element(Level::NOTE.message(note.as_str()));
        }
        if let Some(help) = &self.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        let worded = self.hint.as_ref().map(word);
        if let Some(hint) = &worded {
            group = group.element(Level::HELP.message(hint.as_str()));
        }
        let renderer = if styled {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.render(&[group])
    }
}
