//! `studio_domain`: a SageMaker domain, by id or by name.

use async_trait::async_trait;
use studio_core::resolve::Domain;
use tfplugin::framework::diagnostics::Diagnostics;
use tfplugin::framework::provider::{Context, DataSource};
use tfplugin::framework::schema::{Attribute, Block, Schema};
use tfplugin::framework::validators;
use tfplugin::values::value::Value;

use crate::attrs;
use crate::clients;
use crate::finders;

pub struct DomainDataSource;

#[async_trait]
impl DataSource for DomainDataSource {
    fn type_name(&self) -> &'static str {
        "studio_domain"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .description(
                    "Looks up a SageMaker domain by `domain_id` or by `name` (exactly one of them), \
                     and exports what a restore needs from it: its home-directory file system, network \
                     and default execution role. A lookup by name fails when no domain, or more than one, \
                     has that name.",
                )
                .validate(validators::exactly_one_of(["domain_id", "name"]))
                .attributes([
                    Attribute::string("domain_id")
                        .optional()
                        .computed()
                        .validate(attrs::domain_id())
                        .description("The domain id, e.g. `d-0123456789ab`. Exactly one of `domain_id` and `name`; computed when looked up by name."),
                    Attribute::string("name")
                        .optional()
                        .computed()
                        .validate(attrs::sagemaker_name())
                        .description("The domain name. Exactly one of `domain_id` and `name`; computed when looked up by id."),
                    Attribute::string("id")
                        .computed()
                        .description("The domain id (same as `domain_id`)."),
                    Attribute::string("arn")
                        .computed()
                        .description("The domain's ARN."),
                    Attribute::string("status")
                        .computed()
                        .description("The domain's status as SageMaker reports it: `InService`, `Pending`, `Updating`, `Deleting`, `Failed`, ..."),
                    Attribute::string("auth_mode")
                        .computed()
                        .description("How users sign in: `IAM` or `SSO` (IAM Identity Center). With `SSO`, a restore into a recreated profile requires the same Identity Center user."),
                    Attribute::string("home_efs_file_system_id")
                        .computed()
                        .description("The EFS file system that holds the domain's home directories (`/<uid>` each)."),
                    Attribute::string("vpc_id")
                        .computed()
                        .description("The VPC of the domain."),
                    Attribute::list_of_strings("subnet_ids")
                        .computed()
                        .description("The subnets of the domain, in SageMaker's order."),
                    Attribute::list_of_strings("security_group_ids")
                        .computed()
                        .description("The security groups of the domain's default user settings; empty when the domain was created without any."),
                    Attribute::string("default_execution_role")
                        .computed()
                        .description("The ARN of the default execution role of the domain's users (`DefaultUserSettings.ExecutionRole`)."),
                    Attribute::string("url")
                        .computed()
                        .description("The domain's Studio URL, when SageMaker reports one."),
                ]),
        )
    }

    async fn read(&self, config: &Value, ctx: &Context) -> (Option<Value>, Diagnostics) {
        let clients = match clients::connect(ctx) {
            Ok(c) => c,
            Err(d) => return (None, d),
        };
        let studio = clients::studio(&clients, ctx);
        let domain = finders::find_domain(
            &studio,
            finders::known_str(config, "domain_id"),
            finders::known_str(config, "name"),
            "domain_id",
            "name",
        )
        .await;
        match domain {
            Ok(domain) => (Some(domain_value(&domain)), Diagnostics::new()),
            Err(d) => (None, d),
        }
    }
}

fn domain_value(domain: &Domain) -> Value {
    Value::object([
        ("domain_id", Value::string(&domain.id)),
        ("name", Value::string(&domain.name)),
        ("id", Value::string(&domain.id)),
        ("arn", Value::string(&domain.arn)),
        ("status", Value::string(&domain.status)),
        ("auth_mode", Value::string(&domain.auth_mode)),
        (
            "home_efs_file_system_id",
            Value::opt_string(domain.home_efs_file_system_id.as_deref()),
        ),
        ("vpc_id", Value::opt_string(domain.vpc_id.as_deref())),
        (
            "subnet_ids",
            Value::strings(domain.subnet_ids.iter().cloned()),
        ),
        (
            "security_group_ids",
            Value::strings(domain.security_group_ids.iter().cloned()),
        ),
        (
            "default_execution_role",
            Value::opt_string(domain.execution_role.as_deref()),
        ),
        ("url", Value::opt_string(domain.url.as_deref())),
    ])
}
