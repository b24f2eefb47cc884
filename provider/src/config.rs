//! The `provider "studio"` block: its schema, the checks `terraform validate` runs, and the
//! settings it turns into.

use std::sync::Arc;

use studio_core::aws::{AssumeRole, AwsSettings, Endpoints};
use tfplugin::framework::diagnostics::Diagnostics;
use tfplugin::framework::schema::{Attribute, Block, NestedBlock, Schema};
use tfplugin::framework::validators::{self, Validator};
use tfplugin::values::path::AttributePath;
use tfplugin::values::value::Value;

/// The tables' names when the configuration leaves them out: the core's, the one place they are
/// defined (the Lambdas fall back to them too).
pub use studio_core::records::{DEFAULT_HISTORY_TABLE, DEFAULT_USER_TABLE};

/// The AWS services whose endpoints can be overridden, with what each is used for.
pub const ENDPOINT_SERVICES: [(&str, &str); 6] = [
    ("sagemaker", "SageMaker (domains, user profiles, spaces)"),
    ("datasync", "DataSync (the copy tasks and locations)"),
    ("dynamodb", "DynamoDB (the mapping and history tables)"),
    ("sfn", "Step Functions (the restore workflow)"),
    ("efs", "EFS (the home-directory file systems)"),
    ("sts", "STS (used only to assume `assume_role`'s role)"),
];

fn region() -> Arc<dyn Validator> {
    validators::regex(
        r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$",
        "an AWS region name such as eu-west-1 or us-gov-west-1",
    )
}

fn role_arn() -> Arc<dyn Validator> {
    validators::regex(
        r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/[\w+=,.@/-]+$",
        "an IAM role ARN such as arn:aws:iam::123456789012:role/studio-restore",
    )
}

fn session_name() -> Arc<dyn Validator> {
    validators::regex(
        r"^[\w+=,.@-]{2,64}$",
        "2 to 64 characters, each a letter, digit or one of _+=,.@-",
    )
}

fn external_id() -> Arc<dyn Validator> {
    validators::regex(
        r"^[\w+=,.@:/-]{2,1224}$",
        "2 to 1224 characters, each a letter, digit or one of _+=,.@:/-",
    )
}

fn table_name() -> Arc<dyn Validator> {
    validators::regex(
        r"^[a-zA-Z0-9_.-]{3,255}$",
        "a DynamoDB table name: 3 to 255 characters, each a letter, digit or one of _.-",
    )
}

/// The schema of the provider block.
pub fn schema() -> Schema {
    let assume_role = Block::new()
        .description("A role to assume on top of the base credentials, with STS `AssumeRole`.")
        .attributes([
            Attribute::string("role_arn")
                .required()
                .validate(role_arn())
                .description("The ARN of the IAM role to assume, e.g. `arn:aws:iam::123456789012:role/studio-restore`."),
            Attribute::string("session_name")
                .optional()
                .validate(session_name())
                .description("The role session name, as CloudTrail records it: 2 to 64 characters of letters, digits and `_+=,.@-`. Default `studio-restore`."),
            Attribute::string("external_id")
                .optional()
                .sensitive()
                .validate(external_id())
                .description("The external id the role's trust policy requires, if any."),
        ]);
    let endpoints = Block::new()
        .description("Endpoint URLs that replace the AWS defaults, per service: for the local emulator, or VPC endpoints.")
        .attributes(ENDPOINT_SERVICES.iter().map(|(service, used_for)| {
            Attribute::string(*service)
                .optional()
                .validate(validators::url())
                .description(format!(
                    "The endpoint URL for {used_for}, an absolute `http://` or `https://` URL. \
                     Default: the `AWS_ENDPOINT_URL_*` / `AWS_ENDPOINT_URL` environment, else AWS's public endpoint."
                ))
        }));
    let block = Block::new()
        .description(format!(
            "The `studio` provider restores SageMaker Studio home directories: when a user profile or space \
             is recreated, its new home directory on the domain's EFS file system gets the files of the old one, \
             copied with AWS DataSync.\n\nCredentials come from the standard AWS chain (environment, shared \
             configuration and credentials files, SSO, container and instance roles).\n\nVersion {}: \
             its AWS calls name it in their user agent (`Terraform/<version> terraform-provider-studio/{}`).",
            env!("CARGO_PKG_VERSION"),
            env!("CARGO_PKG_VERSION"),
        ))
        .attributes([
            Attribute::string("region")
                .optional()
                .validate(region())
                .description("The AWS region of the SageMaker domains, e.g. `eu-west-1`. Default: `AWS_REGION`, else the profile's region."),
            Attribute::string("profile")
                .optional()
                .validate(validators::not_empty())
                .description("A named profile of the shared AWS configuration (`~/.aws/config`) to take credentials and region from. Default: `AWS_PROFILE`, else `default`. Conflicts with `assume_role`: a profile assumes roles itself, with `role_arn` and `source_profile`."),
            Attribute::string("user_table")
                .optional()
                .validate(table_name())
                .description(format!("The DynamoDB mapping table, which records every home directory. Default `{DEFAULT_USER_TABLE}`.")),
            Attribute::string("history_table")
                .optional()
                .validate(table_name())
                .description(format!("The DynamoDB history table, an append-only log of restores. Default `{DEFAULT_HISTORY_TABLE}`.")),
            Attribute::string("slots_table")
                .optional()
                .validate(table_name())
                .description("The DataSync slots table of `modules/restore-workflow` (its `slots_table_name` output). When set, restores with `engine = \"datasync\"` take a slot from the same budget as the restore workflow before they create anything in DataSync, so that together they never run more DataSync tasks than its `max_concurrent_restores`; a restore waits for a free slot within its create timeout. Unset: the provider's restores are not counted."),
        ])
        .block(NestedBlock::single("assume_role", assume_role))
        .block(NestedBlock::single("endpoints", endpoints));
    Schema::new(0, block)
}

