//! The copier Lambda function of the native engine (`studio_core::native` has the request, the
//! response, the environment and the caller's loop).
//!
//! The function mounts one EFS file system through an access point whose POSIX user is root
//! (`modules/restore-workflow` creates both), so that it can read every home and give the copied
//! entries to the target uid. One invocation copies `<mount>/<source uid>` into
//! `<mount>/<target uid>` with the `studio-copy` engine until the invocation's time, less a
//! reserve, is used up, and answers whether the copy is complete; the caller invokes it again
//! until it is. The engine's safety rules hold as they are: nothing is read or written through a
//! symlink, every operation is relative to an open directory. The two roots are single numeric
//! components under the mount path: no name from a request reaches a path.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use studio_copy::{Options, Outcome, Overwrite, Ownership, Transfer, Verify};
use studio_core::Error;
use studio_core::native::{
    CopyRequest, CopyResponse, DEFAULT_RESERVE, DEFAULT_THREADS, ENV_FILE_SYSTEM_ID,
    ENV_MOUNT_PATH, ENV_RESERVE_MS, ENV_THREADS, MAX_ERROR_SAMPLES,
};
use studio_core::restore::{OverwriteMode, TransferMode};

/// The function's configuration, from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The file system the function's access point belongs to.
    pub file_system_id: String,
    /// Where it is mounted (the file system config's `LocalMountPath`).
    pub mount_path: PathBuf,
    /// Kept back from each invocation's time.
    pub reserve: Duration,
    pub threads: usize,
}

impl Settings {
    pub fn from_env() -> Result<Settings, Error> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// The settings from `lookup` (the environment, or a test's map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, Error> {
        let required = |name: &str| {
            lookup(name).filter(|v| !v.is_empty()).ok_or_else(|| {
                Error::Invalid(format!(
                    "{name} is not set: deploy the copier with modules/restore-workflow"
                ))
            })
        };
        let number = |name: &str| -> Result<Option<u64>, Error> {
            lookup(name)
                .map(|v| {
                    v.trim().parse::<u64>().map_err(|_| {
                        Error::Invalid(format!("{name} is {v:?}: expected a whole number"))
                    })
                })
                .transpose()
        };
        let mount_path = PathBuf::from(required(ENV_MOUNT_PATH)?);
        if !mount_path.is_absolute() {
            return Err(Error::Invalid(format!(
                "{ENV_MOUNT_PATH} is {}: expected an absolute path (the LocalMountPath)",
                mount_path.display()
            )));
        }
        Ok(Settings {
            file_system_id: required(ENV_FILE_SYSTEM_ID)?,
            mount_path,
            reserve: number(ENV_RESERVE_MS)?
                .map(Duration::from_millis)
                .unwrap_or(DEFAULT_RESERVE),
            threads: number(ENV_THREADS)?
                .map(|n| n.clamp(1, 256) as usize)
                .unwrap_or(DEFAULT_THREADS),
        })
    }
}

