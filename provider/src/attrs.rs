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

/// A duration as Terraform reads one (Go's `time.ParseDuration`): an optional sign, then one or
/// more decimal numbers, each with an optional fraction and a unit of `ns`, `us` (or `µs`), `ms`,
/// `s`, `m` or `h`: `"500ms"`, `"1.5h"`, `"1h30m"`, `"2h45m30.5s"`. `"0"` alone needs no unit.
/// `None` for anything else, for a negative duration, and past Go's limit (about 292 years).
pub fn parse_duration(text: &str) -> Option<Duration> {
    const LIMIT: u128 = i64::MAX as u128; // nanoseconds, as Go counts them
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Some(Duration::ZERO);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let whole_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let whole: u128 = if whole_len == 0 {
            0
        } else {
            rest[..whole_len].parse().ok()?
        };
        rest = &rest[whole_len..];
        // The fraction: digits after a '.', kept exactly up to 18 digits (finer than a
        // nanosecond for every unit; Go too ignores the digits it cannot hold).
        let (mut numerator, mut scale, mut fraction_len) = (0u128, 1u128, 0usize);
        if let Some(after) = rest.strip_prefix('.') {
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            for digit in after[..digits].bytes().take(18) {
                numerator = numerator * 10 + u128::from(digit - b'0');
                scale *= 10;
            }
            fraction_len = digits;
            rest = &after[digits..];
        }
        if whole_len == 0 && fraction_len == 0 {
            return None; // no digits at all: ".s", "s"
        }
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(rest.len(), |(i, _)| i);
        let nanos: u128 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None, // a missing or unknown unit
        };
        rest = &rest[unit_len..];
        total = total
            .checked_add(whole.checked_mul(nanos)?)?
            .checked_add(numerator * nanos / scale)?;
        if total > LIMIT {
            return None;
        }
    }
    if negative && total > 0 {
        return None;
    }
    Some(Duration::from_nanos(u64::try_from(total).ok()?))
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
                        "{text:?} is not a duration longer than zero: write it as Terraform does, \
                         like \"60m\", \"1h30m\", \"1.5h\", \"90s\" or \"500ms\"."
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
        let ms = Duration::from_millis;
        for (text, want) in [
            ("60m", Duration::from_secs(3600)),
            ("1h30m", Duration::from_secs(5400)),
            ("90s", Duration::from_secs(90)),
            ("500ms", ms(500)),
            ("1.5h", Duration::from_secs(5400)),
            ("2h45m30.5s", ms((2 * 3600 + 45 * 60 + 30) * 1000 + 500)),
            (".5s", ms(500)),
            ("5.s", Duration::from_secs(5)),
            ("+1m", Duration::from_secs(60)),
            ("1h0.5m", Duration::from_secs(3630)),
            ("300us", Duration::from_micros(300)),
            ("300\u{b5}s", Duration::from_micros(300)),
            ("300\u{3bc}s", Duration::from_micros(300)),
            ("7ns", Duration::from_nanos(7)),
            ("0.000000001s", Duration::from_nanos(1)),
            ("0", Duration::ZERO),
            ("0s", Duration::ZERO),
            ("-0s", Duration::ZERO),
            ("2562047h", Duration::from_secs(2_562_047 * 3600)),
            (
                "1.0000000000000000000000000000000001h",
                Duration::from_secs(3600),
            ),
        ] {
            assert_eq!(parse_duration(text), Some(want), "{text}");
        }
        // Go refuses these too (a negative duration is valid for Go, never for a timeout).
        for bad in [
            "",
            "m",
            "10",
            "1x",
            "1d",
            ".",
            ".s",
            "1..5s",
            "1.5",
            "h1",
            "1h 30m",
            " 1h",
            "-",
            "+",
            "1hh",
            "-1s",
            "2562048h",
            "99999999999999999999999h",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
