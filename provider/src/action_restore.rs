//! `action "studio_restore"` (Terraform 1.14+): "restore this home now". The same declaration,
//! resolver and safety rules as `studio_profile_restore` (its attributes, validation and plan
//! checks come from [`crate::resource_profile_restore`]), run when Terraform invokes the action
//! (`terraform apply -invoke=action.studio_restore.NAME`, or an `action_trigger` in another
//! resource's `lifecycle`), with the copy's progress streamed to Terraform. Nothing is kept in
//! state: the history table records each restore.

use async_trait::async_trait;
use studio_core::profile_restore::{Declaration, Failure, Outcome, ProfileRestore};
use studio_core::restore::RestoreExecution;
use tfplugin::framework::action::{Action, ProgressReporter};
use tfplugin::framework::diagnostics::Diagnostics;
use tfplugin::framework::provider::{Context, Resource};
use tfplugin::framework::schema::{AttrType, Attribute, Block, Schema};
use tfplugin::values::value::Value;

use crate::clients::clients as connection;
use crate::resource_profile_restore::{
    self as restore, ALLOW_DIFFERENT_OWNER, ProfileRestoreResource,
};

pub const TYPE_NAME: &str = "studio_restore";

/// The attributes of `studio_profile_restore` that declare a restore; the others describe a
/// finished one (computed) or re-run the resource (`triggers`), which an action has no use for.
const DECLARATION: &[&str] = &[
    "source",
    "target",
    "engine",
    "state_machine_arn",
    restore::COPIER_FUNCTION,
    "transfer_mode",
    "overwrite_mode",
    "verify_mode",
    "ownership",
    "readiness",
    ALLOW_DIFFERENT_OWNER,
];

/// The nested blocks that apply: where DataSync runs, and how long the restore may take.
const BLOCKS: &[&str] = &["network", "timeouts"];

/// An attribute of an action's configuration: an argument only. Defaults are applied where the
/// value is read (core's defaults), as for the resource; replacement means nothing here.
fn argument(mut attribute: Attribute) -> Attribute {
    attribute.computed = false;
    attribute.default = None;
    attribute.requires_replace = false;
    attribute.use_state_for_unknown = false;
    if let AttrType::Nested(nested) = &mut attribute.kind {
        nested.attributes = std::mem::take(&mut nested.attributes)
            .into_iter()
            .map(argument)
            .collect();
    }
    attribute
}

fn arguments(mut block: Block) -> Block {
    block.attributes = block.attributes.into_iter().map(argument).collect();
    block.blocks = block
        .blocks
        .into_iter()
        .map(|mut nested| {
            nested.block = arguments(nested.block);
            nested
        })
        .collect();
    block
}

/// A copy's progress as one line: what DataSync reports in DescribeTaskExecution.
fn progress_line(exec: &RestoreExecution) -> String {
    format!(
        "{}: {} files, {} bytes transferred ({})",
        exec.status, exec.files_transferred, exec.bytes_transferred, exec.execution_arn
    )
}

pub struct RestoreAction;

