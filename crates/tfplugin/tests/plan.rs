//! The planning contract: create, no-op, update, use_state_for_unknown, defaults,
//! requires_replace (also inside nested attributes and blocks) and destroy.

use tfplugin::framework::plan::plan_resource_change;
use tfplugin::framework::schema::{Attribute, Block, NestedBlock, Schema};
use tfplugin::values::path::AttributePath;
use tfplugin::values::value::Value;

fn schema() -> Schema {
    Schema::new(
        0,
        Block::new()
            .attribute(Attribute::string("id").computed().use_state_for_unknown())
            .attribute(Attribute::string("status").computed())
            .attribute(Attribute::string("description").optional())
            .attribute(Attribute::string("region").optional().computed())
            .attribute(Attribute::number("parallelism").default(Value::int(4)))
            .attribute(
                Attribute::nested_single(
                    "source",
                    vec![
                        Attribute::string("domain_id").required().requires_replace(),
                        Attribute::string("user_profile_name").optional(),
                        Attribute::string("file_system_id").computed(),
                    ],
                )
                .required(),
            )
            .attribute(
                Attribute::nested_list(
                    "targets",
                    vec![
                        Attribute::string("name").required().requires_replace(),
                        Attribute::number("uid").computed(),
                    ],
                )
                .optional(),
            )
            .block(NestedBlock::list(
                "rule",
                Block::new()
                    .attribute(Attribute::string("mode").required().requires_replace())
                    .attribute(
                        Attribute::string("rule_id")
                            .computed()
                            .use_state_for_unknown(),
                    ),
            )),
    )
}

fn source(domain: &str) -> Value {
    Value::object([
        ("domain_id", Value::string(domain)),
        ("user_profile_name", Value::string("alice")),
        ("file_system_id", Value::Null),
    ])
}

/// A configuration as Terraform sends it: every attribute present, computed ones null.
fn config() -> Value {
    Value::object([
        ("id", Value::Null),
        ("status", Value::Null),
        ("description", Value::string("nightly")),
        ("region", Value::Null),
        ("parallelism", Value::Null),
        ("source", source("d-1")),
        ("targets", Value::Null),
        ("rule", Value::list([rule_config("copy")])),
    ])
}

fn rule_config(mode: &str) -> Value {
    Value::object([("mode", Value::string(mode)), ("rule_id", Value::Null)])
}

/// What apply returned for `config()`.
fn state() -> Value {
    Value::object([
        ("id", Value::string("r-1")),
        ("status", Value::string("done")),
        ("description", Value::string("nightly")),
        ("region", Value::string("eu-west-1")),
        ("parallelism", Value::int(4)),
        (
            "source",
            source("d-1").with_attr("file_system_id", Value::string("fs-1")),
        ),
        ("targets", Value::Null),
        (
            "rule",
            Value::list([Value::object([
                ("mode", Value::string("copy")),
                ("rule_id", Value::string("rule-1")),
            ])]),
        ),
    ])
}

/// Terraform's proposed new state: config where set, else prior.
fn proposed(prior: &Value, config: &Value) -> Value {
    fn merge(prior: &Value, config: &Value) -> Value {
        match (prior, config) {
            (Value::Object(p), Value::Object(c)) => Value::Object(
                c.iter()
                    .map(|(k, v)| {
                        let p = p.get(k).unwrap_or(&Value::Null);
                        (k.clone(), if v.is_null() { p.clone() } else { merge(p, v) })
                    })
                    .collect(),
            ),
            _ => config.clone(),
        }
    }
    merge(prior, config)
}

fn plan(prior: &Value, config: &Value) -> tfplugin::framework::plan::PlannedChange {
    plan_resource_change(&schema(), prior, &proposed(prior, config), config)
}

#[test]
fn create_plans_config_defaults_and_unknowns() {
    let planned = plan(&Value::Null, &config());
    let p = &planned.planned_state;
    assert_eq!(p.get("description").as_str(), Some("nightly"));
    assert!(p.get("id").is_unknown(), "no prior state to keep");
    assert!(p.get("status").is_unknown());
    assert!(
        p.get("region").is_unknown(),
        "optional+computed, unset, on create"
    );
    assert_eq!(p.get("parallelism").as_i64(), Some(4), "default");
    assert!(p.get("source").get("file_system_id").is_unknown());
    assert_eq!(p.get("source").get("domain_id").as_str(), Some("d-1"));
    assert!(p.get("targets").is_null());
    assert!(p.get("rule").element(0).get("rule_id").is_unknown());
    assert!(planned.requires_replace.is_empty());
    assert!(!planned.is_destroy());
}

#[test]
fn no_change_plans_the_prior_state_exactly() {
    let planned = plan(&state(), &config());
    assert_eq!(
        planned.planned_state,
        state(),
        "a no-op needs planned == prior"
    );
    assert!(planned.requires_replace.is_empty());
}

