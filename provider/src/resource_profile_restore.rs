//! `studio_profile_restore`: "this profile's home directory holds what that old one held".
//! Create runs the restore; a plan shows it again when the target was recreated (new uid).

use std::time::Duration;

use async_trait::async_trait;
use studio_core::error::{RefusalReason, Subject};
use studio_core::home::HomeKind;
use studio_core::profile_restore::{
    Consent, Declaration, Engine, Failure, HomeRef, NetworkSpec, Outcome, ProfileRestore,
    Readiness, SourceSpec, Tables,
};
use studio_core::restore::{
    OverwriteMode, Ownership, TransferMode, TransferOptions, VerifyMode, outcome,
};
use studio_core::sweep::{OWNER_TAG, Scope, Sweeper};
use studio_core::{Error, Uid};
use tfplugin::framework::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::framework::identity::IdentitySchema;
use tfplugin::framework::plan::PlannedChange;
use tfplugin::framework::provider::{Context, Resource};
use tfplugin::framework::schema::{Attribute, Block, NestedBlock, Schema};
use tfplugin::framework::validators;
use tfplugin::values::path::AttributePath;
use tfplugin::values::types::Type;
use tfplugin::values::value::Value;

use crate::attrs;
use crate::clients::{StudioClients, clients as connection};
use crate::home_attrs::{self, DomainBy};
use crate::home_identity::{HomeIdentity, Table};

/// The attribute a core error is about: the part it names as its subject (data, never its
/// words), else `fallback`.
pub(crate) fn path_of(err: &Error, fallback: Option<AttributePath>) -> Option<AttributePath> {
    match err.subject() {
        Some(Subject::Source) => Some(AttributePath::attribute("source")),
        Some(Subject::Target) => Some(AttributePath::attribute("target")),
        Some(Subject::Network) => Some(AttributePath::attribute("network")),
        None => fallback,
    }
}

/// A core error in Terraform's words: core says a restore was interrupted; here that is
/// Terraform's doing (Ctrl-C, StopProvider).
pub(crate) fn detail(err: &Error) -> String {
    match err.inner() {
        Error::Cancelled(what) => format!("Terraform was {what}"),
        _ => err.to_string(),
    }
}

/// The attribute that lets a restore copy another person's files or a live home.
pub(crate) const ALLOW_DIFFERENT_OWNER: &str = "allow_different_owner";

/// Whom the configuration lets the restore copy to.
pub(crate) fn consent(config: &Value) -> Consent {
    if config.get(ALLOW_DIFFERENT_OWNER).as_bool() == Some(true) {
        Consent::AllowDifferentOwner
    } else {
        Consent::Declared
    }
}

/// An error diagnostic from a core error, at `path` when it concerns one attribute.
pub(crate) fn error_at(summary: &str, err: &Error, path: Option<AttributePath>) -> Diagnostic {
    let d = Diagnostic::error(summary, detail(err));
    match path {
        Some(p) => d.at(p),
        None => d,
    }
}

/// The `status` attribute's description, from core's one list of how a copy ends.
fn status_description() -> String {
    let others: Vec<String> = outcome::ALL
        .iter()
        .filter(|s| **s != outcome::SUCCESS)
        .map(|s| format!("`{s}`"))
        .collect();
    format!(
        "How the copy ended: `{}`, or for a failed copy (the resource is then tainted) {} (`{}` from DataSync; the others from the restore workflow with `engine = \"state_machine\"`).",
        outcome::SUCCESS,
        others.join(", "),
        outcome::ERROR
    )
}

pub const TYPE_NAME: &str = "studio_profile_restore";
const DEFAULT_CREATE_TIMEOUT: Duration = Duration::from_secs(60 * 60);

