//! `studio_home_directories`: every home the mapping table records, joined with what SageMaker
//! says about it now: which home directories are attached to a profile or space, and whose files
//! are orphaned.

use async_trait::async_trait;
use studio_core::HomeKind;
use studio_core::homes::{Attachment, HomeFilter, TrackedHome, tracked_homes};
use studio_core::records::RESTORE_DETAIL;
use tfplugin::framework::diagnostics::Diagnostics;
use tfplugin::framework::provider::{Context, DataSource};
use tfplugin::framework::schema::{Attribute, Block, Schema};
use tfplugin::framework::validators;
use tfplugin::values::value::Value;

use crate::attrs::{self, Field};
use crate::clients;
use crate::errors;
use crate::finders;
use crate::home_attrs;

pub struct HomeDirectoriesDataSource;

#[async_trait]
impl DataSource for HomeDirectoriesDataSource {
    fn type_name(&self) -> &'static str {
        "studio_home_directories"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .description(
                    "Every user profile and space the mapping table records (the provider's `user_table`), \
                     joined with what SageMaker says about it now. A home is *attached* while its profile or \
                     space exists with a home directory, and *detached* once it is gone: its files stay on the \
                     file system, orphaned, until it is recreated and restored. Filter with `attached = false` \
                     to answer \"whose files are orphaned right now?\".",
                )
                .attributes([
                    Attribute::string("domain_name")
                        .optional()
                        .validate(attrs::sagemaker_name())
                        .description("Only homes of the domain with this name (homes are keyed by domain name, so this includes the homes of earlier domains of that name)."),
                    Attribute::string("kind")
                        .optional()
                        .validate(validators::one_of(["user", "space"]))
                        .description("Only user profiles (`user`) or only spaces (`space`)."),
                    Attribute::bool("attached")
                        .optional()
                        .description("`true`: only homes whose profile or space exists now; `false`: only detached homes, whose files are orphaned. Unset: both."),
                    Attribute::string("id")
                        .computed()
                        .description("The filter, as `<domain name or *>/<kind or *>/<attached, detached or *>`."),
                    Attribute::nested_list("homes", attrs::field_attributes(&home_fields()))
                        .computed()
                        .description("The homes, ordered by home key."),
                ]),
        )
    }

    async fn read(&self, config: &Value, ctx: &Context) -> (Option<Value>, Diagnostics) {
        let clients = match clients::connect(ctx) {
            Ok(c) => c,
            Err(d) => return (None, d),
        };
        let filter = HomeFilter {
            domain_name: finders::known_str(config, "domain_name").map(str::to_owned),
            kind: match finders::known_str(config, "kind") {
                Some("user") => Some(HomeKind::User),
                Some("space") => Some(HomeKind::Space),
                _ => None,
            },
            attachment: config.get("attached").as_bool().map(|attached| {
                if attached {
                    Attachment::Attached
                } else {
                    Attachment::Detached
                }
            }),
        };
        let studio = clients::studio(&clients, ctx);
        let mapping = clients::mapping_table(&clients);
        let homes = match tracked_homes(&mapping, &studio, &filter).await {
            Ok(homes) => homes,
            Err(e) => {
                return (
                    None,
                    errors::core_error("Could not list the home directories", &e, None),
                );
            }
        };
        let fields = home_fields();
        let id = format!(
            "{}/{}/{}",
            filter.domain_name.as_deref().unwrap_or("*"),
            filter.kind.map_or("*", HomeKind::as_str),
            match filter.attachment {
                Some(Attachment::Attached) => "attached",
                Some(Attachment::Detached) => "detached",
                None => "*",
            }
        );
        let value = config.clone().with_attr("id", Value::string(id)).with_attr(
            "homes",
            Value::list(homes.iter().map(|h| attrs::field_values(&fields, h))),
        );
        (Some(value), Diagnostics::new())
    }
}

