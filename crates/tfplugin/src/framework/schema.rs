//! Schemas: what a provider, resource or data source accepts and stores, built fluently.
//!
//! ```
//! use tfplugin::framework::schema::{Attribute, Block, NestedBlock, Schema};
//! use tfplugin::framework::validators;
//!
//! let schema = Schema::new(0, Block::new()
//!     .description("Restores a home directory.")
//!     .attribute(Attribute::string("id").computed().use_state_for_unknown())
//!     .attribute(Attribute::string("region").optional()
//!         .validate(validators::regex("^[a-z]{2}-[a-z]+-[0-9]$", "an AWS region such as eu-west-1")))
//!     .attribute(Attribute::nested_single("source", vec![
//!         Attribute::string("domain_id").required().requires_replace(),
//!     ]).required())
//!     .block(NestedBlock::single("timeouts", Block::new()
//!         .attribute(Attribute::string("create").optional()))));
//! assert!(schema.value_type().attribute_type("source").is_some());
//! ```

use std::fmt;
use std::sync::Arc;

use crate::framework::diagnostics::Diagnostics;

use crate::framework::validators::{self, Validator};
use crate::values::path::{AttributePath, PathStep};
use crate::values::types::Type;
use crate::values::value::Value;

/// A versioned schema for a provider, resource or data source.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// The state schema version (`UpgradeResourceState` upgrades older ones).
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Schema {
        Schema { version, block }
    }

    /// The type of the whole value (config, plan and state), as Terraform derives it.
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }

    /// The mistakes in this schema that Terraform would reject when loading it (Terraform's
    /// `InternalValidate` rules), each naming the attribute; empty when the schema is sound.
    /// Run it in a provider's tests.
    pub fn definition_errors(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.version < 0 {
            errors.push(format!("the schema version {} is negative", self.version));
        }
        check_block(&self.block, &AttributePath::root(), &mut errors);
        errors
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check_attributes(attributes: &[Attribute], path: &AttributePath, errors: &mut Vec<String>) {
    for (i, a) in attributes.iter().enumerate() {
        let at = path.child(PathStep::Attribute(a.name.clone()));
        if !valid_name(&a.name) {
            errors.push(format!("{at}: names may use only a-z, 0-9 and _"));
        }
        if attributes[..i].iter().any(|b| b.name == a.name) {
            errors.push(format!("{at}: defined twice"));
        }
        if !(a.required || a.optional || a.computed) {
            errors.push(format!("{at}: must be required, optional or computed"));
        }
        if a.required && (a.optional || a.computed) {
            errors.push(format!(
                "{at}: a required attribute cannot be optional or computed"
            ));
        }
        if a.default.is_some() && !(a.optional && a.computed) {
            errors.push(format!(
                "{at}: a default needs an optional and computed attribute"
            ));
        }
        if a.use_state_for_unknown && !a.computed {
            errors.push(format!(
                "{at}: use_state_for_unknown needs a computed attribute"
            ));
        }
        if let AttrType::Nested(nested) = &a.kind {
            check_attributes(&nested.attributes, &at, errors);
        }
    }
}

fn check_block(block: &Block, path: &AttributePath, errors: &mut Vec<String>) {
    check_attributes(&block.attributes, path, errors);
    for (i, nested) in block.blocks.iter().enumerate() {
        let at = path.child(PathStep::Attribute(nested.type_name.clone()));
        if !valid_name(&nested.type_name) {
            errors.push(format!("{at}: names may use only a-z, 0-9 and _"));
        }
        if block.get_attribute(&nested.type_name).is_some()
            || block.blocks[..i]
                .iter()
                .any(|b| b.type_name == nested.type_name)
        {
            errors.push(format!("{at}: defined twice"));
        }
        match nested.nesting {
            BlockNesting::Single if nested.min_items > 1 || nested.max_items > 1 => {
                errors.push(format!(
                    "{at}: a single block has min_items and max_items of 0 or 1"
                ));
            }
            BlockNesting::Group if nested.min_items != 0 || nested.max_items != 0 => {
                errors.push(format!(
                    "{at}: a group block cannot set min_items or max_items"
                ));
            }
            _ if nested.max_items != 0 && nested.min_items > nested.max_items => {
                errors.push(format!("{at}: min_items is above max_items"));
            }
            _ => {}
        }
        check_block(&nested.block, &at, errors);
    }
}

/// An object: its attributes and nested blocks.
#[derive(Debug, Clone, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    /// Markdown.
    pub description: String,
    /// A deprecation message; `None` when not deprecated.
    pub deprecated: Option<String>,
    /// Validators of the whole object (e.g. [`validators::exactly_one_of`]), run on every
    /// known instance of the block.
    pub validators: Vec<Arc<dyn Validator>>,
}

