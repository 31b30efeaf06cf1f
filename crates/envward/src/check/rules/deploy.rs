//! Rules about an environment as a whole, for the deploy gate: the
//! environment its configuration says it is (`env.name-mismatch`), the
//! host its own address is served on (`hosts.serves-public-url`), and the
//! keys a strict environment lacks while the project sets them elsewhere
//! (`config.missing-in-strict`).

use std::collections::{BTreeMap, BTreeSet};

use super::catalogue::{is_local_host, shown};
use super::origins::{self, OriginList};
use super::{Ctx, Emit};
use crate::check::setting;
use crate::source::Origin;
use crate::value::{Resolved, Var};

/// Variables that name the environment an application runs in.
const ENV_NAMES: &[&str] = &[
    "ENVIRONMENT",
    "APP_ENV",
    "DJANGO_ENV",
    "RAILS_ENV",
    "FLASK_ENV",
    "SENTRY_ENVIRONMENT",
];

/// Framework modes whose `production` is what every strict environment
/// runs (a staging server runs Rails or Flask in production mode).
const FRAMEWORK_MODES: &[&str] = &["RAILS_ENV", "FLASK_ENV"];

/// The variables `debug.development-mode` judges: `development` or `dev`
/// in them is its finding, not this rule's.
const DEVELOPMENT_MODE: &[&str] = &["APP_ENV", "FLASK_ENV", "RAILS_ENV", "ENVIRONMENT"];

/// `env.name-mismatch`: a variable naming the environment names another
/// environment of the project (or one of its aliases) than the one
/// checked: a file copied from staging into production, say.
pub(super) fn name_mismatch(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    let names: BTreeMap<String, &str> = ctx
        .shared
        .environments
        .iter()
        .flat_map(|(env, aliases)| {
            std::iter::once(env)
                .chain(aliases)
                .map(move |n| (n.to_ascii_lowercase(), env.as_str()))
        })
        .collect();
    for key in ENV_NAMES {
        for v in ctx.each(key) {
            let said = v.value.expose().trim().to_ascii_lowercase();
            let Some(&named) = names.get(&said) else {
                continue;
            };
            if named == ctx.cfg.environment
                || (DEVELOPMENT_MODE.contains(key)
                    && matches!(said.as_str(), "development" | "dev"))
                || (FRAMEWORK_MODES.contains(key) && said == "production")
            {
                continue;
            }
            out.var(
                v,
                format!(
                    "`{}`{} names the {named} environment, but this is {}",
                    v.key,
                    shown(v),
                    ctx.cfg.environment
                ),
            );
        }
    }
}

/// The settings that hold the application's own address (not the front
/// end's, `FRONTEND_URL`, which may live on another host).
const OWN_URLS: &[&str] = &[
    "SITE_URL",
    "BASE_URL",
    "PUBLIC_URL",
    "APP_URL",
    "API_URL",
    "WEB_URL",
];

/// `hosts.serves-public-url`: the host of the application's own URL is
/// not served by `ALLOWED_HOSTS` (Django's matching), so every request
/// made to it is answered 400. Only when `ALLOWED_HOSTS` lists something:
/// an empty or unset one is `hosts.allowed`'s.
pub(super) fn serves_public_url(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    let Some(hosts) = ctx.get("ALLOWED_HOSTS") else {
        return;
    };
    let served: Vec<String> = OriginList::parse(hosts.value.expose())
        .items
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    if served.is_empty() {
        return;
    }
    for v in OWN_URLS.iter().flat_map(|k| ctx.each(k)) {
        let text = v.value.expose().trim();
        // A relative address (`/api`) has no host of its own.
        if text.is_empty() || text.starts_with('/') {
            continue;
        }
        let Some(host) = origins::host(text) else {
            continue;
        };
        // The local host is `urls.https`'s finding.
        if host.is_empty() || is_local_host(&host) || origins::serves(&served, &host) {
            continue;
        }
        let named = if v.sensitive || hosts.sensitive {
            "its host".to_string()
        } else {
            format!("its host `{host}`")
        };
        out.var(
            v,
            format!(
                "`{}` is the application's own address, but {named} is not in `{}`: Django answers 400 (Bad Request) to every request made to it",
                v.key, hosts.key
            ),
        );
    }
}

/// Deploy settings a strict environment needs whenever the project sets
/// them anywhere else (`config.missing-in-strict`).
pub(crate) const DEPLOY_SETTINGS: &[&str] = &[
    "SECRET_KEY",
    "DATABASE_URL",
    "ALLOWED_HOSTS",
    "FORCE_HTTPS",
    "SECURE_SSL_REDIRECT",
    "CORS_ALLOWED_ORIGINS",
];

