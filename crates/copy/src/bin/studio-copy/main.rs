//! `studio-copy SOURCE TARGET`: the engine as a command, to restore a home directory across file
//! systems without DataSync on any host where both are mounted. `--help` (`args::HELP`) is the
//! manual; the crate documentation has the semantics and the safety rules.

mod args;
mod report;
mod signals;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Instant;

use args::{Command, Request};
use report::ProgressStyle;
use studio_copy::{Outcome, Progress};

/// Exit statuses, as `--help` documents them.
const DONE: u8 = 0;
const ERRORS: u8 = 1;
const USAGE: u8 = 2;
const STOPPED: u8 = 3;

fn main() -> ExitCode {
    let request = match args::parse(std::env::args_os().skip(1)) {
        Ok(Command::Copy(request)) => request,
        Ok(Command::Help) => {
            print!("{}", args::HELP);
            return ExitCode::from(DONE);
        }
        Ok(Command::Version) => {
            println!("studio-copy {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::from(DONE);
        }
        Err(e) => {
            eprintln!("studio-copy: {e}\nRun `studio-copy --help` for the options.");
            return ExitCode::from(USAGE);
        }
    };
    if !request.into_non_empty
        && let Err(refusal) = refuse_non_empty_target(&request.target)
    {
        eprintln!("studio-copy: {refusal}");
        return ExitCode::from(USAGE);
    }
    ExitCode::from(run(request))
}

/// A restore goes into a new, empty home unless the user says otherwise: merging into a
/// directory that already has files is a different act (nothing is deleted, but files with the
/// same names are replaced).
fn refuse_non_empty_target(target: &Path) -> Result<(), String> {
    let meta = match std::fs::symlink_metadata(target) {
        Ok(meta) => meta,
        // Missing: the copy creates it. Other errors: the engine names them on the root.
        Err(_) => return Ok(()),
    };
    if !meta.is_dir() {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(target)
        .map_err(|e| format!("read the target {}: {e}", target.display()))?;
    if entries.next().is_some() {
        return Err(format!(
            "the target {} exists and is not empty; nothing was written. Add --into-non-empty \
             to copy into it (entries with the same names are replaced unless --overwrite \
             never; nothing is deleted)",
            target.display()
        ));
    }
    Ok(())
}

fn run(request: Request) -> u8 {
    let Request {
        source,
        target,
        mut options,
        deadline,
        quiet,
        into_non_empty,
    } = request;
    // Before any thread starts: they inherit the blocked signals.
    options.stop = signals::stop_on_signals();
    let started = Instant::now();
    options.deadline = deadline.map(|d| started + d);
    let style = match (quiet, std::io::stderr().is_terminal()) {
        (true, _) => None,
        (false, true) => Some(ProgressStyle::Terminal),
        (false, false) => Some(ProgressStyle::Log),
    };
    let progress = Progress::new();
    let result = std::thread::scope(|scope| {
        let (done, done_rx) = std::sync::mpsc::channel::<()>();
        if let Some(style) = style {
            let progress = &progress;
            scope.spawn(move || report::show_progress(progress, started, style, done_rx));
        }
        let result = studio_copy::copy_with_progress(&source, &target, &options, &progress);
        drop(done);
        result
    });
    let summary = match result {
        Ok(summary) => summary,
        Err(e) => {
            eprintln!("studio-copy: {e}; nothing was copied");
            return ERRORS;
        }
    };
    // Once something is copied the target is not empty: the next run must say so.
    let rerun = if into_non_empty || options.dry_run {
        "run the same command again"
    } else {
        "run the same command with --into-non-empty"
    };
    let stopped_by = match &options.stop {
        Some(stop) if stop.load(Ordering::Relaxed) => "a signal",
        _ => "the deadline",
    };
    let elapsed = started.elapsed();
    let text = report::summary(
        &source,
        &target,
        options.dry_run,
        (stopped_by, rerun),
        &summary,
        elapsed,
    );
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    match (summary.outcome, summary.counts.errors) {
        (_, 1..) => ERRORS,
        (Outcome::Stopped, 0) => STOPPED,
        (Outcome::Completed, 0) => DONE,
    }
}