impl Block {
    pub fn new() -> Block {
        Block::default()
    }

    #[must_use]
    pub fn attribute(mut self, attribute: Attribute) -> Block {
        self.attributes.push(attribute);
        self
    }

    #[must_use]
    pub fn attributes(mut self, attributes: impl IntoIterator<Item = Attribute>) -> Block {
        self.attributes.extend(attributes);
        self
    }

    #[must_use]
    pub fn block(mut self, block: NestedBlock) -> Block {
        self.blocks.push(block);
        self
    }

    #[must_use]
    pub fn description(mut self, markdown: impl Into<String>) -> Block {
        self.description = markdown.into();
        self
    }

    #[must_use]
    pub fn deprecated(mut self, message: impl Into<String>) -> Block {
        self.deprecated = Some(message.into());
        self
    }

    /// Adds a validator of the whole object.
    #[must_use]
    pub fn validate(mut self, validator: Arc<dyn Validator>) -> Block {
        self.validators.push(validator);
        self
    }

    /// The attribute named `name`.
    pub fn get_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The nested block named `name`.
    pub fn get_block(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.type_name == name)
    }

    /// The object type of this block's values.
    pub fn value_type(&self) -> Type {
        let attributes = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.value_type()));
        let blocks = self
            .blocks
            .iter()
            .map(|b| (b.type_name.clone(), b.value_type()));
        Type::Object(attributes.chain(blocks).collect())
    }
}

/// How a nested block repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockNesting {
    /// At most one block; null when absent.
    Single,
    List,
    Set,
    /// Labelled blocks: `name "label" { ... }`.
    Map,
    /// Exactly one block that may be omitted; an omitted one is an object of nulls.
    Group,
}

/// A nested block: `type_name { ... }` in HCL.
#[derive(Debug, Clone)]
pub struct NestedBlock {
    pub type_name: String,
    pub nesting: BlockNesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
}

impl NestedBlock {
    pub fn new(type_name: impl Into<String>, nesting: BlockNesting, block: Block) -> NestedBlock {
        NestedBlock {
            type_name: type_name.into(),
            nesting,
            block,
            min_items: 0,
            max_items: 0,
        }
    }

    pub fn single(type_name: impl Into<String>, block: Block) -> NestedBlock {
        NestedBlock::new(type_name, BlockNesting::Single, block)
    }

    pub fn list(type_name: impl Into<String>, block: Block) -> NestedBlock {
        NestedBlock::new(type_name, BlockNesting::List, block)
    }

    pub fn set(type_name: impl Into<String>, block: Block) -> NestedBlock {
        NestedBlock::new(type_name, BlockNesting::Set, block)
    }

    pub fn map(type_name: impl Into<String>, block: Block) -> NestedBlock {
        NestedBlock::new(type_name, BlockNesting::Map, block)
    }

    pub fn group(type_name: impl Into<String>, block: Block) -> NestedBlock {
        NestedBlock::new(type_name, BlockNesting::Group, block)
    }

    /// Terraform checks the counts in configuration (0 = no limit).
    #[must_use]
    pub fn min_items(mut self, n: i64) -> NestedBlock {
        self.min_items = n;
        self
    }

    #[must_use]
    pub fn max_items(mut self, n: i64) -> NestedBlock {
        self.max_items = n;
        self
    }

