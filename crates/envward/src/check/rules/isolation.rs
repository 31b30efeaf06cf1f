//! `env.isolation`: two strict environments that point at the same
//! database, cache or broker. What an environment points at is an
//! [`Endpoint`]: service, host, port and database (no user, no password),
//! read from the URL keys or from the separate parts (`DB_HOST` +
//! `DB_NAME`). Hosts that name a different machine in every deployment
//! (the local host, a bare service name such as `db` or `redis`, a
//! cluster-local name) are not endpoints: two environments cannot be
//! compared on them.

use super::{Ctx, Emit};
use crate::value::Resolved;

/// URL keys of databases, caches and brokers.
const URL_KEYS: &[&str] = &[
    "DATABASE_URL",
    "DB_URL",
    "REDIS_URL",
    "CACHE_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
];

/// A database given as parts: host keys, name keys, port keys, each with
/// the service it implies (`""`: not said).
const HOST_KEYS: &[(&str, &str)] = &[
    ("DB_HOST", ""),
    ("POSTGRES_HOST", "postgres"),
    ("DATABASE_HOST", ""),
    ("MYSQL_HOST", "mysql"),
];
const NAME_KEYS: &[&str] = &["DB_NAME", "POSTGRES_DB", "DATABASE_NAME", "MYSQL_DATABASE"];
const PORT_KEYS: &[&str] = &["DB_PORT", "POSTGRES_PORT", "DATABASE_PORT", "MYSQL_PORT"];

/// A database, cache or broker an environment points at.
#[derive(Debug)]
pub(crate) struct Endpoint {
    /// The key it was read from (the host key, for separate parts).
    key: String,
    /// `postgres`, `mysql`, `redis`, `amqp`, or `""` when not said.
    service: &'static str,
    /// Lower case, without a trailing dot.
    host: String,
    /// When given.
    port: Option<u16>,
    /// The database (a URL's path without its `/`; `0` for Redis when none).
    name: String,
    /// Where the value came from.
    origin: crate::source::Origin,
}

impl Endpoint {
    /// Whether `self` and `other` are the same server and database: same
    /// host and database, the same port (a missing one is the service's
    /// default), the same service when both say which.
    fn same(&self, other: &Endpoint) -> bool {
        let port = |e: &Endpoint| e.port.or_else(|| default_port(e.service));
        self.host == other.host
            && self.name == other.name
            && (port(self).is_none() || port(other).is_none() || port(self) == port(other))
            && (self.service.is_empty()
                || other.service.is_empty()
                || self.service == other.service)
    }

    /// What it is, for messages.
    fn what(&self) -> &'static str {
        match self.service {
            "redis" => "Redis server and database",
            "amqp" => "broker",
            _ => "database",
        }
    }

    /// `host:port/name`, for messages (no user, no password).
    fn shown(&self) -> String {
        let mut s = self.host.clone();
        if let Some(p) = self.port {
            s.push_str(&format!(":{p}"));
        }
        if !self.name.is_empty() {
            s.push('/');
            s.push_str(&self.name);
        }
        s
    }
}

fn default_port(service: &str) -> Option<u16> {
    match service {
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "redis" => Some(6379),
        "amqp" => Some(5672),
        _ => None,
    }
}

/// The service a URL scheme names.
fn service_of(scheme: &str) -> Option<&'static str> {
    Some(match scheme {
        "postgres" | "postgresql" | "pgsql" | "postgis" | "psql" => "postgres",
        "mysql" | "mysql2" | "mysqlgis" | "mariadb" => "mysql",
        "redis" | "rediss" | "redis+socket" | "valkey" | "valkeys" => "redis",
        "amqp" | "amqps" | "pyamqp" => "amqp",
        _ => return None,
    })
}

/// A host two environments can share, lower case: `None` for the local
/// host, a bare service name (`db`, `redis`: docker compose and
/// Kubernetes give each deployment its own), a cluster-local or mDNS name
/// (`*.svc`, `*.svc.*`, `*.local`), `host.docker.internal` and a
/// link-local address.
fn shareable(host: &str) -> Option<String> {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
        let local = match ip {
            std::net::IpAddr::V4(v4) => {
                v4.is_loopback() || v4.is_unspecified() || v4.is_link_local()
            }
            std::net::IpAddr::V6(v6) => {
                v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xffc0) == 0xfe80
            }
        };
        return (!local).then_some(host);
    }
    let labels: Vec<&str> = host.split('.').collect();
    let cluster_local = labels.len() < 2
        || labels.contains(&"svc")
        || matches!(*labels.last()?, "local" | "localhost")
        || host == "host.docker.internal"
        || host == "gateway.docker.internal";
    (!cluster_local && !super::catalogue::is_local_host(&host)).then_some(host)
}

