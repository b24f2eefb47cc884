//! `studio_restore_target`: "when `target` is created, restore into it from `source`".
//!
//! The resource is the mapping-table row's `restore_from` of the target home, which the
//! automatic path (stream processor, reconciler) reads when the target appears, and consumes
//! when the restore succeeds. It replaces the sample's `add-replication-target.py`.

use async_trait::async_trait;
use studio_core::home::HomeDirectory;
use studio_core::homes;
use studio_core::records::{MappingRecord, RestoreSource, now_rfc3339};
use studio_core::source::resolve_home;
use studio_core::{HomeKey, Uid};
use tfplugin::framework::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::framework::identity::IdentitySchema;
use tfplugin::framework::plan::PlannedChange;
use tfplugin::framework::provider::{Context, Resource};
use tfplugin::framework::schema::{Attribute, Block, Schema};
use tfplugin::framework::validators;
use tfplugin::values::path::AttributePath;
use tfplugin::values::value::Value;

use crate::attrs;
use crate::clients;
use crate::errors;
use crate::home_attrs::{self, DomainBy};
use crate::home_identity::{HomeIdentity, Table};

pub struct RestoreTargetResource;

pub const TYPE_NAME: &str = "studio_restore_target";

/// `status` while the row holds the intent.
const PENDING: &str = "pending";
/// `status` once a restore consumed the intent.
const RESTORED: &str = "restored";

/// The resource identity: its home's row in the mapping table, by domain name.
pub(crate) const IDENTITY: HomeIdentity = HomeIdentity {
    table: Table::Mapping,
    domain: DomainBy::Name,
};

