//! Ctrl-C (SIGINT) and SIGTERM stop the copy cleanly, as the deadline does: no temporary file
//! is left behind, directories get their modes and times, and the summary says how to continue.
//! A second signal ends the process at once.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Blocks SIGINT and SIGTERM in this thread, and so in every thread it starts afterwards (call
/// it before starting any), and waits for them on a thread of its own, which sets the returned
/// flag on the first. `None` when the signals could not be set up (then they act as usual).
pub fn stop_on_signals() -> Option<Arc<AtomicBool>> {
    // SAFETY: sigset_t is plain data that sigemptyset initialises; sigemptyset, sigaddset and
    // pthread_sigmask only read and write the sets passed to them.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return None;
        }
        set
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let waiter = std::thread::Builder::new()
        .name("studio-copy-signals".into())
        .spawn(move || {
            let mut signal = 0;
            // SAFETY: `set` is initialised and blocked in every thread; sigwait writes `signal`.
            if unsafe { libc::sigwait(&set, &mut signal) } != 0 {
                return;
            }
            let name = if signal == libc::SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            };
            // On a terminal, over the progress line.
            let erase = if std::io::stderr().is_terminal() {
                "\r\x1b[2K"
            } else {
                ""
            };
            eprintln!(
                "{erase}studio-copy: {name}: stopping after the entries being copied; send it again \
                 to end at once (a temporary file may then be left behind)"
            );
            // After the message: once the copy stops, the process may end at any moment.
            flag.store(true, Ordering::Relaxed);
            // Unblocked here (only), the next one is delivered to this thread and ends the
            // process as it would have without us.
            // SAFETY: as above.
            unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) };
            loop {
                std::thread::park();
            }
        });
    if waiter.is_err() {
        // Nobody would wait for them: let them act as usual again.
        // SAFETY: as above.
        unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) };
        return None;
    }
    Some(stop)
}
