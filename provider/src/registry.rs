//! Every resource, data source, function and action of the provider. Add a new one here.

use std::sync::Arc;

use tfplugin::framework::action::Action;
use tfplugin::framework::function::Function;
use tfplugin::framework::list::ListResource;
use tfplugin::framework::provider::{DataSource, Resource};

/// The managed resource types.
pub fn resources() -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(crate::resource_profile_restore::ProfileRestoreResource::default()),
        Arc::new(crate::resource_restore_target::RestoreTargetResource),
        Arc::new(crate::resource_replication::ReplicationResource),
        Arc::new(crate::resource_home_retention::HomeRetentionResource),
    ]
}

/// The data source types.
pub fn data_sources() -> Vec<Arc<dyn DataSource>> {
    vec![
        Arc::new(crate::data_source_domain::DomainDataSource),
        Arc::new(crate::data_source_user_profile::UserProfileDataSource),
        Arc::new(crate::data_source_space::SpaceDataSource),
        Arc::new(crate::data_source_home_directories::HomeDirectoriesDataSource),
        Arc::new(crate::data_source_restore_history::RestoreHistoryDataSource),
    ]
}

/// The provider functions (`provider::studio::<name>`, Terraform 1.8+).
pub fn functions() -> Vec<Arc<dyn Function>> {
    vec![
        Arc::new(crate::function_home_key::HomeKeyFunction),
        Arc::new(crate::function_parse_home_key::ParseHomeKeyFunction),
        Arc::new(crate::function_efs_home_path::EfsHomePathFunction),
    ]
}

/// The list resources (`terraform query`, Terraform 1.14+), each named like the managed resource
/// type it lists.
pub fn list_resources() -> Vec<Arc<dyn ListResource>> {
    vec![
        Arc::new(crate::list_profile_restore::ProfileRestoreList),
        Arc::new(crate::list_restore_target::RestoreTargetList),
        Arc::new(crate::list_replication::ReplicationList),
    ]
}

/// The actions (`action "studio_<name>"`, Terraform 1.14+).
pub fn actions() -> Vec<Arc<dyn Action>> {
    vec![Arc::new(crate::action_restore::RestoreAction)]
}

#[cfg(test)]
mod tests {
    use tfplugin::framework::diagnostics::Diagnostics;
    use tfplugin::framework::schema::Attribute;
    use tfplugin::values::path::AttributePath;
    use tfplugin::values::value::Value;

    #[test]
    fn every_attribute_is_described_for_users() {
        use tfplugin::framework::provider::{DataSource, Resource};
        fn check(owner: &str, attributes: &[Attribute]) {
            for a in attributes {
                assert!(
                    a.description.len() > 10,
                    "{owner}.{} has no description",
                    a.name
                );
                if let Some(nested) = a.nested_attributes() {
                    check(&format!("{owner}.{}", a.name), &nested.attributes);
                }
            }
        }
        let data_sources: Vec<Box<dyn DataSource>> = vec![
            Box::new(crate::data_source_domain::DomainDataSource),
            Box::new(crate::data_source_user_profile::UserProfileDataSource),
            Box::new(crate::data_source_space::SpaceDataSource),
            Box::new(crate::data_source_home_directories::HomeDirectoriesDataSource),
            Box::new(crate::data_source_restore_history::RestoreHistoryDataSource),
        ];
        for ds in &data_sources {
            let schema = ds.schema();
            assert!(!schema.block.description.is_empty(), "{}", ds.type_name());
            check(ds.type_name(), &schema.block.attributes);
        }
        let resources: Vec<Box<dyn Resource>> = vec![
            Box::new(crate::resource_restore_target::RestoreTargetResource),
            Box::new(crate::resource_replication::ReplicationResource),
            Box::new(crate::resource_home_retention::HomeRetentionResource),
        ];
        for r in &resources {
            let schema = r.schema();
            assert!(
                schema.block.description.contains("Import"),
                "{}",
                r.type_name()
            );
            check(r.type_name(), &schema.block.attributes);
            let id = schema.block.get_attribute("id").expect("an id");
            assert!(
                id.computed && id.use_state_for_unknown,
                "{}.id keeps its state value",
                r.type_name()
            );
        }
    }

    /// Every `domain_id` a user types (`studio_domain`, the user profile and space data sources,
    /// the source and target of `studio_profile_restore`, `studio_home_retention`) follows one rule, [`crate::attrs::domain_id`]:
    /// `studio_profile_restore` once had a looser one of its own (`d-` and up to 63 characters).
    #[test]
    fn every_typed_domain_id_follows_one_rule() {
        fn domain_ids<'a>(attributes: &'a [Attribute], found: &mut Vec<&'a Attribute>) {
            for a in attributes {
                if a.name == "domain_id" && !a.validators.is_empty() {
                    found.push(a);
                }
                if let Some(nested) = a.nested_attributes() {
                    domain_ids(&nested.attributes, found);
                }
            }
        }
        let schemas: Vec<_> = super::resources()
            .iter()
            .map(|r| r.schema())
            .chain(super::data_sources().iter().map(|d| d.schema()))
            .collect();
        let mut found = Vec::new();
        for schema in &schemas {
            domain_ids(&schema.block.attributes, &mut found);
        }
        assert_eq!(
            found.len(),
            6,
            "studio_domain, user profile, space, source, target, studio_home_retention"
        );
        let accepts = |a: &Attribute, id: &str| {
            let mut diags = Diagnostics::new();
            for v in &a.validators {
                v.validate(
                    &Value::string(id),
                    &AttributePath::attribute("domain_id"),
                    &mut diags,
                );
            }
            diags.is_empty()
        };
        let too_long = format!("d-{}", "a".repeat(63));
        for a in found {
            assert!(accepts(a, "d-0123456789ab") && accepts(a, "d-old0domain1"));
            for bad in [
                "not-a-domain",
                "D-0123456789AB",
                "d-",
                "d-abc_def",
                &too_long,
            ] {
                assert!(!accepts(a, bad), "{bad:?} is not a domain id");
            }
            assert_eq!(
                a.validators[0].description(),
                "a SageMaker domain id such as d-0123456789ab"
            );
        }
    }
}
