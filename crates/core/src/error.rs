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

impl Error {
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
