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
