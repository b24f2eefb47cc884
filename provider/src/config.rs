//! The `provider "studio"` block: its schema, the checks `terraform validate` runs, and the
//! settings it turns into.

use std::sync::Arc;

use studio_core::aws::{AssumeRole, AwsSettings, Endpoints, WebIdentity};
use studio_core::retry::RetryMode;
use tfplugin::framework::diagnostics::Diagnostics;
use tfplugin::framework::schema::{Attribute, Block, NestedBlock, Schema};
use tfplugin::framework::validators::{self, Validator};
use tfplugin::values::path::AttributePath;
use tfplugin::values::value::Value;

/// The tables' names when the configuration leaves them out: the core's, the one place they are
/// defined (the Lambdas fall back to them too).
pub use studio_core::records::{DEFAULT_HISTORY_TABLE, DEFAULT_USER_TABLE};

/// The AWS services whose endpoints can be overridden, with what each is used for.
pub const ENDPOINT_SERVICES: [(&str, &str); 7] = [
    ("sagemaker", "SageMaker (domains, user profiles, spaces)"),
    ("datasync", "DataSync (the copy tasks and locations)"),
    ("dynamodb", "DynamoDB (the mapping and history tables)"),
    ("sfn", "Step Functions (the restore workflow)"),
    ("efs", "EFS (the home-directory file systems)"),
    ("lambda", "Lambda (the native engine's copier function)"),
    (
        "sts",
        "STS (used only to assume the roles of `assume_role` and `assume_role_with_web_identity`)",
    ),
];

/// The shape of a region name: the validator's and the documentation's.
const REGION_PATTERN: &str = r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$";

