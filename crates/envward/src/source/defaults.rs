//! Defaults declared in `envward.toml` (`[vars.KEY] default = "…"`, or
//! `[vars.KEY.env.ENV] default = "…"` for one environment), taken as
//! written (no interpolation).

use std::borrow::Cow;

use super::{Conflict, Definition, Key, Layer, Origin, Source, Text};
use crate::config::VarSpec;

/// The schema's defaults.
pub(crate) struct Defaults<'a> {
    vars: &'a indexmap::IndexMap<String, VarSpec>,
    environment: &'a str,
}

impl<'a> Defaults<'a> {
    /// The defaults of `vars` in `environment`.
    pub(crate) fn new(vars: &'a indexmap::IndexMap<String, VarSpec>, environment: &'a str) -> Self {
        Defaults { vars, environment }
    }
}

impl Source for Defaults<'_> {
    fn layer(&self) -> Layer {
        Layer::Default
    }

    fn keys<'s>(&'s self, f: &mut dyn FnMut(&'s str)) {
        for (key, spec) in self.vars {
            if spec.default_in(self.environment).is_some() {
                f(key);
            }
        }
    }

    fn not_literal(&self) -> Option<Vec<&str>> {
        Some(Vec::new())
    }

    fn lookup(&self, key: &Key<'_>) -> Result<Option<Definition<'_>>, Conflict> {
        let Some(text) = self
            .vars
            .get(key.name)
            .and_then(|v| v.default_in(self.environment))
        else {
            return Ok(None);
        };
        Ok(Some(Definition {
            value: Text::Literal(text),
            origin: Origin::Default,
            written: Cow::Borrowed(text),
            encrypted: false,
            sealed: false,
            comment: None,
        }))
    }
}
