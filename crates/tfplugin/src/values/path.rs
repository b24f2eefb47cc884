//! Attribute paths: where in a value (a resource's configuration, plan or state) something
//! is. Codec errors, diagnostics and plans all point with them.

use std::fmt;

/// One step of an attribute path (tfplugin6 `AttributePath.Step`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathStep {
    /// An object attribute or nested block, by name.
    Attribute(String),
    /// A map key (or map-nested block label).
    ElementKeyString(String),
    /// A list or tuple index. Sets cannot be indexed: a path stops at the set.
    ElementKeyInt(i64),
}

/// A path from the root of a resource's value to one attribute or element.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributePath {
    steps: Vec<PathStep>,
}

impl AttributePath {
    /// The empty path: the whole value.
    pub fn root() -> AttributePath {
        AttributePath::default()
    }

    /// A path of one attribute step.
    pub fn attribute(name: impl Into<String>) -> AttributePath {
        AttributePath::root().attr(name)
    }

    pub fn from_steps(steps: Vec<PathStep>) -> AttributePath {
        AttributePath { steps }
    }

    /// This path followed by an attribute step.
    #[must_use]
    pub fn attr(mut self, name: impl Into<String>) -> AttributePath {
        self.steps.push(PathStep::Attribute(name.into()));
        self
    }

    /// This path followed by a map key step.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> AttributePath {
        self.steps.push(PathStep::ElementKeyString(key.into()));
        self
    }

    /// This path followed by a list index step.
    #[must_use]
    pub fn index(mut self, index: i64) -> AttributePath {
        self.steps.push(PathStep::ElementKeyInt(index));
        self
    }

    /// This path followed by `step`, without consuming `self`.
    pub fn child(&self, step: PathStep) -> AttributePath {
        let mut steps = self.steps.clone();
        steps.push(step);
        AttributePath { steps }
    }

    pub fn steps(&self) -> &[PathStep] {
        &self.steps
    }

    pub fn is_root(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn push(&mut self, step: PathStep) {
        self.steps.push(step);
    }

    pub fn pop(&mut self) -> Option<PathStep> {
        self.steps.pop()
    }

    /// The path without its last step (the root stays the root).
    pub fn parent(&self) -> AttributePath {
        let mut steps = self.steps.clone();
        steps.pop();
        AttributePath { steps }
    }

    /// The name of the last attribute step, if the path ends in one.
    pub fn last_attribute(&self) -> Option<&str> {
        match self.steps.last() {
            Some(PathStep::Attribute(name)) => Some(name),
            _ => None,
        }
    }

    /// Whether `self` is `other` or lies under it.
    pub fn starts_with(&self, other: &AttributePath) -> bool {
        self.steps.starts_with(&other.steps)
    }
}

impl fmt::Display for AttributePath {
    /// Written as in HCL: `source.domain_id`, `tags["team"]`, `rules[0].name`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => write!(f, "{name}")?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::ElementKeyString(key) => write!(f, "[{key:?}]")?,
                PathStep::ElementKeyInt(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}