#[test]
fn update_makes_computed_only_attributes_unknown() {
    let mut config = config();
    config.set_attr("description", Value::string("weekly"));
    let planned = plan(&state(), &config);
    let p = &planned.planned_state;
    assert_eq!(p.get("description").as_str(), Some("weekly"));
    assert!(
        p.get("status").is_unknown(),
        "computed-only, resource changes"
    );
    assert!(p.get("source").get("file_system_id").is_unknown());
    assert_eq!(p.get("id").as_str(), Some("r-1"), "use_state_for_unknown");
    assert_eq!(
        p.get("rule").element(0).get("rule_id").as_str(),
        Some("rule-1")
    );
    assert_eq!(
        p.get("region").as_str(),
        Some("eu-west-1"),
        "optional+computed keeps prior"
    );
    assert_eq!(p.get("parallelism").as_i64(), Some(4));
    assert!(planned.requires_replace.is_empty());
}

#[test]
fn optional_values_are_planned_as_configured() {
    let mut config = config();
    config.set_attr("description", Value::Null);
    config.set_attr("region", Value::string("us-east-1"));
    config.set_attr("parallelism", Value::int(8));
    let planned = plan(&state(), &config);
    let p = &planned.planned_state;
    assert!(
        p.get("description").is_null(),
        "removed optional attribute is null"
    );
    assert_eq!(p.get("region").as_str(), Some("us-east-1"));
    assert_eq!(p.get("parallelism").as_i64(), Some(8));
    // back to the default when the config drops it
    let mut prior = state();
    prior.set_attr("parallelism", Value::int(8));
    let planned = plan(&prior, &super_config());
    assert_eq!(planned.planned_state.get("parallelism").as_i64(), Some(4));
}

fn super_config() -> Value {
    config()
}

#[test]
fn unknown_config_values_stay_unknown() {
    let mut config = config();
    config.set_attr("description", Value::Unknown);
    let planned = plan(&state(), &config);
    assert!(planned.planned_state.get("description").is_unknown());
    assert!(planned.planned_state.get("status").is_unknown());
}

#[test]
fn requires_replace_inside_a_nested_attribute() {
    let mut config = config();
    config.set_attr("source", source("d-2"));
    let planned = plan(&state(), &config);
    assert_eq!(
        planned.requires_replace,
        [AttributePath::root().attr("source").attr("domain_id")]
    );
    assert_eq!(
        planned
            .planned_state
            .get("source")
            .get("domain_id")
            .as_str(),
        Some("d-2")
    );
}

#[test]
fn requires_replace_inside_lists_and_blocks_has_indexes() {
    let mut prior = state();
    prior.set_attr(
        "targets",
        Value::list([Value::object([
            ("name", Value::string("bob")),
            ("uid", Value::int(200_002)),
        ])]),
    );
    let mut config = config();
    config.set_attr(
        "targets",
        Value::list([
            Value::object([("name", Value::string("carol")), ("uid", Value::Null)]),
            Value::object([("name", Value::string("dave")), ("uid", Value::Null)]),
        ]),
    );
    config.set_attr("rule", Value::list([rule_config("sync")]));
    let planned = plan(&prior, &config);
    assert_eq!(
        planned.requires_replace,
        [
            AttributePath::root().attr("rule").index(0).attr("mode"),
            AttributePath::root().attr("targets").index(0).attr("name"),
        ]
    );
    let targets = planned.planned_state.get("targets");
    assert!(targets.element(0).get("uid").is_unknown());
    assert!(targets.element(1).get("uid").is_unknown(), "new element");
    // a new element is no replacement by itself
    let mut config2 = self::config();
    config2.set_attr(
        "targets",
        Value::list([
            Value::object([("name", Value::string("bob")), ("uid", Value::Null)]),
            Value::object([("name", Value::string("eve")), ("uid", Value::Null)]),
        ]),
    );
    assert!(plan(&prior, &config2).requires_replace.is_empty());
}

#[test]
fn destroy_plans_null() {
    let planned = plan_resource_change(&schema(), &state(), &Value::Null, &Value::Null);
    assert!(planned.is_destroy());
    assert!(planned.planned_state.is_null());
    assert!(planned.requires_replace.is_empty());
}

#[test]
fn planning_is_deterministic() {
    let mut config = config();
    config.set_attr("source", source("d-9"));
    config.set_attr("description", Value::string("x"));
    let a = plan(&state(), &config);
    let b = plan(&state(), &config);
    assert_eq!(a, b);
}

#[test]
fn modify_plan_helpers() {
    let mut config = config();
    config.set_attr("description", Value::string("weekly"));
    let mut planned = plan(&state(), &config);
    planned
        .set(
            &AttributePath::attribute("status"),
            Value::string("pending"),
        )
        .unwrap();
    planned
        .mark_unknown(&AttributePath::attribute("region"))
        .unwrap();
    planned.require_replace(AttributePath::attribute("description"));
    planned.require_replace(AttributePath::attribute("description"));
    assert_eq!(
        planned.get(&AttributePath::attribute("status")).as_str(),
        Some("pending")
    );
    assert!(planned.planned_state.get("region").is_unknown());
    assert_eq!(
        planned.requires_replace,
        [AttributePath::attribute("description")]
    );
    assert!(
        planned
            .set(&AttributePath::root().attr("nope").attr("x"), Value::Null)
            .is_err()
    );
}