/// What `config.missing-in-strict` compares a strict environment with,
/// besides the environments checked in the same run.
#[derive(Default)]
pub(crate) struct Expected {
    /// The keys of environments not checked in this run (`check -e
    /// production`, the deploy gate), each read from its own files only.
    pub(crate) others: Vec<OwnKeys>,
    /// Every key `envward.toml` declares: whether the schema says it is a
    /// secret, and whether it says nothing about where it is required.
    pub(crate) declared: Vec<Declared>,
    /// How the environment checked was loaded: a key no file of it names
    /// is looked up again with these options (the process environment,
    /// the secrets directory), before it is reported missing.
    pub(crate) load: Option<crate::LoadOptions>,
}

/// A key `envward.toml` declares.
pub(crate) struct Declared {
    pub(crate) key: String,
    /// `sensitive = …` or `type = "secret"`; `None`: the schema is silent.
    pub(crate) sensitive: Option<bool>,
    /// No `required` anywhere in its declaration: the schema does not say
    /// where it is needed (a key it says is optional somewhere, or required
    /// only in some environments, is not expected elsewhere).
    pub(crate) silent: bool,
}

/// The keys one environment sets in its own files (or its own secret
/// store): not those of shared or local files, defaults, the process
/// environment or the secrets directory, which are the same for every
/// environment or belong to one machine.
pub(crate) struct OwnKeys {
    pub(crate) environment: String,
    pub(crate) strict: bool,
    /// Each key, with whether it is a secret (the one sensitivity rule).
    pub(crate) keys: Vec<(String, bool)>,
}

impl OwnKeys {
    pub(crate) fn of(cfg: &Resolved) -> OwnKeys {
        let own = |o: &Origin| {
            matches!(
                o,
                Origin::File {
                    layer: crate::config::Layer::Environment,
                    ..
                } | Origin::Remote { .. }
            )
        };
        let set = |v: &Var| {
            (own(&v.origin) && (v.sealed || !v.value.expose().trim().is_empty()))
                || v.overridden.iter().any(|o| own(&o.origin))
        };
        let keys = cfg
            .iter()
            .chain(cfg.withheld.values())
            .filter(|v| set(v))
            .map(|v| (v.key.to_string(), v.sensitive && v.is_secret()))
            .collect();
        OwnKeys {
            environment: cfg.environment.clone(),
            strict: cfg.strict(),
            keys,
        }
    }
}

fn is_deploy_setting(key: &str) -> bool {
    DEPLOY_SETTINGS.iter().any(|s| setting::is(key, s))
}

/// Whether `key` matches one of the `optional` entries (a trailing `*`
/// matches any rest: `DEV_*`).
fn listed(key: &str, optional: &[String]) -> bool {
    optional.iter().any(|o| match o.strip_suffix('*') {
        Some(prefix) => key.starts_with(prefix),
        None => o == key,
    })
}

/// In a Django environment, the keys whose absence Django's default
/// decides, judged by the rule that covers the setting (an unset
/// `SECURE_SSL_REDIRECT` is `https.redirect`'s, an unset `ALLOWED_HOSTS`
/// `hosts.allowed`'s), and `DATABASE_URL` when no database is configured
/// (`database.production-ready`'s).
fn judged_by_django_default(ctx: &Ctx<'_>, key: &str) -> bool {
    ctx.django
        && (crate::check::django::CHECKS
            .iter()
            .any(|c| setting::is(key, c.key))
            || (setting::is(key, "DATABASE_URL")
                && ctx
                    .first(&[
                        "DB_URL",
                        "POSTGRES_HOST",
                        "DB_HOST",
                        "MYSQL_HOST",
                        "DATABASE_HOST",
                        "DB_NAME",
                        "POSTGRES_DB",
                        "MYSQL_DATABASE",
                    ])
                    .is_none()))
}

