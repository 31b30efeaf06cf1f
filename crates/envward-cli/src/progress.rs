//! Progress bars for long work (`scan` of a tree or of git history): on
//! stderr, and only when stderr is a terminal — never in a pipe, a log or
//! CI output. Cleared when the work ends, so reports are not mixed with it.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress display for `envward scan`: a spinner until the amount of
/// work is known, then a bar in bytes.
pub struct ScanProgress {
    bar: Option<ProgressBar>,
}

impl ScanProgress {
    /// Shows `what` with a spinner on a terminal; nothing elsewhere.
    pub fn new(what: &str) -> ScanProgress {
        if !std::io::stderr().is_terminal() {
            return ScanProgress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {bytes} ({bytes_per_sec}, {elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        ScanProgress { bar: Some(bar) }
    }

    /// Removes the display.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for ScanProgress {
    fn drop(&mut self) {
        self.finish();
    }
}

impl envward::scan::Progress for ScanProgress {
    fn start(&self, what: &str, total: Option<u64>) {
        let Some(bar) = &self.bar else { return };
        if let Some(total) = total {
            bar.set_length(total);
            bar.set_position(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:25}] {bytes}/{total_bytes} {bytes_per_sec}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
        }
        bar.set_message(format!("scanning {what}"));
    }

    fn advance(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }
}
