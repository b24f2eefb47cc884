//! Retries with capped exponential backoff and full jitter, for throttling and the eventual
//! consistency of freshly created AWS objects.

use std::future::Future;
use std::time::Duration;

use rand::Rng;
use tokio_util::sync::CancellationToken;

use crate::Error;

/// How often and how long to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            base: Duration::from_millis(200),
            cap: Duration::from_secs(20),
        }
    }
}

/// How many attempts a call gets when nothing says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// How the SDK paces calls on top of [`retry`]'s backoff, named as the AWS SDKs and CLI name it
/// (`retry_mode`, `AWS_RETRY_MODE`; AWS SDKs and Tools Reference Guide, "Retry behavior").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetryMode {
    /// Backoff with jitter on throttling and transient errors, nothing more.
    #[default]
    Standard,
    /// Standard, plus a client-side rate limiter that slows every call of the process down once
    /// a service throttles, and speeds up again as calls succeed.
    Adaptive,
}

impl RetryMode {
    /// Every mode, by its name: the only place the names live.
    pub const ALL: [(RetryMode, &'static str); 2] = [
        (RetryMode::Standard, "standard"),
        (RetryMode::Adaptive, "adaptive"),
    ];

    pub fn name(self) -> &'static str {
        RetryMode::ALL
            .iter()
            .find(|(mode, _)| *mode == self)
            .map(|(_, name)| *name)
            .unwrap_or("standard")
    }

    pub fn parse(name: &str) -> Option<RetryMode> {
        RetryMode::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(mode, _)| *mode)
    }

    /// The names, for validation messages and docs.
    pub fn names() -> Vec<&'static str> {
        RetryMode::ALL.iter().map(|(_, name)| *name).collect()
    }
}

impl RetryPolicy {
    /// The default policy with `retries` retries after the first attempt (`max_retries`).
    pub fn with_retries(retries: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts: retries.saturating_add(1),
            ..RetryPolicy::default()
        }
    }

    /// The longest sleep before attempt `attempt + 1` (0-based): `min(cap, base * 2^attempt)`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// A sleep drawn uniformly from `[0, ceiling]` ("full jitter").
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt);
        let millis = ceiling.as_millis() as u64;
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }
}

/// AWS error codes that mean "slow down and try again".
const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "ProvisionedThroughputExceededException",
    "LimitExceededException",
    "SlowDown",
    "ServiceUnavailable",
    "InternalServerError",
    "InternalFailure",
    "InternalException",
];

/// True when an error is worth another attempt: throttling or a transient service fault.
pub fn is_transient(err: &Error) -> bool {
    match err {
        Error::Aws { code, message, .. } => match code {
            Some(code) => THROTTLING.contains(&code.as_str()),
            // No code: a dispatch or timeout failure, or a 5xx without a body.
            None => !message.is_empty(),
        },
        _ => false,
    }
}

/// Runs `op` until it succeeds, fails with an error that `retryable` rejects, runs out of
/// attempts, or `cancel` fires.
pub async fn retry<T, F, Fut>(
    policy: &RetryPolicy,
    cancel: &CancellationToken,
    retryable: impl Fn(&Error) -> bool,
    mut op: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut attempt = 0;
    loop {
        match op().await {
            Ok(value) => return Ok(value),
            Err(err) if attempt + 1 < policy.max_attempts && retryable(&err) => {
                let delay = policy.delay(attempt);
                tracing::debug!(attempt, ?delay, error = %err, "retrying");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = cancel.cancelled() => return Err(Error::Cancelled(format!("while retrying after: {err}"))),
                }
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn throttled() -> Error {
        Error::Aws {
            action: "creating a location".into(),
            code: Some("ThrottlingException".into()),
            message: "Rate exceeded".into(),
        }
    }

    #[test]
    fn ceiling_grows_exponentially_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 10,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        assert_eq!(p.ceiling(0), Duration::from_millis(100));
        assert_eq!(p.ceiling(1), Duration::from_millis(200));
        assert_eq!(p.ceiling(3), Duration::from_millis(800));
        assert_eq!(p.ceiling(4), Duration::from_secs(1));
        assert_eq!(p.ceiling(40), Duration::from_secs(1));
        for attempt in 0..10 {
            assert!(p.delay(attempt) <= p.ceiling(attempt));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retries_throttling_then_succeeds() {
        let calls = AtomicU32::new(0);
        let result = retry(
            &RetryPolicy::default(),
            &CancellationToken::new(),
            is_transient,
            || async {
                if calls.fetch_add(1, Ordering::SeqCst) < 3 {
                    Err(throttled())
                } else {
                    Ok(7)
                }
            },
        )
        .await;
        assert_eq!(result.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_max_attempts_and_never_retries_validation() {
        let calls = AtomicU32::new(0);
        let policy = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        let result: Result<(), _> =
            retry(&policy, &CancellationToken::new(), is_transient, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(throttled())
            })
            .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        let calls = AtomicU32::new(0);
        let result: Result<(), _> =
            retry(&policy, &CancellationToken::new(), is_transient, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(Error::Aws {
                    action: "x".into(),
                    code: Some("ValidationException".into()),
                    message: "bad".into(),
                })
            })
            .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_stops_the_wait() {
        let cancel = CancellationToken::new();
        cancel.cancel();
        let result: Result<(), _> =
            retry(&RetryPolicy::default(), &cancel, is_transient, || async {
                Err(throttled())
            })
            .await;
        assert!(matches!(result, Err(Error::Cancelled(_))));
    }
}
