//! Provider functions (Terraform 1.8+): `provider::<provider>::<name>(...)` in a configuration.
//!
//! A function is pure: the same arguments give the same result, without the provider's
//! configuration or any remote call (Terraform may call it before the provider is configured,
//! and during `terraform validate`). Terraform checks argument types and nulls against the
//! parameters before calling; the server decodes the arguments and encodes the result.

use crate::values::types::Type;
use crate::values::value::Value;

/// One positional parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// Its name, as documentation and error messages show it.
    pub name: String,
    /// Its type; Terraform converts the argument to it before the call.
    pub ty: Type,
    /// What the argument is, for the user (markdown).
    pub description: String,
}

impl Parameter {
    /// A parameter that takes a non-null, known value of `ty`.
    pub fn new(name: impl Into<String>, ty: Type, description: impl Into<String>) -> Parameter {
        Parameter {
            name: name.into(),
            ty,
            description: description.into(),
        }
    }
}

/// A function's signature and documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The positional parameters, in order.
    pub parameters: Vec<Parameter>,
    /// The type of the result.
    pub returns: Type,
    /// One line: what it does.
    pub summary: String,
    /// More about it (markdown).
    pub description: String,
}

/// Why a call failed. Terraform shows `text`, and points at the argument when `argument` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    /// The message.
    pub text: String,
    /// The index of the argument at fault, if one is.
    pub argument: Option<usize>,
}

impl FunctionError {
    /// An error about argument `index`.
    pub fn argument(index: usize, text: impl Into<String>) -> FunctionError {
        FunctionError {
            text: text.into(),
            argument: Some(index),
        }
    }

    /// An error about the call as a whole.
    pub fn call(text: impl Into<String>) -> FunctionError {
        FunctionError {
            text: text.into(),
            argument: None,
        }
    }
}

/// A provider function.
pub trait Function: Send + Sync + 'static {
    /// The name after `provider::<provider>::`.
    fn name(&self) -> &'static str;

    /// Parameters, result type and documentation.
    fn signature(&self) -> Signature;

    /// Computes the result from arguments of the parameters' types (as many as there are
    /// parameters, each known and non-null). The result must be of the signature's type.
    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError>;
}

/// The string argument `index` of a call, or the error naming it. Terraform has converted the
/// argument to the parameter's type, so only a provider bug gets the error.
pub fn string_argument<'a>(
    arguments: &'a [Value],
    index: usize,
    name: &str,
) -> Result<&'a str, FunctionError> {
    arguments
        .get(index)
        .and_then(Value::as_str)
        .ok_or_else(|| FunctionError::argument(index, format!("{name} must be a string")))
}