/// The endpoints of `cfg`: every URL key that parses with a host two
/// environments can share, and a database given as parts (host and name).
pub(crate) fn endpoints(cfg: &Resolved) -> Vec<Endpoint> {
    use crate::check::setting;
    let mut out = Vec::new();
    for key in URL_KEYS {
        for v in setting::each(cfg, key).filter(|v| !v.sealed) {
            let Ok(url) = url::Url::parse(v.value.expose().trim()) else {
                continue;
            };
            let Some(service) = service_of(url.scheme()) else {
                continue;
            };
            let Some(host) = url.host_str().and_then(shareable) else {
                continue;
            };
            let mut name = url.path().trim_matches('/').to_string();
            if service == "redis" && name.is_empty() {
                name = "0".into();
            }
            out.push(Endpoint {
                key: v.key.to_string(),
                service,
                host,
                port: url.port(),
                name,
                origin: v.origin.clone(),
            });
        }
    }
    let set = |keys: &[&str]| {
        keys.iter().find_map(|k| {
            setting::get(cfg, k).filter(|v| !v.sealed && !v.value.expose().trim().is_empty())
        })
    };
    let host = HOST_KEYS.iter().find_map(|(k, service)| {
        setting::get(cfg, k)
            .filter(|v| !v.sealed && !v.value.expose().trim().is_empty())
            .map(|v| (v, *service))
    });
    if let Some((host, service)) = host
        && let Some(name) = set(NAME_KEYS)
        && let Some(h) = shareable(host.value.expose())
    {
        out.push(Endpoint {
            key: host.key.to_string(),
            service,
            host: h,
            port: set(PORT_KEYS).and_then(|p| p.value.expose().trim().parse().ok()),
            name: name.value.expose().trim().to_string(),
            origin: host.origin.clone(),
        });
    }
    out
}

/// Whether two values come from one place outside the project's files
/// (the process environment, the secrets directory, a default).
fn one_source(a: &crate::source::Origin, b: &crate::source::Origin) -> bool {
    a == b && !matches!(a, crate::source::Origin::File { .. })
}

/// Whether an environment's name says production (`production`, `prod`,
/// `live`, or a name starting with `prod`: `production-eu`).
fn production_named(environment: &str) -> bool {
    let name = environment.to_ascii_lowercase();
    name.starts_with("prod") || name == "live"
}

/// Two strict environments on one database, cache or broker. Compared with
/// every other strict environment checked in this run or loaded to compare
/// with. When both are checked in this run, the finding goes to the one
/// whose name does not say production (to each of them when both or
/// neither do); an environment only loaded to compare with is not
/// reported, so the one checked is. The same value from one place outside
/// the project's files (the process environment) is one deployment's
/// value seen twice, not two environments.
pub(super) fn env_isolation(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    let here = &ctx.cfg.environment;
    if !ctx.shared.has_others(ctx.all, here) {
        return;
    }
    let others: Vec<_> = ctx
        .shared
        .all_digests(ctx.all)
        .filter(|d| &d.environment != here && d.strict)
        .collect();
    if others.is_empty() {
        return;
    }
    let checked = |env: &str| ctx.all.iter().any(|c| c.environment == env);
    let mut reported: Vec<Endpoint> = Vec::new();
    for mine in endpoints(ctx.cfg) {
        // `DATABASE_URL` and `POSTGRES_HOST` + `POSTGRES_DB` naming the
        // same database: one finding.
        if reported.iter().any(|r| r.same(&mine)) {
            continue;
        }
        let hit = others.iter().find_map(|d| {
            if checked(&d.environment)
                && production_named(here)
                && !production_named(&d.environment)
            {
                return None; // reported over there
            }
            d.endpoints
                .iter()
                .find(|e| e.same(&mine) && !one_source(&e.origin, &mine.origin))
                .map(|e| (d.environment.as_str(), e))
        });
        let Some((env, theirs)) = hit else { continue };
        let Some(var) = crate::check::setting::get(ctx.cfg, &mine.key) else {
            continue;
        };
        let message = if theirs.key == mine.key {
            format!(
                "`{}` points at the same {} as in {env} ({})",
                mine.key,
                mine.what(),
                mine.shown()
            )
        } else {
            format!(
                "`{}` points at the same {} as `{}` in {env} ({})",
                mine.key,
                mine.what(),
                theirs.key,
                mine.shown()
            )
        };
        out.var(var, message);
        reported.push(mine);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_that_name_another_machine_in_each_deployment_are_not_compared() {
        for host in [
            "localhost",
            "127.0.0.1",
            "[::1]",
            "0.0.0.0",
            "db",
            "redis",
            "postgres.default.svc.cluster.local",
            "redis.prod.svc",
            "printer.local",
            "host.docker.internal",
            "169.254.1.2",
            "app.localhost",
        ] {
            assert_eq!(shareable(host), None, "{host}");
        }
        for host in [
            "db.example.com",
            "DB.Example.com.",
            "10.0.1.5",
            "db.prod.internal",
        ] {
            assert!(shareable(host).is_some(), "{host}");
        }
    }

    fn at(service: &'static str, host: &str, port: Option<u16>, name: &str) -> Endpoint {
        Endpoint {
            key: "K".into(),
            service,
            host: host.into(),
            port,
            name: name.into(),
            origin: crate::source::Origin::Default,
        }
    }

    #[test]
    fn a_missing_port_is_the_default_and_an_unknown_service_matches_any() {
        let a = at("postgres", "db.example.com", None, "app");
        assert!(a.same(&at("postgres", "db.example.com", Some(5432), "app")));
        assert!(a.same(&at("", "db.example.com", Some(5432), "app")));
        assert!(!a.same(&at("postgres", "db.example.com", Some(5433), "app")));
        assert!(!a.same(&at("postgres", "db.example.com", None, "app_staging")));
        assert!(!a.same(&at("mysql", "db.example.com", None, "app")));
        assert!(at("", "db.example.com", None, "app").same(&at(
            "",
            "db.example.com",
            Some(1),
            "app"
        )));
    }
}