#[async_trait]
impl Resource for RestoreTargetResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let target = home_attrs::home_attributes(DomainBy::Name, "target")
            .into_iter()
            .map(Attribute::requires_replace)
            .collect();
        let mut source = home_attrs::home_attributes(DomainBy::Name, "source");
        source.extend([
            Attribute::string("file_system_id")
                .optional()
                .computed()
                .validate(attrs::file_system_id())
                .description(
                    "The EFS file system of the source's home directory. Computed when not set: the source's \
                     current home directory when the profile or space exists, else the last one the mapping \
                     table recorded for it (the usual case: it was deleted). Set it together with `uid` to \
                     restore from a directory neither knows.",
                ),
            Attribute::string("uid")
                .optional()
                .computed()
                .validate(attrs::uid())
                .description(
                    "The uid of the source's home directory (`/<uid>` on `file_system_id`). Computed like \
                     `file_system_id`; set both or neither.",
                ),
        ]);
        Schema::new(
            0,
            Block::new()
                .description(
                    "Declares that when `target` (a user profile or space, by domain name) is created, its new \
                     home directory is restored from the home directory of `source`: a copy into another \
                     profile, another domain, or a profile that does not exist yet. The resource writes the \
                     target's `restore_from` in the mapping table, which the automatic restore path (the \
                     event-app module) reads when the target appears; the source is resolved to a file system \
                     and uid at plan time.\n\nA successful restore consumes the intent (`status` becomes \
                     `restored`). Deleting the resource removes only the intent, never files. A change made to \
                     the row outside Terraform shows in the next plan.\n\nImport with the target's home key: \
                     `<domain name>/user/<profile name>` or `<domain name>/space/<space name>`.",
                )
                .attributes([
                    Attribute::string("id")
                        .computed()
                        .use_state_for_unknown()
                        .description("The target's home key, `<domain name>/user/<name>` or `<domain name>/space/<name>`."),
                    Attribute::nested_single("target", target)
                        .required()
                        .validate_object(home_attrs::one_home_kind())
                        .description("The home to restore into: `domain_name` and exactly one of `user_profile_name` and `space_name`. It need not exist yet. Changing it replaces the resource."),
                    Attribute::nested_single("source", source)
                        .required()
                        .validate_object(home_attrs::one_home_kind())
                        .validate_object(validators::from_fn(
                            "file_system_id and uid together",
                            both_or_neither,
                        ))
                        .description("The home whose files are restored: `domain_name` and exactly one of `user_profile_name` and `space_name`, optionally with its directory (`file_system_id` and `uid`)."),
                    Attribute::string("status")
                        .computed()
                        .description("`pending` while the intent waits in the mapping table for the target to appear; `restored` once a restore into the target consumed it."),
                    Attribute::string("set_at")
                        .computed()
                        .description("When the intent was last written (RFC 3339)."),
                ]),
        )
    }

    async fn validate(&self, config: &Value, _ctx: &Context) -> Diagnostics {
        let target =
            home_attrs::home_key(config.get("target"), &AttributePath::attribute("target"));
        let source =
            home_attrs::home_key(config.get("source"), &AttributePath::attribute("source"));
        match (target, source) {
            (Ok(Some(target)), Ok(Some(source))) if target == source => same_home(&target),
            _ => Diagnostics::new(),
        }
    }

    async fn modify_plan(
        &self,
        prior: &Value,
        config: &Value,
        plan: &mut PlannedChange,
        ctx: &Context,
    ) -> Diagnostics {
        let source_path = AttributePath::attribute("source");
        let fs_path = source_path.clone().attr("file_system_id");
        let uid_path = source_path.clone().attr("uid");
        let explicit = !config.get("source").get("file_system_id").is_null();
        if let Ok(Some(target)) = home_attrs::home_key(
            plan.get(&AttributePath::attribute("target")),
            &AttributePath::root(),
        ) {
            let _ = plan.set(
                &AttributePath::attribute("id"),
                Value::string(target.to_string()),
            );
        }
        if !explicit {
            let resolved = match home_attrs::home_key(config.get("source"), &source_path) {
                Ok(Some(source)) => match clients::connect(ctx) {
                    Ok(clients) => {
                        let studio = clients::studio(&clients, ctx);
                        let mapping = clients::mapping_table(&clients);
                        match resolve_home(&mapping, &studio, &source).await {
                            Ok(resolved) => Some(resolved),
                            Err(e) => {
                                return errors::core_error(
                                    "The restore source has no home directory",
                                    &e,
                                    Some(source_path),
                                );
                            }
                        }
                    }
                    // Not configured yet (unknown provider configuration): apply resolves it.
                    Err(_) => None,
                },
                Ok(None) => None,
                Err(d) => return d,
            };
            match resolved {
                Some(resolved) => {
                    let dir = &resolved.directory;
                    let _ = plan.set(&fs_path, Value::string(&dir.file_system_id));
                    let _ = plan.set(&uid_path, Value::string(dir.uid.to_string()));
                }
                None => {
                    let _ = plan.mark_unknown(&fs_path);
                    let _ = plan.mark_unknown(&uid_path);
                }
            }
        }
        if !prior.is_null() && plan.planned_state != *prior {
            // The intent is written again: a new time, and pending again.
            let _ = plan.mark_unknown(&AttributePath::attribute("status"));
            let _ = plan.mark_unknown(&AttributePath::attribute("set_at"));
        }
        Diagnostics::new()
    }

    async fn create(
        &self,
        planned: &Value,
        _config: &Value,
        ctx: &Context,
    ) -> (Option<Value>, Diagnostics) {
        match write(planned, ctx).await {
            Ok(state) => (Some(state), Diagnostics::new()),
            Err(d) => (None, d),
        }
    }

    async fn read(&self, state: &Value, ctx: &Context) -> (Option<Value>, Diagnostics) {
        let target = match target_of(state) {
            Ok(t) => t,
            Err(d) => return (Some(state.clone()), d),
        };
        let clients = match clients::connect(ctx) {
            Ok(c) => c,
            Err(d) => return (Some(state.clone()), d),
        };
        let mapping = clients::mapping_table(&clients);
        let row = match mapping.get(&target).await {
            Ok(row) => row,
            Err(e) => {
                return (
                    Some(state.clone()),
                    errors::core_error(
                        &format!("Could not read the restore target of {target}"),
                        &e,
                        None,
                    ),
                );
            }
        };
        match row {
            Some(MappingRecord {
                restore_from: Some(from),
                ..
            }) => (
                Some(
                    state
                        .clone()
                        .with_attr("id", Value::string(target.to_string()))
                        .with_attr("source", source_value(&from))
                        .with_attr("status", Value::string(PENDING)),
                ),
                Diagnostics::new(),
            ),
            Some(row) if consumed(&row, state.get("set_at").as_str()) => (
                Some(state.clone().with_attr("status", Value::string(RESTORED))),
                Diagnostics::new(),
            ),
            // Removed outside Terraform: the next plan sets it again.
            _ => (None, Diagnostics::new()),
        }
    }

    async fn update(
        &self,
        prior: &Value,
        planned: &Value,
        _config: &Value,
        ctx: &Context,
    ) -> (Option<Value>, Diagnostics) {
        match write(planned, ctx).await {
            Ok(state) => (Some(state), Diagnostics::new()),
            Err(d) => (Some(prior.clone()), d),
        }
    }

    async fn delete(&self, state: &Value, ctx: &Context) -> Diagnostics {
        let target = match target_of(state) {
            Ok(t) => t,
            Err(d) => return d,
        };
        let clients = match clients::connect(ctx) {
            Ok(c) => c,
            Err(d) => return d,
        };
        let mapping = clients::mapping_table(&clients);
        let history = clients::history_table(&clients);
        match homes::clear_restore_target(&mapping, &history, &target).await {
            Ok(()) => Diagnostics::new(),
            Err(e) => errors::core_error(
                &format!("Could not remove the restore target of {target}"),
                &e,
                None,
            ),
        }
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
        let target = match home_attrs::parse_import_id(id, TYPE_NAME) {
            Ok(t) => t,
            Err(d) => return (None, d),
        };
        let clients = match clients::connect(ctx) {
            Ok(c) => c,
            Err(d) => return (None, d),
        };
        let mapping = clients::mapping_table(&clients);
        match mapping.get(&target).await {
            Ok(Some(row @ MappingRecord {
                restore_from: Some(_),
                ..
            })) => {
                let state = pending_state(&row).expect("matched above");
                (Some(state), Diagnostics::new())
            }
            Ok(_) => (
                None,
                Diagnostic::error(
                    "Nothing to import",
                    format!(
                        "No restore target is set for {target}: its row in table {} has no restore_from.",
                        mapping.name()
                    ),
                )
                .into(),
            ),
            Err(e) => (
                None,
                errors::core_error(&format!("Could not read {target}"), &e, None),
            ),
        }
    }
}

