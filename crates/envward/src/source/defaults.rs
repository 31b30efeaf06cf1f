//! Defaults declared in `envward.toml` (`[vars.KEY] default = "…"`), taken
//! as written (no interpolation).

use std::borrow::Cow;

use super::{Conflict, Definition, Key, Layer, Origin, Source, Text};
use crate::config::VarSpec;

/// The schema's defaults.
pub(crate) struct Defaults<'a> {
    vars: &'a indexmap::IndexMap<String, VarSpec>,
}

impl<'a> Defaults<'a> {
    /// The defaults of `vars`.
    pub(crate) fn new(vars: &'a indexmap::IndexMap<String, VarSpec>) -> Self {
        Defaults { vars }
    }
}

impl Source for Defaults<'_> {
    fn layer(&self) -> Layer {
        Layer::Default
    }

    fn keys<'s>(&'s self, f: &mut dyn FnMut(&'s str)) {
        for (key, spec) in self.vars {
            if spec.default.is_some() {
                f(key);
            }
        }
    }

    fn lookup(&self, key: &Key<'_>) -> Result<Option<Definition<'_>>, Conflict> {
        let Some(text) = self.vars.get(key.name).and_then(|v| v.default.as_deref()) else {
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
