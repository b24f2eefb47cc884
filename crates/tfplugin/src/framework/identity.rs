//! Resource identity (Terraform 1.12+): a small, versioned object that names the remote object a
//! resource instance manages, stored next to its state and accepted by `import` blocks
//! (`import { to = ..., identity = { ... } }`).
//!
//! Terraform decodes identities with the schema's implied object type; every attribute is
//! either required or optional for import, and an identity the provider returns must be
//! wholly known.

use crate::values::types::Type;

/// One attribute of an identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityAttribute {
    /// Its name.
    pub name: String,
    /// Its type (a primitive type or a list of one).
    pub ty: Type,
    /// `true`: an `import` block must set it; `false`: it is optional for import, and the
    /// provider supplies it when it is not set.
    pub required_for_import: bool,
    /// What it is, for the user (markdown).
    pub description: String,
}

impl IdentityAttribute {
    /// A string attribute that an `import` block must set.
    pub fn required_string(
        name: impl Into<String>,
        description: impl Into<String>,
    ) -> IdentityAttribute {
        IdentityAttribute {
            name: name.into(),
            ty: Type::String,
            required_for_import: true,
            description: description.into(),
        }
    }

    /// A string attribute that an `import` block may leave out.
    pub fn optional_string(
        name: impl Into<String>,
        description: impl Into<String>,
    ) -> IdentityAttribute {
        IdentityAttribute {
            name: name.into(),
            ty: Type::String,
            required_for_import: false,
            description: description.into(),
        }
    }
}

/// A resource type's identity schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentitySchema {
    /// Its version, separate from the resource schema's: incremented whenever the attributes
    /// change; stored identities of older versions go through `Resource::upgrade_identity`.
    pub version: i64,
    /// The attributes.
    pub attributes: Vec<IdentityAttribute>,
}

impl IdentitySchema {
    /// A schema of `version` with `attributes`.
    pub fn new(version: i64, attributes: impl IntoIterator<Item = IdentityAttribute>) -> Self {
        IdentitySchema {
            version,
            attributes: attributes.into_iter().collect(),
        }
    }

    /// The object type of an identity value.
    pub fn value_type(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|attribute| (attribute.name.clone(), attribute.ty.clone())),
        )
    }
}
