//! The msgpack encoding of `DynamicValue`, following cty's rules (Terraform's
//! `object-wire-format.md`): nil is null, any extension value is unknown, objects carry every
//! attribute of their type exactly once, and `dynamic` values travel as `[type JSON, value]`.

use std::collections::BTreeMap;

use crate::values::path::{AttributePath, PathStep};
use crate::values::types::Type;
use crate::values::value::{CodecError, Number, Value, infer_type};

/// What cty writes for a wholly unknown value: fixext1, extension type 0, one zero byte.
pub const UNKNOWN: [u8; 3] = [0xd4, 0x00, 0x00];

/// Decodes a msgpack `DynamicValue` of type `ty`.
///
/// Any extension value is read as unknown (so refined unknowns, extension 12, lose their
/// refinements). Object attributes missing from the bytes decode as null and attributes the
/// type does not have are skipped, so that older or newer encoders stay readable.
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut reader = Reader { buf: bytes, pos: 0 };
    let value = reader.value(ty, &mut AttributePath::root())?;
    if reader.pos != bytes.len() {
        return Err(CodecError::new(
            &AttributePath::root(),
            format!(
                "{} trailing bytes after the msgpack value",
                bytes.len() - reader.pos
            ),
        ));
    }
    Ok(value)
}

/// Encodes `value` as msgpack of type `ty`, as Terraform expects it in responses.
pub fn encode_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    encode(&mut out, value, ty, &mut AttributePath::root())?;
    Ok(out)
}

fn mismatch(path: &AttributePath, ty: &Type, value: &Value) -> CodecError {
    CodecError::new(
        path,
        format!(
            "a value of type {ty} is required, but got a {}",
            value.kind()
        ),
    )
}

fn encode(
    out: &mut Vec<u8>,
    value: &Value,
    ty: &Type,
    path: &mut AttributePath,
) -> Result<(), CodecError> {
    match (value, ty) {
        (Value::Unknown, _) => out.extend_from_slice(&UNKNOWN),
        (Value::Null, _) => out.push(0xc0),
        (_, Type::Dynamic) => {
            let concrete = infer_type(value);
            write_array_len(out, 2);
            write_bin(out, &concrete.to_json_bytes());
            encode(out, value, &concrete, path)?;
        }
        (Value::Bool(b), Type::Bool) => out.push(if *b { 0xc3 } else { 0xc2 }),
        (Value::Number(n), Type::Number) => write_number(out, n),
        (Value::String(s), Type::String) => write_str(out, s),
        (Value::List(items) | Value::Set(items) | Value::Tuple(items), Type::List(element)) => {
            write_array_len(out, items.len());
            for (i, item) in items.iter().enumerate() {
                path.push(PathStep::ElementKeyInt(i as i64));
                encode(out, item, element, path)?;
                path.pop();
            }
        }
        (Value::List(items) | Value::Set(items) | Value::Tuple(items), Type::Set(element)) => {
            // A list given for a set attribute may repeat elements; a set never does.
            let unique = match value {
                Value::Set(_) => items.clone(),
                _ => match Value::set(items.iter().cloned()) {
                    Value::Set(v) => v,
                    _ => unreachable!("Value::set builds a set"),
                },
            };
            write_array_len(out, unique.len());
            for item in &unique {
                encode(out, item, element, path)?;
            }
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
            write_array_len(out, items.len());
            for (i, (item, element)) in items.iter().zip(elements).enumerate() {
                path.push(PathStep::ElementKeyInt(i as i64));
                encode(out, item, element, path)?;
                path.pop();
            }
        }
        (Value::Map(entries) | Value::Object(entries), Type::Map(element)) => {
            write_map_len(out, entries.len());
            for (key, item) in entries {
                write_str(out, key);
                path.push(PathStep::ElementKeyString(key.clone()));
                encode(out, item, element, path)?;
                path.pop();
            }
        }
        (Value::Object(attrs) | Value::Map(attrs), Type::Object(types)) => {
            if let Some(extra) = attrs.keys().find(|k| !types.contains_key(*k)) {
                return Err(CodecError::new(
                    path,
                    format!(
                        "unsupported attribute {extra:?}: the object type has only {}",
                        names(types)
                    ),
                ));
            }
            write_map_len(out, types.len());
            for (name, attr_ty) in types {
                write_str(out, name);
                path.push(PathStep::Attribute(name.clone()));
                encode(out, attrs.get(name).unwrap_or(&Value::Null), attr_ty, path)?;
                path.pop();
            }
        }
        _ => return Err(mismatch(path, ty, value)),
    }
    Ok(())
}

