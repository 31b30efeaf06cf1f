//! The variable schema of `envward.toml` (`[vars.<KEY>]`): types,
//! requirements, constraints, per-environment rules; checking the schema
//! itself for contradictions, and checking values against it.

mod generate;
mod infer;
pub mod preset;
mod validate;

pub use generate::{example, reference};
pub use infer::{Inferred, append_to, infer};
pub(crate) use validate::validate_schema_compiling;
pub use validate::{SchemaProblem, validate_schema};

pub use crate::config::{EnvRule, Importance, VarSpec, VarType};
pub use crate::value::check_type;

/// The JSON Schema of `envward.toml`, for editors (Taplo, Even Better TOML).
pub fn json_schema() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(crate::config::ProjectFile))
        .expect("a JSON Schema serializes");
    schema["title"] = "envward.toml".into();
    schema
}

/// The text form of a TOML value in `equals`/`not_equals`, for comparing
/// with a configuration value: booleans compare as booleans.
pub fn toml_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
