//! `studio_space`: a SageMaker shared space and its home directory.

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

pub struct SpaceDataSource;

#[async_trait]
impl DataSource for SpaceDataSource {
    fn type_name(&self) -> &'static str {
        "studio_space"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .description(
                    "Looks up a SageMaker shared space in a domain (given by `domain_id` or `domain_name`) \
                     and exports where its home directory is: the domain's EFS file system and the \
                     space's uid, the directory `/<uid>`. Fails when the space does not exist.",
                )
                .validate(validators::exactly_one_of(["domain_id", "domain_name"]))
                .attributes(home_results::domain_arguments("the space"))
                .attribute(
                    Attribute::string("space_name")
                        .required()
                        .validate(attrs::sagemaker_name())
                        .description("The name of the space."),
                )
                .attributes(home_results::home_results("space")),
        )
    }

    async fn read(&self, config: &Value, ctx: &Context) -> (Option<Value>, Diagnostics) {
        match finders::find_home(config, ctx, HomeKind::Space, "space_name").await {
            Ok((domain, home)) => {
                let value = home_results::home_result_values(&domain, &home)
                    .with_attr("space_name", Value::string(&home.key.name));
                (Some(value), Diagnostics::new())
            }
            Err(d) => (None, d),
        }
    }
}