    pub fn value_type(&self) -> Type {
        let object = self.block.value_type();
        match self.nesting {
            BlockNesting::Single | BlockNesting::Group => object,
            BlockNesting::List => Type::list(object),
            BlockNesting::Set => Type::set(object),
            BlockNesting::Map => Type::map(object),
        }
    }
}

/// How a nested attribute's objects repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectNesting {
    Single,
    List,
    Set,
    Map,
}

/// The attributes of a nested attribute (`attr = { ... }` in HCL; protocol 6 `nested_type`).
#[derive(Debug, Clone)]
pub struct NestedAttributes {
    pub nesting: ObjectNesting,
    pub attributes: Vec<Attribute>,
    /// Validators of each whole nested object.
    pub validators: Vec<Arc<dyn Validator>>,
}

impl NestedAttributes {
    /// The type of one nested object.
    pub fn object_type(&self) -> Type {
        Type::Object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.value_type()))
                .collect(),
        )
    }

    pub fn get_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

/// What an attribute holds: a value of a type, or nested attributes.
#[derive(Debug, Clone)]
pub enum AttrType {
    Simple(Type),
    Nested(NestedAttributes),
}

/// One attribute of a block.
///
/// Start with a typed constructor ([`Attribute::string`], [`Attribute::int64`],
/// [`Attribute::nested_single`], ...) and then say whether it is
/// [`required`](Attribute::required), [`optional`](Attribute::optional) and/or
/// [`computed`](Attribute::computed).
#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: String,
    pub kind: AttrType,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    /// Markdown.
    pub description: String,
    /// A deprecation message; `None` when not deprecated.
    pub deprecated: Option<String>,
    /// Run on known, non-null values.
    pub validators: Vec<Arc<dyn Validator>>,
    /// A change of this attribute's configured value replaces the resource.
    pub requires_replace: bool,
    /// For a computed attribute: keep the prior state value in plans instead of unknown.
    pub use_state_for_unknown: bool,
    /// For an optional and computed attribute: the planned value when the config has none.
    pub default: Option<Value>,
}

impl Attribute {
    /// An attribute of any type; neither required, optional nor computed yet.
    pub fn new(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute::with_kind(name, AttrType::Simple(ty))
    }

    fn with_kind(name: impl Into<String>, kind: AttrType) -> Attribute {
        Attribute {
            name: name.into(),
            kind,
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            description: String::new(),
            deprecated: None,
            validators: Vec::new(),
            requires_replace: false,
            use_state_for_unknown: false,
            default: None,
        }
    }

    pub fn string(name: impl Into<String>) -> Attribute {
        Attribute::new(name, Type::String)
    }

    pub fn bool(name: impl Into<String>) -> Attribute {
        Attribute::new(name, Type::Bool)
    }

    /// Any number.
    pub fn number(name: impl Into<String>) -> Attribute {
        Attribute::new(name, Type::Number)
    }

    /// A whole number that fits 64 bits; other numbers are rejected in validation.
    pub fn int64(name: impl Into<String>) -> Attribute {
        Attribute::new(name, Type::Number).validate(validators::whole_number())
    }

    /// Any type, decided by the configuration.
    pub fn dynamic(name: impl Into<String>) -> Attribute {
        Attribute::new(name, Type::Dynamic)
    }

    pub fn list_of(name: impl Into<String>, element: Type) -> Attribute {
        Attribute::new(name, Type::list(element))
    }

    pub fn set_of(name: impl Into<String>, element: Type) -> Attribute {
        Attribute::new(name, Type::set(element))
    }

    pub fn map_of(name: impl Into<String>, element: Type) -> Attribute {
        Attribute::new(name, Type::map(element))
    }

    pub fn list_of_strings(name: impl Into<String>) -> Attribute {
        Attribute::list_of(name, Type::String)
    }

    pub fn set_of_strings(name: impl Into<String>) -> Attribute {
        Attribute::set_of(name, Type::String)
    }

    pub fn map_of_strings(name: impl Into<String>) -> Attribute {
        Attribute::map_of(name, Type::String)
    }

