//! The kinds of failure, at the bottom of the library: every error type
//! says which kind it is.

/// What kind of failure an error is. Every library error says which, and
/// the binary maps kinds to exit codes in one table (DESIGN.md: 2 for bad
/// input, usage, tampering and missing keys; a bug has its own code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Input that is malformed, missing or unknown: a file that does not
    /// parse, an unknown environment, an undefined reference.
    Input,
    /// A request that cannot be carried out as given: an invalid key name,
    /// a file that is not the environment's, no recipient to encrypt to.
    Usage,
    /// Encrypted data that fails authentication, or whose header or
    /// format is broken: changed outside envward.
    Tamper,
    /// No identity, or none that can decrypt.
    Identity,
    /// The operating system refused a read or a write.
    Io,
    /// A bug in envward: an invariant did not hold.
    Internal,
}
