//! A source directory swapped for a symlink to the outside while the copy runs: whatever the
//! timing, the copy must never read through the link.

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{SENTINEL_CONTENT, Sandbox, assert_no_sentinel_content};

fn populate(dir: &Path) {
    for d in 0..6 {
        for f in 0..20 {
            let path = dir.join(format!("d{d}/f{f}"));
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, format!("inside {d} {f}")).unwrap();
        }
    }
}

#[test]
fn a_directory_swapped_for_a_symlink_during_the_copy_is_never_followed() {
    let mut seen_as_link = 0;
    for round in 0..24 {
        let sb = Sandbox::new();
        let s = sb.source();
        // The outside looks like the swapped directory, so a followed link would copy it.
        populate(&sb.outside());
        for d in 0..6 {
            for f in 0..20 {
                fs::write(sb.outside().join(format!("d{d}/f{f}")), SENTINEL_CONTENT).unwrap();
            }
        }
        fs::write(sb.outside().join("sentinel"), SENTINEL_CONTENT).unwrap();
        for top in ["swapped", "other"] {
            populate(&s.join(top));
        }
        fs::create_dir_all(s.join("deep/er")).unwrap();
        populate(&s.join("deep/er/swapped"));

        let outside_before = common::snapshot(&sb.outside());
        let stop = Arc::new(AtomicBool::new(false));
        let swapper = {
            let (stop, s, outside) = (Arc::clone(&stop), s.clone(), sb.outside());
            std::thread::spawn(move || {
                let pairs = [
                    (s.join("swapped"), s.join("swapped.away")),
                    (s.join("deep/er/swapped"), s.join("deep/er/swapped.away")),
                    (s.join("swapped/d3"), s.join("swapped/d3.away")),
                ];
                let mut swaps = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    for (dir, away) in &pairs {
                        if fs::rename(dir, away).is_ok() {
                            let _ = symlink(&outside, dir);
                            std::thread::yield_now();
                            let _ = fs::remove_file(dir);
                            let _ = fs::rename(away, dir);
                            swaps += 1;
                        }
                    }
                }
                swaps
            })
        };
        let mut options = common::options();
        options.threads = 1 + round % 4;
        let summary = sb.copy(&options);
        stop.store(true, Ordering::Relaxed);
        let swaps = swapper.join().unwrap();
        assert!(swaps > 0, "the swapper never ran");

        // Errors are allowed (an entry vanished mid-read); reading through the link is not.
        assert_no_sentinel_content(&sb.target());
        for link in ["swapped", "deep/er/swapped", "swapped/d3"] {
            if let Ok(meta) = fs::symlink_metadata(sb.target().join(link))
                && meta.file_type().is_symlink()
            {
                assert_eq!(fs::read_link(sb.target().join(link)).unwrap(), sb.outside());
                seen_as_link += 1;
            }
        }
        let names: Vec<_> = fs::read_dir(sb.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(
            names
                .iter()
                .all(|n| ["source", "target", "outside"].contains(&n.as_str())),
            "{names:?}"
        );
        assert!(
            common::snapshot(&sb.outside()) == outside_before,
            "the outside changed"
        );
        assert!(summary.counts.files > 0, "{summary:?}");
    }
    eprintln!("a swapped directory was copied as the symlink it had become {seen_as_link} times");
}

#[test]
fn a_target_directory_swapped_for_a_symlink_during_the_copy_is_never_written_through() {
    for round in 0..16 {
        let sb = Sandbox::new();
        let (s, t) = (sb.source(), sb.target());
        populate(&s.join("swapped"));
        populate(&s.join("other"));
        fs::create_dir(&t).unwrap();
        let outside_before = common::snapshot(&sb.outside());

        let stop = Arc::new(AtomicBool::new(false));
        let swapper = {
            let (stop, t, outside) = (Arc::clone(&stop), t.clone(), sb.outside());
            std::thread::spawn(move || {
                let (dir, away) = (t.join("swapped"), t.join("swapped.away"));
                let mut swaps = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    // Before the engine made it, and after: a symlink to the outside in its place.
                    let moved = fs::rename(&dir, &away).is_ok();
                    if symlink(&outside, &dir).is_ok() {
                        swaps += 1;
                        std::thread::yield_now();
                        let _ = fs::remove_file(&dir);
                    }
                    if moved {
                        let _ = fs::rename(&away, &dir);
                    }
                }
                swaps
            })
        };
        let mut options = common::options();
        options.threads = 1 + round % 4;
        let _ = sb.copy(&options);
        stop.store(true, Ordering::Relaxed);
        assert!(swapper.join().unwrap() > 0, "the swapper never ran");
        assert!(
            common::snapshot(&sb.outside()) == outside_before,
            "something was written outside the target"
        );

        // Undisturbed, a second run completes the copy.
        let _ = fs::remove_dir_all(t.join("swapped.away"));
        let summary = sb.copy(&options);
        assert!(summary.succeeded(), "{summary:?}");
        common::assert_same_tree(&s, &t);
    }
}