    /// Nested attributes with the given nesting.
    pub fn nested(
        name: impl Into<String>,
        nesting: ObjectNesting,
        attributes: Vec<Attribute>,
    ) -> Attribute {
        Attribute::with_kind(
            name,
            AttrType::Nested(NestedAttributes {
                nesting,
                attributes,
                validators: Vec::new(),
            }),
        )
    }

    /// `name = { ... }`: one object.
    pub fn nested_single(name: impl Into<String>, attributes: Vec<Attribute>) -> Attribute {
        Attribute::nested(name, ObjectNesting::Single, attributes)
    }

    /// `name = [{ ... }, ...]`: a list of objects.
    pub fn nested_list(name: impl Into<String>, attributes: Vec<Attribute>) -> Attribute {
        Attribute::nested(name, ObjectNesting::List, attributes)
    }

    /// A set of objects.
    pub fn nested_set(name: impl Into<String>, attributes: Vec<Attribute>) -> Attribute {
        Attribute::nested(name, ObjectNesting::Set, attributes)
    }

    /// `name = { key = { ... } }`: a map of objects.
    pub fn nested_map(name: impl Into<String>, attributes: Vec<Attribute>) -> Attribute {
        Attribute::nested(name, ObjectNesting::Map, attributes)
    }

    #[must_use]
    pub fn required(mut self) -> Attribute {
        self.required = true;
        self
    }

    #[must_use]
    pub fn optional(mut self) -> Attribute {
        self.optional = true;
        self
    }

    #[must_use]
    pub fn computed(mut self) -> Attribute {
        self.computed = true;
        self
    }

    #[must_use]
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }

    /// The user-facing description, in Markdown.
    #[must_use]
    pub fn description(mut self, markdown: impl Into<String>) -> Attribute {
        self.description = markdown.into();
        self
    }

    #[must_use]
    pub fn deprecated(mut self, message: impl Into<String>) -> Attribute {
        self.deprecated = Some(message.into());
        self
    }

    /// Adds a validator of the attribute's value.
    #[must_use]
    pub fn validate(mut self, validator: Arc<dyn Validator>) -> Attribute {
        self.validators.push(validator);
        self
    }

    /// Adds a validator of each nested object (e.g. [`validators::exactly_one_of`]).
    ///
    /// # Panics
    /// On an attribute without nested attributes: that is a programming error.
    #[must_use]
    pub fn validate_object(mut self, validator: Arc<dyn Validator>) -> Attribute {
        match &mut self.kind {
            AttrType::Nested(nested) => nested.validators.push(validator),
            AttrType::Simple(_) => panic!(
                "validate_object on attribute {:?}, which has no nested attributes",
                self.name
            ),
        }
        self
    }

    #[must_use]
    pub fn requires_replace(mut self) -> Attribute {
        self.requires_replace = true;
        self
    }

    #[must_use]
    pub fn use_state_for_unknown(mut self) -> Attribute {
        self.use_state_for_unknown = true;
        self
    }

    /// The value planned when the configuration leaves the attribute out; makes the attribute
    /// optional and computed, as Terraform requires of attributes with defaults.
    #[must_use]
    pub fn default(mut self, value: impl Into<Value>) -> Attribute {
        self.default = Some(value.into());
        self.optional = true;
        self.computed = true;
        self.required = false;
        self
    }

    /// The type of this attribute's values.
    pub fn value_type(&self) -> Type {
        match &self.kind {
            AttrType::Simple(ty) => ty.clone(),
            AttrType::Nested(nested) => {
                let object = nested.object_type();
                match nested.nesting {
                    ObjectNesting::Single => object,
                    ObjectNesting::List => Type::list(object),
                    ObjectNesting::Set => Type::set(object),
                    ObjectNesting::Map => Type::map(object),
                }
            }
        }
    }

    /// The nested attributes, if any.
    pub fn nested_attributes(&self) -> Option<&NestedAttributes> {
        match &self.kind {
            AttrType::Nested(nested) => Some(nested),
            AttrType::Simple(_) => None,
        }
    }
}

/// Checks a configuration against a schema: required attributes are set, validators pass,
/// deprecated attributes warn. Unknown values (always possible during validation) are skipped.
/// Every diagnostic names the full attribute path.
pub fn validate_config(schema: &Schema, config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    validate_block(
        &schema.block,
        config,
        &mut AttributePath::root(),
        &mut diags,
    );
    diags
}

