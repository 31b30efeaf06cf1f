//! How a rule finds a setting in the environment: under its own name
//! (`SECRET_KEY`), with the `DJANGO_` prefix many Django projects give
//! their variables (`DJANGO_SECRET_KEY`, `DJANGO_ALLOWED_HOSTS`), or with
//! a prefix the project declares (`[project] prefixes = ["MYAPP_"]`:
//! `MYAPP_DEBUG`). Every rule looks settings up here, so prefixes are
//! handled in one place.

use crate::value::{Resolved, Var};

/// The prefix a setting may carry in the environment in every project.
pub const PREFIX: &str = "DJANGO_";

/// The setting `name`: the first of `NAME`, `DJANGO_NAME` and
/// `<prefix>NAME` (each declared prefix in order) set to something, else
/// whichever of them is set (empty); `None` when none is set.
pub fn get<'a>(cfg: &'a Resolved, name: &str) -> Option<&'a Var> {
    let mut set = each(cfg, name);
    let first = set.next()?;
    if !first.value.expose().trim().is_empty() {
        return Some(first);
    }
    Some(
        set.find(|v| !v.value.expose().trim().is_empty())
            .unwrap_or(first),
    )
}

/// Every variable that sets `name`: `NAME`, then `DJANGO_NAME`, then
/// `<prefix>NAME` for each declared prefix, each when set (by the files,
/// or for a deploy setting no file names, by the process environment or
/// the secrets directory). Rules that judge a value judge each of them (a
/// `DEBUG=False` does not hide a `DJANGO_DEBUG=True`).
pub fn each<'a>(cfg: &'a Resolved, name: &str) -> impl Iterator<Item = &'a Var> + use<'a> {
    let lookup = |key: &str| cfg.get(key).or_else(|| cfg.provided.get(key));
    let prefixed = |prefix: &str| {
        if name.starts_with(prefix) {
            return None;
        }
        // Inline up to 24 bytes: asked several times per rule.
        let mut prefixed = compact_str::CompactString::new(prefix);
        prefixed.push_str(name);
        lookup(&prefixed)
    };
    // No allocation unless the project declares prefixes.
    let declared: Vec<&'a Var> = cfg.prefixes.iter().filter_map(|p| prefixed(p)).collect();
    lookup(name)
        .into_iter()
        .chain(prefixed(PREFIX))
        .chain(declared)
}

/// Whether the key `key` sets `name` (`SECRET_KEY` or `DJANGO_SECRET_KEY`;
/// [`is_in`] also knows the project's declared prefixes).
pub fn is(key: &str, name: &str) -> bool {
    key == name || key.strip_prefix(PREFIX) == Some(name)
}

/// Whether the key `key` sets `name` in `cfg`'s project: [`is`], or
/// `name` after one of the declared prefixes.
pub fn is_in(cfg: &Resolved, key: &str, name: &str) -> bool {
    is(key, name)
        || cfg
            .prefixes
            .iter()
            .any(|p| key.strip_prefix(p.as_str()) == Some(name))
}

/// `key` without the declared prefix it carries (`MYAPP_SECRET_KEY` →
/// `SECRET_KEY`), for rules that judge a key by its name; `DJANGO_` is
/// kept (the name rules know it).
pub fn bare<'a>(cfg: &Resolved, key: &'a str) -> &'a str {
    cfg.prefixes
        .iter()
        .find_map(|p| key.strip_prefix(p.as_str()).filter(|rest| !rest.is_empty()))
        .unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Resolved {
        let dir = tempfile::tempdir().unwrap();
        let text: String = pairs.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        std::fs::write(dir.path().join(".env"), text).unwrap();
        crate::Config::load(crate::LoadOptions {
            project_dir: Some(dir.path().into()),
            process_env: Some(Default::default()),
            ..Default::default()
        })
        .unwrap()
    }

    fn key(v: Option<&Var>) -> Option<&str> {
        v.map(|v| v.key.as_str())
    }

    #[test]
    fn a_setting_is_found_under_its_name_then_with_the_prefix() {
        let c = cfg(&[("DJANGO_SECRET_KEY", "k"), ("DEBUG", "False")]);
        assert_eq!(key(get(&c, "SECRET_KEY")), Some("DJANGO_SECRET_KEY"));
        assert_eq!(key(get(&c, "DEBUG")), Some("DEBUG"));
        assert_eq!(key(get(&c, "ALLOWED_HOSTS")), None);

        // The name without prefix wins when both hold a value; an empty
        // one gives way to the other.
        let c = cfg(&[("DEBUG", "False"), ("DJANGO_DEBUG", "True")]);
        assert_eq!(key(get(&c, "DEBUG")), Some("DEBUG"));
        let keys: Vec<&str> = each(&c, "DEBUG").map(|v| v.key.as_str()).collect();
        assert_eq!(keys, ["DEBUG", "DJANGO_DEBUG"]);
        let c = cfg(&[("ALLOWED_HOSTS", ""), ("DJANGO_ALLOWED_HOSTS", "*")]);
        assert_eq!(key(get(&c, "ALLOWED_HOSTS")), Some("DJANGO_ALLOWED_HOSTS"));
        let c = cfg(&[("ALLOWED_HOSTS", ""), ("DJANGO_ALLOWED_HOSTS", "")]);
        assert_eq!(key(get(&c, "ALLOWED_HOSTS")), Some("ALLOWED_HOSTS"));

        // A name that already has the prefix is not prefixed twice.
        let c = cfg(&[("DJANGO_SETTINGS_MODULE", "site.settings")]);
        assert_eq!(each(&c, "DJANGO_SETTINGS_MODULE").count(), 1);
    }

    #[test]
    fn declared_prefixes_are_read_after_the_name_and_django() {
        let mut c = cfg(&[("MYAPP_DEBUG", "True"), ("MYAPP_SECRET_KEY", "k")]);
        assert_eq!(key(get(&c, "DEBUG")), None);
        c.prefixes = vec!["MYAPP_".into()];
        assert_eq!(key(get(&c, "DEBUG")), Some("MYAPP_DEBUG"));
        assert!(is_in(&c, "MYAPP_DEBUG", "DEBUG"));
        assert!(is_in(&c, "DJANGO_DEBUG", "DEBUG"));
        assert!(!is_in(&c, "OTHER_DEBUG", "DEBUG"));
        assert_eq!(bare(&c, "MYAPP_SECRET_KEY"), "SECRET_KEY");
        assert_eq!(bare(&c, "MYAPP_"), "MYAPP_");
        assert_eq!(bare(&c, "DJANGO_SECRET_KEY"), "DJANGO_SECRET_KEY");
    }

    #[test]
    fn a_key_sets_a_setting_with_or_without_the_prefix() {
        assert!(is("SECRET_KEY", "SECRET_KEY"));
        assert!(is("DJANGO_SECRET_KEY", "SECRET_KEY"));
        assert!(!is("JWT_SECRET_KEY", "SECRET_KEY"));
        assert!(!is("DJANGO_DJANGO_SECRET_KEY", "SECRET_KEY"));
    }
}
