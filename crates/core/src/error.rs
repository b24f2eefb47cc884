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
    /// The operation was cancelled (Terraform was interrupted).
    #[error("cancelled: {0}")]
    Cancelled(String),
}

/// Which side of a restore an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Source,
    Target,
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
    /// Which side of a restore the error is about, when it says.
    pub fn subject(&self) -> Option<Subject> {
        match self {
            Error::RefusedRestore(r) => Some(r.subject),
            _ => None,
        }
    }

    /// The refusal, if the source resolver refused.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            Error::RefusedRestore(r) => Some(r),
            _ => None,
        }
    }

    /// The AWS error code, if this is an AWS error that carried one.
    pub fn code(&self) -> Option<&str> {
        match self {
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