/// Serves one invocation with `left` of its time remaining.
pub fn handle(
    settings: &Settings,
    request: &CopyRequest,
    left: Duration,
) -> Result<CopyResponse, Error> {
    if request.file_system_id != settings.file_system_id {
        return Err(Error::Refused(format!(
            "this copier mounts {}, not {}: nothing was copied",
            settings.file_system_id, request.file_system_id
        )));
    }
    let copy = request.settings()?;
    let mut options = Options::new(match copy.owner {
        Some((uid, gid)) => Ownership::Set { uid, gid },
        None => Ownership::Preserve,
    });
    options.overwrite = match copy.overwrite {
        OverwriteMode::Always => Overwrite::Always,
        OverwriteMode::Never => Overwrite::Never,
    };
    options.transfer = match copy.transfer {
        TransferMode::Changed => Transfer::Changed,
        TransferMode::All => Transfer::All,
    };
    options.verify = if copy.verify {
        Verify::OnlyFilesTransferred
    } else {
        Verify::None
    };
    options.threads = settings.threads;
    options.deadline = Some(Instant::now() + left.saturating_sub(settings.reserve));
    options.progress_before_deadline = true;
    let source = settings.mount_path.join(copy.source.to_string());
    let target = settings.mount_path.join(copy.target.to_string());
    let summary = studio_copy::copy(&source, &target, &options).map_err(|e| {
        Error::Invalid(format!(
            "restore {}: copying {} into {} on {}: {e}",
            request.restore_id,
            copy.source.directory(),
            copy.target.directory(),
            request.file_system_id
        ))
    })?;
    let c = summary.counts;
    let response = CopyResponse {
        done: summary.outcome == Outcome::Completed,
        files: c.files,
        bytes: c.bytes,
        directories: c.directories,
        symlinks: c.symlinks,
        hard_links: c.hard_links,
        unchanged: c.unchanged,
        special: c.special,
        errors: c.errors,
        error_samples: summary
            .errors
            .iter()
            .take(MAX_ERROR_SAMPLES)
            .map(ToString::to_string)
            .collect(),
    };
    tracing::info!(
        restore = %request.restore_id,
        source = %copy.source.directory(),
        target = %copy.target.directory(),
        done = response.done,
        files = c.files,
        bytes = c.bytes,
        unchanged = c.unchanged,
        errors = c.errors,
        "copy"
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::fs;
    use std::os::unix::fs::symlink;

    fn settings(mount: &std::path::Path, reserve_ms: &str) -> Settings {
        let env: HashMap<&str, String> = [
            (ENV_FILE_SYSTEM_ID, "fs-1".to_owned()),
            (ENV_MOUNT_PATH, mount.display().to_string()),
            (ENV_RESERVE_MS, reserve_ms.to_owned()),
            (ENV_THREADS, "2".to_owned()),
        ]
        .into();
        Settings::from_lookup(|k| env.get(k).cloned()).unwrap()
    }

    fn request(fs: &str) -> CopyRequest {
        CopyRequest {
            restore_id: "r1".into(),
            file_system_id: fs.into(),
            source_uid: 200000,
            target_uid: 200005,
            ownership: "preserve".into(),
            overwrite_mode: "NEVER".into(),
            transfer_mode: "CHANGED".into(),
            verify_mode: "ONLY_FILES_TRANSFERRED".into(),
        }
    }

    #[test]
    fn invocations_out_of_time_each_move_the_copy_forward_until_it_is_complete() {
        let mount = tempfile::tempdir().unwrap();
        let source = mount.path().join("200000");
        for i in 0..30 {
            let dir = source.join(format!("d{}", i % 3));
            fs::create_dir_all(&dir).unwrap();
            fs::write(dir.join(format!("f{i}")), format!("file {i}")).unwrap();
        }
        symlink("../../outside", source.join("link")).unwrap();
        // All of each invocation's time is reserve: only the progress guarantee copies.
        let settings = settings(mount.path(), "60000");
        let mut invocations = 0;
        let mut files = 0;
        loop {
            invocations += 1;
            assert!(invocations <= 40, "no progress");
            let answer = handle(&settings, &request("fs-1"), Duration::from_secs(1)).unwrap();
            assert_eq!(answer.errors, 0, "{answer:?}");
            files += answer.files;
            if answer.done {
                break;
            }
        }
        assert!(invocations > 1, "one invocation copied everything");
        assert_eq!(files, 30);
        let target = mount.path().join("200005");
        for i in 0..30 {
            let rel = format!("d{}/f{i}", i % 3);
            assert_eq!(
                fs::read(target.join(&rel)).unwrap(),
                fs::read(source.join(&rel)).unwrap()
            );
        }
        assert_eq!(
            fs::read_link(target.join("link")).unwrap(),
            PathBuf::from("../../outside")
        );
    }

    #[test]
    fn a_request_for_another_file_system_or_a_bad_one_copies_nothing() {
        let mount = tempfile::tempdir().unwrap();
        fs::create_dir(mount.path().join("200000")).unwrap();
        fs::write(mount.path().join("200000/f"), "x").unwrap();
        let settings = settings(mount.path(), "0");
        let err = handle(&settings, &request("fs-2"), Duration::from_secs(5)).unwrap_err();
        assert!(err.to_string().contains("mounts fs-1, not fs-2"), "{err}");
        let mut same = request("fs-1");
        same.target_uid = same.source_uid;
        assert!(handle(&settings, &same, Duration::from_secs(5)).is_err());
        let mut missing = request("fs-1");
        missing.source_uid = 300000;
        let err = handle(&settings, &missing, Duration::from_secs(5)).unwrap_err();
        assert!(err.to_string().contains("/300000"), "{err}");
        assert!(!mount.path().join("200005").exists());
    }

    #[test]
    fn the_module_sets_the_environment_this_function_reads() {
        // modules/restore-workflow deploys the copier: its environment must name these
        // variables exactly (one authority: studio_core::native).
        let module = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../modules/restore-workflow/copier.tf"),
        )
        .unwrap();
        for name in [ENV_FILE_SYSTEM_ID, ENV_MOUNT_PATH, ENV_RESERVE_MS] {
            assert!(
                module.contains(&format!("      {name} ")),
                "copier.tf does not set {name}"
            );
        }
        assert!(module.contains("local_mount_path = local.copier_mount_path"));
        assert!(module.contains("STUDIO_COPIER_MOUNT_PATH     = local.copier_mount_path"));
    }

    #[test]
    fn settings_name_what_is_missing_or_wrong() {
        let err = Settings::from_lookup(|_| None).unwrap_err();
        assert!(err.to_string().contains(ENV_MOUNT_PATH), "{err}");
        let err = Settings::from_lookup(|k| match k {
            ENV_MOUNT_PATH => Some("/mnt/efs".into()),
            ENV_FILE_SYSTEM_ID => Some("fs-1".into()),
            ENV_RESERVE_MS => Some("soon".into()),
            _ => None,
        })
        .unwrap_err();
        assert!(err.to_string().contains(ENV_RESERVE_MS), "{err}");
        let err = Settings::from_lookup(|k| match k {
            ENV_MOUNT_PATH => Some("mnt".into()),
            _ => Some("fs-1".into()),
        })
        .unwrap_err();
        assert!(err.to_string().contains("absolute"), "{err}");
    }
}