/// Checks across attributes that the schema's validators cannot express. Unknown values are
/// skipped: they may still turn out fine.
pub fn validate(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let profile = config.get("profile");
    let assume_role = config.get("assume_role");
    if !profile.is_null() && profile.is_known() && !assume_role.is_null() && assume_role.is_known()
    {
        diags.attribute_error(
            AttributePath::attribute("profile"),
            "Conflicting configuration",
            "`profile` and an `assume_role` block cannot be used together: either let the shared-config \
             profile assume the role (`role_arn` and `source_profile` in ~/.aws/config), or remove `profile` \
             and keep `assume_role` on top of the default credential chain.",
        );
    }
    let sts = config.get("endpoints").get("sts");
    if !sts.is_null() && sts.is_known() && assume_role.is_null() {
        diags.attribute_warning(
            AttributePath::attribute("endpoints").attr("sts"),
            "Unused endpoint",
            "`endpoints.sts` is only used to assume the role of an `assume_role` block, and there is none.",
        );
    }
    diags
}

/// The provider's settings, from a wholly known configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    /// How to reach AWS.
    pub aws: AwsSettings,
    /// The mapping table's name.
    pub user_table: String,
    /// The history table's name.
    pub history_table: String,
    /// The DataSync slots table, when the provider's restores share the workflow's budget.
    pub slots_table: Option<String>,
}

