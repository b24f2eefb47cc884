//! Copies SRC into DST with the engine and prints the summary: what `scripts/bench-copy` runs.
//!
//! `copy-tree SRC DST [--threads N] [--all] [--never] [--no-verify] [--uid UID --gid GID]`
//! (owners are preserved unless `--uid` and `--gid` are given).

use std::path::PathBuf;
use std::process::ExitCode;

use studio_copy::{Options, Overwrite, Ownership, Transfer, Verify};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(source), Some(target)) = (args.next(), args.next()) else {
        eprintln!(
            "usage: copy-tree SRC DST [--threads N] [--all] [--never] [--no-verify] [--uid UID --gid GID]"
        );
        return ExitCode::from(2);
    };
    let mut options = Options::new(Ownership::Preserve);
    let (mut uid, mut gid) = (None, None);
    while let Some(arg) = args.next() {
        let mut number = || -> u32 {
            args.next()
                .and_then(|v| v.to_str().and_then(|v| v.parse().ok()))
                .expect("a number after the option")
        };
        match arg.to_str() {
            Some("--threads") => options.threads = number() as usize,
            Some("--uid") => uid = Some(number()),
            Some("--gid") => gid = Some(number()),
            Some("--all") => options.transfer = Transfer::All,
            Some("--never") => options.overwrite = Overwrite::Never,
            Some("--no-verify") => options.verify = Verify::None,
            _ => {
                eprintln!("copy-tree: unknown option {arg:?}");
                return ExitCode::from(2);
            }
        }
    }
    if let (Some(uid), Some(gid)) = (uid, gid) {
        options.ownership = Ownership::Set { uid, gid };
    }
    match studio_copy::copy(&PathBuf::from(source), &PathBuf::from(target), &options) {
        Ok(summary) => {
            println!("{:?} {:?}", summary.outcome, summary.counts);
            for error in &summary.errors {
                eprintln!("copy-tree: {error}");
            }
            if summary.succeeded() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("copy-tree: {e}");
            ExitCode::FAILURE
        }
    }
}
