//! The one waiter: the pauses between the checks of something that takes time, with capped
//! exponential backoff, until the check yields a result, the deadline passes or the restore is
//! interrupted. What happens then (an error message, cancelling a DataSync execution, stopping a
//! workflow execution) stays with the caller, which has the check's last answer to say it with.
//!
//! Not [`crate::retry`]: that repeats one AWS call that failed; this waits for something that
//! takes time (a profile getting its home directory, a DataSync execution, a lease).

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The pauses between checks: `first`, then each one `factor` times the one before, never more
/// than `cap`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub first: Duration,
    pub factor: f64,
    pub cap: Duration,
}

impl Backoff {
    /// # Panics
    /// If `factor` is below 1 or not a number: pauses never shrink.
    pub fn new(first: Duration, factor: f64, cap: Duration) -> Backoff {
        assert!(
            factor >= 1.0,
            "a backoff factor must be at least 1, not {factor}"
        );
        Backoff { first, factor, cap }
    }

    /// The pause after `pause`.
    pub fn next(&self, pause: Duration) -> Duration {
        let grown = (pause.as_secs_f64() * self.factor).min(self.cap.as_secs_f64());
        Duration::from_secs_f64(grown).min(self.cap)
    }

    /// The pauses in order (endless).
    pub fn pauses(self) -> impl Iterator<Item = Duration> {
        std::iter::successors(Some(self.first.min(self.cap)), move |p| Some(self.next(*p)))
    }
}

/// Why a wait stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The deadline has passed.
    Deadline,
    /// The cancellation token was cancelled.
    Cancelled,
}

/// The pauses of one wait: the caller checks, then [`Waiter::pause`]s, until its check yields a
/// result or the pause says to stop. (A loop, not a helper taking the check as a closure: a
/// closure that updates the caller's state would make the provider's futures unprovably
/// `Send`.)
#[derive(Debug)]
pub struct Waiter<'c> {
    backoff: Backoff,
    next: Duration,
    deadline: Instant,
    cancel: &'c CancellationToken,
}

impl<'c> Waiter<'c> {
    pub fn new(backoff: Backoff, deadline: Instant, cancel: &'c CancellationToken) -> Waiter<'c> {
        Waiter {
            backoff,
            next: backoff.first.min(backoff.cap),
            deadline,
            cancel,
        }
    }

    /// Waits the next pause of the backoff, but never past the deadline, so the next check
    /// runs at the deadline at the latest; `Err(Stop::Deadline)` once it has passed (the check
    /// just made was the last), `Err(Stop::Cancelled)` as soon as the token is cancelled.
    pub async fn pause(&mut self) -> Result<(), Stop> {
        let now = Instant::now();
        if now >= self.deadline {
            return Err(Stop::Deadline);
        }
        let pause = self.next.min(self.deadline - now);
        self.next = self.backoff.next(self.next);
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => Err(Stop::Cancelled),
            _ = tokio::time::sleep(pause) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn backoff(first_ms: u64, factor: f64, cap_ms: u64) -> Backoff {
        Backoff::new(ms(first_ms), factor, ms(cap_ms))
    }

    /// Checks that never finish, recording when each ran (relative to the start): the loop every
    /// caller writes.
    async fn never_done(
        backoff: Backoff,
        deadline: Duration,
        cancel: &CancellationToken,
    ) -> (Stop, Vec<Duration>, Duration) {
        let start = Instant::now();
        let mut waiter = Waiter::new(backoff, start + deadline, cancel);
        let mut at = Vec::new();
        let stop = loop {
            at.push(start.elapsed());
            if let Err(stop) = waiter.pause().await {
                break stop;
            }
        };
        (stop, at, start.elapsed())
    }

    #[test]
    fn pauses_grow_by_the_factor_up_to_the_cap() {
        let doubling: Vec<_> = backoff(500, 2.0, 5000).pauses().take(6).collect();
        assert_eq!(doubling, [500, 1000, 2000, 4000, 5000, 5000].map(ms));
        let by_half: Vec<_> = backoff(250, 1.5, 1000).pauses().take(6).collect();
        assert_eq!(
            by_half,
            [
                ms(250),
                ms(375),
                Duration::from_micros(562_500),
                Duration::from_micros(843_750),
                ms(1000),
                ms(1000)
            ]
        );
        // A first pause above the cap is capped too.
        assert_eq!(backoff(900, 2.0, 300).pauses().next(), Some(ms(300)));
    }

    #[tokio::test(start_paused = true)]
    async fn checks_are_spaced_by_the_backoff() {
        let cancel = CancellationToken::new();
        let (stop, at, _) =
            never_done(backoff(500, 2.0, 2000), Duration::from_secs(60), &cancel).await;
        assert_eq!(stop, Stop::Deadline);
        let gaps: Vec<_> = at.windows(2).map(|w| w[1] - w[0]).take(6).collect();
        assert_eq!(gaps, [500, 1000, 2000, 2000, 2000, 2000].map(ms));
        assert_eq!(at[0], Duration::ZERO, "the first check runs at once");
    }

    #[tokio::test(start_paused = true)]
    async fn the_wait_ends_at_the_deadline_without_oversleeping() {
        let cancel = CancellationToken::new();
        // Checks at 0, 1, 3, 7 s; the next pause (8 s) would end at 15 s: the last check runs
        // at the deadline, 10 s, and the wait ends there.
        let (stop, at, took) =
            never_done(backoff(1000, 2.0, 60_000), Duration::from_secs(10), &cancel).await;
        assert_eq!(at, [0, 1, 3, 7, 10].map(Duration::from_secs));
        assert_eq!(stop, Stop::Deadline);
        assert_eq!(took, Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn a_deadline_already_passed_checks_once() {
        let cancel = CancellationToken::new();
        let (stop, at, took) = never_done(backoff(1000, 2.0, 1000), Duration::ZERO, &cancel).await;
        assert_eq!((stop, at.len(), took), (Stop::Deadline, 1, Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_ends_the_wait_at_once() {
        let cancel = CancellationToken::new();
        let canceller = {
            let cancel = cancel.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(2500)).await;
                cancel.cancel();
            })
        };
        // Checks at 0 and 2 s; cancelled at 2.5 s, in the middle of the 4 s pause.
        let (stop, at, took) =
            never_done(backoff(2000, 2.0, 60_000), Duration::from_secs(60), &cancel).await;
        canceller.await.unwrap();
        assert_eq!(stop, Stop::Cancelled);
        assert_eq!(at, [0, 2].map(Duration::from_secs));
        assert_eq!(took, Duration::from_millis(2500));
        // Already cancelled: one check, no pause.
        let (stop, at, took) =
            never_done(backoff(2000, 2.0, 60_000), Duration::from_secs(60), &cancel).await;
        assert_eq!((stop, at.len(), took), (Stop::Cancelled, 1, Duration::ZERO));
    }
}