fn string(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

impl ProviderConfig {
    /// Reads the settings; `None` while any value is unknown (a provider block that depends on
    /// resources not yet created).
    pub fn from_value(config: &Value) -> Option<ProviderConfig> {
        if !config.is_fully_known() {
            return None;
        }
        let assume_role = config.get("assume_role");
        let endpoints = config.get("endpoints");
        Some(ProviderConfig {
            aws: AwsSettings {
                region: string(config.get("region")),
                profile: string(config.get("profile")),
                assume_role: string(assume_role.get("role_arn")).map(|role_arn| AssumeRole {
                    role_arn,
                    session_name: string(assume_role.get("session_name")),
                    external_id: string(assume_role.get("external_id")),
                }),
                endpoints: Endpoints {
                    sagemaker: string(endpoints.get("sagemaker")),
                    datasync: string(endpoints.get("datasync")),
                    dynamodb: string(endpoints.get("dynamodb")),
                    sfn: string(endpoints.get("sfn")),
                    efs: string(endpoints.get("efs")),
                    sts: string(endpoints.get("sts")),
                },
                user_agent: None,
            },
            user_table: string(config.get("user_table"))
                .unwrap_or_else(|| DEFAULT_USER_TABLE.to_owned()),
            history_table: string(config.get("history_table"))
                .unwrap_or_else(|| DEFAULT_HISTORY_TABLE.to_owned()),
            slots_table: string(config.get("slots_table")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::framework::diagnostics::Severity;
    use tfplugin::values::path::PathStep;

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut object = Value::object([
            ("region", Value::Null),
            ("profile", Value::Null),
            ("user_table", Value::Null),
            ("history_table", Value::Null),
            ("slots_table", Value::Null),
            ("assume_role", Value::Null),
            ("endpoints", Value::Null),
        ]);
        for (name, value) in pairs {
            object.set_attr(*name, value.clone());
        }
        object
    }

    fn assume_role(arn: &str, session: Option<&str>) -> Value {
        Value::object([
            ("role_arn", Value::string(arn)),
            ("session_name", Value::opt_string(session)),
            ("external_id", Value::Null),
        ])
    }

    fn errors_at(config: &Value) -> Vec<String> {
        let mut diags = tfplugin::framework::schema::validate_config(&schema(), config);
        diags.extend(validate(config));
        diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| {
                d.attribute
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn an_empty_block_is_valid() {
        assert!(errors_at(&config(&[])).is_empty());
    }

    #[test]
    fn regions() {
        for good in [
            "eu-west-1",
            "us-gov-west-1",
            "us-isob-east-1",
            "ap-southeast-2",
        ] {
            assert!(
                errors_at(&config(&[("region", Value::string(good))])).is_empty(),
                "{good}"
            );
        }
        for bad in ["eu-west", "EU-WEST-1", "euwest1", "eu-west-1a", ""] {
            assert_eq!(
                errors_at(&config(&[("region", Value::string(bad))])).len(),
                1,
                "{bad}"
            );
        }
    }

    #[test]
    fn role_arns_and_session_names() {
        let good = assume_role("arn:aws:iam::123456789012:role/path/x", Some("terraform"));
        assert!(errors_at(&config(&[("assume_role", good)])).is_empty());
        let gov = assume_role("arn:aws-us-gov:iam::123456789012:role/x", None);
        assert!(errors_at(&config(&[("assume_role", gov)])).is_empty());
        for bad in [
            "arn:aws:iam::12345:role/x",
            "arn:aws:iam::123456789012:user/x",
            "role/x",
        ] {
            let errors = errors_at(&config(&[("assume_role", assume_role(bad, None))]));
            assert_eq!(errors.len(), 1, "{bad}: {errors:?}");
        }
        let bad_session = assume_role("arn:aws:iam::123456789012:role/x", Some("has space"));
        assert_eq!(errors_at(&config(&[("assume_role", bad_session)])).len(), 1);
    }

    #[test]
    fn endpoints_must_be_urls_and_tables_dynamodb_names() {
        let endpoints = Value::object(ENDPOINT_SERVICES.iter().map(|(s, _)| {
            (
                *s,
                if *s == "efs" {
                    Value::string("localhost:4599")
                } else {
                    Value::Null
                },
            )
        }));
        let errors = errors_at(&config(&[("endpoints", endpoints)]));
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("efs"), "{errors:?}");
        assert_eq!(
            errors_at(&config(&[("user_table", Value::string("a b"))])).len(),
            1
        );
        assert_eq!(
            errors_at(&config(&[("history_table", Value::string("ab"))])).len(),
            1
        );
    }

    #[test]
    fn profile_conflicts_with_assume_role_at_the_profile() {
        let both = config(&[
            ("profile", Value::string("platform-admin")),
            (
                "assume_role",
                assume_role("arn:aws:iam::123456789012:role/x", None),
            ),
        ]);
        let diags = validate(&both);
        let error = diags.errors().next().expect("an error");
        assert_eq!(
            error.attribute.as_ref().unwrap().steps(),
            &[PathStep::Attribute("profile".into())]
        );
    }

    #[test]
    fn unknowns_never_fail() {
        let unknown = config(&[
            ("region", Value::Unknown),
            ("profile", Value::Unknown),
            ("assume_role", Value::Unknown),
            ("user_table", Value::Unknown),
        ]);
        assert!(errors_at(&unknown).is_empty());
        assert_eq!(ProviderConfig::from_value(&unknown), None);
    }

    #[test]
    fn settings_with_defaults() {
        let settings = ProviderConfig::from_value(&config(&[
            ("region", Value::string("eu-west-1")),
            (
                "assume_role",
                assume_role("arn:aws:iam::123456789012:role/x", None),
            ),
        ]))
        .unwrap();
        assert_eq!(settings.aws.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            settings.aws.assume_role.unwrap().role_arn,
            "arn:aws:iam::123456789012:role/x"
        );
        assert_eq!(settings.user_table, DEFAULT_USER_TABLE);
        assert_eq!(settings.history_table, DEFAULT_HISTORY_TABLE);
    }
}