fn names(types: &BTreeMap<String, Type>) -> String {
    if types.is_empty() {
        return "no attributes".to_owned();
    }
    types
        .keys()
        .map(|k| format!("{k:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes a number as cty does: an integer when it is one that fits 64 bits, else a float64
/// when that is exact, else its decimal text.
fn write_number(out: &mut Vec<u8>, n: &Number) {
    if let Some(i) = n.as_i64() {
        write_int(out, i);
        return;
    }
    match n {
        Number::UInt(u) => {
            let f = *u as f64;
            if f as i128 == i128::from(*u) {
                write_f64(out, f);
            } else {
                write_str(out, &u.to_string());
            }
        }
        Number::Float(f) => write_f64(out, *f),
        Number::Big(text) => {
            let f = n.as_f64();
            if f.is_finite() && Number::Float(f) == *n {
                write_f64(out, f);
            } else {
                write_str(out, text.trim());
            }
        }
        Number::Int(i) => write_int(out, *i),
    }
}

fn write_int(out: &mut Vec<u8>, i: i64) {
    if i >= 0 {
        let u = i as u64;
        if u < 0x80 {
            out.push(u as u8);
        } else if u <= 0xff {
            out.extend_from_slice(&[0xcc, u as u8]);
        } else if u <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(u as u16).to_be_bytes());
        } else if u <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(u as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&u.to_be_bytes());
        }
    } else if i >= -32 {
        out.push(i as i8 as u8);
    } else if i >= i64::from(i8::MIN) {
        out.extend_from_slice(&[0xd0, i as i8 as u8]);
    } else if i >= i64::from(i16::MIN) {
        out.push(0xd1);
        out.extend_from_slice(&(i as i16).to_be_bytes());
    } else if i >= i64::from(i32::MIN) {
        out.push(0xd2);
        out.extend_from_slice(&(i as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&i.to_be_bytes());
    }
}

fn write_f64(out: &mut Vec<u8>, f: f64) {
    out.push(0xcb);
    out.extend_from_slice(&f.to_be_bytes());
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s.as_bytes());
}

fn write_bin(out: &mut Vec<u8>, b: &[u8]) {
    let len = b.len();
    if len <= 0xff {
        out.extend_from_slice(&[0xc4, len as u8]);
    } else if len <= 0xffff {
        out.push(0xc5);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xc6);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(b);
}