#[async_trait]
impl Action for RestoreAction {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let resource = ProfileRestoreResource::default().schema().block;
        let mut block = Block::new().description(
            "Restores the home directory of an old SageMaker Studio user profile or space (`/<uid>` on the domain's EFS) into the home directory of a new one, now: when Terraform invokes the action (`terraform apply -invoke=action.studio_restore.NAME`, or an `action_trigger` in the `lifecycle` of another resource, such as the `aws_sagemaker_user_profile` that recreates the profile). The same declaration, resolver and safety rules as `studio_profile_restore`; the copy's progress (files and bytes DataSync reports) is shown while it runs. Nothing is kept in state: the history table records the restore.",
        );
        for name in DECLARATION {
            let attribute = resource
                .get_attribute(name)
                .unwrap_or_else(|| panic!("studio_profile_restore has no attribute {name}"));
            block = block.attribute(argument(attribute.clone()));
        }
        for name in BLOCKS {
            let mut nested = resource
                .get_block(name)
                .unwrap_or_else(|| panic!("studio_profile_restore has no block {name}"))
                .clone();
            nested.block = arguments(nested.block);
            block = block.block(nested);
        }
        Schema::new(0, block)
    }

    async fn validate(&self, config: &Value, _ctx: &Context) -> Diagnostics {
        restore::validate_declaration(config)
    }

    async fn plan(&self, config: &Value, ctx: &Context) -> Diagnostics {
        let mut diags = restore::validate_declaration(config);
        if !diags.has_errors() {
            diags.extend(restore::check_new_restore(config, ctx).await.0);
        }
        diags
    }

    async fn invoke(
        &self,
        config: &Value,
        progress: &ProgressReporter,
        ctx: &Context,
    ) -> Diagnostics {
        let conn = match connection(ctx) {
            Ok(c) => c,
            Err(d) => return d.into(),
        };
        let parsed = (|| {
            let source = restore::source_spec(config)?;
            let target = restore::home_ref(config.get("target"), "target")?;
            let engine = restore::engine(config)?;
            let (options, readiness) = ProfileRestoreResource::options(config)?;
            let timeout = restore::create_timeout(config)?;
            Ok::<_, Diagnostics>((source, target, engine, options, readiness, timeout))
        })();
        let (source, target, engine, options, readiness, timeout) = match parsed {
            Ok(p) => p,
            Err(d) => return d,
        };
        let id = restore::resource_id(&target);
        progress.report(format!("Restoring {} into {target}", source.home));
        let (sink, mut reports) = tokio::sync::mpsc::unbounded_channel();
        let run = ProfileRestore {
            clients: &conn.aws,
            tables: restore::tables(&conn),
            cancel: ctx.cancellation().clone(),
            request: Some(restore::request_json(config, &self.schema().value_type())),
            interrupted: Vec::new(),
            progress: Some(sink),
        };
        let declared = Declaration {
            source,
            consent: restore::consent(config),
            target,
            engine,
            network: restore::network(config),
            options,
            readiness,
        };
        let deadline = tokio::time::Instant::now() + timeout;
        let running = run.run(&declared, deadline);
        tokio::pin!(running);
        let result = loop {
            tokio::select! {
                result = &mut running => break result,
                Some(exec) = reports.recv() => progress.report(progress_line(&exec)),
            }
        };
        while let Ok(exec) = reports.try_recv() {
            progress.report(progress_line(&exec));
        }
        match result {
            Ok(Outcome {
                source,
                target,
                execution,
                warnings,
                ..
            }) => {
                progress.report(format!(
                    "Restored {id}: {} files, {} bytes from {source} into {target} ({})",
                    execution.files_transferred,
                    execution.bytes_transferred,
                    execution.execution_arn
                ));
                restore::success_warnings(warnings)
            }
            Err(Failure {
                error,
                execution,
                warnings,
                ..
            }) => restore::failure_diagnostics(&id, &error, execution.as_ref(), warnings),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_attributes(block: &Block) -> Vec<&Attribute> {
        let mut out: Vec<&Attribute> = block.attributes.iter().collect();
        for a in &block.attributes {
            if let Some(nested) = a.nested_attributes() {
                out.extend(nested.attributes.iter());
            }
        }
        for nested in &block.blocks {
            out.extend(all_attributes(&nested.block));
        }
        out
    }

    #[test]
    fn the_arguments_are_the_resources_declaration_as_plain_arguments() {
        let schema = RestoreAction.schema();
        assert!(
            schema.definition_errors().is_empty(),
            "{:?}",
            schema.definition_errors()
        );
        let resource = ProfileRestoreResource::default().schema().block;
        for name in DECLARATION {
            let ours = schema.block.get_attribute(name).unwrap();
            let theirs = resource.get_attribute(name).unwrap();
            assert_eq!(ours.description, theirs.description, "{name}");
            assert_eq!(ours.validators.len(), theirs.validators.len(), "{name}");
            assert_eq!(ours.required, theirs.required, "{name}");
        }
        let names: Vec<_> = schema.block.attributes.iter().map(|a| &a.name).collect();
        assert_eq!(names.len(), DECLARATION.len(), "{names:?}");
        for a in all_attributes(&schema.block) {
            assert!(
                !a.computed && a.default.is_none() && !a.requires_replace,
                "{} is an argument only",
                a.name
            );
            assert!(a.description.len() > 10, "{} is described", a.name);
        }
    }
}
