//! Operations on a project over time: rotation records and the last
//! check's result (more to come: history, backups, the audit log).

pub mod last_check;
pub mod rotation;
