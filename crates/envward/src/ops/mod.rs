//! Operations on a project over time: rotation records (more to come:
//! history, backups, the audit log).

pub mod rotation;
