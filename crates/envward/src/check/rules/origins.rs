//! Lists of origins (`CORS_ALLOWED_ORIGINS`, `CSRF_TRUSTED_ORIGINS`) and
//! the URLs of the application's own front end (`FRONTEND_URL`): the one
//! parser of such lists, and the rules about their shape.
//!
//! An origin is `scheme://host[:port]`, nothing more: browsers send exactly
//! that in the `Origin` header, and Django and django-cors-headers compare
//! it as text. `app.example.com` (no scheme), `https://app.example.com/`
//! (a trailing slash) or `https://app.example.com/api` (a path) match no
//! request; ` https://b.example.com` (the space after a comma, kept by a
//! settings file that splits on commas) neither.

use super::catalogue::item;
use super::{Ctx, Emit};

/// Items of a list separated by commas or spaces, blanks dropped.
pub(super) fn items(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', ' ', '\t', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The origins of a list: a JSON array of strings (`["https://a.example"]`,
/// as pydantic-style settings read lists), else [`items`]. `json` says
/// which.
pub(super) struct OriginList {
    /// The origins, as written.
    pub items: Vec<String>,
    /// Whether the list is a JSON array.
    pub json: bool,
}

impl OriginList {
    pub(super) fn parse(text: &str) -> OriginList {
        let text = text.trim();
        match serde_json::from_str::<Vec<String>>(text) {
            Ok(items) if text.starts_with('[') => OriginList {
                items: items.into_iter().map(|i| i.trim().to_string()).collect(),
                json: true,
            },
            _ => OriginList {
                items: items(text).map(String::from).collect(),
                json: false,
            },
        }
    }
}

/// What is wrong with the shape of an origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// No `scheme://`.
    NoScheme,
    /// `https://` and nothing after it.
    NoHost,
    /// Only a `/` after the host.
    TrailingSlash,
    /// A path, query or fragment after the host.
    Path,
}

impl Shape {
    fn says(self) -> &'static str {
        match self {
            Shape::NoScheme => "has no scheme (https://)",
            Shape::NoHost => "has no host",
            Shape::TrailingSlash => "ends with a slash",
            Shape::Path => "has a path (an origin is scheme://host[:port])",
        }
    }
}

/// The shape problem of one origin, if any. `*` and `https://*.example.com`
/// are wildcards (`cors.origins` judges them), not shapes.
pub(super) fn shape(origin: &str) -> Option<Shape> {
    if origin == "*" {
        return None;
    }
    let Some((scheme, rest)) = origin.split_once("://") else {
        return Some(Shape::NoScheme);
    };
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return Some(Shape::NoScheme);
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if end == 0 {
        return Some(Shape::NoHost);
    }
    match &rest[end..] {
        "" => None,
        "/" => Some(Shape::TrailingSlash),
        _ => Some(Shape::Path),
    }
}

/// The host of an origin or URL, with or without its scheme, in lower case.
pub(super) fn host(origin: &str) -> Option<String> {
    let with_scheme = if origin.contains("://") {
        origin.to_string()
    } else {
        format!("https://{origin}")
    };
    url::Url::parse(&with_scheme).ok()?.host_str().map(|h| {
        h.trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase()
    })
}

/// Whether `ALLOWED_HOSTS` (its items in lower case) serves `host`, by
/// Django's matching: exact, `*`, or `.example.com` for the domain and its
/// subdomains.
pub(super) fn serves(served: &[String], host: &str) -> bool {
    served.iter().any(|h| {
        h == "*"
            || h == host
            || h.strip_prefix('.')
                .is_some_and(|d| host == d || host.ends_with(h.as_str()))
    })
}

/// The settings that hold lists of origins.
pub(super) const ORIGIN_LISTS: &[&str] = &[
    "CORS_ALLOWED_ORIGINS",
    "CORS_ORIGINS",
    "CORS_ORIGIN_WHITELIST",
    "CSRF_TRUSTED_ORIGINS",
];

/// The settings that hold the address of the application's own front end.
pub(super) const FRONTEND_URLS: &[&str] = &[
    "BASE_URL",
    "SITE_URL",
    "FRONTEND_URL",
    "PUBLIC_URL",
    "APP_URL",
    "API_URL",
    "CLIENT_URL",
    "WEB_URL",
    "WEBSITE_URL",
];

