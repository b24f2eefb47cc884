//! Building blocks of the provider's schemas: the rules for the identifiers users type
//! (SageMaker names and domain ids, EFS file system ids, uids) and the computed fields of the
//! rows a data source lists.

use std::sync::Arc;
use std::time::Duration;

use tfplugin::framework::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::framework::schema::Attribute;
use tfplugin::framework::validators::{self, Validator};
use tfplugin::values::path::AttributePath;
use tfplugin::values::value::Value;

/// SageMaker's rule for domain, user profile and space names.
pub fn sagemaker_name() -> Arc<dyn Validator> {
    validators::regex(
        r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$",
        "a SageMaker name: 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit",
    )
}

/// A SageMaker domain id, wherever one is typed: `studio_domain`, the `domain_id` of the user
/// profile and space data sources, and the source and target of `studio_profile_restore`.
pub fn domain_id() -> Arc<dyn Validator> {
    validators::regex(
        r"^d-[a-z0-9]{1,62}$",
        "a SageMaker domain id such as d-0123456789ab",
    )
}

/// An EFS file system id.
pub fn file_system_id() -> Arc<dyn Validator> {
    validators::regex(
        r"^fs-[0-9a-f]{8,40}$",
        "an EFS file system id such as fs-0123456789abcdef0",
    )
}

/// A home directory uid: a positive decimal number.
pub fn uid() -> Arc<dyn Validator> {
    validators::regex(
        r"^[1-9][0-9]{0,9}$",
        "a positive number such as 200005 (the profile's HomeEfsFileSystemUid)",
    )
}

/// One computed field of the rows a data source lists (`homes`, `entries`): its attribute and
/// how to read its value from a row, side by side so that the schema and the values cannot drift.
pub struct Field<T> {
    attribute: Attribute,
    value: fn(&T) -> Value,
}

impl<T> Field<T> {
    /// A computed `attribute` with its `description`, read from a row by `value`.
    pub fn new(attribute: Attribute, description: &str, value: fn(&T) -> Value) -> Field<T> {
        Field {
            attribute: attribute.computed().description(description),
            value,
        }
    }
}

/// The attributes of `fields`, for the schema of the nested list.
pub fn field_attributes<T>(fields: &[Field<T>]) -> Vec<Attribute> {
    fields.iter().map(|f| f.attribute.clone()).collect()
}

/// The object `fields` make of `row`.
pub fn field_values<T>(fields: &[Field<T>], row: &T) -> Value {
    Value::object(
        fields
            .iter()
            .map(|f| (f.attribute.name.clone(), (f.value)(row))),
    )
}

/// `"60m"`, `"1h30m"`, `"90s"`: Terraform's duration strings (Go's `time.ParseDuration`
/// without fractions).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut total = 0u64;
    let mut digits = String::new();
    let mut any = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: u64 = digits.parse().ok()?;
        digits.clear();
        let unit = match c {
            'h' => 3600,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                if n > 0 { 1 } else { 0 }
            }
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        any = true;
    }
    (digits.is_empty() && any).then(|| Duration::from_secs(total))
}

/// The `timeouts.<operation>` of a resource's configuration, `default` when unset; an error at
/// that attribute when it is not a duration longer than zero.
pub fn timeout(
    config: &Value,
    operation: &str,
    default: Duration,
) -> Result<Duration, Diagnostics> {
    match config.get("timeouts").get(operation).as_str() {
        None => Ok(default),
        Some(text) => parse_duration(text)
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                Diagnostic::error(
                    "Invalid timeout",
                    format!(
                        "{text:?} is not a duration: write it like \"60m\", \"1h30m\" or \"90s\"."
                    ),
                )
                .at(AttributePath::attribute("timeouts").attr(operation))
                .into()
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_is_its_default_or_a_positive_duration_at_its_attribute() {
        let config = |t: Value| Value::object([("timeouts", t)]);
        let default = Duration::from_secs(7);
        assert_eq!(
            timeout(&config(Value::Null), "delete", default),
            Ok(default)
        );
        let set = config(Value::object([("delete", Value::string("90s"))]));
        assert_eq!(
            timeout(&set, "delete", default),
            Ok(Duration::from_secs(90))
        );
        assert_eq!(timeout(&set, "create", default), Ok(default));
        for bad in ["0s", "soon"] {
            let err = timeout(
                &config(Value::object([("delete", Value::string(bad))])),
                "delete",
                default,
            )
            .expect_err(bad);
            let d = err.errors().next().expect("an error");
            assert_eq!(
                d.attribute,
                Some(AttributePath::attribute("timeouts").attr("delete")),
                "{bad}"
            );
        }
    }

    #[test]
    fn durations_parse_like_terraform() {
        assert_eq!(parse_duration("60m"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        for bad in ["", "m", "10", "1x", "1.5h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