#[derive(Default)]
pub struct ProfileRestoreResource {
    /// Copies ([`studio_core::profile_restore::copy_key`]) whose failed or interrupted object
    /// this provider process destroyed: Terraform
    /// replaces a tainted restore by a delete and then a create in the same apply (and the same
    /// provider process), and only the delete sees the failed object. The create that follows
    /// copies with [`TransferOptions::after_interrupted_attempt`].
    interrupted: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// The `source` or `target` object: a home by domain id ([`home_attrs::home_attributes`]), the
/// source with its directory.
fn home_attributes(side: &str, with_directory: bool) -> Vec<Attribute> {
    let mut attributes = home_attrs::home_attributes(DomainBy::Id, side);
    if with_directory {
        for attribute in &mut attributes {
            if attribute.name == "domain_id" {
                attribute
                    .description
                    .push_str(" The domain may have been deleted.");
            }
        }
        attributes.push(
            Attribute::string("file_system_id")
                .optional()
                .description("The EFS file system that holds the old home directory. Optional: looked up in SageMaker while the profile exists, else in the mapping table.")
                .validate(attrs::file_system_id()),
        );
        attributes.push(
            Attribute::int64("uid")
                .optional()
                .description("The POSIX uid of the old home directory (`/<uid>` on the file system). Optional: looked up like `file_system_id`. When the source profile was recreated in place, the uid it had before (from the mapping table) is used.")
                .validate(validators::int_at_least(1)),
        );
    }
    attributes
}

fn computed(attribute: Attribute, description: &str) -> Attribute {
    attribute
        .computed()
        .use_state_for_unknown()
        .description(description)
}

impl ProfileRestoreResource {
    fn interrupted_restores(&self) -> Vec<String> {
        self.interrupted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    pub(crate) fn options(config: &Value) -> Result<(TransferOptions, Readiness), Diagnostics> {
        let parse =
            |name: &str, default: &str| config.get(name).as_str().unwrap_or(default).to_owned();
        let defaults = TransferOptions::default();
        let at = |name: &str, e: Error| -> Diagnostics {
            error_at("Invalid value", &e, Some(AttributePath::attribute(name))).into()
        };
        Ok((
            TransferOptions {
                transfer_mode: parse("transfer_mode", defaults.transfer_mode.as_str())
                    .parse::<TransferMode>()
                    .map_err(|e| at("transfer_mode", e))?,
                overwrite_mode: parse("overwrite_mode", defaults.overwrite_mode.as_str())
                    .parse::<OverwriteMode>()
                    .map_err(|e| at("overwrite_mode", e))?,
                verify_mode: parse("verify_mode", defaults.verify_mode.as_str())
                    .parse::<VerifyMode>()
                    .map_err(|e| at("verify_mode", e))?,
                ownership: parse("ownership", defaults.ownership.as_str())
                    .parse::<Ownership>()
                    .map_err(|e| at("ownership", e))?,
            },
            match parse("readiness", "profile").as_str() {
                "app" => Readiness::App,
                _ => Readiness::Profile,
            },
        ))
    }
}

/// A home reference from a `source` or `target` object.
pub(crate) fn home_ref(object: &Value, side: &str) -> Result<HomeRef, Diagnostics> {
    let path = AttributePath::attribute(side);
    let domain_id = object
        .get("domain_id")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (kind, name) = match (
        object.get("user_profile_name").as_str(),
        object.get("space_name").as_str(),
    ) {
        (Some(n), None) => (HomeKind::User, n),
        (None, Some(n)) => (HomeKind::Space, n),
        (Some(_), Some(_)) => {
            return Err(Diagnostic::error(
                "Conflicting attributes",
                format!("Set exactly one of {side}.user_profile_name and {side}.space_name, not both: a user's home and a space's home are different things."),
            )
            .at(path.attr("space_name"))
            .into());
        }
        (None, None) => {
            return Err(Diagnostic::error(
                "Missing attribute",
                format!("Set exactly one of {side}.user_profile_name and {side}.space_name."),
            )
            .at(path)
            .into());
        }
    };
    Ok(HomeRef {
        domain_id,
        kind,
        name: name.to_owned(),
    })
}

pub(crate) fn source_spec(config: &Value) -> Result<SourceSpec, Diagnostics> {
    let source = config.get("source");
    let uid = match source.get("uid").as_i64() {
        Some(n) => Some(Uid::new(n).map_err(|e| -> Diagnostics {
            error_at(
                "Invalid uid",
                &e,
                Some(AttributePath::attribute("source").attr("uid")),
            )
            .into()
        })?),
        None => None,
    };
    Ok(SourceSpec {
        home: home_ref(source, "source")?,
        file_system_id: source.get("file_system_id").as_str().map(str::to_owned),
        uid,
    })
}

pub(crate) fn engine(config: &Value) -> Result<Engine, Diagnostics> {
    let name = config.get("engine").as_str().unwrap_or(Engine::DEFAULT);
    let arn = config.get("state_machine_arn").as_str();
    let copier = config.get(COPIER_FUNCTION).as_str();
    let refuse = |attribute: &str, summary: &str, detail: String| -> Result<Engine, Diagnostics> {
        Err(Diagnostic::error(summary, detail)
            .at(AttributePath::attribute(attribute))
            .into())
    };
    if arn.is_some() && name != "state_machine" {
        return refuse(
            "state_machine_arn",
            "Conflicting attributes",
            format!(
                "state_machine_arn is only used with engine = \"state_machine\", not {name:?}; remove it, or set the engine."
            ),
        );
    }
    if copier.is_some() && !matches!(name, "native" | "auto") {
        return refuse(
            COPIER_FUNCTION,
            "Conflicting attributes",
            format!(
                "{COPIER_FUNCTION} is only used with engine = \"native\" or \"auto\", not {name:?}; remove it, or set the engine."
            ),
        );
    }
    match name {
        "datasync" => Ok(Engine::DataSync),
        "auto" => Ok(Engine::Auto {
            copier: copier.map(str::to_owned),
        }),
        "native" => match copier {
            Some(function) => Ok(Engine::Native {
                function: function.to_owned(),
            }),
            None => refuse(
                COPIER_FUNCTION,
                "Missing copier",
                format!("engine = \"native\" copies with the deployed copier function: set {COPIER_FUNCTION} to its name or ARN (output `copier_function_name` of the restore-workflow module)."),
            ),
        },
        "state_machine" => match arn {
            Some(arn) => Ok(Engine::StateMachine { arn: arn.to_owned() }),
            None => refuse(
                "state_machine_arn",
                "Missing state machine",
                "engine = \"state_machine\" starts the deployed restore workflow: set state_machine_arn to its ARN (output `state_machine_arn` of the restore-workflow module).".into(),
            ),
        },
        other => refuse(
            "engine",
            "Invalid engine",
            format!(
                "{other:?} is not an engine: expected one of {}.",
                Engine::NAMES.map(|n| format!("{n:?}")).join(", ")
            ),
        ),
    }
}

/// The engine apply runs: the declared one, or for `auto` the one the plan chose (shown as
/// `selected_engine`), so that apply copies as the plan said.
pub(crate) fn engine_for_apply(planned: &Value, config: &Value) -> Result<Engine, Diagnostics> {
    let declared = engine(config)?;
    Ok(match (&declared, planned.get(SELECTED_ENGINE).as_str()) {
        (
            Engine::Auto {
                copier: Some(function),
            },
            Some("native"),
        ) => Engine::Native {
            function: function.clone(),
        },
        (Engine::Auto { .. }, Some("datasync")) => Engine::DataSync,
        _ => declared,
    })
}

/// The attribute naming the native engine's copier function.
pub(crate) const COPIER_FUNCTION: &str = "copier_function";
/// The computed attribute showing which engine copies (plan) or copied (state).
pub(crate) const SELECTED_ENGINE: &str = "selected_engine";

pub(crate) fn network(config: &Value) -> NetworkSpec {
    let n = config.get("network");
    NetworkSpec {
        subnet_arn: n.get("subnet_arn").as_str().map(str::to_owned),
        security_group_arns: n
            .get("security_group_arns")
            .as_strings()
            .map(|v| v.into_iter().map(str::to_owned).collect()),
    }
}

pub(crate) fn create_timeout(config: &Value) -> Result<Duration, Diagnostics> {
    attrs::timeout(config, "create", DEFAULT_CREATE_TIMEOUT)
}

pub(crate) fn tables(conn: &StudioClients) -> Tables {
    Tables {
        mapping: Some(conn.user_table.clone()),
        history: Some(conn.history_table.clone()),
        slots: conn.slots_table.clone(),
    }
}

/// The declared restore, as recorded in the history for import.
pub(crate) fn request_json(config: &Value, ty: &Type) -> String {
    let pick = |name: &str| {
        let Type::Object(attrs) = ty else {
            return serde_json::Value::Null;
        };
        attrs
            .get(name)
            .and_then(|t| tfplugin::values::json::encode_json(config.get(name), t).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or(serde_json::Value::Null)
    };
    serde_json::json!({
        "source": pick("source"),
        "target": pick("target"),
        "engine": pick("engine"),
        "state_machine_arn": pick("state_machine_arn"),
        "copier_function": pick(COPIER_FUNCTION),
        "network": pick("network"),
        "transfer_mode": pick("transfer_mode"),
        "overwrite_mode": pick("overwrite_mode"),
        "verify_mode": pick("verify_mode"),
        "ownership": pick("ownership"),
        "readiness": pick("readiness"),
        "triggers": pick("triggers"),
        "allow_different_owner": pick("allow_different_owner"),
    })
    .to_string()
}

pub(crate) fn describe_owner(owner: Option<&studio_core::owner::Owner>) -> String {
    owner.map_or_else(
        || "an owner nobody recorded".to_owned(),
        ToString::to_string,
    )
}

/// A `source` or `target` object of `home`.
fn home_object(home: &HomeRef) -> Value {
    let (user, space) = match home.kind {
        HomeKind::User => (Value::string(&home.name), Value::Null),
        HomeKind::Space => (Value::Null, Value::string(&home.name)),
    };
    Value::object([
        ("domain_id", Value::string(&home.domain_id)),
        ("user_profile_name", user),
        ("space_name", space),
    ])
}

/// The state of a restore that could be declared (`terraform query`): its `id`, `source` with
/// the directory, `target`, and null elsewhere, so that a configuration generated from it
/// declares just that and takes the defaults for the rest.
pub fn declarable_state(source: &SourceSpec, target: &HomeRef) -> Value {
    let Type::Object(attributes) = ProfileRestoreResource::default().schema().value_type() else {
        unreachable!("a resource schema is an object")
    };
    Value::object(attributes.keys().map(|name| (name.clone(), Value::Null)))
        .with_attr("id", Value::string(resource_id(target)))
        .with_attr(
            "source",
            home_object(&source.home)
                .with_attr(
                    "file_system_id",
                    Value::opt_string(source.file_system_id.clone()),
                )
                .with_attr(
                    "uid",
                    Value::opt_int(source.uid.map(|u| i64::from(u.get()))),
                ),
        )
        .with_attr("target", home_object(target))
}

pub(crate) fn resource_id(target: &HomeRef) -> String {
    format!("{}/{}/{}", target.domain_id, target.kind, target.name)
}

/// The state after a restore (successful or failed).
fn state_of(
    planned: &Value,
    id: &str,
    source: Option<&studio_core::home::HomeDirectory>,
    target: Option<&studio_core::home::HomeDirectory>,
    exec: Option<&studio_core::restore::RestoreExecution>,
    engine: Option<&str>,
) -> Value {
    let mut state = planned.clone();
    state.set_attr("id", Value::string(id));
    let planned_engine = planned.get(SELECTED_ENGINE);
    state.set_attr(
        SELECTED_ENGINE,
        match engine {
            Some(engine) => Value::string(engine),
            None if planned_engine.is_known() => planned_engine.clone(),
            None => Value::Null,
        },
    );
    state.set_attr(
        "source_file_system_id",
        Value::opt_string(source.map(|d| d.file_system_id.clone())),
    );
    state.set_attr(
        "source_uid",
        Value::opt_int(source.map(|d| i64::from(d.uid.get()))),
    );
    state.set_attr(
        "target_file_system_id",
        Value::opt_string(target.map(|d| d.file_system_id.clone())),
    );
    state.set_attr(
        "target_uid",
        Value::opt_int(target.map(|d| i64::from(d.uid.get()))),
    );
    let exec = exec.cloned().unwrap_or_default();
    state.set_attr(
        "execution_arn",
        Value::opt_string(Some(exec.execution_arn).filter(|s| !s.is_empty())),
    );
    state.set_attr(
        "status",
        Value::string(if exec.status.is_empty() {
            outcome::FAILED.to_owned()
        } else {
            exec.status
        }),
    );
    state.set_attr("files_transferred", Value::int(exec.files_transferred));
    state.set_attr("bytes_transferred", Value::int(exec.bytes_transferred));
    state.set_attr("bytes_written", Value::int(exec.bytes_written));
    state.set_attr("duration_ms", Value::int(exec.duration_ms));
    state.set_attr("started_at", Value::opt_string(exec.started_at));
    state.set_attr("completed_at", Value::opt_string(exec.completed_at));
    state
}

const COMPUTED_RESULTS: &[&str] = &[
    "id",
    "source_file_system_id",
    "source_uid",
    "target_file_system_id",
    "target_uid",
    "execution_arn",
    "status",
    "files_transferred",
    "bytes_transferred",
    "bytes_written",
    "duration_ms",
    "started_at",
    "completed_at",
    SELECTED_ENGINE,
];

/// The resource identity: the declaration recorded in the history table for its target, by domain id.
pub(crate) const IDENTITY: HomeIdentity = HomeIdentity {
    table: Table::History,
    domain: DomainBy::Id,
};

/// The warnings of a restore that succeeded.
pub(crate) fn success_warnings(warnings: Vec<String>) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for w in warnings {
        // Its own summary: Terraform folds warnings with the same summary into one.
        let summary = if w.starts_with("An earlier attempt") {
            "Restore replaced files after an interrupted attempt"
        } else {
            "Restore finished with a warning"
        };
        diags.warning(summary, w);
    }
    diags
}

/// The diagnostics of a restore into `id` that failed: its cleanup warnings, then one error
/// naming the execution and whether anything was left behind.
pub(crate) fn failure_diagnostics(
    id: &str,
    error: &Error,
    execution: Option<&studio_core::restore::RestoreExecution>,
    warnings: Vec<String>,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let cleaned_up = !warnings.iter().any(|w| w.starts_with("cleanup:"));
    for w in warnings {
        diags.warning("Restore cleanup", w);
    }
    let path = path_of(error, None);
    let mut detail = detail(error);
    if let Some(exec) = execution.filter(|e| !e.execution_arn.is_empty()) {
        detail.push_str(&format!("\n\nExecution: {}", exec.execution_arn));
    }
    detail.push_str(if cleaned_up {
        "\n\nNo DataSync task, location or access point of this restore was left behind."
    } else {
        "\n\nSome DataSync objects or EFS access points of this restore could not be deleted: the warnings name them; delete them by hand."
    });
    let mut d = Diagnostic::error(format!("Restore into {id} failed"), detail);
    if let Some(p) = path {
        d = d.at(p);
    }
    diags.push(d);
    diags
}

/// The checks of the configuration beyond the schema's validators, known values only: the
/// resource's validate and the `studio_restore` action's.
pub(crate) fn validate_declaration(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    // An engine that is not one of them is the schema validator's error alone.
    let engine_named = config
        .get("engine")
        .as_str()
        .is_none_or(|name| Engine::NAMES.contains(&name));
    if engine_named
        && config.get("engine").is_known()
        && config.get("state_machine_arn").is_known()
        && config.get(COPIER_FUNCTION).is_known()
    {
        if let Err(d) = engine(config) {
            diags.extend(d);
        }
    }
    if config.get("timeouts").get("create").is_known() {
        if let Err(d) = create_timeout(config) {
            diags.extend(d);
        }
    }
    diags
}

/// What a restore about to run would fail on, where it is knowable before it runs (the plan of
/// a new `studio_profile_restore`, the plan of a `studio_restore` action): the one resolver with
/// every check whose values are known now. Apply checks again before anything is created.
pub(crate) async fn check_new_restore(
    config: &Value,
    ctx: &Context,
) -> (Diagnostics, Option<&'static str>) {
    // An engine named outright is what copies; `auto` is decided once both homes are known.
    let declared = if config.get("engine").is_known()
        && config.get(COPIER_FUNCTION).is_known()
        && config.get("state_machine_arn").is_known()
    {
        engine(config).ok()
    } else {
        None
    };
    let named = declared
        .as_ref()
        .filter(|e| !matches!(e, Engine::Auto { .. }))
        .map(Engine::name);
    let mut diags = Diagnostics::new();
    if !config.get("target").is_fully_known()
        || !config.get("source").is_fully_known()
        || !config.get(ALLOW_DIFFERENT_OWNER).is_known()
    {
        // What is unknown now is checked at apply, before anything is created.
        return (diags, named);
    }
    let Ok(conn) = connection(ctx) else {
        return (diags, named);
    };
    let Ok(target) = home_ref(config.get("target"), "target") else {
        return (diags, named);
    };
    let restore = ProfileRestore {
        clients: &conn.aws,
        tables: tables(&conn),
        cancel: ctx.cancellation().clone(),
        request: None,
        interrupted: Vec::new(),
        progress: None,
    };
    let current = match restore.current_target(&target).await {
        Ok(current) => current,
        Err(e) => {
            diags.push(
                Diagnostic::warning("Could not check the target", e.to_string())
                    .at(AttributePath::attribute("target")),
            );
            return (diags, named);
        }
    };
    // Both directories, once the source resolved against a target that has one.
    let mut directories = None;
    match &current {
        None => {
            let path = AttributePath::attribute("target");
            let studio = studio_core::resolve::Studio::new(
                conn.aws.sagemaker.clone(),
                conn.aws.retry,
                ctx.cancellation().clone(),
            );
            let detail = match studio.domain(&target.domain_id).await {
                Err(Error::NotFound(m)) => {
                    diags.push(
                        Diagnostic::error("Unknown target domain", m).at(path.attr("domain_id")),
                    );
                    return (diags, named);
                }
                _ => format!(
                    "The target {target} does not exist (yet). It must exist when this resource is applied: create it in the same apply (depend on it) or first."
                ),
            };
            diags.push(Diagnostic::warning("Target not found yet", detail).at(path));
        }
        Some((_, home)) => {
            // The one resolver, with every check whose values are known now; apply
            // checks again, before anything is created.
            if let Ok(source) = source_spec(config) {
                let consent = consent(config);
                match restore.resolve_source(&source, Some(home), consent).await {
                    // The target's current directory as the source is what a plan sees
                    // when the target is recreated earlier in this same apply (a
                    // `-replace` of the profile, a domain rebuilt): only apply can tell,
                    // and apply refuses the copy, before creating anything, if the
                    // target still has that directory then.
                    Err(Error::RefusedRestore(r)) if r.reason == RefusalReason::SameDirectory => {
                        diags.push(
                                Diagnostic::warning(
                                    "The source is the target's current home directory",
                                    format!(
                                        "{} This is expected only when the target is recreated earlier in this apply (it then has a new directory); otherwise apply refuses the restore before creating anything.",
                                        r.message
                                    ),
                                )
                                .at(AttributePath::attribute("source")),
                            );
                    }
                    Err(e) => diags.push(error_at(
                        &format!("Cannot restore into {} from this source", home.key),
                        &e,
                        path_of(&e, Some(AttributePath::attribute("source"))),
                    )),
                    Ok(resolved) => {
                        if let Some(dir) = &home.directory {
                            directories = Some((resolved.directory.clone(), dir.clone()));
                        }
                        if consent == Consent::AllowDifferentOwner
                            && (resolved.owner.is_none() || resolved.owner != home.owner)
                        {
                            diags.push(
                                    Diagnostic::warning(
                                        "Restoring someone else's files",
                                        format!(
                                            "allow_different_owner = true: the files of {} ({}), which belong to {}, are copied into {} ({}), which belongs to {}.",
                                            resolved.label,
                                            resolved.directory,
                                            describe_owner(resolved.owner.as_ref()),
                                            home.key,
                                            home.directory.as_ref().map(ToString::to_string).unwrap_or_else(|| "no directory yet".into()),
                                            describe_owner(home.owner.as_ref()),
                                        ),
                                    )
                                    .at(AttributePath::attribute(ALLOW_DIFFERENT_OWNER)),
                                );
                        }
                    }
                }
            }
        }
    }
    let (Some(declared), Some((source, target))) = (declared, directories) else {
        return (diags, named);
    };
    let verify_mode = config
        .get("verify_mode")
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(TransferOptions::default().verify_mode);
    let options = TransferOptions {
        verify_mode,
        ..TransferOptions::default()
    };
    match restore
        .choose_engine(&declared, &source, &target, &options)
        .await
    {
        Ok((chosen, _)) => (diags, Some(chosen.name())),
        Err(e) => {
            let at = match &declared {
                Engine::Native { .. } | Engine::Auto { .. } => COPIER_FUNCTION,
                _ => "engine",
            };
            diags.push(error_at(
                "Cannot copy with this engine",
                &e,
                Some(AttributePath::attribute(at)),
            ));
            (diags, named)
        }
    }
}

#[async_trait]
impl Resource for ProfileRestoreResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let block = Block::new()
            .description("Restores the home directory of an old SageMaker Studio user profile or space (`/<uid>` on the domain's EFS) into the home directory of a new one, with the native copier (within one file system) or AWS DataSync. The restore runs on create; a later plan shows the resource for replacement when the target was recreated (it has a new uid and an empty home), and shows it for creation when the target is gone. Deleting the resource never touches anyone's files.\n\nThe files end up owned by the target's uid (`ownership = \"target\"`), with their modes, timestamps and symlinks preserved; links are copied as links and never followed.")
            .attribute(computed(Attribute::string("id"), "The restore's id: `<target domain id>/<user|space>/<target name>`. Use it with `terraform import`."))
            .attribute(
                Attribute::nested_single("source", home_attributes("source", true))
                    .required()
                    .requires_replace()
                    .validate_object(home_attrs::one_home_kind())
                    .description("The old home directory: a user profile or space of a domain (which may be deleted), optionally with its file system and uid."),
            )
            .attribute(
                Attribute::nested_single("target", home_attributes("target", false))
                    .required()
                    .requires_replace()
                    .validate_object(home_attrs::one_home_kind())
                    .description("The profile or space whose home directory receives the files. It must exist; the restore waits until its home directory is ready."),
            )
            .attribute(
                Attribute::string("engine")
                    .optional()
                    .computed()
                    .default(Value::string(Engine::DEFAULT))
                    .validate(validators::one_of(Engine::NAMES))
                    .description("How the files are copied. `auto` (default): the native engine when `copier_function` is set and that copier mounts the file system both homes are on, DataSync otherwise; `selected_engine` shows the choice in the plan. `native`: the copier Lambda function `copier_function` (deployed by the restore-workflow module) copies within one file system, in seconds, without DataSync's tasks, quota or per-gigabyte fee. `datasync`: the provider drives DataSync itself (also across file systems). `state_machine`: start the deployed restore workflow (`state_machine_arn`) and wait for it. Changing the engine of a restore that has run changes nothing: it applies to the next copy."),
            )
            .attribute(
                Attribute::string("state_machine_arn")
                    .optional()
                    .requires_replace()
                    .validate(validators::arn_of_service("states"))
                    .description("The restore workflow's state machine, with `engine = \"state_machine\"`."),
            )
            .attribute(
                Attribute::string(COPIER_FUNCTION)
                    .optional()
                    .validate(validators::regex(
                        r"^(arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[a-zA-Z0-9_-]{1,64}$",
                        "a Lambda function name or ARN",
                    ))
                    .description("The native engine's copier function (name or ARN; output `copier_function_name` of the restore-workflow module), with `engine = \"native\"` or `\"auto\"`. It mounts one file system: the one of the domain it was deployed for."),
            )
            .attribute(computed(Attribute::string(SELECTED_ENGINE), "The engine that copies (in a plan) or copied: `native`, `datasync` or `state_machine`. With `engine = \"auto\"` the plan shows it once both home directories are known."))
            .attribute(
                Attribute::string("transfer_mode")
                    .optional()
                    .computed()
                    .default(Value::string(TransferOptions::default().transfer_mode.as_str()))
                    .requires_replace()
                    .validate(validators::one_of(TransferMode::ALL.iter().copied()))
                    .description("`CHANGED` (default): copy only what differs from the target. `ALL`: copy everything. A restore that follows an interrupted attempt copies everything once, whatever this says (see `overwrite_mode`)."),
            )
            .attribute(
                Attribute::string("overwrite_mode")
                    .optional()
                    .computed()
                    .default(Value::string(TransferOptions::default().overwrite_mode.as_str()))
                    .requires_replace()
                    .validate(validators::one_of(OverwriteMode::ALL.iter().copied()))
                    .description("`NEVER` (default): a file already in the target (the user may have started working in the new home) is kept, never replaced by the older restored one. `ALWAYS`: restored files replace files of the same path. A restore that follows an interrupted attempt of the same copy (a cancelled or failed DataSync execution, a killed provider) replaces files of the same path once, so that no partially copied file survives; it says so in a warning."),
            )
            .attribute(
                Attribute::string("verify_mode")
                    .optional()
                    .computed()
                    .default(Value::string(TransferOptions::default().verify_mode.as_str()))
                    .requires_replace()
                    .validate(validators::one_of(VerifyMode::ALL.iter().copied()))
                    .description("DataSync's verification: `ONLY_FILES_TRANSFERRED` (default), `POINT_IN_TIME_CONSISTENT` or `NONE`."),
            )
            .attribute(
                Attribute::string("ownership")
                    .optional()
                    .computed()
                    .default(Value::string(TransferOptions::default().ownership.as_str()))
                    .requires_replace()
                    .validate(validators::one_of(Ownership::ALL.iter().copied()))
                    .description("`target` (default): the files are owned by the target's uid, written through a temporary EFS access point whose POSIX user is that uid. `preserve`: keep the source's numeric owners (the new profile may then be unable to change its own files)."),
            )
            .attribute(
                Attribute::string("readiness")
                    .optional()
                    .computed()
                    .default(Value::string("profile"))
                    .requires_replace()
                    .validate(validators::one_of(["profile", "app"]))
                    .description("When the target's home directory counts as ready: `profile` (default), the profile or space is InService with a uid; `app`, one of its apps is also InService (Studio Classic creates the directory with the first app)."),
            )
            .attribute(
                Attribute::bool(ALLOW_DIFFERENT_OWNER)
                    .optional()
                    .requires_replace()
                    .description("Copy even when the source belongs to someone other than the target's owner, or is the current home directory of another live profile or space. Off by default: a home directory is only restored to the same person (the IAM Identity Center user where the domain uses it, else the profile name; a private space's owner profile; a shared space's domain). Set it only after checking whose files the source holds: the plan shows it, and warns with both owners."),
            )
            .attribute(
                Attribute::map_of_strings("triggers")
                    .optional()
                    .requires_replace()
                    .description("Any change of these values runs the restore again."),
            )
            .attribute(computed(Attribute::string("source_file_system_id"), "The file system the files were copied from."))
            .attribute(computed(Attribute::int64("source_uid"), "The uid directory the files were copied from."))
            .attribute(computed(Attribute::string("target_file_system_id"), "The target's file system."))
            .attribute(computed(Attribute::int64("target_uid"), "The target's uid when it was restored. When the target is recreated, SageMaker gives it a new uid and the next plan replaces this resource."))
            .attribute(computed(Attribute::string("execution_arn"), "What copied the files: the DataSync task execution, the Step Functions execution (`state_machine`), or the copier function (`native`)."))
            .attribute(computed(Attribute::string("status"), &status_description()))
            .attribute(computed(Attribute::int64("files_transferred"), "Files, directories and links DataSync transferred (files, with the native engine)."))
            .attribute(computed(Attribute::int64("bytes_transferred"), "Bytes transferred."))
            .attribute(computed(Attribute::int64("bytes_written"), "Bytes written to the target."))
            .attribute(computed(Attribute::int64("duration_ms"), "How long the copy took, in milliseconds."))
            .attribute(computed(Attribute::string("started_at"), "When the copy started (RFC 3339)."))
            .attribute(computed(Attribute::string("completed_at"), "When the copy ended (RFC 3339)."))
            // A block rather than a nested attribute: Terraform 1.0 crashes planning an unset
            // optional nested attribute.
            .block(NestedBlock::single(
                "network",
                Block::new()
                    .description("Where DataSync reaches EFS from. Defaults come from the target domain.")
                    .attribute(
                        Attribute::string("subnet_arn")
                            .optional()
                            .requires_replace()
                            .validate(validators::arn_of_service("ec2"))
                            .description("The subnet where DataSync creates its network interfaces. Default: the target domain's first subnet."),
                    )
                    .attribute(
                        Attribute::list_of_strings("security_group_arns")
                            .optional()
                            .requires_replace()
                            .validate(validators::each(validators::arn_of_service("ec2")))
                            .description("Security groups that may reach the file systems on NFS (2049). Default: the target domain's default security groups."),
                    ),
            ))
            .block(NestedBlock::single(
                "timeouts",
                Block::new().attribute(
                    Attribute::string("create")
                        .optional()
                        .description("How long create may wait for the target and the copy, as `\"60m\"` (default), `\"2h\"` or `\"90s\"`."),
                ),
            ));
        Schema::new(0, block)
    }

