//! The options every subcommand takes, and what they select: load
//! options, the store, the passphrase prompt.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Options every subcommand takes.
#[derive(Debug, Args, Clone)]
pub struct Global {
    /// Project directory (searched upwards for envward.toml) [default: .]
    #[arg(short = 'C', long = "project", global = true, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub project: Option<PathBuf>,
    /// Environment or alias [default: $ENVWARD_ENV, $ENVIRONMENT, $APP_ENV, $DJANGO_ENV, then development]
    // A name, never a file: shells do not complete file names here.
    #[arg(short = 'e', long = "env", global = true, value_name = "ENV", action = clap::ArgAction::Append, value_hint = clap::ValueHint::Other)]
    pub env: Vec<String>,
    /// Namespace to read (falls back to `common`) [default: all merged]
    #[arg(short = 'n', long = "namespace", global = true, value_name = "NS", value_hint = clap::ValueHint::Other)]
    pub namespace: Option<String>,
    /// Undefined ${REFERENCES} become empty instead of an error
    #[arg(long, global = true)]
    pub allow_undefined: bool,
    /// Directory whose files provide keys by name [default: /run/secrets]
    #[arg(long, global = true, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub secrets_dir: Option<PathBuf>,
    /// Identity file to decrypt with (age keys or an SSH private key); repeatable
    /// [default: $ENVWARD_IDENTITY, $ENVWARD_IDENTITY_FILE, then ~/.config/envward/identity.txt]
    #[arg(short = 'i', long = "identity", global = true, value_name = "FILE", action = clap::ArgAction::Append, value_hint = clap::ValueHint::FilePath)]
    pub identity: Vec<PathBuf>,
    /// When to use colour
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl Global {
    /// The library's load options for the global options.
    pub fn load_options(&self) -> envward::LoadOptions {
        envward::LoadOptions {
            project_dir: self.project.clone(),
            environment: self.env.last().cloned(),
            namespace: self.namespace.clone(),
            process_env: None,
            allow_undefined: self.allow_undefined,
            secrets_dir: self.secrets_dir.clone(),
            identities: self.identity.clone(),
            passphrase_prompt: Some(passphrase_prompt()),
            files_only: false,
            only: None,
        }
    }

    /// The environment the global options select, opened for changes made
    /// by `command`.
    pub fn store(&self, command: &str) -> anyhow::Result<envward::store::Store> {
        Ok(envward::store::Store::open(&self.load_options(), command)
            .map_err(crate::exit::Exit::from)?)
    }

    /// Loads the configuration the global options select.
    pub fn load(&self) -> anyhow::Result<envward::Resolved> {
        Ok(self.load_with_project()?.1)
    }

    /// [`Global::load`], with the project it was loaded from (for the
    /// deploy gate, which then reads `envward.toml` only once).
    pub fn load_with_project(&self) -> anyhow::Result<(envward::Project, envward::Resolved)> {
        self.load_project_with(self.load_options())
    }

    fn load_project_with(
        &self,
        options: envward::LoadOptions,
    ) -> anyhow::Result<(envward::Project, envward::Resolved)> {
        let project = self.configured_project()?;
        let cfg = envward::Config::load_in(&project, options).map_err(crate::exit::Exit::from)?;
        crate::output::warnings(&cfg);
        Ok((project, cfg))
    }

    /// Loads the configuration the global options select as a stream
    /// ([`envward::Config::load_streamed`]): warnings printed, then `then`
    /// called with the configuration (no variable kept) and its
    /// variables, handed out one at a time.
    pub fn load_streamed<R>(
        &self,
        then: impl FnOnce(&envward::Resolved, &mut envward::VarStream<'_>) -> anyhow::Result<R>,
    ) -> anyhow::Result<R> {
        let project = self.configured_project()?;
        envward::Config::load_streamed(&project, self.load_options(), |cfg, vars| {
            crate::output::warnings(cfg);
            then(cfg, vars)
        })
        .map_err(crate::exit::Exit::from)?
    }

    /// The project the options select; an error (exit 2) when there is no
    /// configuration at all there, naming where envward looked.
    pub fn configured_project(&self) -> anyhow::Result<envward::Project> {
        let project =
            envward::Project::open(self.project.as_deref()).map_err(crate::exit::Exit::from)?;
        if !project.has_configuration() {
            return Err(crate::exit::Exit::input(
                envward::Diagnostic::error(format!(
                    "no configuration found in {}",
                    project.root.display()
                ))
                .with_note(format!(
                    "looked for {} in {} and every directory above it, and for .env files or an env/ directory in {}",
                    envward::config::PROJECT_FILE,
                    project.root.display(),
                    project.root.display()
                ))
                .with_help("run envward in the project's directory (or pass -C DIR), or start one with `envward init`"),
            ));
        }
        Ok(project)
    }

    /// Loads with `options` (the global ones, or e.g. `only` added), and
    /// refuses to go on when a value is sealed, the environment's integrity
    /// is broken or a required key has no value.
    pub fn load_complete_with(
        &self,
        options: envward::LoadOptions,
    ) -> anyhow::Result<envward::Resolved> {
        Ok(self.complete_project_with(options)?.1)
    }

    /// [`Global::load_complete_with`] with the global options, and the
    /// project it was loaded from.
    pub fn load_complete_with_project(
        &self,
    ) -> anyhow::Result<(envward::Project, envward::Resolved)> {
        self.complete_project_with(self.load_options())
    }

    fn complete_project_with(
        &self,
        options: envward::LoadOptions,
    ) -> anyhow::Result<(envward::Project, envward::Resolved)> {
        let (project, cfg) = self.load_project_with(options)?;
        if let Some(file) = cfg.sealed.first() {
            return Err(crate::exit::Exit::input(sealed_diagnostic(file)));
        }
        if let Some(breach) = cfg.integrity.first() {
            let mut d = envward::Diagnostic::error(format!("{breach}; nothing was started"))
                .with_location(Some(&breach.path), breach.line, 1)
                .with_help(breach.help(&cfg.environment));
            if cfg.integrity.len() > 1 {
                d = d.with_note(format!(
                    "{} more: run `envward check -e {}` to list them",
                    cfg.integrity.len() - 1,
                    cfg.environment
                ));
            }
            return Err(crate::exit::Exit::input(d));
        }
        if let Err(e) = cfg.ensure_complete() {
            return Err(crate::exit::Exit::input(
                envward::Diagnostic::error(format!("{e} (environment `{}`)", cfg.environment))
                    .with_help("set them in the environment's files or the process environment; nothing was started"),
            ));
        }
        Ok((project, cfg))
    }

    /// The deploy gate of `run` and `export` on the configuration they
    /// loaded from `project`: in a strict environment,
    /// the checks of `envward check -e ENV` (schema, security and custom
    /// rules, with envward.toml's rule settings); on an error, the errors
    /// go to stderr and the command stops with exit 1. `skip` is
    /// `--no-check`. Environments that are not strict are not checked.
    pub fn gate(
        &self,
        project: &envward::Project,
        cfg: &mut envward::Resolved,
        command: &str,
        skip: bool,
    ) -> anyhow::Result<()> {
        if skip || !cfg.strict() {
            return Ok(());
        }
        let mut report = envward::check::gate_with(project, cfg, &self.load_options());
        if !report.fails(envward::check::Severity::Error) {
            return Ok(());
        }
        report
            .findings
            .retain(|f| f.severity == envward::check::Severity::Error);
        let styled =
            anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never;
        let text = envward::report::text(&report, styled);
        {
            use std::io::Write;
            let mut err = anstream::stderr().lock();
            err.write_all(text.as_bytes())?;
            err.flush()?;
        }
        let nothing = if command == "run" {
            "nothing was started"
        } else {
            "nothing was exported"
        };
        Err(crate::exit::Exit {
            code: 1,
            diagnostic: Some(
                envward::Diagnostic::error(format!(
                    "`{}` is strict and fails the deploy gate ({}); {nothing}",
                    cfg.environment,
                    envward::plural::count(report.findings.len(), "error", "errors"),
                ))
                .with_help(format!(
                    "fix them (`envward check -e {}` shows every finding), or pass --no-check to {command} anyway",
                    cfg.environment
                )),
            ),
        }
        .into())
    }
}

/// Asks for an identity's passphrase on the terminal (never echoed); no
/// prompt when stdin is not a terminal.
pub fn passphrase_prompt() -> envward::crypto::PassphrasePrompt {
    envward::crypto::PassphrasePrompt(std::sync::Arc::new(|source: &str| {
        use std::io::IsTerminal;
        if !std::io::stdin().is_terminal() {
            return None;
        }
        rpassword::prompt_password(format!("passphrase for identity {source}: "))
            .ok()
            .map(envward::Secret::new)
    }))
}

/// Why an encrypted file could not be read, and how to fix it.
pub fn sealed_diagnostic(file: &envward::SealedFile) -> envward::Diagnostic {
    // Only a command that stops on a file it cannot decrypt asks for this.
    crate::audit::decryption_failed("no identity matches the recipients");
    let tried = if file.tried.is_empty() {
        "no identity was found".to_string()
    } else {
        format!("identities tried: {}", file.tried.join(", "))
    };
    envward::Diagnostic::error(format!(
        "cannot decrypt {} ({}): no identity matches its recipients; nothing was started",
        file.path.display(),
        file.scope
    ))
    .with_note(format!("encrypted to: {}", file.recipients.join(", ")))
    .with_note(tried)
    .with_help(envward::crypto::IDENTITY_HELP)
    .with_hint(Some(envward::diagnostic::Hint::ProvideIdentity))
}

/// `--format text|json` for human-or-machine commands.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum TextOrJson {
    Text,
    Json,
}