/// The fields of a home of `homes`.
fn home_fields() -> Vec<Field<TrackedHome>> {
    vec![
        Field::new(
            Attribute::string("home"),
            "The home key, `<domain name>/user/<name>` or `<domain name>/space/<name>`.",
            |t| Value::string(t.record.home.to_string()),
        ),
        Field::new(
            Attribute::string("domain_name"),
            "The name of the home's domain.",
            |t| Value::string(&t.record.home.domain_name),
        ),
        Field::new(
            Attribute::string("domain_id"),
            "The id of the domain the home is in now; for a detached home, the last one recorded.",
            |t| Value::opt_string(t.domain_id()),
        ),
        Field::new(Attribute::string("kind"), "`user` or `space`.", |t| {
            Value::string(t.record.home.kind.as_str())
        }),
        Field::new(
            Attribute::string("user_profile_name"),
            "The user profile's name; null for a space.",
            |t| home_attrs::user_profile_name(&t.record.home),
        ),
        Field::new(
            Attribute::string("space_name"),
            "The space's name; null for a user profile.",
            |t| home_attrs::space_name(&t.record.home),
        ),
        Field::new(
            Attribute::bool("attached"),
            "Whether the profile or space exists now with a home directory. `false`: it is gone, and its files are orphaned at `file_system_id`:`/<uid>`.",
            |t| Value::bool(t.is_attached()),
        ),
        Field::new(
            Attribute::string("file_system_id"),
            "The EFS file system of the home directory: SageMaker's current one when attached, else the last one recorded.",
            |t| Value::opt_string(t.directory().map(|d| d.file_system_id.as_str())),
        ),
        Field::new(
            Attribute::string("uid"),
            "The home directory's uid (`/<uid>`): SageMaker's current one when attached, else the last one recorded (where the orphaned files are).",
            |t| Value::opt_string(t.directory().map(|d| d.uid.to_string())),
        ),
        Field::new(
            Attribute::string("recorded_file_system_id"),
            "The file system the mapping table records for the home.",
            |t| {
                Value::opt_string(
                    t.record
                        .directory
                        .as_ref()
                        .map(|d| d.file_system_id.as_str()),
                )
            },
        ),
        Field::new(
            Attribute::string("recorded_uid"),
            "The uid the mapping table records. It differs from `uid` while the table has not caught up with a recreation: then the recorded directory is orphaned too.",
            |t| Value::opt_string(t.record.directory.as_ref().map(|d| d.uid.to_string())),
        ),
        Field::new(
            Attribute::string("previous_file_system_id"),
            "The file system of the directory the home had before its latest recreation (the automatic restore's source).",
            |t| {
                Value::opt_string(
                    t.record
                        .previous
                        .as_ref()
                        .map(|p| p.directory.file_system_id.as_str()),
                )
            },
        ),
        Field::new(
            Attribute::string("previous_uid"),
            "The uid of the directory the home had before its latest recreation.",
            |t| {
                Value::opt_string(
                    t.record
                        .previous
                        .as_ref()
                        .map(|p| p.directory.uid.to_string()),
                )
            },
        ),
        Field::new(
            Attribute::bool("replication"),
            "Whether the home is restored automatically when it is recreated (see `studio_replication`).",
            |t| Value::bool(t.record.replication),
        ),
        Field::new(
            Attribute::string("restore_from"),
            "The home key of a declared restore source (see `studio_restore_target`), if one is pending.",
            |t| Value::opt_string(t.record.restore_from.as_ref().map(|r| r.home.to_string())),
        ),
        Field::new(
            Attribute::string("last_restore_status"),
            "The status of the last restore into the home (e.g. `SUCCEEDED`, `FAILED`); null when there was none.",
            |t| Value::opt_string(t.record.last_restore.as_ref().map(|r| r.status.as_str())),
        ),
        Field::new(
            Attribute::string("last_restore_time"),
            "When the last restore into the home finished (RFC 3339).",
            |t| {
                Value::opt_string(
                    t.record
                        .last_restore
                        .as_ref()
                        .and_then(|r| r.restored_at.as_deref()),
                )
            },
        ),
        Field::new(
            Attribute::string("last_restore_failure"),
            "Why the last attempt of the restore into the home failed, while it is `FAILED` or being tried again (`RUNNING` after a failure); null once it succeeded.",
            |t| {
                Value::opt_string(
                    t.record
                        .other
                        .get(RESTORE_DETAIL)
                        .and_then(|v| v.as_s().ok())
                        .map(String::as_str),
                )
            },
        ),
    ]
}