fn region() -> Arc<dyn Validator> {
    validators::regex(
        REGION_PATTERN,
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

/// `duration` of `assume_role`: a Terraform duration from 15 minutes to 12 hours, the bounds of
/// STS `AssumeRole`'s `DurationSeconds` (a role's own maximum may be lower; STS says so then).
fn role_duration() -> Arc<dyn Validator> {
    validators::from_fn("a duration from 15m to 12h", |value, path, diags| {
        let Some(text) = value.as_str() else { return };
        let ok = crate::attrs::parse_duration(text)
            .is_some_and(|d| (900..=43_200).contains(&d.as_secs()) && d.subsec_nanos() == 0);
        if !ok {
            diags.attribute_error(
                path.clone(),
                "Invalid duration",
                format!(
                    "{text:?} is not a session duration STS accepts: write a whole number of seconds \
                     from 15m to 12h, as Terraform writes durations, e.g. \"1h\" or \"90m\"."
                ),
            );
        }
    })
}

/// `policy` of `assume_role`: an IAM policy document, a JSON object.
fn policy_document() -> Arc<dyn Validator> {
    validators::from_fn(
        "an IAM policy document (a JSON object)",
        |value, path, diags| {
            let Some(text) = value.as_str() else { return };
            if !matches!(
                serde_json::from_str::<serde_json::Value>(text),
                Ok(serde_json::Value::Object(_))
            ) {
                diags.attribute_error(
                path.clone(),
                "Invalid policy",
                "`policy` must be an IAM policy document, a JSON object (write it with jsonencode() \
                 or data.aws_iam_policy_document's json).",
            );
            }
        },
    )
}

fn policy_arn() -> Arc<dyn Validator> {
    validators::regex(
        r"^arn:aws[a-zA-Z-]*:iam::(\d{12}|aws):policy/[\w+=,.@/-]+$",
        "an IAM managed policy ARN such as arn:aws:iam::aws:policy/ReadOnlyAccess",
    )
}

/// `default_tags.tags`: tags DataSync and EFS take, none of them the owner tag.
fn default_tags() -> Arc<dyn Validator> {
    validators::from_fn(
        "tags for DataSync and EFS objects, not the owner tag",
        |value, path, diags| {
            if !value.is_fully_known() {
                return;
            }
            if let Err(e) = studio_core::aws::check_default_tags(&string_map(value)) {
                diags.attribute_error(
                    path.clone(),
                    "Invalid default tags",
                    format!("{path}: {e}."),
                );
            }
        },
    )
}

/// The rule of a table name, as the attributes' descriptions state it; `table_name()` checks it.
const TABLE_NAME_RULE: &str = "3 to 255 characters of letters, digits and `_.-`";

fn table_name() -> Arc<dyn Validator> {
    validators::regex(
        r"^[a-zA-Z0-9_.-]{3,255}$",
        "a DynamoDB table name: 3 to 255 characters, each a letter, digit or one of _.-",
    )
}

/// The attributes of a role session, the same for `assume_role` and
/// `assume_role_with_web_identity`.
fn session_attributes() -> [Attribute; 5] {
    [
        Attribute::string("role_arn")
            .required()
            .validate(role_arn())
            .description("The ARN of the IAM role to assume, e.g. `arn:aws:iam::123456789012:role/studio-restore`."),
        Attribute::string("session_name")
            .optional()
            .validate(session_name())
            .description("The role session name, as CloudTrail records it: 2 to 64 characters of letters, digits and `_+=,.@-`. Default `studio-restore`."),
        Attribute::string("duration")
            .optional()
            .validate(role_duration())
            .description("How long the role's session lasts, as a Terraform duration from `15m` to `12h` (STS `DurationSeconds`); the SDK renews it before it ends. Default: STS's, one hour."),
        Attribute::string("policy")
            .optional()
            .validate(policy_document())
            .description("An IAM policy document (JSON) that narrows the session's permissions below the role's (a session policy)."),
        Attribute::list_of_strings("policy_arns")
            .optional()
            .validate(validators::each(policy_arn()))
            .description("ARNs of managed policies that narrow the session's permissions below the role's (session policies)."),
    ]
}

/// The schema of the provider block.
pub fn schema() -> Schema {
    let assume_role = Block::new()
        .description("A role to assume with STS `AssumeRole`. Several blocks chain: each role is assumed with the credentials of the one before it, the first with the base credentials (`profile`, the environment, or `assume_role_with_web_identity`).")
        .attributes(session_attributes())
        .attributes([
            Attribute::string("external_id")
                .optional()
                .sensitive()
                .validate(external_id())
                .description("The external id the role's trust policy requires, if any."),
            Attribute::map_of_strings("tags")
                .optional()
                .description("Session tags, passed to STS `AssumeRole` (the role's trust policy must allow `sts:TagSession`)."),
        ]);
    let web_identity = Block::new()
        .description("Base credentials from STS `AssumeRoleWithWebIdentity` with an OpenID Connect token (a CI system's, or a Kubernetes service account's), instead of the standard chain. `assume_role` blocks, if any, are assumed with these credentials.")
        .attributes(session_attributes())
        .attributes([
            Attribute::string("web_identity_token")
                .optional()
                .sensitive()
                .validate(validators::string_length(4, 20000))
                .description("The OIDC token itself (4 to 20000 characters)."),
            Attribute::string("web_identity_token_file")
                .optional()
                .validate(validators::not_empty())
                .description("A file holding the OIDC token, read again each time the credentials are renewed (such tokens rotate). With neither this nor `web_identity_token`: the file `AWS_WEB_IDENTITY_TOKEN_FILE` names. At most one of the two."),
        ])
        .validate(validators::conflicts_with(["web_identity_token", "web_identity_token_file"]));
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
                .description(format!("The AWS region of the SageMaker domains, e.g. `eu-west-1`. Default: `AWS_REGION`, else the profile's region. Must match `{REGION_PATTERN}`.")),
            Attribute::string("profile")
                .optional()
                .validate(validators::not_empty())
                .description("A named profile of the shared AWS configuration (`~/.aws/config`) to take credentials and region from. Default: `AWS_PROFILE`, else `default`. With an `assume_role` block, the profile's credentials are the ones that assume the role."),
            Attribute::list_of_strings("shared_config_files")
                .optional()
                .validate(validators::each(validators::not_empty()))
                .description("Paths of the shared configuration files to read profiles from, instead of `~/.aws/config` (`AWS_CONFIG_FILE`)."),
            Attribute::list_of_strings("shared_credentials_files")
                .optional()
                .validate(validators::each(validators::not_empty()))
                .description("Paths of the shared credentials files to read profiles from, instead of `~/.aws/credentials` (`AWS_SHARED_CREDENTIALS_FILE`)."),
            Attribute::int64("max_retries")
                .optional()
                .validate(validators::int_range(0, 100))
                .description(format!("How many times an AWS call is retried after a throttle or a transient failure, with capped exponential backoff and full jitter (0 to 100). Default: `AWS_MAX_ATTEMPTS` minus one, else {}.", studio_core::retry::DEFAULT_MAX_ATTEMPTS - 1)),
            Attribute::string("retry_mode")
                .optional()
                .validate(validators::one_of(RetryMode::names()))
                .description(format!("How calls are paced on top of the retries: {}. `adaptive` adds a client-side rate limiter that slows every call down after a throttle. Default: `AWS_RETRY_MODE`, else `standard`.", RetryMode::names().iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" or "))),
            Attribute::string("user_table")
                .optional()
                .validate(table_name())
                .description(format!("The DynamoDB mapping table, which records every home directory. Default `{DEFAULT_USER_TABLE}`. {TABLE_NAME_RULE}.")),
            Attribute::string("history_table")
                .optional()
                .validate(table_name())
                .description(format!("The DynamoDB history table, an append-only log of restores. Default `{DEFAULT_HISTORY_TABLE}`. {TABLE_NAME_RULE}.")),
            Attribute::string("slots_table")
                .optional()
                .validate(table_name())
                .description(format!("The DataSync slots table of `modules/restore-workflow` (its `slots_table_name` output). When set, restores with `engine = \"datasync\"` take a slot from the same budget as the restore workflow before they create anything in DataSync, so that together they never run more DataSync tasks than its `max_concurrent_restores`; a restore waits for a free slot within its create timeout. Unset: the provider's restores are not counted. {TABLE_NAME_RULE}.")),
        ])
        .block(NestedBlock::list("assume_role", assume_role))
        .block(NestedBlock::single("assume_role_with_web_identity", web_identity))
        .block(NestedBlock::single(
            "default_tags",
            Block::new()
                .description("Tags for every object a restore creates for itself while it runs (DataSync locations and tasks, EFS access points), as hashicorp/aws's `default_tags` does for its resources: for cost allocation and tag policies. Restores of `engine = \"state_machine\"` are the restore workflow's; its module's `tags` apply there.")
                .attribute(
                    Attribute::map_of_strings("tags")
                        .optional()
                        .validate(default_tags())
                        .description(format!(
                            "The tags: at most {}, keys of 1 to 128 characters, values of at most 256; no key starting with `aws:`, and not `{}`, the owner tag restores set themselves (to find and remove what an interrupted run left).",
                            studio_core::aws::MAX_DEFAULT_TAGS,
                            studio_core::sweep::OWNER_TAG
                        )),
                ),
        ))
        .block(NestedBlock::single("endpoints", endpoints));
    Schema::new(0, block)
}

