//! A progress bar on stderr for long scans; silent when stderr is not a
//! terminal or with --quiet.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use linkwell_core::SourceFormat;
use linkwell_scan::Progress;

pub(crate) struct Bar {
    bar: ProgressBar,
    quiet: bool,
}

impl Bar {
    pub(crate) fn new(quiet: bool) -> Self {
        let bar = ProgressBar::hidden();
        if !quiet && std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        Bar { bar, quiet }
    }

    pub(crate) fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn input_started(&self, name: &str, total_bytes: Option<u64>) {
        self.bar.reset();
        match total_bytes {
            Some(n) => {
                self.bar.set_length(n);
                self.bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
            }
            None => {
                self.bar.unset_length();
                self.bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg} {bytes} {bytes_per_sec}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
            }
        }
        self.bar.set_message(name.to_string());
    }

    fn format_chosen(&self, name: &str, format: SourceFormat, detected: bool, reason: &str) {
        if self.quiet {
            return;
        }
        let how = if detected { "detected" } else { "forced" };
        self.bar
            .suspend(|| eprintln!("{name}: format {format} ({how}: {reason})"));
    }

    fn warning(&self, message: &str) {
        if self.quiet {
            return;
        }
        self.bar.suspend(|| eprintln!("warning: {message}"));
    }

    fn advanced(&self, bytes_read: u64, _lines: u64) {
        self.bar.set_position(bytes_read);
    }
}
