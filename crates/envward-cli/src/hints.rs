//! The binary's words for the library's hints: the library never names a
//! command; here each next step becomes the `envward` command that does it.

use envward::diagnostic::Hint;

/// How the `envward` binary says `hint`.
pub fn word(hint: &Hint) -> String {
    match hint {
        Hint::AddRecipient { environment } => format!(
            "add one with `envward recipients add -e {environment} age1…` (`envward keygen` creates an identity and prints its recipient)"
        ),
        Hint::ProvideIdentity => {
            "give one with `--identity FILE`, or create the default one with `envward keygen`"
                .into()
        }
        Hint::CreateIdentity => {
            "create an age identity with `envward keygen`; it prints its recipient".into()
        }
        Hint::ChangeThroughEnvward => {
            "change encrypted files only with `envward set`, `unset` or `edit`".into()
        }
        Hint::ListFiles => "`envward list -e ENV` shows the files an environment reads".into(),
        Hint::SetKey => "create one with `envward set KEY -e ENV`".into(),
        Hint::ListRecipients => "`envward recipients list -e ENV` shows them".into(),
        Hint::ProjectFileReference => format!(
            "{} prints every setting of envward.toml",
            crate::cmd::help::pointer("config")
        ),
        // A hint this binary does not know yet: the library's words.
        other => other.describe(),
    }
}
