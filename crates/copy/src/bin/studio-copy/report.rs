//! What the command prints: the progress line while it copies (stderr) and the summary at the
//! end (stdout).

use std::io::Write;
use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use studio_copy::{Counts, Error, MAX_KEPT_ERRORS, Outcome, Progress, Summary};

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressStyle {
    /// stderr is a terminal: one line, rewritten in place.
    Terminal,
    /// stderr is a file or a pipe (a log): one line now and then.
    Log,
}

impl ProgressStyle {
    fn interval(self) -> Duration {
        match self {
            Self::Terminal => Duration::from_millis(250),
            Self::Log => Duration::from_secs(60),
        }
    }
}

/// Prints `progress` to stderr in `style` until `done` is sent to or dropped.
pub fn show_progress(
    progress: &Progress,
    started: Instant,
    style: ProgressStyle,
    done: Receiver<()>,
) {
    // Locked for each line only: others (a signal's message) write to stderr too.
    let stderr = std::io::stderr();
    // Anything but a timeout (sent, or the sender dropped) means the copy is over.
    while let Err(RecvTimeoutError::Timeout) = done.recv_timeout(style.interval()) {
        // Bytes as they are written, so that a large file shows its progress; a dry run writes
        // none, and shows what it would copy.
        let bytes = progress.bytes_written().max(progress.counts().bytes);
        let line = progress_line(&progress.counts(), bytes, started.elapsed());
        let mut stderr = stderr.lock();
        let _ = match style {
            // \x1b[2K: erase the line, so that a shorter line leaves nothing behind.
            ProgressStyle::Terminal => write!(stderr, "\r\x1b[2K{line}"),
            ProgressStyle::Log => writeln!(stderr, "studio-copy: {line}"),
        };
        let _ = stderr.flush();
    }
    if style == ProgressStyle::Terminal {
        let mut stderr = stderr.lock();
        let _ = write!(stderr, "\r\x1b[2K");
        let _ = stderr.flush();
    }
}

fn progress_line(counts: &Counts, data: u64, elapsed: Duration) -> String {
    let mut line = format!(
        "{} files, {}, {}/s, {} directories",
        counts.files,
        bytes(data),
        bytes(rate(data, elapsed)),
        counts.directories,
    );
    if counts.unchanged > 0 {
        line.push_str(&format!(", {} unchanged", counts.unchanged));
    }
    if counts.errors > 0 {
        line.push_str(&format!(", {} errors", counts.errors));
    }
    line.push_str(&format!(", {:.0} s", elapsed.as_secs_f64()));
    line
}

fn rate(bytes: u64, elapsed: Duration) -> u64 {
    let seconds = elapsed.as_secs_f64();
    if seconds < 0.001 {
        return 0;
    }
    (bytes as f64 / seconds) as u64
}

/// `n` bytes with a binary unit: `512 B`, `1.5 KiB`, `3.2 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// What the copy (or dry run) did, one fact a line, `label: value`. When it stopped early,
/// `stopped_by` says why ("the deadline") and `rerun` how to continue ("run the same command
/// again").
pub fn summary(
    source: &Path,
    target: &Path,
    dry_run: bool,
    (stopped_by, rerun): (&str, &str),
    summary: &Summary,
    elapsed: Duration,
) -> String {
    let c = &summary.counts;
    let mut out = String::new();
    let mut line = |label: &str, value: String| out.push_str(&format!("{label:<13}{value}\n"));
    if dry_run {
        line(
            "dry run:",
            "nothing was written; a copy now would do this".into(),
        );
    }
    line("source:", source.display().to_string());
    line("target:", target.display().to_string());
    line(
        "files:",
        format!("{} ({} bytes, {})", c.files, c.bytes, bytes(c.bytes)),
    );
    line("directories:", c.directories.to_string());
    line("symlinks:", c.symlinks.to_string());
    line("hard links:", c.hard_links.to_string());
    line("unchanged:", format!("{} (left as they were)", c.unchanged));
    line(
        "skipped:",
        format!("{} special files (devices, FIFOs, sockets)", c.special),
    );
    if c.excluded > 0 {
        line("excluded:", format!("{} (by --exclude)", c.excluded));
    }
    line(
        "time:",
        format!(
            "{:.1} s, {}/s",
            elapsed.as_secs_f64(),
            bytes(rate(c.bytes, elapsed))
        ),
    );
    line("errors:", c.errors.to_string());
    for error in &summary.errors {
        out.push_str(&format!("  {error}\n"));
    }
    if c.errors > summary.errors.len() as u64 {
        out.push_str(&format!(
            "  ... and {} more (only the first {MAX_KEPT_ERRORS} are kept)\n",
            c.errors - summary.errors.len() as u64
        ));
    }
    if summary
        .errors
        .iter()
        .any(|e| matches!(e, Error::Ownership { .. }))
    {
        // The engine's message speaks of its API; say what to do here.
        out.push_str(
            "  (giving files to another owner needs root (CAP_CHOWN): run studio-copy as root, \
             or keep the source's owners with --preserve-owners)\n",
        );
    }
    let outcome = match (summary.outcome, c.errors, dry_run) {
        (Outcome::Stopped, 0, _) => format!("stopped by {stopped_by}: {rerun} to continue"),
        (Outcome::Stopped, n, _) => format!(
            "stopped by {stopped_by} with {n} error{}: fix them and {rerun}",
            plural(n)
        ),
        (Outcome::Completed, 0, false) => "done".to_string(),
        (Outcome::Completed, 0, true) => "done (dry run)".to_string(),
        (Outcome::Completed, n, false) => format!(
            "done with {n} error{}: the other entries were copied; fix them and run again",
            plural(n)
        ),
        (Outcome::Completed, n, true) => {
            format!("done (dry run): a copy would meet {n} error{}", plural(n))
        }
    };
    let mut line = |label: &str, value: String| out.push_str(&format!("{label:<13}{value}\n"));
    line("outcome:", outcome);
    out
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_have_units() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 << 30), "3.0 GiB");
    }

    #[test]
    fn the_progress_line_shows_files_bytes_and_rate() {
        let counts = Counts {
            files: 12,
            bytes: 4 << 20,
            directories: 3,
            errors: 1,
            ..Counts::default()
        };
        assert_eq!(
            progress_line(&counts, 4 << 20, Duration::from_secs(2)),
            "12 files, 4.0 MiB, 2.0 MiB/s, 3 directories, 1 errors, 2 s"
        );
    }
}
