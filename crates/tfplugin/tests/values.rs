//! The value layer: type JSON, msgpack and JSON codecs (golden bytes from cty's rules and
//! round trips), accessors, schemas and validation.

use std::collections::BTreeMap;

use proptest::prelude::*;
use tfplugin::framework::diagnostics::Severity;
use tfplugin::framework::schema::{Attribute, Block, NestedBlock, Schema, validate_config};
use tfplugin::framework::validators::{self, Pattern};
use tfplugin::values::json::{decode_json, encode_json};
use tfplugin::values::msgpack::{decode_msgpack, encode_msgpack};
use tfplugin::values::path::AttributePath;
use tfplugin::values::types::Type;
use tfplugin::values::value::{Number, Value};

fn obj_ab() -> Type {
    Type::object([("a", Type::String), ("b", Type::String)])
}

// ---- golden msgpack bytes -------------------------------------------------------------------

#[test]
fn object_with_a_null_attribute_has_exact_cty_bytes() {
    let value = Value::object([("a", Value::string("x")), ("b", Value::Null)]);
    let bytes = encode_msgpack(&value, &obj_ab()).unwrap();
    assert_eq!(bytes, [0x82, 0xa1, b'a', 0xa1, b'x', 0xa1, b'b', 0xc0]);
    assert_eq!(decode_msgpack(&bytes, &obj_ab()).unwrap(), value);
}

#[test]
fn missing_attributes_are_written_as_nil() {
    let value = Value::object([("b", Value::string("y"))]);
    let bytes = encode_msgpack(&value, &obj_ab()).unwrap();
    assert_eq!(bytes, [0x82, 0xa1, b'a', 0xc0, 0xa1, b'b', 0xa1, b'y']);
}

#[test]
fn attributes_the_type_lacks_are_an_encoding_error_naming_them() {
    let value = Value::object([("a", Value::string("x")), ("zzz", Value::Null)]);
    let err = encode_msgpack(&value, &obj_ab()).unwrap_err();
    assert!(err.to_string().contains("zzz"), "{err}");
}

#[test]
fn unknown_is_fixext1_type_0() {
    assert_eq!(
        encode_msgpack(&Value::Unknown, &Type::String).unwrap(),
        [0xd4, 0, 0]
    );
    let nested = Value::object([("a", Value::Unknown), ("b", Value::Null)]);
    assert_eq!(
        encode_msgpack(&nested, &obj_ab()).unwrap(),
        [0x82, 0xa1, b'a', 0xd4, 0, 0, 0xa1, b'b', 0xc0]
    );
}

#[test]
fn any_extension_decodes_as_unknown_including_refined() {
    // ext 12 with a refinement map {1: false} ("definitely not null"), as Terraform ≥ 1.6 sends.
    let refined = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2];
    assert_eq!(
        decode_msgpack(&refined, &Type::String).unwrap(),
        Value::Unknown
    );
    // a string prefix refinement {2: "ab"}
    let prefixed = [0xc7, 0x05, 0x0c, 0x81, 0x02, 0xa2, b'a', b'b'];
    assert_eq!(
        decode_msgpack(&prefixed, &Type::String).unwrap(),
        Value::Unknown
    );
    assert_eq!(
        decode_msgpack(&[0xd4, 0x0c, 0x00], &Type::Number).unwrap(),
        Value::Unknown
    );
    assert_eq!(
        decode_msgpack(&[0xd5, 0x00, 1, 2], &Type::Bool).unwrap(),
        Value::Unknown
    );
    // inside an object, followed by more attributes
    let bytes = [
        0x82, 0xa1, b'a', 0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2, 0xa1, b'b', 0xa1, b'y',
    ];
    assert_eq!(
        decode_msgpack(&bytes, &obj_ab()).unwrap(),
        Value::object([("a", Value::Unknown), ("b", Value::string("y"))])
    );
}

