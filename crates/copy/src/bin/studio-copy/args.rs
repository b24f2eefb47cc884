//! The command line: hand-written parsing into a [`Request`] (or help, or the version), with
//! errors that name the option they are about.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use studio_copy::{Filter, Options, Overwrite, Ownership, Transfer, Verify};

pub const HELP: &str = "\
studio-copy: restore a directory tree into another with DataSync's EFS-to-EFS semantics, on any
host where both file systems are mounted (an EC2 instance in the VPC), without DataSync.

Usage: studio-copy [OPTIONS] SOURCE TARGET

SOURCE is copied into TARGET (created if missing; its parent must exist). Neither may be a
symlink. No symlink is followed in either tree; symlinks are copied as links. Nothing is deleted
from TARGET but a file or symlink that SOURCE has as an entry of another type. Special files
(devices, FIFOs, sockets) are skipped and counted.

Whose files these become (one is required):
  --uid UID --gid GID   every copied entry is owned by UID:GID (a Studio home: the new profile's
                        uid, gid 1001). Giving files away needs root (CAP_CHOWN)
  --preserve-owners     keep the source's owners

Options:
  --overwrite always|never    entries that exist in TARGET: replaced (always, the default) or
                              left as they are (never)
  --transfer changed|all      copy only files whose size or modification time differ
                              (changed, the default), or every file (all)
  --verify transferred|none   read each transferred file back and compare its SHA-256
                              (transferred, the default), or not (none)
  --exclude FILTER            leave out what a DataSync exclude filter leaves out: patterns
                              relative to SOURCE, separated by |, * matches anything
                              (/scratch|*/.ipynb_checkpoints); an excluded directory is not read
  --threads N                 copy with N threads (default 8)
  --deadline SECONDS          stop cleanly after SECONDS; run again (with --into-non-empty) to
                              continue: files already copied are not copied again
  --dry-run                   walk and compare as the copy would and print what it would copy;
                              write nothing
  --into-non-empty            copy into a TARGET that exists and is not empty (refused
                              otherwise, with nothing written)
  -q, --quiet                 no progress line (the summary is still printed)
  -h, --help                  print this help
  -V, --version               print the version

Progress: on a terminal, one line on stderr, refreshed a few times a second; otherwise one line
a minute. The summary goes to stdout.

Exit status:
  0  done: every entry copied (or, with --dry-run, walked)
  1  some entries failed (listed in the summary; the others were copied), or a root could not
     be opened
  2  usage: a bad option or argument, or TARGET not empty without --into-non-empty
  3  stopped at the deadline, or by Ctrl-C (SIGINT) or SIGTERM, without errors: run again
     (with --into-non-empty) to continue. A second signal ends the copy at once
";

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    Help,
    Version,
    Copy(Request),
}

/// One copy, as asked.
#[derive(Debug)]
pub struct Request {
    pub source: PathBuf,
    pub target: PathBuf,
    /// The engine's options; the deadline is set from [`Request::deadline`] when the copy starts.
    pub options: Options,
    pub deadline: Option<Duration>,
    pub into_non_empty: bool,
    pub quiet: bool,
}

