//! Planning: turns prior state and configuration into the planned state Terraform accepts
//! (the contract in `resource-instance-change-lifecycle.md`).
//!
//! - Attributes that are not computed are planned exactly as configured.
//! - Optional and computed attributes take the configured value when there is one, else their
//!   default, else the prior value (unknown on create).
//! - Computed-only attributes keep their prior value when nothing else changes, and become
//!   unknown when the resource changes (unless `use_state_for_unknown`) or is created (unless it
//!   has a default).
//! - `requires_replace` attributes whose planned value differs from the prior one are reported,
//!   with their full path, also inside nested attributes and blocks.
//!
//! A resource's own plan logic then adjusts the result with [`PlannedChange::set`],
//! [`PlannedChange::mark_unknown`] and [`PlannedChange::require_replace`].

use crate::framework::schema::{
    AttrType, Attribute, Block, BlockNesting, NestedBlock, ObjectNesting, Schema,
};
use crate::values::path::{AttributePath, PathStep};
use crate::values::value::{PathError, Value};
use std::collections::BTreeMap;

/// The planned new state and what in it forces replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedChange {
    /// Null when the resource is to be destroyed.
    pub planned_state: Value,
    /// Paths whose change makes Terraform replace the resource instead of updating it.
    pub requires_replace: Vec<AttributePath>,
}

impl PlannedChange {
    /// Sets the planned value at `path` (e.g. a value the provider can predict).
    pub fn set(&mut self, path: &AttributePath, value: Value) -> Result<(), PathError> {
        self.planned_state.set_path(path, value)
    }

    /// Plans the value at `path` as unknown until apply.
    pub fn mark_unknown(&mut self, path: &AttributePath) -> Result<(), PathError> {
        self.set(path, Value::Unknown)
    }

    /// Makes a change at `path` replace the resource.
    pub fn require_replace(&mut self, path: AttributePath) {
        if !self.requires_replace.contains(&path) {
            self.requires_replace.push(path);
        }
    }

    /// The planned value at `path` (null when there is none).
    pub fn get(&self, path: &AttributePath) -> &Value {
        self.planned_state.walk(path).unwrap_or(&Value::Null)
    }

    /// Whether this plan destroys the resource.
    pub fn is_destroy(&self) -> bool {
        self.planned_state.is_null()
    }
}

/// Plans a change of one resource instance. `prior_state` is null on create;
/// `proposed_new_state` (or `config`) is null on destroy.
pub fn plan_resource_change(
    schema: &Schema,
    prior_state: &Value,
    proposed_new_state: &Value,
    config: &Value,
) -> PlannedChange {
    if proposed_new_state.is_null() || config.is_null() {
        return PlannedChange {
            planned_state: Value::Null,
            requires_replace: Vec::new(),
        };
    }
    // First plan as if nothing but the configuration changed, keeping computed values; if the
    // result still differs from the prior state, the resource changes and computed values the
    // provider may recompute become unknown.
    let mut planner = Planner {
        changing: false,
        requires_replace: Vec::new(),
    };
    let mut root = AttributePath::root();
    let mut planned = planner.object(&schema.block, prior_state, config, &mut root);
    // Replacements come from this first pass, where computed values are still the prior ones:
    // only configuration changes count, not values that become unknown because of them.
    let mut requires_replace = std::mem::take(&mut planner.requires_replace);
    if !prior_state.is_null() && planned != *prior_state {
        planner.changing = true;
        planned = planner.object(&schema.block, prior_state, config, &mut root);
    }
    requires_replace.sort();
    requires_replace.dedup();
    PlannedChange {
        planned_state: planned,
        requires_replace,
    }
}

struct Planner {
    /// Whether the resource as a whole changes.
    changing: bool,
    requires_replace: Vec<AttributePath>,
}

/// The attributes and blocks of one object level.
trait ObjectSchema {
    fn attributes(&self) -> &[Attribute];
    fn blocks(&self) -> &[NestedBlock];
}

impl ObjectSchema for Block {
    fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }
    fn blocks(&self) -> &[NestedBlock] {
        &self.blocks
    }
}

impl ObjectSchema for [Attribute] {
    fn attributes(&self) -> &[Attribute] {
        self
    }
    fn blocks(&self) -> &[NestedBlock] {
        &[]
    }
}

impl Planner {
    fn object(
        &mut self,
        schema: &(impl ObjectSchema + ?Sized),
        prior: &Value,
        config: &Value,
        path: &mut AttributePath,
    ) -> Value {
        if config.is_null() || config.is_unknown() {
            return config.clone();
        }
        let new_object = prior.is_null();
        let mut planned = BTreeMap::new();
        for attribute in schema.attributes() {
            path.push(PathStep::Attribute(attribute.name.clone()));
            let value = self.attribute(
                attribute,
                prior.get(&attribute.name),
                config.get(&attribute.name),
                new_object,
                path,
            );
            path.pop();
            planned.insert(attribute.name.clone(), value);
        }
        for block in schema.blocks() {
            path.push(PathStep::Attribute(block.type_name.clone()));
            let value = self.nested_block(
                block,
                prior.get(&block.type_name),
                config.get(&block.type_name),
                path,
            );
            path.pop();
            planned.insert(block.type_name.clone(), value);
        }
        Value::Object(planned)
    }

