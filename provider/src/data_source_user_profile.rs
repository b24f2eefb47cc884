//! `studio_user_profile`: a SageMaker user profile and its home directory.

use async_trait::async_trait;
use studio_core::HomeKind;
use tfplugin::framework::diagnostics::Diagnostics;
use tfplugin::framework::provider::{Context, DataSource};
use tfplugin::framework::schema::{Attribute, Block, Schema};
use tfplugin::framework::validators;
use tfplugin::values::value::Value;

use crate::attrs;
use crate::finders;
use crate::home_results;

pub struct UserProfileDataSource;

#[async_trait]
impl DataSource for UserProfileDataSource {
    fn type_name(&self) -> &'static str {
        "studio_user_profile"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .description(
                    "Looks up a SageMaker user profile in a domain (given by `domain_id` or `domain_name`) \
                     and exports where its home directory is: the domain's EFS file system and the \
                     profile's uid, the directory `/<uid>`. Fails when the profile does not exist.",
                )
                .validate(validators::exactly_one_of(["domain_id", "domain_name"]))
                .attributes(home_results::domain_arguments("the user profile"))
                .attribute(
                    Attribute::string("user_profile_name")
                        .required()
                        .validate(attrs::sagemaker_name())
                        .description("The name of the user profile."),
                )
                .attributes(home_results::home_results("user profile"))
                .attributes([
                    Attribute::string("execution_role")
                        .computed()
                        .description("The ARN of the profile's execution role; when the profile sets none, the domain's default execution role."),
                    Attribute::string("single_sign_on_user_value")
                        .computed()
                        .description("The IAM Identity Center user of the profile, in domains whose `auth_mode` is `SSO`; null otherwise."),
                ]),
        )
    }

    async fn read(&self, config: &Value, ctx: &Context) -> (Option<Value>, Diagnostics) {
        match finders::find_home(config, ctx, HomeKind::User, "user_profile_name").await {
            Ok((domain, home)) => {
                let value = home_results::home_result_values(&domain, &home)
                    .with_attr("user_profile_name", Value::string(&home.key.name))
                    .with_attr(
                        "execution_role",
                        Value::opt_string(
                            home.execution_role
                                .as_deref()
                                .or(domain.execution_role.as_deref()),
                        ),
                    )
                    .with_attr(
                        "single_sign_on_user_value",
                        Value::opt_string(home.sso_user.as_deref()),
                    );
                (Some(value), Diagnostics::new())
            }
            Err(d) => (None, d),
        }
    }
}
