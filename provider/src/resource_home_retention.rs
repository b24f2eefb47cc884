//! `studio_home_retention`: a domain deleted by Terraform keeps its home directories.
//!
//! hashicorp/aws 3.x deletes a SageMaker domain with `RetentionPolicy.HomeEfsFileSystem = Delete`
//! whenever the domain is destroyed or replaced: every home directory is gone. This resource sits
//! between the domain and its user profiles (they take their `domain_id` from it), so Terraform
//! destroys it after the profiles and before the domain; its destroy deletes the domain itself with
//! `Retain` ([`studio_core::retention`]) and waits until it is gone, and the provider's own
//! DeleteDomain that follows finds nothing to delete.

use std::time::Duration;

use async_trait::async_trait;
use studio_core::Error;
use studio_core::retention::{self, Deletion};
use tfplugin::framework::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::framework::provider::{Context, Resource};
use tfplugin::framework::schema::{Attribute, Block, NestedBlock, Schema};
use tfplugin::values::path::AttributePath;
use tfplugin::values::value::Value;
use tokio::time::Instant;

use crate::attrs;
use crate::clients;
use crate::errors;

pub struct HomeRetentionResource;

const TYPE_NAME: &str = "studio_home_retention";

/// How long destroy waits for the domain's profiles and spaces and then the domain to be deleted.
const DEFAULT_DELETE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