    fn attribute(
        &mut self,
        attribute: &Attribute,
        prior: &Value,
        config: &Value,
        new_object: bool,
        path: &mut AttributePath,
    ) -> Value {
        if config.is_null() && attribute.computed {
            return match &attribute.default {
                Some(default) if attribute.optional || new_object => {
                    // Dropping a setting from the configuration plans its default: a change
                    // the user made, so it may replace.
                    if attribute.requires_replace && !new_object && default != prior {
                        self.requires_replace.push(path.clone());
                    }
                    default.clone()
                }
                // Otherwise the provider's own value: no replacement from here.
                _ if new_object => Value::Unknown,
                _ if self.changing && !attribute.optional && !attribute.use_state_for_unknown => {
                    Value::Unknown
                }
                _ => prior.clone(),
            };
        }
        let planned = match &attribute.kind {
            AttrType::Nested(nested) if config.is_known() && !config.is_null() => {
                let attrs = nested.attributes.as_slice();
                match nested.nesting {
                    ObjectNesting::Single => self.object(attrs, prior, config, path),
                    ObjectNesting::List => self.each_indexed(attrs, prior, config, path),
                    ObjectNesting::Map => self.each_keyed(attrs, prior, config, path),
                    ObjectNesting::Set => self.each_in_set(attrs, prior, config, path),
                }
            }
            _ => config.clone(),
        };
        if attribute.requires_replace && !new_object && planned != *prior {
            self.requires_replace.push(path.clone());
        }
        planned
    }

    fn nested_block(
        &mut self,
        block: &NestedBlock,
        prior: &Value,
        config: &Value,
        path: &mut AttributePath,
    ) -> Value {
        if !config.is_known() || config.is_null() {
            return config.clone();
        }
        match block.nesting {
            BlockNesting::Single | BlockNesting::Group => {
                self.object(&block.block, prior, config, path)
            }
            BlockNesting::List => self.each_indexed(&block.block, prior, config, path),
            BlockNesting::Map => self.each_keyed(&block.block, prior, config, path),
            BlockNesting::Set => self.each_in_set(&block.block, prior, config, path),
        }
    }

    fn each_indexed(
        &mut self,
        schema: &(impl ObjectSchema + ?Sized),
        prior: &Value,
        config: &Value,
        path: &mut AttributePath,
    ) -> Value {
        let Some(items) = config.as_list() else {
            return config.clone();
        };
        let planned = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                path.push(PathStep::ElementKeyInt(i as i64));
                let planned = self.object(schema, prior.element(i), item, path);
                path.pop();
                planned
            })
            .collect();
        Value::List(planned)
    }

    fn each_keyed(
        &mut self,
        schema: &(impl ObjectSchema + ?Sized),
        prior: &Value,
        config: &Value,
        path: &mut AttributePath,
    ) -> Value {
        let Some(entries) = config.as_map() else {
            return config.clone();
        };
        let planned = entries
            .iter()
            .map(|(key, item)| {
                path.push(PathStep::ElementKeyString(key.clone()));
                let planned = self.object(schema, prior.get(key), item, path);
                path.pop();
                (key.clone(), planned)
            })
            .collect();
        Value::Map(planned)
    }

    /// Set elements have no identity but their content: each configured element takes the
    /// computed values of the prior element whose configurable attributes it equals. Paths stop
    /// at the set (sets cannot be indexed).
    fn each_in_set(
        &mut self,
        schema: &(impl ObjectSchema + ?Sized),
        prior: &Value,
        config: &Value,
        path: &mut AttributePath,
    ) -> Value {
        let Some(items) = config.as_list() else {
            return config.clone();
        };
        let priors = prior.as_list().unwrap_or_default();
        let planned = items
            .iter()
            .map(|item| {
                let matching = priors
                    .iter()
                    .find(|p| same_configuration(schema, p, item))
                    .unwrap_or(&Value::Null);
                // Replacement inside a set is reported at the set itself.
                let mark = self.requires_replace.len();
                let planned = self.object(schema, matching, item, path);
                if self.requires_replace.len() > mark {
                    self.requires_replace.truncate(mark);
                    self.requires_replace.push(path.clone());
                }
                planned
            })
            .collect::<Vec<_>>();
        Value::set(planned)
    }
}

/// Whether a prior set element and a configured one agree on everything the configuration
/// decides (attributes that are not computed, or that the configuration sets).
fn same_configuration(
    schema: &(impl ObjectSchema + ?Sized),
    prior: &Value,
    config: &Value,
) -> bool {
    if prior.is_null() || config.is_null() {
        return prior.is_null() && config.is_null();
    }
    schema.attributes().iter().all(|a| {
        let configured = config.get(&a.name);
        (a.computed && configured.is_null()) || prior.get(&a.name) == configured
    }) && schema.blocks().iter().all(|b| {
        let (p, c) = (prior.get(&b.type_name), config.get(&b.type_name));
        match b.nesting {
            BlockNesting::Single | BlockNesting::Group => same_configuration(&b.block, p, c),
            BlockNesting::List => match (p.as_list(), c.as_list()) {
                (Some(ps), Some(cs)) => {
                    ps.len() == cs.len()
                        && ps
                            .iter()
                            .zip(cs)
                            .all(|(p, c)| same_configuration(&b.block, p, c))
                }
                _ => p == c,
            },
            BlockNesting::Set => match (p.as_list(), c.as_list()) {
                (Some(ps), Some(cs)) => {
                    ps.len() == cs.len()
                        && cs
                            .iter()
                            .all(|c| ps.iter().any(|p| same_configuration(&b.block, p, c)))
                }
                _ => p == c,
            },
            BlockNesting::Map => match (p.as_map(), c.as_map()) {
                (Some(ps), Some(cs)) => {
                    ps.len() == cs.len()
                        && cs.iter().all(|(k, c)| {
                            ps.get(k)
                                .is_some_and(|p| same_configuration(&b.block, p, c))
                        })
                }
                _ => p == c,
            },
        }
    })
}