/// `origins.format`: every origin of a list is `scheme://host[:port]`, and
/// the list holds no spaces.
pub(super) fn format(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    for key in ORIGIN_LISTS {
        for v in ctx.each(key) {
            let text = v.value.expose().trim();
            let list = OriginList::parse(text);
            let mut problems: Vec<String> = list
                .items
                .iter()
                .filter_map(|o| shape(o).map(|s| format!("{} {}", item(v, o), s.says())))
                .collect();
            if !list.json && text.contains(char::is_whitespace) {
                problems.push(
                    "it holds spaces (a settings file that splits on commas keeps them, and ` https://…` matches no origin)"
                        .into(),
                );
            }
            if !problems.is_empty() {
                out.var(v, format!("`{}`: {}", v.key, problems.join("; ")));
            }
        }
    }
}

/// `csrf.trusted-origins`: in a Django environment, `CSRF_TRUSTED_ORIGINS`
/// is set when other origins call the site (a CORS origin or the front
/// end's URL on a host that `ALLOWED_HOSTS` does not serve).
pub(super) fn csrf_trusted(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    if !ctx.django || !ctx.unset("CSRF_TRUSTED_ORIGINS") {
        return;
    }
    let served: Vec<String> = ctx
        .get("ALLOWED_HOSTS")
        .map(|v| {
            items(v.value.expose())
                .map(str::to_ascii_lowercase)
                .collect()
        })
        .unwrap_or_default();
    let own = |host: &str| serves(&served, host);
    let callers = ORIGIN_LISTS[..3]
        .iter()
        .flat_map(|k| ctx.each(k))
        .flat_map(|v| {
            OriginList::parse(v.value.expose())
                .items
                .into_iter()
                .map(move |o| (v, o))
        })
        .chain(
            ["FRONTEND_URL", "CLIENT_URL"]
                .iter()
                .flat_map(|k| ctx.each(k))
                .map(|v| (v, v.value.expose().trim().to_string())),
        );
    for (v, origin) in callers {
        if origin == "*" || origin.contains("://*") {
            continue;
        }
        if let Some(h) = host(&origin)
            && !own(&h)
            && !super::catalogue::is_local_host(&h)
        {
            out.unset(
                ctx,
                "CSRF_TRUSTED_ORIGINS",
                format!(
                    "`CSRF_TRUSTED_ORIGINS` is not set, but `{}` lets {} call this site from another origin: Django rejects its POST, PUT and DELETE requests (403)",
                    v.key,
                    item(v, &origin)
                ),
            );
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port() {
        for ok in [
            "https://app.example.com",
            "https://app.example.com:8443",
            "http://localhost:3000",
            "https://*.example.com",
            "*",
            "https://[::1]:8000",
        ] {
            assert_eq!(shape(ok), None, "{ok}");
        }
        assert_eq!(shape("app.example.com"), Some(Shape::NoScheme));
        assert_eq!(shape("//app.example.com"), Some(Shape::NoScheme));
        assert_eq!(shape("https://"), Some(Shape::NoHost));
        assert_eq!(
            shape("https://app.example.com/"),
            Some(Shape::TrailingSlash)
        );
        assert_eq!(shape("https://app.example.com/api"), Some(Shape::Path));
        assert_eq!(shape("https://app.example.com?x=1"), Some(Shape::Path));
    }

    #[test]
    fn json_arrays_are_lists_of_origins() {
        let list = OriginList::parse(r#"["https://a.example", "https://b.example/"]"#);
        assert!(list.json);
        assert_eq!(list.items, ["https://a.example", "https://b.example/"]);
        let list = OriginList::parse("[https://a.example");
        assert!(!list.json);
    }

    #[test]
    fn lists_split_on_commas_and_spaces() {
        let got: Vec<&str> =
            items(" https://a.example, https://b.example\thttps://c.example,,").collect();
        assert_eq!(
            got,
            [
                "https://a.example",
                "https://b.example",
                "https://c.example"
            ]
        );
    }

    #[test]
    fn hosts_are_read_with_or_without_a_scheme() {
        assert_eq!(
            host("https://App.Example.com:8443/x").as_deref(),
            Some("app.example.com")
        );
        assert_eq!(host("app.example.com").as_deref(), Some("app.example.com"));
        assert_eq!(host("http://[::1]:3000").as_deref(), Some("::1"));
    }
}
