//! Terraform values, schema-less: the schema's [`Type`](crate::values::types::Type) says how to
//! encode them.
//!
//! A resource reads its configuration with [`Value::get`] and the `as_*` accessors, and builds
//! state with [`Value::object`] and [`Value::set_attr`]:
//!
//! ```
//! use tfplugin::values::value::Value;
//! let config = Value::object([("name", Value::string("alice")), ("uid", Value::int(200001))]);
//! assert_eq!(config.get("name").as_str(), Some("alice"));
//! assert!(config.get("missing").is_null());
//! ```

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::values::path::{AttributePath, PathStep};

/// A Terraform value. Nulls and unknowns are untyped here; the schema gives them their type.
#[derive(Debug, Clone, Default)]
pub enum Value {
    #[default]
    Null,
    /// Not known until apply. Refinements Terraform may send are dropped.
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    /// Unordered and without duplicates; equality ignores order.
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
}

static NULL: Value = Value::Null;

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn bool(b: bool) -> Value {
        Value::Bool(b)
    }

    pub fn int(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }

    pub fn float(f: f64) -> Value {
        Value::Number(Number::Float(f))
    }

    pub fn number(n: impl Into<Number>) -> Value {
        Value::Number(n.into())
    }

    /// An object from `(attribute, value)` pairs.
    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(attributes.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A map from `(key, value)` pairs.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn list(elements: impl IntoIterator<Item = Value>) -> Value {
        Value::List(elements.into_iter().collect())
    }

    /// A set; duplicate elements are dropped. Elements that contain unknowns are all kept, as
    /// cty does: two unknowns may turn out different, and Terraform checks that a planned set
    /// has as many elements as the configured one.
    pub fn set(elements: impl IntoIterator<Item = Value>) -> Value {
        let mut unique: Vec<Value> = Vec::new();
        for e in elements {
            if !e.is_fully_known() || !unique.contains(&e) {
                unique.push(e);
            }
        }
        Value::Set(unique)
    }

    pub fn tuple(elements: impl IntoIterator<Item = Value>) -> Value {
        Value::Tuple(elements.into_iter().collect())
    }

    /// A list of strings, e.g. for a `list_of_strings` attribute.
    pub fn strings<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Value {
        Value::List(items.into_iter().map(|s| Value::String(s.into())).collect())
    }

    /// A string, or null when `None`.
    pub fn opt_string<S: Into<String>>(s: Option<S>) -> Value {
        s.map_or(Value::Null, |s| Value::String(s.into()))
    }

    /// An integer, or null when `None`.
    pub fn opt_int(i: Option<i64>) -> Value {
        i.map_or(Value::Null, Value::int)
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// Not unknown at the top level (it may be null, or contain unknowns).
    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }

    /// Known, and so is everything inside it.
    pub fn is_fully_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => v.iter().all(Value::is_fully_known),
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_fully_known),
            _ => true,
        }
    }

    /// The attribute `name` of an object (or entry of a map); null when absent or when `self`
    /// is not an object. Unknown objects give unknown attributes.
    pub fn get(&self, name: &str) -> &Value {
        match self {
            Value::Object(m) | Value::Map(m) => m.get(name).unwrap_or(&NULL),
            Value::Unknown => &Value::Unknown,
            _ => &NULL,
        }
    }

    /// The element at `index` of a list or tuple; null when absent.
    pub fn element(&self, index: usize) -> &Value {
        match self {
            Value::List(v) | Value::Tuple(v) => v.get(index).unwrap_or(&NULL),
            Value::Unknown => &Value::Unknown,
            _ => &NULL,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The number as an `i64`, when it is a whole number in range.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }

    /// The number as a `u64`, when it is a non-negative whole number in range.
    pub fn as_u64(&self) -> Option<u64> {
        self.as_number().and_then(Number::as_u64)
    }

    /// The number as the nearest `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().map(Number::as_f64)
    }

    /// The elements of a list, set or tuple.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// The entries of a map or the attributes of an object.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The strings of a list or set of strings (`None` if any element is not a known string).
    pub fn as_strings(&self) -> Option<Vec<&str>> {
        self.as_list()?.iter().map(Value::as_str).collect()
    }

    /// Sets attribute `name` of an object; a null `self` becomes an object first.
    ///
    /// # Panics
    /// When `self` is neither null, an object nor a map: that is a programming error.
    pub fn set_attr(&mut self, name: impl Into<String>, value: Value) -> &mut Value {
        if self.is_null() {
            *self = Value::Object(BTreeMap::new());
        }
        match self {
            Value::Object(m) | Value::Map(m) => {
                m.insert(name.into(), value);
            }
            other => panic!("set_attr on a value that is not an object: {other}"),
        }
        self
    }

    /// `self` with attribute `name` set: the builder form of [`Value::set_attr`].
    #[must_use]
    pub fn with_attr(mut self, name: impl Into<String>, value: Value) -> Value {
        self.set_attr(name, value);
        self
    }

    /// The value at `path`, if every step exists (a null or unknown parent has no children).
    pub fn walk(&self, path: &AttributePath) -> Option<&Value> {
        let mut current = self;
        for step in path.steps() {
            current = match (step, current) {
                (PathStep::Attribute(name), Value::Object(m))
                | (PathStep::ElementKeyString(name), Value::Map(m)) => m.get(name)?,
                (PathStep::ElementKeyInt(i), Value::List(v) | Value::Tuple(v)) => {
                    v.get(usize::try_from(*i).ok()?)?
                }
                _ => return None,
            };
        }
        Some(current)
    }

    /// The value at `path`, mutably.
    pub fn walk_mut(&mut self, path: &AttributePath) -> Option<&mut Value> {
        let mut current = self;
        for step in path.steps() {
            current = match (step, current) {
                (PathStep::Attribute(name), Value::Object(m))
                | (PathStep::ElementKeyString(name), Value::Map(m)) => m.get_mut(name)?,
                (PathStep::ElementKeyInt(i), Value::List(v) | Value::Tuple(v)) => {
                    v.get_mut(usize::try_from(*i).ok()?)?
                }
                _ => return None,
            };
        }
        Some(current)
    }

    /// Replaces the value at `path`. The last step may name an attribute or map key that is
    /// not there yet; every step before it must exist.
    pub fn set_path(&mut self, path: &AttributePath, value: Value) -> Result<(), PathError> {
        let Some((last, parent_steps)) = path.steps().split_last() else {
            *self = value;
            return Ok(());
        };
        let parent_path = AttributePath::from_steps(parent_steps.to_vec());
        let parent = self
            .walk_mut(&parent_path)
            .ok_or_else(|| PathError(path.clone()))?;
        match (last, parent) {
            (PathStep::Attribute(name), Value::Object(m))
            | (PathStep::ElementKeyString(name), Value::Map(m)) => {
                m.insert(name.clone(), value);
                Ok(())
            }
            (PathStep::ElementKeyInt(i), Value::List(v) | Value::Tuple(v)) => {
                let slot = usize::try_from(*i)
                    .ok()
                    .and_then(|i| v.get_mut(i))
                    .ok_or_else(|| PathError(path.clone()))?;
                *slot = value;
                Ok(())
            }
            _ => Err(PathError(path.clone())),
        }
    }

    /// A short name for the kind of value, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown => "unknown",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "map",
            Value::Object(_) => "object",
            Value::Tuple(_) => "tuple",
        }
    }
}

