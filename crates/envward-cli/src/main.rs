//! The `envward` command-line tool: a thin shell over the `envward` library.

mod audit;
mod cli;
mod cmd;
mod exit;
mod global;
mod hints;
mod output;
mod progress;

use std::process::ExitCode;

fn main() -> ExitCode {
    exit::report(cli::run())
}
