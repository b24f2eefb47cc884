//! Core errors as diagnostics, at the attribute they concern.

use studio_core::Error;
use tfplugin::framework::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::values::path::AttributePath;

/// A diagnostic from a core error; at `path` when it is about one attribute.
pub fn core_error(summary: &str, err: &Error, path: Option<AttributePath>) -> Diagnostics {
    let detail = match err {
        Error::Aws {
            code: Some(code), ..
        } if code == "ResourceNotFoundException" => format!(
            "{err}. If this is a table, check the provider's user_table and history_table, and that the \
             event-app module is deployed in this account and region."
        ),
        _ => err.to_string(),
    };
    let d = Diagnostic::error(summary, detail);
    match path {
        Some(p) => d.at(p),
        None => d,
    }
    .into()
}

/// A summary line for an error looking up `what`.
pub fn summary(err: &Error, what: &str) -> &'static str {
    match (err, what) {
        (Error::NotFound(_), "SageMaker domain") => "SageMaker domain not found",
        (Error::NotFound(_), _) => "Not found",
        (Error::Invalid(_), _) => "Ambiguous or invalid lookup",
        _ => "Lookup failed",
    }
}