#[test]
fn numbers_use_the_smallest_cty_form() {
    let enc = |n: Number| encode_msgpack(&Value::Number(n), &Type::Number).unwrap();
    assert_eq!(enc(Number::Int(1)), [0x01]);
    assert_eq!(enc(Number::Int(-1)), [0xff]);
    assert_eq!(enc(Number::Int(-33)), [0xd0, 0xdf]);
    assert_eq!(enc(Number::Int(200)), [0xcc, 200]);
    assert_eq!(enc(Number::Int(300)), [0xcd, 0x01, 0x2c]);
    assert_eq!(enc(Number::Int(200_001)), [0xce, 0x00, 0x03, 0x0d, 0x41]);
    assert_eq!(enc(Number::Float(2.0)), [0x02]);
    let mut half = vec![0xcb];
    half.extend_from_slice(&1.5f64.to_be_bytes());
    assert_eq!(enc(Number::Float(1.5)), half);
    assert_eq!(enc(Number::Big("1.5".into())), half);
    let long = "1234567890123456789012345678901234567890";
    let mut str8 = vec![0xd9, long.len() as u8];
    str8.extend_from_slice(long.as_bytes());
    assert_eq!(enc(Number::Big(long.into())), str8);
    let big = "123456789012345678901234567890";
    let mut expected = vec![0xa0 | big.len() as u8];
    expected.extend_from_slice(big.as_bytes());
    assert_eq!(enc(Number::Big(big.into())), expected);
    assert_eq!(
        decode_msgpack(&expected, &Type::Number).unwrap(),
        Value::Number(Number::Big(big.into()))
    );
}