fn validate_block(block: &Block, value: &Value, path: &mut AttributePath, diags: &mut Diagnostics) {
    if !value.is_known() || value.is_null() {
        return;
    }
    for attribute in &block.attributes {
        path.push(PathStep::Attribute(attribute.name.clone()));
        validate_attribute(attribute, value.get(&attribute.name), path, diags);
        path.pop();
    }
    for nested in &block.blocks {
        path.push(PathStep::Attribute(nested.type_name.clone()));
        let blocks = value.get(&nested.type_name);
        if let Some(deprecated) = &nested.block.deprecated {
            if is_set(blocks) {
                diags.attribute_warning(
                    path.clone(),
                    format!("Deprecated block {}", nested.type_name),
                    deprecated.clone(),
                );
            }
        }
        match nested.nesting {
            BlockNesting::Single | BlockNesting::Group => {
                validate_block(&nested.block, blocks, path, diags);
            }
            BlockNesting::List | BlockNesting::Set | BlockNesting::Map => {
                let mark = diags.len();
                for_each_element(blocks, path, &mut |element, path| {
                    validate_block(&nested.block, element, path, diags);
                });
                if nested.nesting == BlockNesting::Set {
                    diags.truncate_paths(mark, path);
                }
            }
        }
        path.pop();
    }
    for validator in &block.validators {
        validator.validate(value, path, diags);
    }
}

/// Whether a value is configured: known and not null or empty.
fn is_set(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::List(v) | Value::Set(v) | Value::Tuple(v) => !v.is_empty(),
        Value::Map(m) => !m.is_empty(),
        _ => true,
    }
}

/// Calls `f` with each known element of a list, set or map and its path (a set's elements
/// have their set's path: sets cannot be indexed; callers cut deeper paths back to the set).
fn for_each_element(
    collection: &Value,
    path: &mut AttributePath,
    f: &mut dyn FnMut(&Value, &mut AttributePath),
) {
    match collection {
        Value::List(items) | Value::Tuple(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(PathStep::ElementKeyInt(i as i64));
                f(item, path);
                path.pop();
            }
        }
        Value::Set(items) => {
            for item in items {
                f(item, path);
            }
        }
        Value::Map(entries) => {
            for (key, item) in entries {
                path.push(PathStep::ElementKeyString(key.clone()));
                f(item, path);
                path.pop();
            }
        }
        _ => {}
    }
}

fn validate_attribute(
    attribute: &Attribute,
    value: &Value,
    path: &mut AttributePath,
    diags: &mut Diagnostics,
) {
    if value.is_null() {
        if attribute.required {
            diags.attribute_error(
                path.clone(),
                "Missing required argument",
                format!(
                    "The argument \"{}\" is required, but no value was set.",
                    attribute.name
                ),
            );
        }
        return;
    }
    if !value.is_known() {
        return;
    }
    if let Some(deprecated) = &attribute.deprecated {
        diags.attribute_warning(
            path.clone(),
            format!("Deprecated attribute {}", attribute.name),
            deprecated.clone(),
        );
    }
    for validator in &attribute.validators {
        validator.validate(value, path, diags);
    }
    if let AttrType::Nested(nested) = &attribute.kind {
        let mark = diags.len();
        let mut check_object = |object: &Value, path: &mut AttributePath| {
            if !object.is_known() || object.is_null() {
                return;
            }
            for child in &nested.attributes {
                path.push(PathStep::Attribute(child.name.clone()));
                validate_attribute(child, object.get(&child.name), path, diags);
                path.pop();
            }
            for validator in &nested.validators {
                validator.validate(object, path, diags);
            }
        };
        match nested.nesting {
            ObjectNesting::Single => check_object(value, path),
            _ => for_each_element(value, path, &mut check_object),
        }
        if nested.nesting == ObjectNesting::Set {
            diags.truncate_paths(mark, path);
        }
    }
}

impl fmt::Debug for dyn Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Validator({})", self.description())
    }
}