fn write_array_len(out: &mut Vec<u8>, len: usize) {
    if len < 16 {
        out.push(0x90 | len as u8);
    } else if len <= 0xffff {
        out.push(0xdc);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdd);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

fn write_map_len(out: &mut Vec<u8>, len: usize) {
    if len < 16 {
        out.push(0x80 | len as u8);
    } else if len <= 0xffff {
        out.push(0xde);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdf);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

/// One msgpack item header (containers are read element by element after it).
enum Item<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(usize),
    Map(usize),
    Ext,
}

impl Item<'_> {
    fn describe(&self) -> &'static str {
        match self {
            Item::Nil => "nil",
            Item::Bool(_) => "a bool",
            Item::Int(_) | Item::UInt(_) => "an integer",
            Item::Float(_) => "a float",
            Item::Str(_) => "a string",
            Item::Bin(_) => "binary data",
            Item::Array(_) => "an array",
            Item::Map(_) => "a map",
            Item::Ext => "an extension value",
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, path: &AttributePath) -> Result<&'a [u8], CodecError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.buf.len())
            .ok_or_else(|| CodecError::new(path, "msgpack value ends early"))?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn be(&mut self, n: usize, path: &AttributePath) -> Result<u64, CodecError> {
        Ok(self
            .take(n, path)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn item(&mut self, path: &AttributePath) -> Result<Item<'a>, CodecError> {
        let marker = self.take(1, path)?[0];
        Ok(match marker {
            0x00..=0x7f => Item::Int(i64::from(marker)),
            0x80..=0x8f => Item::Map(usize::from(marker & 0x0f)),
            0x90..=0x9f => Item::Array(usize::from(marker & 0x0f)),
            0xa0..=0xbf => Item::Str(self.take(usize::from(marker & 0x1f), path)?),
            0xc0 => Item::Nil,
            0xc2 => Item::Bool(false),
            0xc3 => Item::Bool(true),
            0xc4..=0xc6 => {
                let len = self.be(1 << (marker - 0xc4), path)? as usize;
                Item::Bin(self.take(len, path)?)
            }
            0xc7..=0xc9 => {
                let len = self.be(1 << (marker - 0xc7), path)? as usize;
                self.take(1 + len, path)?;
                Item::Ext
            }
            0xca => Item::Float(f64::from(f32::from_bits(self.be(4, path)? as u32))),
            0xcb => Item::Float(f64::from_bits(self.be(8, path)?)),
            0xcc..=0xcf => Item::UInt(self.be(1 << (marker - 0xcc), path)?),
            0xd0 => Item::Int(i64::from(self.be(1, path)? as u8 as i8)),
            0xd1 => Item::Int(i64::from(self.be(2, path)? as u16 as i16)),
            0xd2 => Item::Int(i64::from(self.be(4, path)? as u32 as i32)),
            0xd3 => Item::Int(self.be(8, path)? as i64),
            0xd4..=0xd8 => {
                self.take(1 + (1 << (marker - 0xd4)), path)?;
                Item::Ext
            }
            0xd9..=0xdb => {
                let len = self.be(1 << (marker - 0xd9), path)? as usize;
                Item::Str(self.take(len, path)?)
            }
            0xdc | 0xdd => Item::Array(self.be(2 << (marker - 0xdc), path)? as usize),
            0xde | 0xdf => Item::Map(self.be(2 << (marker - 0xde), path)? as usize),
            0xe0..=0xff => Item::Int(i64::from(marker as i8)),
            0xc1 => return Err(CodecError::new(path, "invalid msgpack marker 0xc1")),
        })
    }

    /// Skips one whole value (an attribute the type does not know).
    fn skip(&mut self, path: &AttributePath) -> Result<(), CodecError> {
        let mut pending: usize = 1;
        while pending > 0 {
            pending -= 1;
            match self.item(path)? {
                Item::Array(n) => pending = pending.saturating_add(n),
                Item::Map(n) => pending = pending.saturating_add(n.saturating_mul(2)),
                _ => {}
            }
        }
        Ok(())
    }

    fn string(&mut self, path: &AttributePath, what: &str) -> Result<String, CodecError> {
        match self.item(path)? {
            Item::Str(b) => utf8(b, path),
            other => Err(CodecError::new(
                path,
                format!("{what} must be a string, got {}", other.describe()),
            )),
        }
    }

    fn value(&mut self, ty: &Type, path: &mut AttributePath) -> Result<Value, CodecError> {
        let item = self.item(path)?;
        let expected = |what: &str, item: &Item<'_>| {
            CodecError::new(
                path,
                format!("{what} is required, got {} in the msgpack", item.describe()),
            )
        };
        match (item, ty) {
            (Item::Ext, _) => Ok(Value::Unknown),
            (Item::Nil, _) => Ok(Value::Null),
            (Item::Array(2), Type::Dynamic) => {
                let type_json = match self.item(path)? {
                    Item::Bin(b) | Item::Str(b) => b,
                    other => {
                        return Err(CodecError::new(
                            path,
                            format!(
                                "a dynamic value must start with its type JSON, got {}",
                                other.describe()
                            ),
                        ));
                    }
                };
                let concrete = Type::from_json_bytes(type_json)
                    .map_err(|e| CodecError::new(path, e.to_string()))?;
                self.value(&concrete, path)
            }
            (item, Type::Dynamic) => Err(expected("a [type, value] pair", &item)),
            (Item::Bool(b), Type::Bool) => Ok(Value::Bool(b)),
            (Item::Int(i), Type::Number) => Ok(Value::Number(Number::Int(i))),
            (Item::UInt(u), Type::Number) => Ok(Value::Number(Number::from(u))),
            (Item::Float(f), Type::Number) => Ok(Value::Number(Number::Float(f))),
            (Item::Str(b), Type::Number) => {
                let text = utf8(b, path)?;
                Number::parse(&text)
                    .map(Value::Number)
                    .ok_or_else(|| CodecError::new(path, format!("{text:?} is not a number")))
            }
            (Item::Str(b), Type::String) => Ok(Value::String(utf8(b, path)?)),
            (Item::Array(n), Type::List(element)) => {
                let mut items = Vec::with_capacity(n.min(1024));
                for i in 0..n {
                    path.push(PathStep::ElementKeyInt(i as i64));
                    items.push(self.value(element, path)?);
                    path.pop();
                }
                Ok(Value::List(items))
            }
            (Item::Array(n), Type::Set(element)) => {
                let mut items = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    items.push(self.value(element, path)?);
                }
                Ok(Value::set(items))
            }
            (Item::Array(n), Type::Tuple(elements)) => {
                if n != elements.len() {
                    return Err(CodecError::new(
                        path,
                        format!(
                            "a tuple of {} elements is required, got {n}",
                            elements.len()
                        ),
                    ));
                }
                let mut items = Vec::with_capacity(n);
                for (i, element) in elements.iter().enumerate() {
                    path.push(PathStep::ElementKeyInt(i as i64));
                    items.push(self.value(element, path)?);
                    path.pop();
                }
                Ok(Value::Tuple(items))
            }
            (Item::Map(n), Type::Map(element)) => {
                let mut entries = BTreeMap::new();
                for _ in 0..n {
                    let key = self.string(path, "a map key")?;
                    path.push(PathStep::ElementKeyString(key.clone()));
                    let item = self.value(element, path)?;
                    path.pop();
                    entries.insert(key, item);
                }
                Ok(Value::Map(entries))
            }
            (Item::Map(n), Type::Object(types)) => {
                let mut attrs = BTreeMap::new();
                for _ in 0..n {
                    let name = self.string(path, "an attribute name")?;
                    path.push(PathStep::Attribute(name.clone()));
                    match types.get(&name) {
                        Some(attr_ty) => {
                            let item = self.value(attr_ty, path)?;
                            attrs.insert(name, item);
                        }
                        None => self.skip(path)?,
                    }
                    path.pop();
                }
                for name in types.keys() {
                    attrs.entry(name.clone()).or_insert(Value::Null);
                }
                Ok(Value::Object(attrs))
            }
            (item, ty) => Err(expected(&format!("a value of type {ty}"), &item)),
        }
    }
}

fn utf8(bytes: &[u8], path: &AttributePath) -> Result<String, CodecError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| CodecError::new(path, "a string is not valid UTF-8"))
}
