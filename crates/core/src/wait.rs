//! The one waiter: polls a check with capped exponential backoff until it yields a result, the
//! deadline passes or the restore is interrupted. What happens then (an error message, cancelling
//! a DataSync execution, stopping a workflow execution) stays with the caller, which gets the
//! check's last answer to say it with.
//!
//! Not [`crate::retry`]: that repeats one AWS call that failed; this waits for something that
//! takes time (a profile getting its home directory, a DataSync execution, a lease).

use std::ops::ControlFlow;
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

/// How a wait ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waited<T, S> {
    /// The check yielded a result.
    Done(T),
    /// The deadline passed; the check's last answer (taken at or after the deadline).
    Deadline(S),
    /// The cancellation token was cancelled while waiting; the check's last answer.
    Cancelled(S),
}

/// Runs `check` until it breaks with a result: after each `Continue(state)` it waits the next
/// pause of `backoff`, but never past `deadline` (the last check runs at the deadline) and no
/// longer than until `cancel` is cancelled. The first check runs at once. An error of the check
/// ends the wait with that error.
pub async fn poll<T, S, E>(
    backoff: Backoff,
    deadline: Instant,
    cancel: &CancellationToken,
    mut check: impl AsyncFnMut() -> Result<ControlFlow<T, S>, E>,
) -> Result<Waited<T, S>, E> {
    let mut pauses = backoff.pauses();
    loop {
        let state = match check().await? {
            ControlFlow::Break(done) => return Ok(Waited::Done(done)),
            ControlFlow::Continue(state) => state,
        };
        let now = Instant::now();
        if now >= deadline {
            return Ok(Waited::Deadline(state));
        }
        let pause = pauses.next().unwrap_or(backoff.cap);
        tokio::select! {
            biased;
            _ = cancel.cancelled() => return Ok(Waited::Cancelled(state)),
            _ = tokio::time::sleep(pause.min(deadline - now)) => {}
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

    /// Checks that never finish, recording when each ran (relative to the start).
    async fn never_done(
        backoff: Backoff,
        deadline: Duration,
        cancel: &CancellationToken,
    ) -> (Waited<(), usize>, Vec<Duration>, Duration) {
        let start = Instant::now();
        let mut at = Vec::new();
        let waited = poll(backoff, start + deadline, cancel, async || {
            at.push(start.elapsed());
            Ok::<_, ()>(ControlFlow::Continue(at.len()))
        })
        .await
        .unwrap();
        (waited, at, start.elapsed())
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
        let (waited, at, _) =
            never_done(backoff(500, 2.0, 2000), Duration::from_secs(60), &cancel).await;
        assert_eq!(waited, Waited::Deadline(at.len()));
        let gaps: Vec<_> = at.windows(2).map(|w| w[1] - w[0]).take(6).collect();
        assert_eq!(gaps, [500, 1000, 2000, 2000, 2000, 2000].map(ms));
        assert_eq!(at[0], Duration::ZERO, "the first check runs at once");
    }

    #[tokio::test(start_paused = true)]
    async fn the_wait_ends_at_the_deadline_without_oversleeping() {
        let cancel = CancellationToken::new();
        // Checks at 0, 1, 3, 7 s; the next pause (8 s) would end at 15 s: the last check runs
        // at the deadline, 10 s, and the wait ends there.
        let (waited, at, took) =
            never_done(backoff(1000, 2.0, 60_000), Duration::from_secs(10), &cancel).await;
        assert_eq!(at, [0, 1, 3, 7, 10].map(Duration::from_secs));
        assert_eq!(waited, Waited::Deadline(5));
        assert_eq!(took, Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn a_deadline_already_passed_checks_once() {
        let cancel = CancellationToken::new();
        let (waited, at, took) =
            never_done(backoff(1000, 2.0, 1000), Duration::ZERO, &cancel).await;
        assert_eq!(
            (waited, at.len(), took),
            (Waited::Deadline(1), 1, Duration::ZERO)
        );
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
        let (waited, at, took) =
            never_done(backoff(2000, 2.0, 60_000), Duration::from_secs(60), &cancel).await;
        canceller.await.unwrap();
        assert_eq!(waited, Waited::Cancelled(2));
        assert_eq!(at, [0, 2].map(Duration::from_secs));
        assert_eq!(took, Duration::from_millis(2500));
        // Already cancelled: one check, no pause.
        let (waited, at, took) =
            never_done(backoff(2000, 2.0, 60_000), Duration::from_secs(60), &cancel).await;
        assert_eq!(
            (waited, at.len(), took),
            (Waited::Cancelled(1), 1, Duration::ZERO)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_result_or_an_error_ends_the_wait() {
        let cancel = CancellationToken::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut checks = 0;
        let waited = poll(backoff(100, 2.0, 1000), deadline, &cancel, async || {
            checks += 1;
            Ok::<_, ()>(if checks == 3 {
                ControlFlow::Break("ready")
            } else {
                ControlFlow::Continue(())
            })
        })
        .await;
        assert_eq!(waited, Ok(Waited::Done("ready")));
        let failed = poll(backoff(100, 2.0, 1000), deadline, &cancel, async || {
            Err::<ControlFlow<(), ()>, _>("gone")
        })
        .await;
        assert_eq!(failed, Err("gone"));
    }
}
