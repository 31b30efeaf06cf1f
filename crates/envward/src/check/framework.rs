//! Whether the project is a Django project, whose settings the rules then
//! read with Django's defaults when they are unset (docs/rules.md, "Django
//! projects").
//!
//! `[project] framework` in `envward.toml` decides when it is set
//! (`"django"`, or `"none"` for no framework). Unset, a project is a Django
//! project when its root holds `manage.py`, when its schema declares a
//! `DJANGO_*` key, or when the environment checked sets one
//! (`DJANGO_SETTINGS_MODULE`, `DJANGO_SECRET_KEY`, …).

use crate::config::FrameworkName;
use crate::resolve::Project;
use crate::value::Resolved;

use super::setting::PREFIX;

/// Why `cfg` is checked as a Django environment, or `None` when it is not.
pub fn django(opened: &Project, cfg: &Resolved) -> Option<Why> {
    match opened.file.project.framework {
        Some(FrameworkName::Django) => return Some(Why::Declared),
        Some(FrameworkName::None) => return None,
        None => {}
    }
    if opened.root.join("manage.py").is_file() {
        return Some(Why::ManagePy);
    }
    opened
        .file
        .vars
        .keys()
        .map(String::as_str)
        .chain(cfg.iter().map(|v| v.key.as_str()))
        .find(|k| k.starts_with(PREFIX))
        .map(|k| Why::Key(k.to_string()))
}

/// What made a project a Django project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// `[project] framework = "django"`.
    Declared,
    /// `manage.py` in the project root.
    ManagePy,
    /// A `DJANGO_*` key, declared or set.
    Key(String),
}