/// A command line that cannot be run; says which option or argument is wrong.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError(String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, UsageError> {
    let mut args = args.into_iter();
    let mut positional = Vec::new();
    let mut uid = None;
    let mut gid = None;
    let mut preserve_owners = false;
    let mut overwrite = None;
    let mut transfer = None;
    let mut verify = None;
    let mut threads = None;
    let mut excludes = None;
    let mut deadline = None;
    let mut dry_run = false;
    let mut into_non_empty = false;
    let mut quiet = false;

    while let Some(arg) = args.next() {
        let Some(text) = arg.to_str().filter(|t| t.starts_with('-') && *t != "-") else {
            positional.push(arg);
            continue;
        };
        if text == "--" {
            positional.extend(args.by_ref());
            break;
        }
        // `--name=value` or `--name value`.
        let (name, inline) = match text.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(OsString::from(value))),
            _ => (text, None),
        };
        let mut value = |name: &str| -> Result<String, UsageError> {
            let value = match inline.clone() {
                Some(v) => v,
                None => args
                    .next()
                    .ok_or_else(|| usage(format!("{name} needs a value")))?,
            };
            value
                .into_string()
                .map_err(|v| usage(format!("{name}: {v:?} is not valid UTF-8")))
        };
        match name {
            "--uid" => set(&mut uid, name, id(name, &value(name)?)?)?,
            "--gid" => set(&mut gid, name, id(name, &value(name)?)?)?,
            "--overwrite" => {
                let mode = choice(
                    name,
                    &value(name)?,
                    &[("always", Overwrite::Always), ("never", Overwrite::Never)],
                )?;
                set(&mut overwrite, name, mode)?;
            }
            "--transfer" => {
                let mode = choice(
                    name,
                    &value(name)?,
                    &[("changed", Transfer::Changed), ("all", Transfer::All)],
                )?;
                set(&mut transfer, name, mode)?;
            }
            "--verify" => {
                let mode = choice(
                    name,
                    &value(name)?,
                    &[
                        ("transferred", Verify::OnlyFilesTransferred),
                        ("none", Verify::None),
                    ],
                )?;
                set(&mut verify, name, mode)?;
            }
            "--threads" => {
                let v = value(name)?;
                let n = v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=1024).contains(n))
                    .ok_or_else(|| {
                        usage(format!(
                            "{name}: expected a number from 1 to 1024, got {v:?}"
                        ))
                    })?;
                set(&mut threads, name, n)?;
            }
            "--exclude" => {
                let v = value(name)?;
                let filter = Filter::parse(&v).map_err(|e| usage(format!("{name}: {e}")))?;
                set(&mut excludes, name, filter)?;
            }
            "--deadline" => {
                let v = value(name)?;
                let seconds = v.parse::<u64>().map_err(|_| {
                    usage(format!(
                        "{name}: expected a whole number of seconds, got {v:?}"
                    ))
                })?;
                set(&mut deadline, name, Duration::from_secs(seconds))?;
            }
            _ if inline.is_some() => {
                return Err(usage(format!("{name} takes no value")));
            }
            "--preserve-owners" => preserve_owners = true,
            "--dry-run" => dry_run = true,
            "--into-non-empty" => into_non_empty = true,
            "-q" | "--quiet" => quiet = true,
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            _ => return Err(usage(format!("unknown option {name}"))),
        }
    }

    let ownership = match (uid, gid, preserve_owners) {
        (Some(_), _, true) | (_, Some(_), true) => {
            return Err(usage(
                "--preserve-owners and --uid/--gid: choose one (who owns the copied files)",
            ));
        }
        (Some(uid), Some(gid), false) => Ownership::Set { uid, gid },
        (Some(_), None, false) => {
            return Err(usage("--uid needs --gid too (a Studio home: --gid 1001)"));
        }
        (None, Some(_), false) => return Err(usage("--gid needs --uid too")),
        (None, None, true) => Ownership::Preserve,
        (None, None, false) => {
            return Err(usage(
                "say whose files these become: --uid UID --gid GID (a Studio home: the new \
                 profile's uid, gid 1001), or --preserve-owners to keep the source's owners",
            ));
        }
    };
    let [source, target]: [OsString; 2] = positional.try_into().map_err(|p: Vec<OsString>| {
        usage(format!(
            "expected SOURCE and TARGET, got {} argument{}",
            p.len(),
            if p.len() == 1 { "" } else { "s" }
        ))
    })?;
    if source.is_empty() || target.is_empty() {
        return Err(usage("SOURCE and TARGET may not be empty"));
    }

    let mut options = Options::new(ownership);
    options.overwrite = overwrite.unwrap_or(options.overwrite);
    options.transfer = transfer.unwrap_or(options.transfer);
    options.verify = verify.unwrap_or(options.verify);
    options.threads = threads.unwrap_or(options.threads);
    options.excludes = excludes.unwrap_or_default();
    options.dry_run = dry_run;
    Ok(Command::Copy(Request {
        source: source.into(),
        target: target.into(),
        options,
        deadline,
        into_non_empty,
        quiet,
    }))
}

fn set<T>(slot: &mut Option<T>, name: &str, value: T) -> Result<(), UsageError> {
    if slot.replace(value).is_some() {
        return Err(usage(format!("{name} is given twice")));
    }
    Ok(())
}

fn id(name: &str, value: &str) -> Result<u32, UsageError> {
    let id = value.parse::<u32>().map_err(|_| {
        usage(format!(
            "{name}: expected a numeric id, got {value:?} (names are not looked up)"
        ))
    })?;
    if name == "--uid" && id == 0 {
        return Err(usage(
            "--uid 0: a restore never gives the files to root; use --preserve-owners to keep the \
             source's owners",
        ));
    }
    Ok(id)
}

