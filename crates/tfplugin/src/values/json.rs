//! The JSON encoding of values (cty JSON), as Terraform writes resource state: `RawState.json`
//! in `UpgradeResourceState`. JSON has no unknowns.
//!
//! Decoding goes through `serde_json`, so numbers beyond 64-bit integers or `f64` lose
//! precision there; encoding writes every number exactly.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value as Json;

use crate::values::path::{AttributePath, PathStep};
use crate::values::types::Type;
use crate::values::value::{CodecError, Number, Value, infer_type};

/// Decodes JSON of type `ty`. Object attributes missing from the JSON decode as null and
/// attributes the type does not have are ignored (state written by another schema version).
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let json: Json = serde_json::from_slice(bytes)
        .map_err(|e| CodecError::new(&AttributePath::root(), format!("invalid JSON value: {e}")))?;
    from_json(&json, ty, &mut AttributePath::root())
}

/// Decodes an already parsed JSON value of type `ty`.
pub fn from_json(json: &Json, ty: &Type, path: &mut AttributePath) -> Result<Value, CodecError> {
    let mismatch = |path: &AttributePath| {
        CodecError::new(
            path,
            format!(
                "a value of type {ty} is required, got JSON {}",
                json_kind(json)
            ),
        )
    };
    match (json, ty) {
        (Json::Null, _) => Ok(Value::Null),
        (Json::Object(fields), Type::Dynamic) => {
            let (Some(value), Some(type_json)) = (fields.get("value"), fields.get("type")) else {
                return Err(CodecError::new(
                    path,
                    "a dynamic value must be an object with \"value\" and \"type\"",
                ));
            };
            let concrete =
                Type::from_json(type_json).map_err(|e| CodecError::new(path, e.to_string()))?;
            from_json(value, &concrete, path)
        }
        (Json::Bool(b), Type::Bool) => Ok(Value::Bool(*b)),
        (Json::Number(n), Type::Number) => {
            if let Some(i) = n.as_i64() {
                Ok(Value::int(i))
            } else if let Some(u) = n.as_u64() {
                Ok(Value::Number(Number::from(u)))
            } else {
                Ok(Value::float(n.as_f64().unwrap_or(f64::NAN)))
            }
        }
        (Json::String(s), Type::Number) => Number::parse(s)
            .map(Value::Number)
            .ok_or_else(|| CodecError::new(path, format!("{s:?} is not a number"))),
        (Json::String(s), Type::String) => Ok(Value::String(s.clone())),
        (Json::Array(items), Type::List(element)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                path.push(PathStep::ElementKeyInt(i as i64));
                out.push(from_json(item, element, path)?);
                path.pop();
            }
            Ok(Value::List(out))
        }
        (Json::Array(items), Type::Set(element)) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(from_json(item, element, path)?);
            }
            Ok(Value::set(out))
        }
        (Json::Array(items), Type::Tuple(elements)) => {
            if items.len() != elements.len() {
                return Err(CodecError::new(
                    path,
                    format!(
                        "a tuple of {} elements is required, got {}",
                        elements.len(),
                        items.len()
                    ),
                ));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, element)) in items.iter().zip(elements).enumerate() {
                path.push(PathStep::ElementKeyInt(i as i64));
                out.push(from_json(item, element, path)?);
                path.pop();
            }
            Ok(Value::Tuple(out))
        }
        (Json::Object(fields), Type::Map(element)) => {
            let mut out = BTreeMap::new();
            for (key, item) in fields {
                path.push(PathStep::ElementKeyString(key.clone()));
                out.insert(key.clone(), from_json(item, element, path)?);
                path.pop();
            }
            Ok(Value::Map(out))
        }
        (Json::Object(fields), Type::Object(types)) => {
            let mut out = BTreeMap::new();
            for (name, attr_ty) in types {
                path.push(PathStep::Attribute(name.clone()));
                let item = match fields.get(name) {
                    Some(item) => from_json(item, attr_ty, path)?,
                    None => Value::Null,
                };
                path.pop();
                out.insert(name.clone(), item);
            }
            Ok(Value::Object(out))
        }
        _ => Err(mismatch(path)),
    }
}