    async fn validate(&self, config: &Value, _ctx: &Context) -> Diagnostics {
        validate_declaration(config)
    }

    async fn modify_plan(
        &self,
        prior: &Value,
        config: &Value,
        plan: &mut PlannedChange,
        ctx: &Context,
    ) -> Diagnostics {
        let mut diags = Diagnostics::new();
        // Adding or removing the whole `network` block changes where DataSync runs just as
        // changing one of its attributes does; the generic planner compares attributes only
        // where the block exists on both sides.
        let network = AttributePath::attribute("network");
        if !prior.is_null() && !plan.is_destroy() && plan.get(&network) != prior.get("network") {
            plan.require_replace(network);
        }
        if prior.is_null() {
            // Create: say now what apply would fail on, where it is knowable, and which engine
            // copies.
            let (checked, chosen) = check_new_restore(config, ctx).await;
            diags.extend(checked);
            if let Some(chosen) = chosen {
                let _ = plan.set(
                    &AttributePath::attribute(SELECTED_ENGINE),
                    Value::string(chosen),
                );
            }
            return diags;
        }
        if !config.get("target").is_fully_known()
            || !config.get("source").is_fully_known()
            || !config.get(ALLOW_DIFFERENT_OWNER).is_known()
        {
            // What is unknown now is checked at apply, before anything is created.
            return diags;
        }
        let Ok(conn) = connection(ctx) else {
            return diags;
        };
        let Ok(target) = home_ref(config.get("target"), "target") else {
            return diags;
        };
        let restore = ProfileRestore {
            clients: &conn.aws,
            tables: tables(&conn),
            cancel: ctx.cancellation().clone(),
            request: None,
            interrupted: Vec::new(),
            progress: None,
        };
        let current = match restore.current_target(&target).await {
            Ok(current) => current,
            Err(e) => {
                diags.push(
                    Diagnostic::warning("Could not check the target", e.to_string())
                        .at(AttributePath::attribute("target")),
                );
                return diags;
            }
        };
        // Update: the target was recreated if its uid (or file system) changed.
        if let Some((_, home)) = current {
            if let Some(dir) = home.directory {
                let uid = i64::from(dir.uid.get());
                if prior
                    .get("target_uid")
                    .as_i64()
                    .is_some_and(|old| old != uid)
                {
                    let path = AttributePath::attribute("target_uid");
                    let _ = plan.set(&path, Value::int(uid));
                    plan.require_replace(path);
                    for name in COMPUTED_RESULTS
                        .iter()
                        .filter(|n| !matches!(**n, "id" | "target_uid"))
                    {
                        let _ = plan.mark_unknown(&AttributePath::attribute(*name));
                    }
                }
                if prior
                    .get("target_file_system_id")
                    .as_str()
                    .is_some_and(|old| old != dir.file_system_id)
                {
                    let path = AttributePath::attribute("target_file_system_id");
                    let _ = plan.set(&path, Value::string(dir.file_system_id.clone()));
                    plan.require_replace(path);
                }
            }
        }
        diags
    }

