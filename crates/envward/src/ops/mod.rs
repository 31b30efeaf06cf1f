//! Operations on a project over time: rotation records, verified
//! backups, secret generation, and the last check's result.

pub mod backup;
pub mod generate;
pub mod last_check;
pub mod rotate;
pub mod rotation;
