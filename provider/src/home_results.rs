//! The schema the `studio_user_profile` and `studio_space` data sources share: the domain
//! arguments (`domain_id` or `domain_name`), the computed results about the home, and their values.

use studio_core::resolve::{Domain, Home};
use tfplugin::framework::schema::Attribute;
use tfplugin::values::value::Value;

use crate::attrs::{domain_id, sagemaker_name};

/// The `domain_id` / `domain_name` arguments of the user profile and space data sources.
pub fn domain_arguments(what: &str) -> Vec<Attribute> {
    vec![
        Attribute::string("domain_id")
            .optional()
            .computed()
            .validate(domain_id())
            .description(format!(
                "The id of the SageMaker domain of {what}. Exactly one of `domain_id` and `domain_name`; computed when looked up by name."
            )),
        Attribute::string("domain_name")
            .optional()
            .computed()
            .validate(sagemaker_name())
            .description(format!(
                "The name of the SageMaker domain of {what}. Exactly one of `domain_id` and `domain_name`; computed when looked up by id."
            )),
    ]
}

/// The computed results the user profile and space data sources share.
pub fn home_results(what: &str) -> Vec<Attribute> {
    vec![
        Attribute::string("id")
            .computed()
            .description(format!("The ARN of the {what}.")),
        Attribute::string("arn")
            .computed()
            .description(format!("The ARN of the {what}.")),
        Attribute::string("home")
            .computed()
            .description(
                "The home key `<domain name>/user/<name>` or `<domain name>/space/<name>`, as the mapping table, \
                 the `studio_restore_history` data source and the import ids of `studio_restore_target` and \
                 `studio_replication` name it.",
            ),
        Attribute::string("status")
            .computed()
            .description(format!(
                "The {what}'s status as SageMaker reports it: `InService`, `Pending`, `Updating`, `Deleting`, `Failed`, ..."
            )),
        Attribute::string("home_efs_file_system_id")
            .computed()
            .description("The EFS file system of the home directory: the domain's `home_efs_file_system_id`."),
        Attribute::string("home_efs_file_system_uid")
            .computed()
            .description(format!(
                "The {what}'s `HomeEfsFileSystemUid`: its home directory is `/<uid>` on the file system. \
                 A recreated {what} gets a new uid. Null while SageMaker has not assigned one."
            )),
        Attribute::string("creation_time")
            .computed()
            .description(format!("When the {what} was created (RFC 3339).")),
    ]
}

/// The values of [`domain_arguments`] and [`home_results`].
pub fn home_result_values(domain: &Domain, home: &Home) -> Value {
    let directory = home.directory.as_ref();
    Value::object([
        ("domain_id", Value::string(&domain.id)),
        ("domain_name", Value::string(&domain.name)),
        ("id", Value::string(&home.arn)),
        ("arn", Value::string(&home.arn)),
        ("home", Value::string(home.key.to_string())),
        ("status", Value::string(&home.status)),
        (
            "home_efs_file_system_id",
            Value::opt_string(
                directory
                    .map(|d| d.file_system_id.as_str())
                    .or(domain.home_efs_file_system_id.as_deref()),
            ),
        ),
        (
            "home_efs_file_system_uid",
            Value::opt_string(directory.map(|d| d.uid.to_string())),
        ),
        (
            "creation_time",
            Value::opt_string(home.created_at.as_deref()),
        ),
    ])
}
