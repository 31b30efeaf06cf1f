//! Generated secrets: random values from the operating system's CSPRNG
//! (`getrandom`), in the charset and length the schema asks for
//! (`[vars.KEY] generate = { length = 64, charset = "urlsafe" }`), and
//! which keys `envward rotate --all-sensitive` can renew itself.
//!
//! Defaults: Django's `SECRET_KEY` (in a Django project) gets 50
//! characters of Django's own alphabet, as `get_random_secret_key()`
//! makes; a JWT key and any other application `SECRET_KEY` get 64; every
//! other key 32 (alphanumeric). The length is never below the schema's
//! `min_length` (also per environment) nor the `secret.min-length` rule's
//! minimum, and never above `max_length`. A value that envward's own
//! strength rules would flag (a placeholder word such as `-dev-` standing
//! alone, a shell substitution `$(`) is drawn again.

use zeroize::Zeroizing;

use crate::check::rules::strength::{SecretKind, is_django_secret_key, is_placeholder, kind_of};
use crate::config::{Charset, ProjectFile};

/// How a value is generated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recipe {
    /// Characters.
    pub length: usize,
    /// Alphabet.
    pub charset: Charset,
}

/// A value cannot be generated as asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// The schema's bounds contradict each other.
    #[error("`{key}`: {message}")]
    Bounds {
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The operating system's random source failed.
    #[error("the operating system's random source failed: {0}")]
    Random(String),
}

impl GenerateError {
    /// What kind of failure this is.
    pub fn kind(&self) -> crate::ErrorKind {
        match self {
            GenerateError::Bounds { .. } => crate::ErrorKind::Input,
            GenerateError::Random(_) => crate::ErrorKind::Io,
        }
    }
}

/// The alphabet of a charset.
pub fn alphabet(charset: Charset) -> &'static [u8] {
    match charset {
        Charset::Alphanumeric => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        Charset::Urlsafe => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        Charset::Hex => b"0123456789abcdef",
        Charset::Base64 => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        Charset::Django => b"abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)",
    }
}

/// The charset's name as written in `envward.toml`.
pub fn charset_name(charset: Charset) -> &'static str {
    match charset {
        Charset::Alphanumeric => "alphanumeric",
        Charset::Urlsafe => "urlsafe",
        Charset::Hex => "hex",
        Charset::Base64 => "base64",
        Charset::Django => "django",
    }
}

/// Whether the project is a Django project (declared, `manage.py`, or a
/// `DJANGO_` key in the schema): decides Django's `SECRET_KEY` defaults.
pub fn is_django(project: &ProjectFile, root: &std::path::Path) -> bool {
    use crate::config::FrameworkName;
    match project.project.framework {
        Some(FrameworkName::Django) => true,
        Some(FrameworkName::None) => false,
        None => {
            root.join("manage.py").is_file()
                || project.vars.keys().any(|k| k.starts_with("DJANGO_"))
        }
    }
}

/// How `key` is generated in `environment`: the schema's `generate`, else
/// the defaults of the module documentation; bounded by the schema's
/// lengths and the `secret.min-length` rule.
pub fn recipe(
    project: &ProjectFile,
    key: &str,
    environment: &str,
    django: bool,
) -> Result<Recipe, GenerateError> {
    let spec = project.vars.get(key);
    let declared = spec.and_then(|s| s.generate.as_ref());
    let django_key = is_django_secret_key(key, django);
    let upper = key.to_ascii_uppercase();
    let default_length = if django_key {
        50
    } else if upper.contains("JWT")
        || upper.ends_with("SECRET_KEY")
        || upper.contains("SECRET_KEY_BASE")
    {
        64
    } else {
        32
    };
    let charset = declared.and_then(|g| g.charset).unwrap_or(if django_key {
        Charset::Django
    } else {
        Charset::Alphanumeric
    });
    // The least the rules accept for this key.
    let rule_min = {
        let param = |name: &str, default: usize| {
            crate::config::rules::int_param(&project.rules, "secret.min-length", name)
                .and_then(|i| usize::try_from(i).ok())
                .unwrap_or(default)
        };
        if django_key {
            param("django_min_length", 50)
        } else {
            match kind_of(key, "") {
                SecretKind::GeneratedKey => param("min_length", 32),
                SecretKind::Password => param("password_min_length", 16),
                SecretKind::Token => param("token_min_length", 16),
            }
        }
    };
    let schema_min = spec
        .map(|s| {
            s.min_length.unwrap_or(0).max(
                s.env
                    .get(environment)
                    .and_then(|r| r.min_length)
                    .unwrap_or(0),
            )
        })
        .unwrap_or(0);
    let min = rule_min.max(schema_min);
    let max = spec.and_then(|s| s.max_length);
    let length = match declared.and_then(|g| g.length) {
        Some(n) if n < min => {
            return Err(GenerateError::Bounds {
                key: key.to_string(),
                message: format!(
                    "generate.length = {n} is below the {min} characters the schema or the secret.min-length rule asks for"
                ),
            });
        }
        Some(n) => n,
        None => default_length.max(min),
    };
    if let Some(max) = max
        && length > max
    {
        if min > max || declared.and_then(|g| g.length).is_some() {
            return Err(GenerateError::Bounds {
                key: key.to_string(),
                message: format!("a length of {length} is above max_length = {max}"),
            });
        }
        return Ok(Recipe {
            length: max,
            charset,
        });
    }
    Ok(Recipe { length, charset })
}

/// A random value made by `recipe`, drawn again until envward's strength
/// rules accept it (see the module documentation).
pub fn generate(recipe: Recipe) -> Result<Zeroizing<String>, GenerateError> {
    loop {
        let value = draw(recipe)?;
        if acceptable(&value) {
            return Ok(value);
        }
    }
}