#[test]
fn numbers_decode_from_every_msgpack_form() {
    let dec = |b: &[u8]| decode_msgpack(b, &Type::Number).unwrap();
    assert_eq!(dec(&[0x07]).as_i64(), Some(7));
    assert_eq!(dec(&[0xe0]).as_i64(), Some(-32));
    assert_eq!(dec(&[0xd1, 0xff, 0x00]).as_i64(), Some(-256));
    assert_eq!(
        dec(&[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).as_u64(),
        Some(u64::MAX)
    );
    assert_eq!(dec(&[0xca, 0x3f, 0xc0, 0x00, 0x00]).as_f64(), Some(1.5));
    assert_eq!(dec(&[0xa2, b'4', b'2']).as_i64(), Some(42));
    assert!(decode_msgpack(&[0xa1, b'x'], &Type::Number).is_err());
}

#[test]
fn number_equality_is_by_value() {
    assert_eq!(Number::Int(1), Number::Float(1.0));
    assert_eq!(Number::Int(1000), Number::Big("1e3".into()));
    assert_eq!(Number::UInt(5), Number::Big("5.000".into()));
    assert_eq!(Number::Float(0.25), Number::Big("0.25".into()));
    assert_eq!(
        Number::Float(-4.3560792430073485e17),
        Number::Int(-435607924300734848)
    );
    assert_ne!(
        Number::Float(0.1),
        Number::Big("0.1".into()),
        "0.1 has no exact float"
    );
    assert_ne!(
        Number::Big("100000000000000000001".into()),
        Number::Big("100000000000000000000".into())
    );
    assert_eq!(Number::Big("-0.0".into()), Number::Int(0));
    assert_eq!(Number::Big("1e3".into()).to_decimal_string(), "1000");
    assert_eq!(
        Number::Big("-12.5e-3".into()).to_decimal_string(),
        "-0.0125"
    );
}

#[test]
fn dynamic_values_carry_their_type_json() {
    let bytes = encode_msgpack(&Value::string("hi"), &Type::Dynamic).unwrap();
    let mut expected = vec![0x92, 0xc4, 8];
    expected.extend_from_slice(b"\"string\"");
    expected.extend_from_slice(&[0xa2, b'h', b'i']);
    assert_eq!(bytes, expected);
    assert_eq!(
        decode_msgpack(&bytes, &Type::Dynamic).unwrap(),
        Value::string("hi")
    );
    // null and unknown dynamic values are plain nil / extension, as in cty
    assert_eq!(
        encode_msgpack(&Value::Null, &Type::Dynamic).unwrap(),
        [0xc0]
    );
    assert_eq!(
        encode_msgpack(&Value::Unknown, &Type::Dynamic).unwrap(),
        [0xd4, 0, 0]
    );
    // the type may also arrive as a msgpack string
    let mut as_str = vec![0x92, 0xa8];
    as_str.extend_from_slice(b"\"number\"");
    as_str.push(0x05);
    assert_eq!(
        decode_msgpack(&as_str, &Type::Dynamic).unwrap(),
        Value::int(5)
    );
}

#[test]
fn collections_encode_as_arrays_and_maps() {
    let list = Value::strings(["a", "b"]);
    assert_eq!(
        encode_msgpack(&list, &Type::list(Type::String)).unwrap(),
        [0x92, 0xa1, b'a', 0xa1, b'b']
    );
    let map = Value::map([("k", Value::int(1))]);
    assert_eq!(
        encode_msgpack(&map, &Type::map(Type::Number)).unwrap(),
        [0x81, 0xa1, b'k', 0x01]
    );
    // a list given for a set attribute loses its duplicates
    let dup = Value::strings(["a", "a"]);
    assert_eq!(
        encode_msgpack(&dup, &Type::set(Type::String)).unwrap(),
        [0x91, 0xa1, b'a']
    );
    // sets decode without duplicates and compare without order
    let bytes = [0x93, 0xa1, b'b', 0xa1, b'a', 0xa1, b'b'];
    let set = decode_msgpack(&bytes, &Type::set(Type::String)).unwrap();
    assert_eq!(set, Value::set([Value::string("a"), Value::string("b")]));
    assert_eq!(set.as_list().unwrap().len(), 2);
}

#[test]
fn decoding_is_lenient_about_unknown_and_missing_attributes() {
    // {"a": "x", "extra": [1, {"z": nil}]} with no "b"
    let bytes = [
        0x82, 0xa1, b'a', 0xa1, b'x', 0xa5, b'e', b'x', b't', b'r', b'a', 0x92, 0x01, 0x81, 0xa1,
        b'z', 0xc0,
    ];
    assert_eq!(
        decode_msgpack(&bytes, &obj_ab()).unwrap(),
        Value::object([("a", Value::string("x")), ("b", Value::Null)])
    );
}

#[test]
fn decoding_errors_name_the_path() {
    let ty = Type::object([("tags", Type::map(Type::String))]);
    // {"tags": {"team": 5}}
    let bytes = [
        0x81, 0xa4, b't', b'a', b'g', b's', 0x81, 0xa4, b't', b'e', b'a', b'm', 0x05,
    ];
    let err = decode_msgpack(&bytes, &ty).unwrap_err();
    assert_eq!(err.path, AttributePath::root().attr("tags").key("team"));
    assert!(err.to_string().contains("tags[\"team\"]"), "{err}");
    assert!(
        decode_msgpack(&[0x92, 0x01], &Type::list(Type::Number)).is_err(),
        "truncated"
    );
    assert!(
        decode_msgpack(&[0x01, 0x02], &Type::Number).is_err(),
        "trailing bytes"
    );
}

// ---- JSON -----------------------------------------------------------------------------------

#[test]
fn json_objects_carry_every_attribute() {
    let value = Value::object([("a", Value::string("x")), ("b", Value::Null)]);
    assert_eq!(
        encode_json(&value, &obj_ab()).unwrap(),
        br#"{"a":"x","b":null}"#
    );
    assert_eq!(
        decode_json(br#"{"a":"x","old":1}"#, &obj_ab()).unwrap(),
        value
    );
    assert!(encode_json(&Value::Unknown, &Type::String).is_err());
}

#[test]
fn json_dynamic_and_numbers() {
    let v = Value::list([Value::int(1), Value::float(2.5)]);
    let bytes = encode_json(&v, &Type::Dynamic).unwrap();
    assert_eq!(bytes, br#"{"value":[1,2.5],"type":["list","number"]}"#);
    assert_eq!(decode_json(&bytes, &Type::Dynamic).unwrap(), v);
    let big = Value::Number(Number::Big("123456789012345678901234567890".into()));
    assert_eq!(
        encode_json(&big, &Type::Number).unwrap(),
        b"123456789012345678901234567890"
    );
    assert_eq!(
        decode_json(br#""42""#, &Type::Number).unwrap(),
        Value::int(42)
    );
}

// ---- types ----------------------------------------------------------------------------------

#[test]
fn type_json_matches_terraform() {
    let ty = Type::object([
        ("a", Type::String),
        ("b", Type::list(Type::Number)),
        ("c", Type::tuple([Type::Bool, Type::Dynamic])),
        ("d", Type::map(Type::set(Type::String))),
    ]);
    let json = r#"["object",{"a":"string","b":["list","number"],"c":["tuple",["bool","dynamic"]],"d":["map",["set","string"]]}]"#;
    assert_eq!(String::from_utf8(ty.to_json_bytes()).unwrap(), json);
    assert_eq!(Type::from_json_bytes(json.as_bytes()).unwrap(), ty);
    // optional-attribute markers are accepted
    let optional = br#"["object",{"a":"string"},["a"]]"#;
    assert_eq!(
        Type::from_json_bytes(optional).unwrap(),
        Type::object([("a", Type::String)])
    );
    assert!(Type::from_json_bytes(br#"["list"]"#).is_err());
    assert!(Type::from_json_bytes(br#""strin""#).is_err());
}

// ---- accessors ------------------------------------------------------------------------------

#[test]
fn accessors_for_resource_authors() {
    let mut state = Value::Null;
    state
        .set_attr("id", Value::string("p-1"))
        .set_attr("uid", Value::int(200_001))
        .set_attr(
            "source",
            Value::object([("domain_id", Value::string("d-1"))]),
        )
        .set_attr("tags", Value::map([("team", Value::string("ml"))]));
    assert_eq!(state.get("id").as_str(), Some("p-1"));
    assert_eq!(state.get("uid").as_i64(), Some(200_001));
    assert!(state.get("nope").is_null());
    assert_eq!(state.get("source").get("domain_id").as_str(), Some("d-1"));
    let path = AttributePath::root().attr("tags").key("team");
    assert_eq!(state.walk(&path).and_then(Value::as_str), Some("ml"));
    state.set_path(&path, Value::string("ops")).unwrap();
    assert_eq!(state.walk(&path), Some(&Value::string("ops")));
    assert!(
        state
            .set_path(&AttributePath::root().attr("nope").attr("x"), Value::Null)
            .is_err()
    );
    assert!(state.is_fully_known());
    state.set_attr("arn", Value::Unknown);
    assert!(state.is_known() && !state.is_fully_known());
    assert!(Value::Unknown.get("x").is_unknown());
    assert_eq!(Value::from(Some("a")), Value::string("a"));
    assert_eq!(Value::from(None::<i64>), Value::Null);
}

#[test]
fn paths_display_as_hcl() {
    let path = AttributePath::root().attr("source").attr("domain_id");
    assert_eq!(path.to_string(), "source.domain_id");
    let path = AttributePath::root()
        .attr("rules")
        .index(0)
        .attr("tags")
        .key("a b");
    assert_eq!(path.to_string(), "rules[0].tags[\"a b\"]");
}

// ---- round trips ----------------------------------------------------------------------------

fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![
        Just(Type::Bool),
        Just(Type::Number),
        Just(Type::String),
        Just(Type::Dynamic),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            prop::collection::btree_map("[a-z_]{1,6}", inner.clone(), 0..4).prop_map(Type::Object),
            prop::collection::vec(inner, 0..4).prop_map(Type::Tuple),
        ]
    })
}

/// Which values a codec can carry.
#[derive(Clone, Copy)]
struct Wire {
    unknowns: bool,
    big_numbers: bool,
}

fn arb_number(wire: Wire) -> BoxedStrategy<Value> {
    let mut options = vec![
        any::<i64>().prop_map(Value::int).boxed(),
        any::<u64>()
            .prop_map(|u| Value::Number(Number::from(u)))
            .boxed(),
    ];
    if wire.big_numbers {
        options.push(
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::float)
                .boxed(),
        );
    } else {
        // serde_json parses decimal floats to the nearest f64 only approximately (without its
        // `float_roundtrip` feature); binary fractions stay exact.
        options.push(
            (any::<i16>(), 0..8i32)
                .prop_map(|(m, e)| Value::float(f64::from(m) / 2f64.powi(e)))
                .boxed(),
        );
    }
    if wire.big_numbers {
        options.push(
            "-?[1-9][0-9]{19,30}(\\.[0-9]{1,5})?"
                .prop_map(|s| Value::Number(Number::Big(s)))
                .boxed(),
        );
    }
    proptest::strategy::Union::new(options).boxed()
}

fn arb_value(ty: &Type, wire: Wire) -> BoxedStrategy<Value> {
    let known: BoxedStrategy<Value> = match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => arb_number(wire),
        Type::String => "\\PC{0,8}".prop_map(Value::String).boxed(),
        Type::Dynamic => {
            let concrete = prop_oneof![Just(Type::Bool), Just(Type::Number), Just(Type::String)]
                .prop_recursive(2, 8, 3, |inner| {
                    prop_oneof![
                        inner.clone().prop_map(Type::list),
                        prop::collection::btree_map("[a-z]{1,3}", inner, 0..3)
                            .prop_map(Type::Object),
                    ]
                });
            concrete.prop_flat_map(move |t| arb_value(&t, wire)).boxed()
        }
        Type::List(e) => prop::collection::vec(arb_value(e, wire), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(e) => prop::collection::vec(arb_value(e, wire), 0..4)
            .prop_map(Value::set)
            .boxed(),
        Type::Map(e) => prop::collection::btree_map("[a-z0-9 ]{0,4}", arb_value(e, wire), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Object(attrs) => {
            let names: Vec<String> = attrs.keys().cloned().collect();
            let values: Vec<BoxedStrategy<Value>> =
                attrs.values().map(|t| arb_value(t, wire)).collect();
            values
                .prop_map(move |vs| Value::Object(names.iter().cloned().zip(vs).collect()))
                .boxed()
        }
        Type::Tuple(elems) => {
            let values: Vec<BoxedStrategy<Value>> =
                elems.iter().map(|t| arb_value(t, wire)).collect();
            values.prop_map(Value::Tuple).boxed()
        }
    };
    if wire.unknowns {
        prop_oneof![1 => Just(Value::Null), 1 => Just(Value::Unknown), 6 => known].boxed()
    } else {
        prop_oneof![1 => Just(Value::Null), 6 => known].boxed()
    }
}

fn typed_value(wire: Wire) -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(move |t| {
        let strategy = arb_value(&t, wire);
        (Just(t), strategy)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn msgpack_round_trips(
        (ty, value) in typed_value(Wire { unknowns: true, big_numbers: true })
    ) {
        let bytes = encode_msgpack(&value, &ty).unwrap();
        let back = decode_msgpack(&bytes, &ty).unwrap();
        prop_assert_eq!(&back, &value);
        // encoding is deterministic: the decoded value encodes to the same bytes
        prop_assert_eq!(encode_msgpack(&back, &ty).unwrap(), bytes);
    }

    #[test]
    fn json_round_trips(
        (ty, value) in typed_value(Wire { unknowns: false, big_numbers: false })
    ) {
        let bytes = encode_json(&value, &ty).unwrap();
        let back = decode_json(&bytes, &ty).unwrap();
        prop_assert_eq!(&back, &value);
    }

    #[test]
    fn type_json_round_trips(ty in arb_type()) {
        prop_assert_eq!(Type::from_json_bytes(&ty.to_json_bytes()).unwrap(), ty);
    }

    #[test]
    fn msgpack_decoding_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64), ty in arb_type()) {
        let _ = decode_msgpack(&bytes, &ty);
    }
}

// ---- schemas --------------------------------------------------------------------------------

fn restore_schema() -> Schema {
    Schema::new(
        1,
        Block::new()
            .attribute(Attribute::string("id").computed().use_state_for_unknown())
            .attribute(
                Attribute::string("region")
                    .optional()
                    .validate(validators::regex(
                        "^[a-z]{2}-[a-z]+-[0-9]$",
                        "an AWS region such as eu-west-1",
                    )),
            )
            .attribute(
                Attribute::nested_single(
                    "source",
                    vec![
                        Attribute::string("domain_id").required(),
                        Attribute::string("user_profile_name").optional(),
                        Attribute::string("space_name").optional(),
                    ],
                )
                .required()
                .validate_object(validators::exactly_one_of([
                    "user_profile_name",
                    "space_name",
                ])),
            )
            .attribute(
                Attribute::nested_list(
                    "excludes",
                    vec![
                        Attribute::string("path")
                            .required()
                            .validate(validators::string_length(1, 10)),
                    ],
                )
                .optional(),
            )
            .attribute(
                Attribute::map_of_strings("tags")
                    .optional()
                    .validate(validators::each(validators::not_empty())),
            )
            .attribute(
                Attribute::int64("uid")
                    .optional()
                    .validate(validators::int_range(1, 4_294_967_295)),
            )
            .attribute(
                Attribute::bool("old")
                    .optional()
                    .deprecated("Use `new` instead."),
            )
            .block(
                NestedBlock::list(
                    "rule",
                    Block::new().attribute(
                        Attribute::string("mode")
                            .required()
                            .validate(validators::one_of(["copy", "sync"])),
                    ),
                )
                .max_items(3),
            )
            .block(NestedBlock::single(
                "timeouts",
                Block::new().attribute(Attribute::string("create").optional()),
            )),
    )
}

#[test]
fn schema_value_type_follows_terraform() {
    let ty = restore_schema().value_type();
    let source = Type::object([
        ("domain_id", Type::String),
        ("user_profile_name", Type::String),
        ("space_name", Type::String),
    ]);
    let expected = Type::object([
        ("id", Type::String),
        ("region", Type::String),
        ("source", source),
        (
            "excludes",
            Type::list(Type::object([("path", Type::String)])),
        ),
        ("tags", Type::map(Type::String)),
        ("uid", Type::Number),
        ("old", Type::Bool),
        ("rule", Type::list(Type::object([("mode", Type::String)]))),
        ("timeouts", Type::object([("create", Type::String)])),
    ]);
    assert_eq!(ty, expected);
    let set_block = NestedBlock::set("s", Block::new().attribute(Attribute::bool("b").optional()));
    assert_eq!(
        set_block.value_type(),
        Type::set(Type::object([("b", Type::Bool)]))
    );
    let map_attr = Attribute::nested_map("m", vec![Attribute::number("n").optional()]);
    assert_eq!(
        map_attr.value_type(),
        Type::map(Type::object([("n", Type::Number)]))
    );
}

fn valid_config() -> Value {
    Value::object([
        ("region", Value::string("eu-west-1")),
        (
            "source",
            Value::object([
                ("domain_id", Value::string("d-1")),
                ("user_profile_name", Value::string("alice")),
            ]),
        ),
        (
            "excludes",
            Value::list([Value::object([("path", Value::string("tmp"))])]),
        ),
        ("tags", Value::map([("team", Value::string("ml"))])),
        ("uid", Value::int(200_001)),
        (
            "rule",
            Value::list([Value::object([("mode", Value::string("copy"))])]),
        ),
    ])
}

fn paths(diags: &tfplugin::framework::diagnostics::Diagnostics) -> Vec<String> {
    diags
        .iter()
        .map(|d| {
            d.attribute
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn a_valid_config_has_no_diagnostics() {
    let diags = validate_config(&restore_schema(), &valid_config());
    assert!(diags.is_empty(), "{diags:?}");
}

#[test]
fn validation_reports_full_paths() {
    let mut config = valid_config();
    config.set_attr("region", Value::string("Europe"));
    config.set_attr(
        "excludes",
        Value::list([
            Value::object([("path", Value::string("ok"))]),
            Value::object([("path", Value::string("much-too-long-path"))]),
        ]),
    );
    config.set_attr("tags", Value::map([("empty", Value::string(""))]));
    config.set_attr("uid", Value::float(1.5));
    config.set_attr(
        "rule",
        Value::list([Value::object([("mode", Value::string("move"))])]),
    );
    config.set_attr(
        "source",
        Value::object([
            ("domain_id", Value::Null),
            ("user_profile_name", Value::string("a")),
            ("space_name", Value::string("s")),
        ]),
    );
    config.set_attr("old", Value::bool(true));
    let diags = validate_config(&restore_schema(), &config);
    let mut got = paths(&diags);
    got.sort();
    let mut want = vec![
        "region",
        "excludes[1].path",
        "tags[\"empty\"]",
        "uid",
        "uid",
        "rule[0].mode",
        "source.domain_id",
        "source",
        "old",
    ];
    want.sort();
    assert_eq!(got, want, "{diags:#?}");
    let region = diags
        .iter()
        .find(|d| paths(&vec![(*d).clone()].into()) == ["region"])
        .unwrap();
    assert!(
        region.detail.contains("an AWS region such as eu-west-1"),
        "{}",
        region.detail
    );
    let combo = diags
        .iter()
        .find(|d| d.summary == "Invalid attribute combination")
        .unwrap();
    assert!(
        combo.detail.contains("user_profile_name, space_name"),
        "{}",
        combo.detail
    );
    let old = diags
        .iter()
        .find(|d| d.severity == Severity::Warning)
        .unwrap();
    assert!(old.detail.contains("Use `new`"));
    assert_eq!(diags.errors().count(), 8);
}

#[test]
fn validation_skips_unknowns() {
    let mut config = valid_config();
    config.set_attr("region", Value::Unknown);
    config.set_attr(
        "source",
        Value::object([
            ("domain_id", Value::Unknown),
            ("user_profile_name", Value::Unknown),
            ("space_name", Value::string("s")),
        ]),
    );
    config.set_attr("excludes", Value::Unknown);
    let diags = validate_config(&restore_schema(), &config);
    assert!(diags.is_empty(), "{diags:?}");
    let diags = validate_config(&restore_schema(), &Value::Unknown);
    assert!(diags.is_empty());
}

#[test]
fn required_attributes_are_named() {
    let mut config = valid_config();
    config.set_attr("source", Value::Null);
    let diags = validate_config(&restore_schema(), &config);
    assert_eq!(paths(&diags), ["source"]);
    assert!(diags.has_errors());
    assert!(diags.iter().next().unwrap().detail.contains("\"source\""));
}

// ---- validators -----------------------------------------------------------------------------

#[test]
fn patterns() {
    let cases: &[(&str, &str, bool)] = &[
        ("^[a-z]{2}-[a-z]+-[0-9]$", "eu-west-1", true),
        ("^[a-z]{2}-[a-z]+-[0-9]$", "eu-west-12", false),
        ("^d-[a-z0-9]{12}$", "d-abcdef123456", true),
        ("^d-[a-z0-9]{12}$", "d-abcdef12345", false),
        ("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", "alice-smith", true),
        ("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", "-alice", false),
        ("^(user|space)/[^/]+$", "space/s1", true),
        ("^(?:user|space)/[^/]+$", "group/s1", false),
        ("^\\d+$", "200001", true),
        ("^\\d+$", "", false),
        ("a.c", "xxabcxx", true),
        ("^a?b*c+$", "c", true),
        ("^a?b*c+$", "abbd", false),
        ("^[\\w.-]+@[\\w-]+\\.com$", "a.b@c-d.com", true),
        ("^(a*)*b$", "aaaaaaaaaaaaaaaaaaaaac", false),
        ("^[^\\s]{2,}$", "ab", true),
        ("^[^\\s]{2,}$", "a b", false),
        ("^fs-[0-9a-f]{8,40}$", "fs-0123abcd", true),
        ("x|^$", "", true),
    ];
    for (pattern, text, expected) in cases {
        let p = Pattern::new(pattern).unwrap();
        assert_eq!(p.is_match(text), *expected, "{pattern} on {text:?}");
    }
    for bad in ["(", "a)", "[a", "*a", "a{2", "\\q", "[z-a]", "a{3,1}"] {
        assert!(Pattern::new(bad).is_err(), "{bad} should not compile");
    }
}

#[test]
fn built_in_validators() {
    use tfplugin::framework::diagnostics::Diagnostics;
    let check = |v: &std::sync::Arc<dyn validators::Validator>, value: Value| {
        let mut diags = Diagnostics::new();
        v.validate(&value, &AttributePath::attribute("x"), &mut diags);
        diags.is_empty()
    };
    let arn = validators::arn();
    assert!(check(
        &arn,
        Value::string("arn:aws:iam::123456789012:role/restore")
    ));
    assert!(check(
        &arn,
        Value::string("arn:aws-us-gov:sagemaker:us-gov-west-1:123456789012:domain/d-1")
    ));
    assert!(!check(&arn, Value::string("arn:aws:iam::12345:role/x")));
    assert!(!check(&arn, Value::string("role/x")));
    let iam = validators::arn_of_service("iam");
    assert!(!check(&iam, Value::string("arn:aws:s3:::bucket")));
    let url = validators::url();
    assert!(check(&url, Value::string("https://example.com/x")));
    assert!(!check(&url, Value::string("ftp://example.com")));
    assert!(!check(&url, Value::string("https:///path")));
    let len = validators::string_length(1, 3);
    assert!(check(&len, Value::string("äöü")));
    assert!(!check(&len, Value::string("")));
    let range = validators::int_range(1, 10);
    assert!(check(&range, Value::int(10)));
    assert!(!check(&range, Value::int(11)));
    assert!(!check(&range, Value::string("5")));
    let conflicts = validators::conflicts_with(["a", "b"]);
    assert!(check(&conflicts, Value::object([("a", Value::int(1))])));
    assert!(!check(
        &conflicts,
        Value::object([("a", Value::int(1)), ("b", Value::int(2))])
    ));
    let at_least = validators::at_least_one_of(["a", "b"]);
    assert!(!check(&at_least, Value::object([("c", Value::int(1))])));
    assert!(check(&at_least, Value::object([("a", Value::Unknown)])));
    let exactly = validators::exactly_one_of(["a", "b"]);
    assert!(!check(&exactly, Value::object([("c", Value::int(1))])));
    let custom = validators::from_fn("even", |v, path, diags| {
        if v.as_i64().is_some_and(|i| i % 2 != 0) {
            diags.attribute_error(path.clone(), "Odd", "must be even");
        }
    });
    assert!(check(&custom, Value::int(2)) && !check(&custom, Value::int(3)));
    assert_eq!(custom.description(), "even");
}

#[test]
fn diagnostics_collect() {
    use tfplugin::framework::diagnostics::Diagnostics;
    let mut diags = Diagnostics::new();
    diags.warning("w", "");
    assert!(!diags.has_errors());
    let mut more = Diagnostics::new();
    more.attribute_error(AttributePath::attribute("a"), "bad", "detail");
    diags.extend(more);
    assert!(diags.has_errors());
    assert_eq!(diags.len(), 2);
    let rendered: Vec<String> = diags.iter().map(ToString::to_string).collect();
    assert_eq!(rendered, ["warning: w", "error: bad (at a): detail"]);
    let _unused: BTreeMap<String, Value> = BTreeMap::new();
}

#[test]
fn sets_keep_every_element_that_is_not_fully_known() {
    let set = Value::set([
        Value::Unknown,
        Value::Unknown,
        Value::string("a"),
        Value::string("a"),
    ]);
    assert_eq!(set.as_list().unwrap().len(), 3);
    let bytes = encode_msgpack(&set, &Type::set(Type::String)).unwrap();
    let back = decode_msgpack(&bytes, &Type::set(Type::String)).unwrap();
    assert_eq!(back.as_list().unwrap().len(), 3);
}

#[test]
fn schema_definition_errors_name_the_attribute() {
    assert!(restore_schema().definition_errors().is_empty());
    let bad = Schema::new(
        -1,
        Block::new()
            .attribute(Attribute::string("Name").optional())
            .attribute(Attribute::string("loose"))
            .attribute(Attribute::string("both").required().computed())
            .attribute(Attribute::string("id").optional().use_state_for_unknown())
            .attribute(Attribute::nested_single("n", vec![Attribute::bool("x")]).optional())
            .block(NestedBlock::single("one", Block::new()).max_items(2))
            .block(NestedBlock::list("loose", Block::new())),
    );
    let errors = bad.definition_errors();
    let expected = [
        "negative",
        "Name: names may use",
        "loose: must be",
        "both: a required",
        "id: use_state_for_unknown",
        "n.x: must be",
        "one: a single block",
        "loose: defined twice",
    ];
    assert_eq!(errors.len(), expected.len(), "{errors:#?}");
    for (error, want) in errors.iter().zip(expected) {
        assert!(error.contains(want), "{error} should contain {want}");
    }
}

#[test]
fn dynamic_values_may_wrap_typed_nulls_and_unknowns() {
    // cty writes a typed null or unknown in a dynamic attribute as [type, nil] / [type, ext]
    let mut typed_null = vec![0x92, 0xc4, 8];
    typed_null.extend_from_slice(b"\"string\"");
    typed_null.push(0xc0);
    assert_eq!(
        decode_msgpack(&typed_null, &Type::Dynamic).unwrap(),
        Value::Null
    );
    let mut typed_unknown = typed_null.clone();
    typed_unknown.pop();
    typed_unknown.extend_from_slice(&[0xd4, 0, 0]);
    assert_eq!(
        decode_msgpack(&typed_unknown, &Type::Dynamic).unwrap(),
        Value::Unknown
    );
    assert!(decode_msgpack(&[0x91, 0x01], &Type::Dynamic).is_err());
}

#[test]
fn validation_paths_in_maps_stop_at_sets() {
    let schema = Schema::new(
        0,
        Block::new()
            .attribute(
                Attribute::nested_map(
                    "homes",
                    vec![
                        Attribute::string("kind")
                            .required()
                            .validate(validators::one_of(["user", "space"])),
                    ],
                )
                .optional(),
            )
            .block(NestedBlock::set(
                "mount",
                Block::new().attribute(
                    Attribute::string("path")
                        .required()
                        .validate(validators::regex("^/", "an absolute path")),
                ),
            )),
    );
    let config = Value::object([
        (
            "homes",
            Value::map([("alice", Value::object([("kind", Value::string("group"))]))]),
        ),
        (
            "mount",
            Value::set([Value::object([("path", Value::string("relative"))])]),
        ),
    ]);
    let diags = validate_config(&schema, &config);
    let mut got = paths(&diags);
    got.sort();
    assert_eq!(
        got,
        ["homes[\"alice\"].kind", "mount"],
        "paths stop at a set"
    );
    let mount = diags
        .iter()
        .find(|d| d.detail.contains("absolute"))
        .unwrap();
    assert!(mount.detail.contains("\"relative\""), "{}", mount.detail);
    assert!(
        mount.detail.contains("mount.path"),
        "the detail names the attribute: {}",
        mount.detail
    );
}

#[test]
fn decimals_without_an_exact_float_stay_strings() {
    // Terraform parses `0.1` with 512-bit precision and sends it as the string "0.1"; sending
    // back the nearest float64 would be a different number ("inconsistent result after apply").
    let bytes = [0xa3, b'0', b'.', b'1'];
    let value = decode_msgpack(&bytes, &Type::Number).unwrap();
    assert_eq!(encode_msgpack(&value, &Type::Number).unwrap(), bytes);
    assert_eq!(value.as_f64(), Some(0.1));
}