    async fn create(
        &self,
        planned: &Value,
        config: &Value,
        ctx: &Context,
    ) -> (Option<Value>, Diagnostics) {
        let conn = match connection(ctx) {
            Ok(c) => c,
            Err(d) => return (None, d.into()),
        };
        let parsed = (|| {
            let source = source_spec(config)?;
            let target = home_ref(config.get("target"), "target")?;
            let engine = engine_for_apply(planned, config)?;
            let (options, readiness) = Self::options(planned)?;
            let timeout = create_timeout(config)?;
            Ok::<_, Diagnostics>((source, target, engine, options, readiness, timeout))
        })();
        let (source, target, engine, options, readiness, timeout) = match parsed {
            Ok(p) => p,
            Err(d) => return (None, d),
        };
        let id = resource_id(&target);
        tracing::info!(id = %id, "restoring");
        let restore = ProfileRestore {
            clients: &conn.aws,
            tables: tables(&conn),
            cancel: ctx.cancellation().clone(),
            request: Some(request_json(planned, &self.schema().value_type())),
            interrupted: self.interrupted_restores(),
            progress: None,
        };
        let deadline = tokio::time::Instant::now() + timeout;
        let declared = Declaration {
            source,
            consent: consent(config),
            target,
            engine,
            network: network(config),
            options,
            readiness,
        };
        let result = restore.run(&declared, deadline).await;
        match result {
            Ok(Outcome {
                source,
                target,
                execution,
                warnings,
                restore_id,
                engine,
            }) => {
                ctx.set_private(format!("restore-id={restore_id}").into_bytes());
                self.interrupted
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&studio_core::profile_restore::copy_key(&source, &target));
                let diags = success_warnings(warnings);
                (
                    Some(state_of(
                        planned,
                        &id,
                        Some(&source),
                        Some(&target),
                        Some(&execution),
                        Some(engine),
                    )),
                    diags,
                )
            }
            Err(Failure {
                error,
                source,
                target,
                execution,
                warnings,
                restore_id,
                engine,
            }) => {
                if let Some(restore_id) = restore_id {
                    ctx.set_private(format!("restore-id={restore_id}").into_bytes());
                }
                let diags = failure_diagnostics(&id, &error, execution.as_ref(), warnings);
                // A copy that ran and failed leaves the resource in state, tainted, so the next
                // apply retries; a restore that never started leaves nothing.
                let state = execution.map(|exec| {
                    state_of(
                        planned,
                        &id,
                        source.as_ref(),
                        target.as_ref(),
                        Some(&exec),
                        engine,
                    )
                });
                (state, diags)
            }
        }
    }

    async fn read(&self, state: &Value, ctx: &Context) -> (Option<Value>, Diagnostics) {
        let conn = match connection(ctx) {
            Ok(c) => c,
            Err(d) => return (Some(state.clone()), d.into()),
        };
        let target = match home_ref(state.get("target"), "target") {
            Ok(t) => t,
            Err(d) => return (Some(state.clone()), d),
        };
        let restore = ProfileRestore {
            clients: &conn.aws,
            tables: tables(&conn),
            cancel: ctx.cancellation().clone(),
            request: None,
            interrupted: Vec::new(),
            progress: None,
        };
        match restore.current_target(&target).await {
            // The target is gone: the restore no longer holds, so the resource leaves the state.
            Ok(None) => (None, Diagnostics::new()),
            Ok(Some(_)) => (Some(state.clone()), Diagnostics::new()),
            Err(e) => (
                Some(state.clone()),
                error_at(
                    "Could not read the target",
                    &e,
                    Some(AttributePath::attribute("target")),
                )
                .into(),
            ),
        }
    }

    async fn update(
        &self,
        _prior: &Value,
        planned: &Value,
        _config: &Value,
        _ctx: &Context,
    ) -> (Option<Value>, Diagnostics) {
        // Only `timeouts`, `engine` and `copier_function` change in place (they matter for the
        // next copy alone): every other input replaces the resource.
        (Some(planned.clone()), Diagnostics::new())
    }

    async fn delete(&self, state: &Value, ctx: &Context) -> Diagnostics {
        // Deleting forgets the restore; user files are never touched. Objects left behind by an
        // interrupted run (the provider killed mid-copy) are removed by their tag.
        let private = String::from_utf8_lossy(ctx.private()).into_owned();
        let restore_id = private.strip_prefix("restore-id=");
        // A copy that did not succeed may have left partial files: a create of the same copy
        // later in this apply (the replacement of a tainted object) replaces them. Terraform
        // hands a tainted object's delete no private state, so the copy is known by its
        // directories.
        if state.get("status").as_str() != Some(outcome::SUCCESS) {
            let directory = |fs: &str, uid: &str| {
                let fs = state.get(fs).as_str()?;
                let uid = Uid::new(state.get(uid).as_i64()?).ok()?;
                studio_core::home::HomeDirectory::new(fs, uid).ok()
            };
            if let (Some(source), Some(target)) = (
                directory("source_file_system_id", "source_uid"),
                directory("target_file_system_id", "target_uid"),
            ) {
                self.interrupted
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(studio_core::profile_restore::copy_key(&source, &target));
            }
        }
        let Ok(conn) = connection(ctx) else {
            return Diagnostics::new();
        };
        // What ended restores (this one's killed runs, stopped workflow executions, killed
        // providers) left on this restore's file systems goes with it.
        let file_systems: Vec<String> = ["source_file_system_id", "target_file_system_id"]
            .iter()
            .filter_map(|name| state.get(name).as_str().map(str::to_owned))
            .collect();
        if file_systems.is_empty() {
            return Diagnostics::new();
        }
        let scope = Scope {
            file_systems,
            mapping_table: Some(conn.user_table.clone()),
            own_restore_id: restore_id.map(str::to_owned),
            only_owner: None,
        };
        let mut d = Diagnostics::new();
        match Sweeper::new(&conn.aws).sweep(&scope).await {
            Ok(report) if report.failures.is_empty() => {}
            Ok(report) => d.warning(
                "Leftover DataSync objects",
                format!(
                    "Some DataSync objects or EFS access points that ended restores left behind could not be removed (tagged {OWNER_TAG}): {}",
                    report.failures.join("; ")
                ),
            ),
            Err(e) => d.warning(
                "Leftover DataSync objects",
                format!(
                    "Could not look for DataSync objects or EFS access points that ended restores left behind (tagged {OWNER_TAG}): {e}"
                ),
            ),
        }
        d
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IDENTITY.schema())
    }

    fn identity(&self, state: &Value, ctx: &Context) -> Result<Option<Value>, Diagnostics> {
        IDENTITY.of_state(state, ctx)
    }

    async fn import_by_identity(
        &self,
        identity: &Value,
        ctx: &Context,
    ) -> (Option<Value>, Diagnostics) {
        match IDENTITY.import_id(identity, ctx) {
            Ok(id) => self.import(&id, ctx).await,
            Err(diags) => (None, diags),
        }
    }

    async fn import(&self, id: &str, ctx: &Context) -> (Option<Value>, Diagnostics) {
        let bad_id = || -> Diagnostics {
            Diagnostic::error(
                "Invalid import id",
                format!("{id:?} is not a restore id: expected \"<target domain id>/user/<profile name>\" or \"<target domain id>/space/<space name>\", as shown in the `id` attribute."),
            )
            .into()
        };
        let parts: Vec<&str> = id.split('/').collect();
        let [domain_id, kind, name] = parts.as_slice() else {
            return (None, bad_id());
        };
        let Ok(kind) = kind.parse::<HomeKind>() else {
            return (None, bad_id());
        };
        let target = HomeRef {
            domain_id: (*domain_id).to_owned(),
            kind,
            name: (*name).to_owned(),
        };
        let conn = match connection(ctx) {
            Ok(c) => c,
            Err(d) => return (None, d.into()),
        };
        let restore = ProfileRestore {
            clients: &conn.aws,
            tables: tables(&conn),
            cancel: ctx.cancellation().clone(),
            request: None,
            interrupted: Vec::new(),
            progress: None,
        };
        let schema = self.schema();
        let ty = schema.value_type();
        let Type::Object(attrs) = &ty else {
            unreachable!("a resource schema is an object")
        };
        let mut state = Value::object(attrs.keys().map(|k| (k.clone(), Value::Null)));
        let entry = match restore.latest_restore(&target).await {
            Ok(Some(entry)) => entry,
            Ok(None) => {
                // Nothing to import, but an import block next to the resource block is what
                // `terraform query -generate-config-out` writes for every listed restore: the
                // import takes a restore that has not run (no source, no result), which the plan
                // replaces, i.e. runs. Files are never touched by the import itself.
                state.set_attr("id", Value::string(resource_id(&target)));
                state.set_attr("target", home_object(&target));
                return (
                    Some(state),
                    Diagnostic::warning(
                        "Nothing restored yet",
                        format!(
                            "The history table records no successful restore into {target}: it is \
                             imported as a restore that has not run, and the plan replaces it, \
                             which runs the restore on apply."
                        ),
                    )
                    .into(),
                );
            }
            Err(e) => return (None, error_at("Cannot import", &e, None).into()),
        };
        let Some(request) = entry
            .request
            .as_deref()
            .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
        else {
            return (None, Diagnostic::error("Cannot import", format!("The latest restore into {target} was not made by studio_profile_restore, so its declaration is unknown.")).into());
        };
        for (name, value) in request.as_object().into_iter().flatten() {
            if let Some(t) = attrs.get(name) {
                let mut path = AttributePath::attribute(name.clone());
                if let Ok(v) = tfplugin::values::json::from_json(value, t, &mut path) {
                    state.set_attr(name.clone(), v);
                }
            }
        }
        let exec = studio_core::restore::RestoreExecution {
            execution_arn: entry.execution.clone().unwrap_or_default(),
            status: entry.status.clone().unwrap_or_default(),
            files_transferred: entry.files_transferred.unwrap_or(0),
            bytes_written: entry.bytes_written.unwrap_or(0),
            ..Default::default()
        };
        let source = entry
            .source_file_system_id
            .as_deref()
            .zip(entry.source_uid)
            .and_then(|(fs, uid)| {
                studio_core::home::HomeDirectory::new(fs, Uid::new(uid).ok()?).ok()
            });
        let target_dir = entry
            .file_system_id
            .as_deref()
            .zip(entry.uid)
            .and_then(|(fs, uid)| {
                studio_core::home::HomeDirectory::new(fs, Uid::new(uid).ok()?).ok()
            });
        let mut state = state_of(
            &state,
            id,
            source.as_ref(),
            target_dir.as_ref(),
            Some(&exec),
            None,
        );
        // What the history does not keep: the byte count DataSync moved, and the times.
        state.set_attr(
            "bytes_transferred",
            Value::int(entry.bytes_written.unwrap_or(0)),
        );
        (Some(state), Diagnostics::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_core_errors_subject_not_its_words_picks_the_attribute() {
        // Pinned: each subject's attribute, whatever the message says (here, words that name
        // another part), and the attribute exists in the schema.
        let schema = ProfileRestoreResource::default().schema();
        let names: Vec<&str> = schema
            .block
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .chain(schema.block.blocks.iter().map(|b| b.type_name.as_str()))
            .collect();
        for (subject, attribute) in [
            (Subject::Source, "source"),
            (Subject::Target, "target"),
            (Subject::Network, "network"),
        ] {
            assert!(names.contains(&attribute), "{attribute} is in the schema");
            for words in ["the source is missing", "the target is missing", "anything"] {
                for err in [
                    Error::NotFound(words.into()),
                    Error::Refused(words.into()),
                    Error::Invalid(words.into()),
                    Error::Timeout(words.into()),
                ] {
                    assert_eq!(
                        path_of(&err.about(subject), None),
                        Some(AttributePath::attribute(attribute)),
                        "{subject:?}: {words}"
                    );
                }
            }
        }
        // Without a subject, words never pick an attribute.
        assert_eq!(
            path_of(&Error::NotFound("the source is missing".into()), None),
            None
        );
    }

    #[test]
    fn the_status_description_names_every_end_core_reports() {
        let description = status_description();
        for status in outcome::ALL {
            assert!(
                description.contains(&format!("`{status}`")),
                "{status}: {description}"
            );
        }
    }

    #[test]
    fn an_interruption_is_said_in_terraforms_words() {
        let err = Error::Cancelled("interrupted before starting the copy".into());
        assert_eq!(
            detail(&err),
            "Terraform was interrupted before starting the copy"
        );
        assert_eq!(detail(&Error::NotFound("x".into())), "x");
    }

    #[test]
    fn engines_need_a_state_machine_exactly_when_named() {
        let cfg = |engine: &str, arn: Option<&str>| {
            Value::object([
                ("engine", Value::string(engine)),
                ("state_machine_arn", Value::opt_string(arn)),
            ])
        };
        assert!(matches!(
            engine(&cfg("datasync", None)),
            Ok(Engine::DataSync)
        ));
        assert!(engine(&cfg("state_machine", None)).is_err());
        assert!(
            engine(&cfg(
                "datasync",
                Some("arn:aws:states:us-east-1:123456789012:stateMachine:x")
            ))
            .is_err()
        );
    }

    #[test]
    fn a_home_is_a_profile_or_a_space_never_both() {
        let both = Value::object([
            ("domain_id", Value::string("d-1")),
            ("user_profile_name", Value::string("a")),
            ("space_name", Value::string("a")),
        ]);
        let err = home_ref(&both, "target").unwrap_err();
        let d = err.iter().next().unwrap();
        assert_eq!(
            d.attribute.as_ref().unwrap().to_string(),
            "target.space_name"
        );
        let neither = Value::object([
            ("domain_id", Value::string("d-1")),
            ("user_profile_name", Value::Null),
            ("space_name", Value::Null),
        ]);
        assert!(home_ref(&neither, "target").is_err());
    }
}