/// A path that does not lead to a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no value at path {0}")]
pub struct PathError(pub AttributePath);

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) | (Value::Unknown, Value::Unknown) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => a == b,
            (Value::Set(a), Value::Set(b)) => {
                a.len() == b.len()
                    && a.iter().all(|x| b.contains(x))
                    && b.iter().all(|x| a.contains(x))
            }
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Value {}

impl fmt::Display for Value {
    /// An HCL-like rendering for messages; not a wire format.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn seq(f: &mut fmt::Formatter<'_>, open: &str, v: &[Value], close: &str) -> fmt::Result {
            f.write_str(open)?;
            for (i, e) in v.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{e}")?;
            }
            f.write_str(close)
        }
        match self {
            Value::Null => f.write_str("null"),
            Value::Unknown => f.write_str("(known after apply)"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::List(v) | Value::Tuple(v) => seq(f, "[", v, "]"),
            Value::Set(v) => seq(f, "toset([", v, "])"),
            Value::Map(m) | Value::Object(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} = {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::int(i)
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// A Terraform number without loss of precision: whatever arrived on the wire is kept, and two
/// numbers are equal when their values are (`1`, `1.0` and `"1e0"` are equal).
#[derive(Debug, Clone)]
pub enum Number {
    Int(i64),
    UInt(u64),
    Float(f64),
    /// A decimal literal too large or too precise for the others, e.g. `"123456789012345678901"`.
    Big(String),
}

/// A number as sign, significant digits and decimal exponent: value = 0.DIGITS × 10^exp.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Canonical {
    Zero,
    Finite {
        negative: bool,
        digits: String,
        exponent: i64,
    },
    /// Infinities and anything not parsable as a decimal, compared as text.
    Other(String),
}

impl Number {
    /// Parses a decimal literal (`-12`, `3.25`, `1e40`), keeping it exactly.
    pub fn parse(text: &str) -> Option<Number> {
        let t = text.trim();
        if let Ok(i) = t.parse::<i64>() {
            return Some(Number::Int(i));
        }
        if let Ok(u) = t.parse::<u64>() {
            return Some(Number::UInt(u));
        }
        match canonical_decimal(t) {
            Canonical::Other(_) => None,
            _ => Some(Number::Big(t.to_owned())),
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(*i),
            Number::UInt(u) => i64::try_from(*u).ok(),
            Number::Float(f) => {
                if f.fract() == 0.0
                    && *f >= -9.223_372_036_854_776e18
                    && *f < 9.223_372_036_854_776e18
                {
                    Some(*f as i64)
                } else {
                    None
                }
            }
            Number::Big(_) => self.as_integer_i128().and_then(|i| i64::try_from(i).ok()),
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Number::UInt(u) => Some(*u),
            _ => self.as_integer_i128().and_then(|i| u64::try_from(i).ok()),
        }
    }

    pub fn as_f64(&self) -> f64 {
        match self {
            Number::Int(i) => *i as f64,
            Number::UInt(u) => *u as f64,
            Number::Float(f) => *f,
            Number::Big(s) => s.trim().parse::<f64>().unwrap_or(f64::NAN),
        }
    }

    /// The value as an `i128` when it is a whole number in range.
    fn as_integer_i128(&self) -> Option<i128> {
        match self {
            Number::Int(i) => Some(i128::from(*i)),
            Number::UInt(u) => Some(i128::from(*u)),
            _ => match self.canonical() {
                Canonical::Zero => Some(0),
                Canonical::Finite {
                    negative,
                    digits,
                    exponent,
                } => {
                    let exponent = usize::try_from(exponent).ok()?;
                    if exponent < digits.len() || exponent > 38 {
                        return None;
                    }
                    let mut text = digits.clone();
                    text.extend(std::iter::repeat_n('0', exponent - digits.len()));
                    let magnitude = text.parse::<i128>().ok()?;
                    Some(if negative { -magnitude } else { magnitude })
                }
                Canonical::Other(_) => None,
            },
        }
    }

    /// Whether the number is a whole number.
    pub fn is_integer(&self) -> bool {
        match self.canonical() {
            Canonical::Zero => true,
            Canonical::Finite {
                digits, exponent, ..
            } => exponent >= digits.len() as i64,
            Canonical::Other(_) => false,
        }
    }

    /// The number as plain decimal text without an exponent (`"1e3"` → `"1000"`), as cty
    /// writes numbers it cannot send as integers or floats.
    pub fn to_decimal_string(&self) -> String {
        match self.canonical() {
            Canonical::Zero => "0".to_owned(),
            Canonical::Finite {
                negative,
                digits,
                exponent,
            } => {
                let sign = if negative { "-" } else { "" };
                let len = digits.len() as i64;
                if exponent <= 0 {
                    let zeros = "0".repeat(exponent.unsigned_abs() as usize);
                    format!("{sign}0.{zeros}{digits}")
                } else if exponent >= len {
                    let zeros = "0".repeat((exponent - len) as usize);
                    format!("{sign}{digits}{zeros}")
                } else {
                    let (int_part, frac_part) = digits.split_at(exponent as usize);
                    format!("{sign}{int_part}.{frac_part}")
                }
            }
            Canonical::Other(text) => text,
        }
    }

    fn canonical(&self) -> Canonical {
        match self {
            Number::Int(i) => canonical_decimal(&i.to_string()),
            Number::UInt(u) => canonical_decimal(&u.to_string()),
            // The exact value of the binary float, not its shortest decimal form: 1e17 as a
            // float is the integer 100000000000000000, and 0.1 is not exactly 1/10.
            Number::Float(f) if f.is_finite() && f.fract() == 0.0 => {
                canonical_decimal(&format!("{f:.0}"))
            }
            Number::Float(f) if f.is_finite() => canonical_decimal(&format!("{f:.800e}")),
            Number::Float(f) => Canonical::Other(f.to_string()),
            Number::Big(s) => canonical_decimal(s.trim()),
        }
    }
}

/// Normalises a decimal literal `[-+]digits[.digits][e[-+]digits]`.
fn canonical_decimal(text: &str) -> Canonical {
    let other = || Canonical::Other(text.to_owned());
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(at) => match rest[at + 1..].parse::<i64>() {
            Ok(e) => (&rest[..at], e),
            Err(_) => return other(),
        },
        None => (rest, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (int_part.is_empty() && frac_part.is_empty())
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return other();
    }
    let all: String = format!("{int_part}{frac_part}");
    let leading = all.bytes().take_while(|b| *b == b'0').count();
    let digits = all[leading..].trim_end_matches('0');
    if digits.is_empty() {
        return Canonical::Zero;
    }
    let exponent = exp + int_part.len() as i64 - leading as i64;
    Canonical::Finite {
        negative,
        digits: digits.to_owned(),
        exponent,
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            (Number::Float(a), Number::Float(b)) => a == b,
            _ => self.canonical() == other.canonical(),
        }
    }
}

impl Eq for Number {}

impl Hash for Number {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.canonical().hash(state);
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        if let (Some(a), Some(b)) = (self.as_integer_i128(), other.as_integer_i128()) {
            return Some(a.cmp(&b));
        }
        self.as_f64().partial_cmp(&other.as_f64())
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::UInt(u) => write!(f, "{u}"),
            Number::Float(x) => write!(f, "{x}"),
            Number::Big(s) => f.write_str(s),
        }
    }
}