/// The state of the intent a row holds (`restore_from`), `None` when it holds none.
pub fn pending_state(row: &MappingRecord) -> Option<Value> {
    let from = row.restore_from.as_ref()?;
    Some(Value::object([
        ("id", Value::string(row.home.to_string())),
        ("target", Value::object(home_attrs::home_values(&row.home))),
        ("source", source_value(from)),
        ("status", Value::string(PENDING)),
        (
            "set_at",
            Value::string(row.updated_at.clone().unwrap_or_else(now_rfc3339)),
        ),
    ]))
}

/// Writes the intent `planned` describes, resolving the source if the plan could not.
async fn write(planned: &Value, ctx: &Context) -> Result<Value, Diagnostics> {
    let target = target_of(planned)?;
    let source_path = AttributePath::attribute("source");
    let source = home_attrs::home_key(planned.get("source"), &source_path)?.ok_or_else(|| {
        Diagnostics::from(Diagnostic::error(
            "Unknown source",
            "The source is not known.",
        ))
    })?;
    if source == target {
        return Err(same_home(&target));
    }
    let clients = clients::connect(ctx)?;
    let mapping = clients::mapping_table(&clients);
    let history = clients::history_table(&clients);
    let planned_source = planned.get("source");
    let resolved = match (
        planned_source.get("file_system_id").as_str(),
        planned_source.get("uid").as_str(),
    ) {
        (Some(fs), Some(uid)) => RestoreSource {
            home: source.clone(),
            directory: directory(fs, uid).map_err(|e| {
                errors::core_error("Invalid source directory", &e, Some(source_path.clone()))
            })?,
        },
        _ => {
            let studio = clients::studio(&clients, ctx);
            let found = resolve_home(&mapping, &studio, &source)
                .await
                .map_err(|e| {
                    errors::core_error(
                        "The restore source has no home directory",
                        &e,
                        Some(source_path.clone()),
                    )
                })?;
            RestoreSource {
                home: source.clone(),
                directory: found.directory,
            }
        }
    };
    homes::set_restore_target(&mapping, &history, &target, &resolved)
        .await
        .map_err(|e| {
            errors::core_error(
                &format!("Could not set the restore target of {target}"),
                &e,
                None,
            )
        })?;
    Ok(planned
        .clone()
        .with_attr("id", Value::string(target.to_string()))
        .with_attr("source", source_value(&resolved))
        .with_attr("status", Value::string(PENDING))
        .with_attr("set_at", Value::string(now_rfc3339())))
}