/// `config.missing-in-strict`: a secret or deploy setting that the project
/// sets elsewhere (another environment, `.env.example`, the schema) is
/// absent or empty in a strict environment.
pub(super) fn missing_in_strict(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    let optional: Vec<String> = ctx
        .settings
        .and_then(|s| s.params.get("optional"))
        .and_then(toml::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(toml::Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    // Each key the environment should set, by its name without the
    // `DJANGO_` prefix: where it is set, and whether it is a secret.
    let mut wanted: BTreeMap<String, (String, bool)> = BTreeMap::new();
    let mut want = |key: &str, secret: bool, source: String| {
        let deploy = is_deploy_setting(key);
        if !(deploy || secret) {
            return;
        }
        let name = key.strip_prefix(setting::PREFIX).unwrap_or(key);
        let name = if is_deploy_setting(name) { name } else { key };
        wanted
            .entry(name.to_string())
            .or_insert((source, secret && !deploy));
    };
    let checked_here: Vec<OwnKeys> = ctx
        .all
        .iter()
        .filter(|c| c.environment != ctx.cfg.environment)
        .map(OwnKeys::of)
        .collect();
    for other in checked_here.iter().chain(&ctx.shared.expected.others) {
        for (key, secret) in &other.keys {
            // A secret only development sets is often a development tool's
            // (a tunnel's token, a mail catcher's password): a secret is
            // expected when another strict environment sets it.
            let secret = *secret && other.strict;
            want(key, secret, format!("{} sets it", other.environment));
        }
    }
    let declared = &ctx.shared.expected.declared;
    let schema_says = |key: &str| declared.iter().find(|d| d.key == key);
    if let Ok(bytes) = std::fs::read(ctx.cfg.root.join(".env.example"))
        && let Ok(doc) = crate::dotenv::Document::parse_vec(bytes)
    {
        for e in doc.entries() {
            let value = e.template().as_literal().unwrap_or("");
            let secret = crate::secret::Sensitivity::of(
                schema_says(e.key()).and_then(|d| d.sensitive),
                e.key(),
                value,
            )
            .is_secret();
            want(e.key(), secret, ".env.example lists it".into());
        }
    }
    for d in declared.iter().filter(|d| d.silent) {
        let secret = crate::secret::Sensitivity::of(d.sensitive, &d.key, "").is_secret();
        want(&d.key, secret, "envward.toml declares it".into());
    }

    let withheld = |key: &str| {
        ctx.cfg.withheld.contains_key(key)
            || ctx
                .cfg
                .withheld
                .contains_key(&format!("{}{key}", setting::PREFIX))
    };
    let mut absent: Vec<(&str, &(String, bool))> = Vec::new();
    for (key, why) in &wanted {
        let set = ctx.each(key).any(|v| {
            v.sealed || matches!(v.origin, Origin::Default) || !v.value.expose().trim().is_empty()
        });
        // The schema said where the key is required: where it is, a
        // missing value is `schema.required`'s; elsewhere it is optional.
        let spoken = declared
            .iter()
            .any(|d| !d.silent && setting::is(&d.key, key));
        // An empty ALLOWED_HOSTS is `hosts.allowed`'s finding.
        let judged_empty = setting::is(key, "ALLOWED_HOSTS") && ctx.get(key).is_some();
        if set
            || withheld(key)
            || listed(key, &optional)
            || spoken
            || judged_empty
            || ctx.missing.iter().any(|k| setting::is(k, key))
            || judged_by_django_default(ctx, key)
        {
            continue;
        }
        absent.push((key, why));
    }
    if absent.is_empty() {
        return;
    }
    // A key no file of this environment names is read from the process
    // environment or the secrets directory only when asked for by name:
    // ask for these, as the deploy will.
    let provided = ctx
        .shared
        .expected
        .load
        .as_ref()
        .and_then(|load| {
            let mut load = load.clone();
            load.project_dir = Some(ctx.cfg.root.clone());
            load.environment = Some(ctx.cfg.environment.clone());
            load.passphrase_prompt = None;
            load.only = Some(
                absent
                    .iter()
                    .flat_map(|(k, _)| [k.to_string(), format!("{}{k}", setting::PREFIX)])
                    .collect(),
            );
            crate::Config::load(load).ok()
        })
        .map(|cfg| {
            cfg.iter()
                .filter(|v| !v.value.expose().trim().is_empty() || v.sealed)
                .map(|v| v.key.to_string())
                .collect::<BTreeSet<String>>()
        })
        .unwrap_or_default();
    for (key, (source, secret)) in absent {
        if provided.iter().any(|k| setting::is(k, key)) {
            continue;
        }
        let kind = if *secret {
            "a secret"
        } else {
            "a deploy setting"
        };
        let state = match ctx.get(key) {
            Some(_) => "empty",
            None => "not set",
        };
        out.unset(
            ctx,
            key,
            format!(
                "`{key}` ({kind}) is {state} in {}, but {source}",
                ctx.cfg.environment
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_keys_are_names_or_prefixes() {
        let optional = vec!["NGROK_AUTHTOKEN".to_string(), "DEV_*".to_string()];
        assert!(listed("NGROK_AUTHTOKEN", &optional));
        assert!(listed("DEV_SEED_PASSWORD", &optional));
        assert!(!listed("NGROK_AUTHTOKEN_2", &optional));
        assert!(!listed("STRIPE_SECRET_KEY", &optional));
    }

    #[test]
    fn deploy_settings_are_known_with_the_prefix() {
        assert!(is_deploy_setting("SECRET_KEY"));
        assert!(is_deploy_setting("DJANGO_ALLOWED_HOSTS"));
        assert!(!is_deploy_setting("DEBUG_TOOLBAR"));
    }
}
