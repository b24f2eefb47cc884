//! Terraform value types (cty types) and their JSON type-constraint encoding.
//!
//! The JSON form is what Terraform puts in `Schema.Attribute.type` and what cty writes for the
//! type half of a dynamic value: `"string"`, `["list","string"]`, `["object",{"a":"number"}]`.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

/// A Terraform (cty) type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    Bool,
    Number,
    String,
    /// Any type; values of this type carry their concrete type on the wire.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    /// Attributes by name. Optional-attribute markers of type constraints are accepted on input
    /// and dropped: they only matter to Terraform's own conversions.
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

/// A type JSON document that is not a valid cty type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid type JSON: {0}")]
pub struct TypeJsonError(pub String);

impl Type {
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Type)>) -> Type {
        Type::Object(attributes.into_iter().map(|(k, t)| (k.into(), t)).collect())
    }

    pub fn tuple(elements: impl IntoIterator<Item = Type>) -> Type {
        Type::Tuple(elements.into_iter().collect())
    }

    /// The type as a `serde_json` value in Terraform's type-constraint JSON.
    pub fn to_json(&self) -> Json {
        match self {
            Type::Bool => Json::from("bool"),
            Type::Number => Json::from("number"),
            Type::String => Json::from("string"),
            Type::Dynamic => Json::from("dynamic"),
            Type::List(e) => Json::Array(vec![Json::from("list"), e.to_json()]),
            Type::Set(e) => Json::Array(vec![Json::from("set"), e.to_json()]),
            Type::Map(e) => Json::Array(vec![Json::from("map"), e.to_json()]),
            Type::Object(attrs) => {
                let fields = attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json()))
                    .collect::<serde_json::Map<_, _>>();
                Json::Array(vec![Json::from("object"), Json::Object(fields)])
            }
            Type::Tuple(elems) => Json::Array(vec![
                Json::from("tuple"),
                Json::Array(elems.iter().map(Type::to_json).collect()),
            ]),
        }
    }

    /// The type in Terraform's type-constraint JSON, as bytes (e.g. for `Schema.Attribute.type`).
    pub fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_json()).expect("a JSON value always serialises")
    }

    /// Parses a type from a `serde_json` value in type-constraint JSON.
    pub fn from_json(json: &Json) -> Result<Type, TypeJsonError> {
        match json {
            Json::String(s) => match s.as_str() {
                "bool" => Ok(Type::Bool),
                "number" => Ok(Type::Number),
                "string" => Ok(Type::String),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(TypeJsonError(format!("unknown primitive type {other:?}"))),
            },
            Json::Array(parts) => {
                let kind = parts
                    .first()
                    .and_then(Json::as_str)
                    .ok_or_else(|| TypeJsonError("a type array must start with its kind".into()))?;
                let arg = parts
                    .get(1)
                    .ok_or_else(|| TypeJsonError(format!("{kind:?} needs an argument")))?;
                match kind {
                    "list" | "set" | "map" if parts.len() == 2 => {
                        let e = Box::new(Type::from_json(arg)?);
                        Ok(match kind {
                            "list" => Type::List(e),
                            "set" => Type::Set(e),
                            _ => Type::Map(e),
                        })
                    }
                    "object" if parts.len() == 2 || parts.len() == 3 => {
                        let fields = arg.as_object().ok_or_else(|| {
                            TypeJsonError("an object type needs a map of attribute types".into())
                        })?;
                        let mut attrs = BTreeMap::new();
                        for (k, t) in fields {
                            attrs.insert(k.clone(), Type::from_json(t)?);
                        }
                        Ok(Type::Object(attrs))
                    }
                    "tuple" if parts.len() == 2 => {
                        let elems = arg.as_array().ok_or_else(|| {
                            TypeJsonError("a tuple type needs an array of element types".into())
                        })?;
                        Ok(Type::Tuple(
                            elems
                                .iter()
                                .map(Type::from_json)
                                .collect::<Result<_, _>>()?,
                        ))
                    }
                    other => Err(TypeJsonError(format!(
                        "unknown type kind {other:?} with {} parts",
                        parts.len()
                    ))),
                }
            }
            other => Err(TypeJsonError(format!("unexpected JSON {other}"))),
        }
    }

    /// Parses a type from type-constraint JSON bytes.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, TypeJsonError> {
        let json: Json = serde_json::from_slice(bytes).map_err(|e| TypeJsonError(e.to_string()))?;
        Type::from_json(&json)
    }

    /// The element type of a list, set or map.
    pub fn element_type(&self) -> Option<&Type> {
        match self {
            Type::List(e) | Type::Set(e) | Type::Map(e) => Some(e),
            _ => None,
        }
    }

    /// The type of an object attribute.
    pub fn attribute_type(&self, name: &str) -> Option<&Type> {
        match self {
            Type::Object(attrs) => attrs.get(name),
            _ => None,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}