fn directory(file_system_id: &str, uid: &str) -> Result<HomeDirectory, studio_core::Error> {
    HomeDirectory::new(file_system_id, uid.parse::<Uid>()?)
}

fn target_of(state: &Value) -> Result<HomeKey, Diagnostics> {
    let path = AttributePath::attribute("target");
    home_attrs::home_key(state.get("target"), &path)?.ok_or_else(|| {
        Diagnostic::error("Unknown target", "The target home is not known.")
            .at(path)
            .into()
    })
}

fn source_value(from: &RestoreSource) -> Value {
    Value::object(home_attrs::home_values(&from.home))
        .with_attr(
            "file_system_id",
            Value::string(&from.directory.file_system_id),
        )
        .with_attr("uid", Value::string(from.directory.uid.to_string()))
}

fn same_home(target: &HomeKey) -> Diagnostics {
    Diagnostic::error(
        "Source is the target",
        format!("{target} cannot be restored from itself: name another user profile or space as the source."),
    )
    .at(AttributePath::attribute("source"))
    .into()
}

/// Whether the row's last restore finished after the intent was set: then the restore consumed
/// it, and its absence is not drift.
fn consumed(row: &MappingRecord, set_at: Option<&str>) -> bool {
    let parse = |s: &str| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
    };
    let restored = row
        .last_restore
        .as_ref()
        .filter(|r| r.status.to_ascii_uppercase().starts_with("SUCCE"))
        .and_then(|r| r.restored_at.as_deref())
        .and_then(parse);
    match (restored, set_at.and_then(parse)) {
        (Some(restored), Some(set)) => restored >= set,
        _ => false,
    }
}

fn both_or_neither(object: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    let fs = object.get("file_system_id");
    let uid = object.get("uid");
    if fs.is_unknown() || uid.is_unknown() {
        return;
    }
    if fs.is_null() != uid.is_null() {
        let missing = if fs.is_null() {
            "file_system_id"
        } else {
            "uid"
        };
        diags.attribute_error(
            path.clone().attr(missing),
            "Incomplete source directory",
            "Set both file_system_id and uid of the source, or neither (then they are resolved from SageMaker or the mapping table).",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use studio_core::records::RestoreOutcome;

    #[test]
    fn a_restore_after_the_intent_consumes_it() {
        let mut row = MappingRecord::new("studio/user/alice".parse().unwrap());
        assert!(!consumed(&row, Some("2026-01-01T00:00:00Z")));
        row.last_restore = Some(RestoreOutcome {
            status: "SUCCEEDED".into(),
            execution: None,
            restored_at: Some("2026-01-02T00:00:00Z".into()),
            files_transferred: None,
            bytes_written: None,
            duration_ms: None,
        });
        assert!(consumed(&row, Some("2026-01-01T00:00:00Z")));
        assert!(
            !consumed(&row, Some("2026-01-03T00:00:00Z")),
            "an older restore"
        );
        assert!(!consumed(&row, None));
        row.last_restore.as_mut().unwrap().status = "FAILED".into();
        assert!(!consumed(&row, Some("2026-01-01T00:00:00Z")));
    }

    #[test]
    fn source_directories_come_in_pairs() {
        let mut diags = Diagnostics::new();
        let path = AttributePath::attribute("source");
        both_or_neither(
            &Value::object([("file_system_id", Value::string("fs-01234567"))]),
            &path,
            &mut diags,
        );
        assert_eq!(
            diags.iter().next().unwrap().attribute,
            Some(path.clone().attr("uid"))
        );
        let mut diags = Diagnostics::new();
        both_or_neither(&Value::object([("uid", Value::Null)]), &path, &mut diags);
        assert!(diags.is_empty());
    }
}