fn json_kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// Encodes `value` as cty JSON of type `ty`. Unknown values cannot be encoded.
pub fn encode_json(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = String::new();
    write(&mut out, value, ty, &mut AttributePath::root())?;
    Ok(out.into_bytes())
}

fn write(
    out: &mut String,
    value: &Value,
    ty: &Type,
    path: &mut AttributePath,
) -> Result<(), CodecError> {
    match (value, ty) {
        (Value::Unknown, _) => {
            return Err(CodecError::new(
                path,
                "an unknown value cannot be written as JSON",
            ));
        }
        (Value::Null, _) => out.push_str("null"),
        (_, Type::Dynamic) => {
            let concrete = infer_type(value);
            out.push_str("{\"value\":");
            write(out, value, &concrete, path)?;
            out.push_str(",\"type\":");
            out.push_str(&concrete.to_json().to_string());
            out.push('}');
        }
        (Value::Bool(b), Type::Bool) => out.push_str(if *b { "true" } else { "false" }),
        (Value::Number(n), Type::Number) => write_number(out, n, path)?,
        (Value::String(s), Type::String) => write_str(out, s),
        (
            Value::List(items) | Value::Set(items) | Value::Tuple(items),
            Type::List(e) | Type::Set(e),
        ) => {
            let unique;
            let items = if matches!(ty, Type::Set(_)) && !matches!(value, Value::Set(_)) {
                unique = Value::set(items.iter().cloned());
                unique.as_list().unwrap_or_default()
            } else {
                items.as_slice()
            };
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let indexed = matches!(ty, Type::List(_));
                if indexed {
                    path.push(PathStep::ElementKeyInt(i as i64));
                }
                write(out, item, e, path)?;
                if indexed {
                    path.pop();
                }
            }
            out.push(']');
        }
        (Value::List(items) | Value::Tuple(items), Type::Tuple(elements)) => {
            if items.len() != elements.len() {
                return Err(CodecError::new(
                    path,
                    format!(
                        "a tuple of {} elements is required, but got {}",
                        elements.len(),
                        items.len()
                    ),
                ));
            }
            out.push('[');
            for (i, (item, element)) in items.iter().zip(elements).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                path.push(PathStep::ElementKeyInt(i as i64));
                write(out, item, element, path)?;
                path.pop();
            }
            out.push(']');
        }
        (Value::Map(entries) | Value::Object(entries), Type::Map(element)) => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, key);
                out.push(':');
                path.push(PathStep::ElementKeyString(key.clone()));
                write(out, item, element, path)?;
                path.pop();
            }
            out.push('}');
        }
        (Value::Object(attrs) | Value::Map(attrs), Type::Object(types)) => {
            if let Some(extra) = attrs.keys().find(|k| !types.contains_key(*k)) {
                return Err(CodecError::new(
                    path,
                    format!("unsupported attribute {extra:?}"),
                ));
            }
            out.push('{');
            for (i, (name, attr_ty)) in types.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, name);
                out.push(':');
                path.push(PathStep::Attribute(name.clone()));
                write(out, attrs.get(name).unwrap_or(&Value::Null), attr_ty, path)?;
                path.pop();
            }
            out.push('}');
        }
        _ => {
            return Err(CodecError::new(
                path,
                format!(
                    "a value of type {ty} is required, but got a {}",
                    value.kind()
                ),
            ));
        }
    }
    Ok(())
}

fn write_number(out: &mut String, n: &Number, path: &AttributePath) -> Result<(), CodecError> {
    match n {
        Number::Float(f) if !f.is_finite() => {
            return Err(CodecError::new(
                path,
                format!("{f} cannot be written as a JSON number"),
            ));
        }
        Number::Float(f) => match n.as_i64() {
            Some(i) => write!(out, "{i}"),
            None => write!(out, "{f:?}"),
        },
        Number::Int(i) => write!(out, "{i}"),
        Number::UInt(u) => write!(out, "{u}"),
        Number::Big(text) => match Number::parse(text) {
            Some(_) => write!(out, "{}", n.to_decimal_string()),
            None => {
                return Err(CodecError::new(path, format!("{text:?} is not a number")));
            }
        },
    }
    .expect("writing to a String cannot fail");
    Ok(())
}

fn write_str(out: &mut String, s: &str) {
    out.push_str(&Json::from(s).to_string());
}
