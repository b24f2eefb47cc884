//! `studio_restore_history`: the history rows of one user profile or space, newest first.

use async_trait::async_trait;
use studio_core::records::HistoryEntry;
use tfplugin::framework::diagnostics::Diagnostics;
use tfplugin::framework::provider::{Context, DataSource};
use tfplugin::framework::schema::{Attribute, Block, Schema};
use tfplugin::framework::validators;
use tfplugin::values::path::AttributePath;
use tfplugin::values::value::Value;

use crate::lookup;

pub struct RestoreHistoryDataSource;

#[async_trait]
impl DataSource for RestoreHistoryDataSource {
    fn type_name(&self) -> &'static str {
        "studio_restore_history"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .description(
                    "The history of one user profile or space, newest first, from the history table (the \
                     provider's `history_table`): when it was seen, recreated and restored, which restore \
                     targets and replication settings were made for it. A home without history gives an \
                     empty list.",
                )
                .validate(lookup::one_home_kind())
                .attributes(lookup::home_attributes("the home"))
                .attributes([
                    Attribute::int64("limit")
                        .optional()
                        .validate(validators::int_range(1, 10_000))
                        .description("At most this many entries, the newest ones (1 to 10000). Unset: all of them."),
                    Attribute::string("id")
                        .computed()
                        .description("The home key, `<domain name>/user/<name>` or `<domain name>/space/<name>`."),
                    Attribute::nested_list("entries", entry_attributes())
                        .computed()
                        .description("The history entries, newest first."),
                ]),
        )
    }

    async fn read(&self, config: &Value, ctx: &Context) -> (Option<Value>, Diagnostics) {
        let home = match lookup::home_key(config, &AttributePath::root()) {
            Ok(Some(home)) => home,
            Ok(None) => {
                let mut diags = Diagnostics::new();
                diags.error(
                    "Unknown home",
                    "domain_name, user_profile_name and space_name must be known to read the history.",
                );
                return (None, diags);
            }
            Err(d) => return (None, d),
        };
        let clients = match lookup::connect(ctx) {
            Ok(c) => c,
            Err(d) => return (None, d),
        };
        let limit = config
            .get("limit")
            .as_u64()
            .and_then(|l| usize::try_from(l).ok());
        let history = lookup::history_table(&clients);
        match history.list(&home, limit).await {
            Ok(entries) => {
                let value = config
                    .clone()
                    .with_attr("id", Value::string(home.to_string()))
                    .with_attr("entries", Value::list(entries.iter().map(entry_value)));
                (Some(value), Diagnostics::new())
            }
            Err(e) => (
                None,
                lookup::core_error(&format!("Could not read the history of {home}"), &e, None),
            ),
        }
    }
}

fn entry_attributes() -> Vec<Attribute> {
    let computed =
        |attribute: Attribute, description: &str| attribute.computed().description(description);
    vec![
        computed(
            Attribute::int64("at"),
            "When it happened, in epoch milliseconds (unique per home).",
        ),
        computed(
            Attribute::string("time"),
            "When it happened (RFC 3339, UTC).",
        ),
        computed(
            Attribute::string("event"),
            "What happened: `created`, `seen`, `restore_started`, `restore_succeeded`, `restore_failed`, \
             `restore_refused`, `target_set` or `replication_set`.",
        ),
        computed(
            Attribute::string("domain_id"),
            "The domain id of the home at the time.",
        ),
        computed(
            Attribute::string("file_system_id"),
            "The file system of the home directory at the time.",
        ),
        computed(
            Attribute::string("uid"),
            "The uid of the home directory at the time.",
        ),
        computed(
            Attribute::string("source_file_system_id"),
            "For restores and restore targets: the source directory's file system.",
        ),
        computed(
            Attribute::string("source_uid"),
            "For restores and restore targets: the source directory's uid.",
        ),
        computed(
            Attribute::string("status"),
            "A status: of the restore, or `enabled`/`disabled` for `replication_set`.",
        ),
        computed(
            Attribute::string("execution"),
            "The restore workflow execution (ARN), for restores.",
        ),
        computed(
            Attribute::int64("files_transferred"),
            "Files copied by the restore.",
        ),
        computed(
            Attribute::int64("bytes_written"),
            "Bytes written by the restore.",
        ),
        computed(
            Attribute::string("detail"),
            "A sentence about what happened, or why a restore failed or was refused.",
        ),
    ]
}

fn entry_value(entry: &HistoryEntry) -> Value {
    let time = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(entry.at) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        });
    Value::object([
        ("at", Value::int(entry.at)),
        ("time", Value::opt_string(time)),
        ("event", Value::string(&entry.event)),
        ("domain_id", Value::opt_string(entry.domain_id.as_deref())),
        (
            "file_system_id",
            Value::opt_string(entry.file_system_id.as_deref()),
        ),
        ("uid", Value::opt_string(entry.uid.map(|u| u.to_string()))),
        (
            "source_file_system_id",
            Value::opt_string(entry.source_file_system_id.as_deref()),
        ),
        (
            "source_uid",
            Value::opt_string(entry.source_uid.map(|u| u.to_string())),
        ),
        ("status", Value::opt_string(entry.status.as_deref())),
        ("execution", Value::opt_string(entry.execution.as_deref())),
        ("files_transferred", Value::opt_int(entry.files_transferred)),
        ("bytes_written", Value::opt_int(entry.bytes_written)),
        ("detail", Value::opt_string(entry.detail.as_deref())),
    ])
}
