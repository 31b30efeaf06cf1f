//! envward: application configuration for every environment, defined,
//! layered, encrypted, validated and leak-free.
//!
//! The library does all the work and prints nothing; the `envward` binary
//! is a thin shell over it. Start with [`Config::load`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod diagnostic;
pub mod dotenv;
pub mod secret;

pub use diagnostic::Diagnostic;
pub use secret::Secret;

pub mod check;
pub mod config;
pub mod crypto;
mod csp;
mod de;
pub mod diff;
pub mod doctor;
pub mod error;
mod error_kind;
mod excerpt;
pub mod export;
pub mod findings;
pub mod fs;
pub mod known;
pub mod layout;
pub mod ops;
pub mod plural;
pub mod probe;
pub mod redact;
pub mod remote;
pub mod report;
pub mod resolve;
pub mod scan;
pub mod schema;
pub mod source;
pub mod store;
pub mod suggest;
mod tls;
pub mod value;

pub use error::{ErrorKind, LoadError, ResolveError};
pub use resolve::{Config, LoadOptions, Project, VarStream};
pub use source::{Layer, Origin};
pub use value::{Resolved, SealedFile, Typed, Value, ValueError, Var};