fn choice<T: Copy>(name: &str, value: &str, choices: &[(&str, T)]) -> Result<T, UsageError> {
    choices
        .iter()
        .find(|(text, _)| *text == value)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<_> = choices.iter().map(|(text, _)| *text).collect();
            usage(format!(
                "{name}: expected {}, got {value:?}",
                names.join(" or ")
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Command, UsageError> {
        parse(args.iter().map(OsString::from))
    }

    fn request(args: &[&str]) -> Request {
        match parse_strs(args) {
            Ok(Command::Copy(request)) => request,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    fn error(args: &[&str]) -> String {
        match parse_strs(args) {
            Err(e) => e.to_string(),
            other => panic!("{args:?} parsed: {other:?}"),
        }
    }

    #[test]
    fn the_defaults_are_datasyncs() {
        let r = request(&["--uid", "200001", "--gid", "1001", "/a", "/b"]);
        assert_eq!(r.source, PathBuf::from("/a"));
        assert_eq!(r.target, PathBuf::from("/b"));
        assert_eq!(
            r.options.ownership,
            Ownership::Set {
                uid: 200001,
                gid: 1001
            }
        );
        assert_eq!(r.options.overwrite, Overwrite::Always);
        assert_eq!(r.options.transfer, Transfer::Changed);
        assert_eq!(r.options.verify, Verify::OnlyFilesTransferred);
        assert_eq!(r.options.threads, 8);
        assert!(!r.options.dry_run && !r.into_non_empty && !r.quiet);
        assert_eq!(r.deadline, None);
    }

    #[test]
    fn every_option_is_read_in_both_spellings_and_anywhere() {
        let r = request(&[
            "/a",
            "--preserve-owners",
            "--overwrite=never",
            "--transfer",
            "all",
            "--verify=none",
            "--threads",
            "3",
            "--deadline=60",
            "--dry-run",
            "--into-non-empty",
            "-q",
            "--",
            "--b",
        ]);
        assert_eq!(r.source, PathBuf::from("/a"));
        assert_eq!(r.target, PathBuf::from("--b"));
        assert_eq!(r.options.ownership, Ownership::Preserve);
        assert_eq!(r.options.overwrite, Overwrite::Never);
        assert_eq!(r.options.transfer, Transfer::All);
        assert_eq!(r.options.verify, Verify::None);
        assert_eq!(r.options.threads, 3);
        assert_eq!(r.deadline, Some(Duration::from_secs(60)));
        assert!(r.options.dry_run && r.into_non_empty && r.quiet);
    }

    #[test]
    fn help_and_version_win_over_everything_else() {
        assert!(parse_strs(&["--bogus-later", "-h"]).is_err());
        assert!(matches!(parse_strs(&["-h", "--bogus"]), Ok(Command::Help)));
        assert!(matches!(parse_strs(&["--version"]), Ok(Command::Version)));
    }

    #[test]
    fn errors_name_the_option() {
        let cases: &[(&[&str], &str)] = &[
            (
                &["--uid", "x", "--gid", "1", "a", "b"],
                "--uid: expected a numeric id",
            ),
            (
                &["--uid", "1", "--gid", "-5", "a", "b"],
                "--gid: expected a numeric id",
            ),
            (&["--uid", "0", "--gid", "1001", "a", "b"], "--uid 0"),
            (&["--uid", "1", "a", "b"], "--uid needs --gid"),
            (&["--gid", "1", "a", "b"], "--gid needs --uid"),
            (
                &["--uid", "1", "--gid", "1", "--preserve-owners", "a", "b"],
                "--preserve-owners",
            ),
            (&["a", "b"], "say whose files these become"),
            (
                &["--preserve-owners", "--overwrite", "sometimes", "a", "b"],
                "--overwrite: expected always or never",
            ),
            (
                &["--preserve-owners", "--transfer", "x", "a", "b"],
                "--transfer: expected changed or all",
            ),
            (
                &["--preserve-owners", "--verify", "x", "a", "b"],
                "--verify: expected transferred or none",
            ),
            (
                &["--preserve-owners", "--threads", "0", "a", "b"],
                "--threads: expected a number",
            ),
            (
                &["--preserve-owners", "--deadline", "soon", "a", "b"],
                "--deadline: expected a whole number",
            ),
            (
                &["--preserve-owners", "--deadline"],
                "--deadline needs a value",
            ),
            (
                &[
                    "--preserve-owners",
                    "--threads",
                    "2",
                    "--threads",
                    "3",
                    "a",
                    "b",
                ],
                "--threads is given twice",
            ),
            (
                &["--preserve-owners", "--dry-run=yes", "a", "b"],
                "--dry-run takes no value",
            ),
            (
                &["--preserve-owners", "--frobnicate", "a", "b"],
                "unknown option --frobnicate",
            ),
            (
                &["--preserve-owners", "a"],
                "expected SOURCE and TARGET, got 1 argument",
            ),
            (
                &["--preserve-owners", "a", "b", "c"],
                "expected SOURCE and TARGET, got 3 arguments",
            ),
        ];
        for (args, want) in cases {
            let got = error(args);
            assert!(
                got.contains(want),
                "{args:?}: {got:?} does not say {want:?}"
            );
        }
    }
}
