//! The one error type of the core: each variant says what was being done and to what.

use std::fmt;

/// An error from the core. The message says what was being done, to which domain, profile or
/// uid, and where it helps, what the user can do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input was wrong; nothing was changed.
    #[error("{0}")]
    Invalid(String),
    /// Something the user named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A safety rule refused the operation; nothing was changed.
    #[error("refused: {0}")]
    Refused(String),
    /// The source resolver refused a restore (someone else's files, a live home, a home marked
    /// refused); nothing was changed. Carries which side it is about, and both homes.
    #[error("refused: {}", .0.message)]
    RefusedRestore(Box<Refusal>),
    /// A conditional write lost against a concurrent writer.
    #[error("{0}")]
    Conflict(String),
    /// An AWS call failed.
    #[error("{action}: {message}")]
    Aws {
        action: String,
        code: Option<String>,
        message: String,
    },
    /// The operation did not finish within its deadline.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The operation was cancelled: its caller asked it to stop.
    #[error("cancelled: {0}")]
    Cancelled(String),
    /// An error about one part of a restore's declaration, as data: a caller points at that
    /// part (the provider at an attribute) without reading the message. See [`Error::about`].
    #[error("{error}")]
    About { subject: Subject, error: Box<Error> },
}

/// Which part of a restore's declaration an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// The home directory copied from.
    Source,
    /// The profile or space restored into.
    Target,
    /// The subnet and security groups DataSync reaches the file system through.
    Network,
}

/// Why the source resolver refused a restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalReason {
    /// The source belongs to someone other than the target's owner.
    DifferentOwner,
    /// Nobody can tell whose the source (or the target) is, so nobody can tell it is the same
    /// person.
    UnknownOwner,
    /// The source is the current home directory of a live profile or space other than the target.
    LiveHome,
    /// An automatic restore into this home was refused before; it stays refused until a human
    /// declares otherwise.
    MarkedRefused,
    /// The source is the target's own directory.
    SameDirectory,
}

/// A refused restore: why, which side it is about, both homes, and the whole message (which
/// names both homes and says what to do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: RefusalReason,
    pub subject: Subject,
    /// The source home and directory, as the message names them.
    pub source: String,
    /// The target home and directory, as the message names them.
    pub target: String,
    pub message: String,
}

impl Error {
    /// Which part of a restore the error is about, when it says.
    pub fn subject(&self) -> Option<Subject> {
        match self {
            Error::RefusedRestore(r) => Some(r.subject),
            Error::About { subject, .. } => Some(*subject),
            _ => None,
        }
    }

    /// This error, about `subject`. An error that already names its subject keeps it, and an
    /// interruption is about no part of the declaration.
    pub fn about(self, subject: Subject) -> Error {
        match self {
            Error::RefusedRestore(_) | Error::About { .. } | Error::Cancelled(_) => self,
            error => Error::About {
                subject,
                error: Box::new(error),
            },
        }
    }

    /// The error itself, without the subject [`Error::about`] gave it.
    pub fn inner(&self) -> &Error {
        match self {
            Error::About { error, .. } => error.inner(),
            e => e,
        }
    }

    /// The refusal, if the source resolver refused.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self.inner() {
            Error::RefusedRestore(r) => Some(r),
            _ => None,
        }
    }

    /// The AWS error code, if this is an AWS error that carried one.
    pub fn code(&self) -> Option<&str> {
        match self.inner() {
            Error::Aws { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// An AWS error, from any SDK error, with what we were doing.
    pub fn aws<E>(action: impl Into<String>, err: &E) -> Error
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + fmt::Display,
    {
        let code = err.code().map(str::to_owned);
        let message = match err.message() {
            Some(m) => match &code {
                Some(c) => format!("{c}: {m}"),
                None => m.to_owned(),
            },
            None => match &code {
                Some(c) => c.clone(),
                None => err.to_string(),
            },
        };
        Error::Aws {
            action: action.into(),
            code,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_is_data_and_leaves_the_message_alone() {
        let err = Error::NotFound("whatever the words".into()).about(Subject::Target);
        assert_eq!(err.subject(), Some(Subject::Target));
        assert_eq!(err.to_string(), "whatever the words");
        assert!(matches!(err.inner(), Error::NotFound(_)));
        // The first subject stays: a caller further out knows less.
        assert_eq!(err.about(Subject::Source).subject(), Some(Subject::Target));
    }

    #[test]
    fn codes_are_read_through_the_subject_and_interruptions_have_none() {
        let err = Error::Aws {
            action: "creating".into(),
            code: Some("Throttling".into()),
            message: "slow down".into(),
        }
        .about(Subject::Network);
        assert_eq!(err.code(), Some("Throttling"));
        assert_eq!(
            Error::Cancelled("interrupted".into())
                .about(Subject::Source)
                .subject(),
            None
        );
    }
}