/// Checks across attributes that the schema's validators cannot express. Unknown values are
/// skipped: they may still turn out fine.
pub fn validate(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let no_roles = config
        .get("assume_role")
        .as_list()
        .is_none_or(|roles| roles.is_empty())
        && config.get("assume_role").is_known();
    let no_web_identity = config.get("assume_role_with_web_identity").is_null();
    let sts = config.get("endpoints").get("sts");
    if !sts.is_null() && sts.is_known() && no_roles && no_web_identity {
        diags.attribute_warning(
            AttributePath::attribute("endpoints").attr("sts"),
            "Unused endpoint",
            "`endpoints.sts` is only used to assume the roles of `assume_role` and `assume_role_with_web_identity` blocks, and there are none.",
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

/// A list of strings (empty when null).
fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            items.iter().filter_map(string).collect()
        }
        _ => Vec::new(),
    }
}

/// A map of strings (empty when null).
fn string_map(value: &Value) -> std::collections::BTreeMap<String, String> {
    match value {
        Value::Map(entries) | Value::Object(entries) => entries
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), string(v)?)))
            .collect(),
        _ => Default::default(),
    }
}

impl ProviderConfig {
    /// Reads the settings; `None` while any value is unknown (a provider block that depends on
    /// resources not yet created).
    pub fn from_value(config: &Value) -> Option<ProviderConfig> {
        if !config.is_fully_known() {
            return None;
        }
        let endpoints = config.get("endpoints");
        let duration = |block: &Value| {
            block
                .get("duration")
                .as_str()
                .and_then(crate::attrs::parse_duration)
        };
        let web_identity = config.get("assume_role_with_web_identity");
        Some(ProviderConfig {
            aws: AwsSettings {
                region: string(config.get("region")),
                profile: string(config.get("profile")),
                assume_role: config
                    .get("assume_role")
                    .as_list()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|role| {
                        Some(AssumeRole {
                            role_arn: string(role.get("role_arn"))?,
                            session_name: string(role.get("session_name")),
                            external_id: string(role.get("external_id")),
                            duration: duration(role),
                            policy: string(role.get("policy")),
                            policy_arns: strings(role.get("policy_arns")),
                            tags: string_map(role.get("tags")),
                        })
                    })
                    .collect(),
                web_identity: string(web_identity.get("role_arn")).map(|role_arn| WebIdentity {
                    role_arn,
                    session_name: string(web_identity.get("session_name")),
                    token: string(web_identity.get("web_identity_token")),
                    token_file: string(web_identity.get("web_identity_token_file")),
                    duration: duration(web_identity),
                    policy: string(web_identity.get("policy")),
                    policy_arns: strings(web_identity.get("policy_arns")),
                }),
                max_retries: config
                    .get("max_retries")
                    .as_i64()
                    .and_then(|n| u32::try_from(n).ok()),
                retry_mode: config.get("retry_mode").as_str().and_then(RetryMode::parse),
                default_tags: string_map(config.get("default_tags").get("tags")),
                shared_config_files: strings(config.get("shared_config_files")),
                shared_credentials_files: strings(config.get("shared_credentials_files")),
                endpoints: Endpoints {
                    sagemaker: string(endpoints.get("sagemaker")),
                    datasync: string(endpoints.get("datasync")),
                    dynamodb: string(endpoints.get("dynamodb")),
                    sfn: string(endpoints.get("sfn")),
                    efs: string(endpoints.get("efs")),
                    lambda: string(endpoints.get("lambda")),
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
            ("shared_config_files", Value::Null),
            ("shared_credentials_files", Value::Null),
            ("max_retries", Value::Null),
            ("retry_mode", Value::Null),
            ("assume_role", Value::list(vec![])),
            ("assume_role_with_web_identity", Value::Null),
            ("default_tags", Value::Null),
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
            ("duration", Value::Null),
            ("policy", Value::Null),
            ("policy_arns", Value::Null),
            ("tags", Value::Null),
        ])
    }

    /// `assume_role` blocks, chained in this order.
    fn roles(roles: impl IntoIterator<Item = Value>) -> Value {
        Value::list(roles.into_iter().collect::<Vec<_>>())
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
        assert!(errors_at(&config(&[("assume_role", roles([good]))])).is_empty());
        let gov = assume_role("arn:aws-us-gov:iam::123456789012:role/x", None);
        assert!(errors_at(&config(&[("assume_role", roles([gov]))])).is_empty());
        for bad in [
            "arn:aws:iam::12345:role/x",
            "arn:aws:iam::123456789012:user/x",
            "role/x",
        ] {
            let errors = errors_at(&config(&[("assume_role", roles([assume_role(bad, None)]))]));
            assert_eq!(errors.len(), 1, "{bad}: {errors:?}");
        }
        let bad_session = assume_role("arn:aws:iam::123456789012:role/x", Some("has space"));
        assert_eq!(
            errors_at(&config(&[("assume_role", roles([bad_session]))])).len(),
            1
        );
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
    fn a_profile_may_be_the_credentials_that_assume_the_role() {
        let both = config(&[
            ("profile", Value::string("platform-admin")),
            (
                "assume_role",
                roles([assume_role("arn:aws:iam::123456789012:role/x", None)]),
            ),
        ]);
        assert!(errors_at(&both).is_empty());
        let settings = ProviderConfig::from_value(&both).unwrap();
        assert_eq!(settings.aws.profile.as_deref(), Some("platform-admin"));
        assert_eq!(settings.aws.assume_role.len(), 1);
    }

    #[test]
    fn assume_role_session_settings_are_checked_at_their_attribute_and_read() {
        let with = |name: &str, value: Value| {
            let mut role = assume_role("arn:aws:iam::123456789012:role/x", None);
            role.set_attr(name, value);
            config(&[("assume_role", roles([role]))])
        };
        let steps = |name: &str| {
            vec![
                PathStep::Attribute("assume_role".into()),
                PathStep::ElementKeyInt(0),
                PathStep::Attribute(name.into()),
            ]
        };
        for (name, bad) in [
            ("duration", Value::string("10m")),
            ("duration", Value::string("13h")),
            ("duration", Value::string("1.0001h")),
            ("duration", Value::string("an hour")),
            ("policy", Value::string("not json")),
            ("policy", Value::string("[]")),
        ] {
            let config = with(name, bad.clone());
            let mut diags = tfplugin::framework::schema::validate_config(&schema(), &config);
            diags.extend(validate(&config));
            let error = diags
                .errors()
                .next()
                .unwrap_or_else(|| panic!("{name} = {bad} accepted"));
            assert_eq!(
                error.attribute.as_ref().unwrap().steps(),
                &steps(name)[..],
                "{bad}"
            );
        }
        let arns = Value::list(vec![Value::string("arn:aws:iam::123456789012:role/x")]);
        assert_eq!(errors_at(&with("policy_arns", arns)).len(), 1);

        let mut role = assume_role("arn:aws:iam::123456789012:role/x", Some("ci"));
        role.set_attr("duration", Value::string("1h30m"));
        role.set_attr(
            "policy",
            Value::string(r#"{"Version":"2012-10-17","Statement":[]}"#),
        );
        role.set_attr(
            "policy_arns",
            Value::list(vec![Value::string(
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
            )]),
        );
        role.set_attr(
            "tags",
            Value::map([("team".to_owned(), Value::string("platform"))]),
        );
        let config = config(&[
            ("assume_role", roles([role])),
            (
                "shared_config_files",
                Value::list(vec![Value::string("/etc/aws/config")]),
            ),
        ]);
        assert!(errors_at(&config).is_empty(), "{:?}", errors_at(&config));
        let aws = ProviderConfig::from_value(&config).unwrap().aws;
        let [role] = <[AssumeRole; 1]>::try_from(aws.assume_role).unwrap();
        assert_eq!(role.duration, Some(std::time::Duration::from_secs(5400)));
        assert_eq!(role.policy_arns, ["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
        assert_eq!(role.tags.get("team").map(String::as_str), Some("platform"));
        assert!(role.policy.unwrap().contains("2012-10-17"));
        assert_eq!(aws.shared_config_files, ["/etc/aws/config"]);
        assert!(aws.shared_credentials_files.is_empty());
    }

    #[test]
    fn several_assume_role_blocks_chain_in_order() {
        let config = config(&[(
            "assume_role",
            roles([
                assume_role("arn:aws:iam::111111111111:role/hub", Some("hub")),
                assume_role("arn:aws:iam::222222222222:role/spoke", None),
            ]),
        )]);
        assert!(errors_at(&config).is_empty());
        let chain: Vec<String> = ProviderConfig::from_value(&config)
            .unwrap()
            .aws
            .assume_role
            .into_iter()
            .map(|role| role.role_arn)
            .collect();
        assert_eq!(
            chain,
            [
                "arn:aws:iam::111111111111:role/hub",
                "arn:aws:iam::222222222222:role/spoke"
            ]
        );
    }

    fn web_identity(token: Option<&str>, file: Option<&str>) -> Value {
        Value::object([
            (
                "role_arn",
                Value::string("arn:aws:iam::123456789012:role/ci"),
            ),
            ("session_name", Value::Null),
            ("duration", Value::string("30m")),
            ("policy", Value::Null),
            ("policy_arns", Value::Null),
            ("web_identity_token", Value::opt_string(token)),
            ("web_identity_token_file", Value::opt_string(file)),
        ])
    }

    #[test]
    fn web_identity_takes_a_token_or_a_file_not_both() {
        let file = config(&[(
            "assume_role_with_web_identity",
            web_identity(None, Some("/var/run/token")),
        )]);
        assert!(errors_at(&file).is_empty());
        let identity = ProviderConfig::from_value(&file)
            .unwrap()
            .aws
            .web_identity
            .unwrap();
        assert_eq!(identity.token_file.as_deref(), Some("/var/run/token"));
        assert_eq!(
            identity.duration,
            Some(std::time::Duration::from_secs(1800))
        );
        let neither = config(&[("assume_role_with_web_identity", web_identity(None, None))]);
        assert!(
            errors_at(&neither).is_empty(),
            "AWS_WEB_IDENTITY_TOKEN_FILE then"
        );
        let both = config(&[(
            "assume_role_with_web_identity",
            web_identity(Some("eyJ0b2tlbiJ9"), Some("/var/run/token")),
        )]);
        assert_eq!(errors_at(&both), ["assume_role_with_web_identity"]);
    }

    #[test]
    fn retries_and_their_mode() {
        let config = config(&[
            ("max_retries", Value::number(3)),
            ("retry_mode", Value::string("adaptive")),
        ]);
        assert!(errors_at(&config).is_empty());
        let aws = ProviderConfig::from_value(&config).unwrap().aws;
        assert_eq!(aws.max_retries, Some(3));
        assert_eq!(aws.retry_mode, Some(RetryMode::Adaptive));
        for (name, bad) in [
            ("max_retries", Value::number(-1)),
            ("max_retries", Value::number(101)),
            ("retry_mode", Value::string("legacy")),
        ] {
            assert_eq!(
                errors_at(&super::tests::config(&[(name, bad.clone())])),
                [name],
                "{bad}"
            );
        }
    }

    #[test]
    fn default_tags_are_read_and_the_owner_tag_and_aws_keys_refused() {
        let tags = |pairs: &[(&str, &str)]| {
            Value::object([(
                "tags",
                Value::map(
                    pairs
                        .iter()
                        .map(|(k, v)| (k.to_string(), Value::string(*v))),
                ),
            )])
        };
        let good = config(&[(
            "default_tags",
            tags(&[("team", "platform"), ("cost-center", "4711")]),
        )]);
        assert!(errors_at(&good).is_empty());
        let settings = ProviderConfig::from_value(&good).unwrap();
        assert_eq!(
            settings.aws.default_tags.get("team").map(String::as_str),
            Some("platform")
        );
        assert_eq!(settings.aws.default_tags.len(), 2);
        let long = "x".repeat(129);
        let many: Vec<(String, String)> =
            (0..50).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        let too_many: Vec<(&str, &str)> =
            many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        for bad in [
            vec![("aws:createdBy", "me")],
            vec![(studio_core::sweep::OWNER_TAG, "someone")],
            vec![(long.as_str(), "v")],
            too_many,
        ] {
            assert_eq!(
                errors_at(&config(&[("default_tags", tags(&bad))])),
                ["default_tags.tags"],
                "{bad:?}"
            );
        }
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
                roles([assume_role("arn:aws:iam::123456789012:role/x", None)]),
            ),
        ]))
        .unwrap();
        assert_eq!(settings.aws.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            settings.aws.assume_role[0].role_arn,
            "arn:aws:iam::123456789012:role/x"
        );
        assert_eq!(settings.user_table, DEFAULT_USER_TABLE);
        assert_eq!(settings.history_table, DEFAULT_HISTORY_TABLE);
    }
}