impl From<i64> for Number {
    fn from(i: i64) -> Number {
        Number::Int(i)
    }
}

impl From<i32> for Number {
    fn from(i: i32) -> Number {
        Number::Int(i64::from(i))
    }
}

impl From<u64> for Number {
    fn from(u: u64) -> Number {
        i64::try_from(u).map_or(Number::UInt(u), Number::Int)
    }
}

impl From<f64> for Number {
    fn from(f: f64) -> Number {
        Number::Float(f)
    }
}

/// A value that does not match its type, or bytes that are not a value of the type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CodecError {
    /// Where in the value the problem is (the root for the whole value).
    pub path: AttributePath,
    pub message: String,
}

impl CodecError {
    pub fn new(path: &AttributePath, message: impl Into<String>) -> CodecError {
        CodecError {
            path: path.clone(),
            message: message.into(),
        }
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_root() {
            f.write_str(&self.message)
        } else {
            write!(f, "at {}: {}", self.path, self.message)
        }
    }
}

/// The concrete type of a value, for encoding it where the schema says `dynamic`.
///
/// Nulls and unknowns have no type of their own and become `dynamic`; collection element types
/// are unified so that, say, objects with a null attribute in one element and a string in
/// another get a string attribute.
pub fn infer_type(value: &Value) -> crate::values::types::Type {
    use crate::values::types::Type;
    fn unify_all<'a>(values: impl Iterator<Item = &'a Value>) -> Type {
        values.fold(Type::Dynamic, |t, v| unify(t, infer_type(v)))
    }
    match value {
        Value::Null | Value::Unknown => Type::Dynamic,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(v) => Type::list(unify_all(v.iter())),
        Value::Set(v) => Type::set(unify_all(v.iter())),
        Value::Map(m) => Type::map(unify_all(m.values())),
        Value::Object(m) => {
            Type::Object(m.iter().map(|(k, v)| (k.clone(), infer_type(v))).collect())
        }
        Value::Tuple(v) => Type::Tuple(v.iter().map(infer_type).collect()),
    }
}

/// The more specific of two types that describe values of one collection; `dynamic` when they
/// disagree.
fn unify(
    a: crate::values::types::Type,
    b: crate::values::types::Type,
) -> crate::values::types::Type {
    use crate::values::types::Type;
    match (a, b) {
        (a, b) if a == b => a,
        (Type::Dynamic, t) | (t, Type::Dynamic) => t,
        (Type::List(x), Type::List(y)) => Type::list(unify(*x, *y)),
        (Type::Set(x), Type::Set(y)) => Type::set(unify(*x, *y)),
        (Type::Map(x), Type::Map(y)) => Type::map(unify(*x, *y)),
        (Type::Object(mut x), Type::Object(y)) if x.keys().eq(y.keys()) => {
            for (k, t) in y {
                let merged = unify(x.remove(&k).unwrap_or(Type::Dynamic), t);
                x.insert(k, merged);
            }
            Type::Object(x)
        }
        (Type::Tuple(x), Type::Tuple(y)) if x.len() == y.len() => {
            Type::Tuple(x.into_iter().zip(y).map(|(a, b)| unify(a, b)).collect())
        }
        _ => Type::Dynamic,
    }
}