/// Whether a generated value passes the value checks of `secret.weak` and
/// `value.shell-substitution`.
fn acceptable(value: &str) -> bool {
    let distinct = {
        let mut seen = [false; 256];
        value
            .bytes()
            .filter(|&b| !std::mem::replace(&mut seen[b as usize], true))
            .count()
    };
    distinct >= 5
        && !is_placeholder(value)
        && crate::check::rules::strength::pattern_of(value).is_none()
        && !value.contains("$(")
        && !value.contains('`')
        && !value.to_ascii_lowercase().starts_with("django-insecure-")
}

/// `recipe.length` characters of the alphabet, each drawn uniformly from
/// OS randomness (bytes at or above the largest multiple of the alphabet's
/// size are discarded, so no character is more likely than another).
fn draw(recipe: Recipe) -> Result<Zeroizing<String>, GenerateError> {
    let alphabet = alphabet(recipe.charset);
    let n = alphabet.len();
    let limit = 256 - 256 % n;
    let mut out = Zeroizing::new(String::with_capacity(recipe.length));
    let mut buf = Zeroizing::new([0u8; 64]);
    while out.len() < recipe.length {
        getrandom::fill(&mut buf[..]).map_err(|e| GenerateError::Random(e.to_string()))?;
        for &b in buf.iter() {
            if (b as usize) < limit {
                out.push(alphabet[b as usize % n] as char);
                if out.len() == recipe.length {
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// Whether envward can renew `key` itself: the schema declares
/// `generate`, or it is a key the project generates (a signing or
/// encryption key, `SECRET_KEY`, …). Passwords and provider tokens must be
/// rotated at their provider.
pub fn is_generatable(project: &ProjectFile, key: &str, value: &str) -> bool {
    project.vars.get(key).is_some_and(|s| s.generate.is_some())
        || kind_of(key, value) == SecretKind::GeneratedKey
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(toml: &str) -> ProjectFile {
        ProjectFile::parse(toml, std::path::Path::new("envward.toml")).unwrap()
    }

    #[test]
    fn defaults_by_key() {
        let p = project("");
        let r = |k: &str, django| recipe(&p, k, "production", django).unwrap();
        assert_eq!(
            r("SECRET_KEY", true),
            Recipe {
                length: 50,
                charset: Charset::Django
            }
        );
        assert_eq!(r("SECRET_KEY", false).length, 64);
        assert_eq!(r("JWT_SIGNING_KEY", false).length, 64);
        assert_eq!(
            r("WEBHOOK_SECRET", false),
            Recipe {
                length: 32,
                charset: Charset::Alphanumeric
            }
        );
    }

    #[test]
    fn schema_bounds() {
        let p = project(
            "[vars.A_KEY]\nmin_length = 40\n[vars.B_SIGNING_KEY]\ngenerate = { length = 20 }\n[vars.B_TOKEN]\ngenerate = { length = 20 }\n[vars.D_SIGNING_KEY]\nmax_length = 24\n[vars.C_KEY]\ngenerate = { length = 48, charset = \"hex\" }\n[vars.D_KEY]\nmax_length = 24\n[vars.E_KEY.env.production]\nmin_length = 70\n",
        );
        assert_eq!(recipe(&p, "A_KEY", "production", false).unwrap().length, 40);
        assert!(
            recipe(&p, "B_SIGNING_KEY", "production", false).is_err(),
            "below the rule's 32 for a generated key"
        );
        assert_eq!(
            recipe(&p, "B_TOKEN", "production", false).unwrap().length,
            20
        );
        assert_eq!(
            recipe(&p, "C_KEY", "production", false).unwrap(),
            Recipe {
                length: 48,
                charset: Charset::Hex
            }
        );
        assert_eq!(
            recipe(&p, "D_KEY", "production", false).unwrap().length,
            24,
            "capped"
        );
        assert!(
            recipe(&p, "D_SIGNING_KEY", "production", false).is_err(),
            "max below the rule's min"
        );
        assert_eq!(recipe(&p, "E_KEY", "production", false).unwrap().length, 70);
        assert_eq!(recipe(&p, "E_KEY", "staging", false).unwrap().length, 32);
    }

    #[test]
    fn values_use_only_the_alphabet_and_differ() {
        for charset in [
            Charset::Alphanumeric,
            Charset::Urlsafe,
            Charset::Hex,
            Charset::Base64,
            Charset::Django,
        ] {
            let a = generate(Recipe {
                length: 80,
                charset,
            })
            .unwrap();
            let b = generate(Recipe {
                length: 80,
                charset,
            })
            .unwrap();
            assert_eq!(a.len(), 80);
            assert_ne!(*a, *b);
            assert!(
                a.bytes().all(|c| alphabet(charset).contains(&c)),
                "{charset:?}"
            );
        }
    }

    #[test]
    fn every_character_is_drawn() {
        // 16 hex digits in 4096 draws: each must appear (a broken mapping
        // would skip some).
        let v = generate(Recipe {
            length: 4096,
            charset: Charset::Hex,
        })
        .unwrap();
        for c in alphabet(Charset::Hex) {
            assert!(v.as_bytes().contains(c));
        }
    }

    #[test]
    fn values_the_rules_flag_are_refused() {
        assert!(!acceptable("abc-dev-xyz0123456789"));
        assert!(!acceptable("abcd$(ls)0123456789"));
        assert!(!acceptable("aaaabbbb"));
        assert!(acceptable("q7Lr9xT2mVw4Zp8Ks1Nd6Hc3Bf5Jg0Ya"));
    }
}