#[async_trait]
impl Resource for HomeRetentionResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .description(
                    "Keeps a SageMaker domain's home directories when Terraform deletes the domain. \
                     hashicorp/aws 3.x deletes `aws_sagemaker_domain` with \
                     `RetentionPolicy.HomeEfsFileSystem = Delete`, so destroying or replacing the domain \
                     (a new KMS key, a move to IAM Identity Center) deletes its home EFS file system and \
                     every home directory on it. Give the user profiles their `domain_id` from this \
                     resource: Terraform then destroys it after them and before the domain, and its \
                     destroy deletes the domain with `Retain` and waits until it is gone; the domain's \
                     own delete then finds nothing to delete. The file system and its `/<uid>` \
                     directories stay, ready for `studio_profile_restore`.\n\nDestroy refuses (and \
                     keeps this resource) while the domain has user profiles or spaces that are not \
                     being deleted. Destroying this resource deletes the domain: to stop using it \
                     without deleting the domain, `terraform state rm` it. With hashicorp/aws 5.x and \
                     later, `retention_policy { home_efs_file_system = \"Retain\" }` on the domain does \
                     the same. Import with the domain id.",
                )
                .attributes([
                    Attribute::string("domain_id")
                        .required()
                        .requires_replace()
                        .validate(attrs::domain_id())
                        .description("The domain whose home directories to keep, such as `aws_sagemaker_domain.this.id`."),
                    Attribute::string("id")
                        .computed()
                        .use_state_for_unknown()
                        .description("The domain id."),
                    Attribute::string("domain_name")
                        .computed()
                        .use_state_for_unknown()
                        .description("The domain's name."),
                    Attribute::string("home_efs_file_system_id")
                        .computed()
                        .use_state_for_unknown()
                        .description("The domain's home EFS file system, which stays when the domain is deleted."),
                ])
                .block(NestedBlock::single(
                    "timeouts",
                    Block::new().attribute(
                        Attribute::string("delete")
                            .optional()
                            .description("How long destroy may wait for the domain's profiles and spaces and then the domain to be deleted, as `\"30m\"` (default), `\"1h\"` or `\"90s\"`."),
                    ),
                )),
        )
    }

    async fn validate(&self, config: &Value, _ctx: &Context) -> Diagnostics {
        match delete_timeout(config) {
            Ok(_) => Diagnostics::new(),
            Err(d) => d,
        }
    }

    async fn create(
        &self,
        planned: &Value,
        _config: &Value,
        ctx: &Context,
    ) -> (Option<Value>, Diagnostics) {
        match describe(planned, ctx).await {
            Ok(Some(state)) => (Some(state), Diagnostics::new()),
            Ok(None) => (
                None,
                Diagnostic::error(
                    "SageMaker domain not found",
                    format!(
                        "There is no domain {} in this account and region.",
                        planned.get("domain_id").as_str().unwrap_or_default()
                    ),
                )
                .at(AttributePath::attribute("domain_id"))
                .into(),
            ),
            Err(d) => (None, d),
        }
    }

    async fn read(&self, state: &Value, ctx: &Context) -> (Option<Value>, Diagnostics) {
        match describe(state, ctx).await {
            // The domain is gone: so is what this resource kept watch over.
            Ok(found) => (found, Diagnostics::new()),
            Err(d) => (Some(state.clone()), d),
        }
    }

    async fn update(
        &self,
        _prior: &Value,
        planned: &Value,
        _config: &Value,
        _ctx: &Context,
    ) -> (Option<Value>, Diagnostics) {
        // Only `timeouts` changes in place: every other input replaces the resource.
        (Some(planned.clone()), Diagnostics::new())
    }

    async fn delete(&self, state: &Value, ctx: &Context) -> Diagnostics {
        let Some(domain_id) = state.get("domain_id").as_str().map(str::to_owned) else {
            return Diagnostics::new();
        };
        let timeout = match delete_timeout(state) {
            Ok(t) => t,
            Err(d) => return d,
        };
        let clients = match clients::connect(ctx) {
            Ok(c) => c,
            Err(d) => return d,
        };
        let deleted = retention::delete_domain_keeping_homes(
            &clients.aws.sagemaker,
            clients.aws.retry,
            &domain_id,
            Instant::now() + timeout,
            ctx.cancellation(),
        )
        .await;
        match deleted {
            Ok(Deletion::Deleted { .. } | Deletion::AlreadyGone) => Diagnostics::new(),
            Err(e @ Error::Refused(_)) => Diagnostic::error(
                "The domain still has user profiles or spaces",
                format!(
                    "{e}. This resource stays, so the home file system is still kept when the domain \
                     is deleted later. To stop keeping it without deleting the domain, run `terraform \
                     state rm` on this resource."
                ),
            )
            .at(AttributePath::attribute("domain_id"))
            .into(),
            Err(e) => errors::core_error(
                &format!("Could not delete SageMaker domain {domain_id} keeping its home directories"),
                &e,
                None,
            ),
        }
    }

    async fn import(&self, id: &str, _ctx: &Context) -> (Option<Value>, Diagnostics) {
        let mut diags = Diagnostics::new();
        attrs::domain_id().validate(
            &Value::string(id),
            &AttributePath::attribute("domain_id"),
            &mut diags,
        );
        if diags.has_errors() {
            return (None, diags);
        }
        (
            Some(Value::object([
                ("domain_id", Value::string(id)),
                ("id", Value::string(id)),
            ])),
            diags,
        )
    }
}

/// The resource's values for the domain `value.domain_id` names, or `None` when it is gone.
async fn describe(value: &Value, ctx: &Context) -> Result<Option<Value>, Diagnostics> {
    let Some(domain_id) = value.get("domain_id").as_str() else {
        return Err(
            Diagnostic::error("Unknown domain", "domain_id is not known.")
                .at(AttributePath::attribute("domain_id"))
                .into(),
        );
    };
    let clients = clients::connect(ctx)?;
    match clients::studio(&clients, ctx).domain(domain_id).await {
        Ok(domain) => Ok(Some(
            value
                .clone()
                .with_attr("id", Value::string(&domain.id))
                .with_attr("domain_name", Value::string(&domain.name))
                .with_attr(
                    "home_efs_file_system_id",
                    domain
                        .home_efs_file_system_id
                        .as_deref()
                        .map_or(Value::Null, Value::string),
                ),
        )),
        Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(errors::core_error(
            errors::summary(&e, "SageMaker domain"),
            &e,
            Some(AttributePath::attribute("domain_id")),
        )),
    }
}

fn delete_timeout(config: &Value) -> Result<Duration, Diagnostics> {
    attrs::timeout(config, "delete", DEFAULT_DELETE_TIMEOUT)
}