#[test]
fn set_nested_blocks_keep_computed_values_of_matching_elements() {
    let schema = Schema::new(
        0,
        Block::new().block(NestedBlock::set(
            "mount",
            Block::new()
                .attribute(Attribute::string("path").required().requires_replace())
                .attribute(Attribute::string("mount_id").computed()),
        )),
    );
    let element =
        |path: &str, id: Value| Value::object([("path", Value::string(path)), ("mount_id", id)]);
    let prior = Value::object([(
        "mount",
        Value::set([
            element("/a", Value::string("m-a")),
            element("/b", Value::string("m-b")),
        ]),
    )]);
    let config = Value::object([(
        "mount",
        Value::set([element("/b", Value::Null), element("/a", Value::Null)]),
    )]);
    let planned = plan_resource_change(&schema, &prior, &config, &config);
    assert_eq!(planned.planned_state, prior, "reordered set is a no-op");
    assert!(planned.requires_replace.is_empty());

    let config = Value::object([("mount", Value::set([element("/c", Value::Null)]))]);
    let planned = plan_resource_change(&schema, &prior, &config, &config);
    assert_eq!(
        planned.planned_state,
        Value::object([("mount", Value::set([element("/c", Value::Unknown)]))])
    );
}

#[test]
fn replacing_a_whole_nested_attribute_ignores_its_computed_parts() {
    let schema = Schema::new(
        0,
        Block::new()
            .attribute(Attribute::string("description").optional())
            .attribute(
                Attribute::nested_single(
                    "source",
                    vec![
                        Attribute::string("domain_id").required(),
                        Attribute::string("file_system_id").computed(),
                    ],
                )
                .required()
                .requires_replace(),
            ),
    );
    let prior = Value::object([
        ("description", Value::string("a")),
        (
            "source",
            Value::object([
                ("domain_id", Value::string("d-1")),
                ("file_system_id", Value::string("fs-1")),
            ]),
        ),
    ]);
    let config = |description: &str, domain: &str| {
        Value::object([
            ("description", Value::string(description)),
            (
                "source",
                Value::object([
                    ("domain_id", Value::string(domain)),
                    ("file_system_id", Value::Null),
                ]),
            ),
        ])
    };
    let planned = plan_resource_change(&schema, &prior, &config("b", "d-1"), &config("b", "d-1"));
    assert!(
        planned.requires_replace.is_empty(),
        "{:?}",
        planned.requires_replace
    );
    assert!(
        planned
            .planned_state
            .get("source")
            .get("file_system_id")
            .is_unknown()
    );
    let planned = plan_resource_change(&schema, &prior, &config("a", "d-2"), &config("a", "d-2"));
    assert_eq!(
        planned.requires_replace,
        [AttributePath::attribute("source")]
    );
}

#[test]
fn dropping_a_setting_back_to_its_default_may_replace() {
    let schema = Schema::new(
        0,
        Block::new().attribute(
            Attribute::string("mode")
                .default(Value::string("copy"))
                .requires_replace(),
        ),
    );
    let prior = Value::object([("mode", Value::string("sync"))]);
    let config = Value::object([("mode", Value::Null)]);
    let proposed = prior.clone();
    let planned = plan_resource_change(&schema, &prior, &proposed, &config);
    assert_eq!(planned.planned_state.get("mode").as_str(), Some("copy"));
    assert_eq!(planned.requires_replace, [AttributePath::attribute("mode")]);
    // already at the default: a no-op
    let prior = Value::object([("mode", Value::string("copy"))]);
    let planned = plan_resource_change(&schema, &prior, &prior, &config);
    assert_eq!(planned.planned_state, prior);
    assert!(planned.requires_replace.is_empty());
}

#[test]
fn set_elements_match_through_nested_blocks_with_computed_values() {
    let schema = Schema::new(
        0,
        Block::new().block(NestedBlock::set(
            "mount",
            Block::new()
                .attribute(Attribute::string("path").required())
                .block(NestedBlock::single(
                    "owner",
                    Block::new()
                        .attribute(Attribute::number("uid").required())
                        .attribute(Attribute::string("name").computed()),
                )),
        )),
    );
    let element = |path: &str, name: Value| {
        Value::object([
            ("path", Value::string(path)),
            (
                "owner",
                Value::object([("uid", Value::int(1)), ("name", name)]),
            ),
        ])
    };
    let prior = Value::object([("mount", Value::set([element("/a", Value::string("alice"))]))]);
    let config = Value::object([("mount", Value::set([element("/a", Value::Null)]))]);
    let planned = plan_resource_change(&schema, &prior, &config, &config);
    assert_eq!(planned.planned_state, prior);
}
