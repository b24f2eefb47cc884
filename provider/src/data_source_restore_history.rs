//! `studio_restore_history`: the history rows of one user profile or space, newest first.

use async_trait::async_trait;
use studio_core::records::HistoryEntry;
use tfplugin::framework::diagnostics::Diagnostics;
use tfplugin::framework::provider::{Context, DataSource};
use tfplugin::framework::schema::{Attribute, Block, Schema};
use tfplugin::framework::validators;
use tfplugin::values::path::AttributePath;
use tfplugin::values::value::Value;

use crate::attrs::{self, Field};
use crate::clients;
use crate::errors;
use crate::home_attrs::{self, DomainBy};

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
                .validate(home_attrs::one_home_kind())
                .attributes(home_attrs::home_attributes(DomainBy::Name, "home"))
                .attributes([
                    Attribute::int64("limit")
                        .optional()
                        .validate(validators::int_range(1, 10_000))
                        .description("At most this many entries, the newest ones (1 to 10000). Unset: all of them."),
                    Attribute::string("id")
                        .computed()
                        .description("The home key, `<domain name>/user/<name>` or `<domain name>/space/<name>`."),
                    Attribute::nested_list("entries", attrs::field_attributes(&entry_fields()))
                        .computed()
                        .description("The history entries, newest first."),
                ]),
        )
    }

    async fn read(&self, config: &Value, ctx: &Context) -> (Option<Value>, Diagnostics) {
        let home = match home_attrs::home_key(config, &AttributePath::root()) {
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
        let clients = match clients::connect(ctx) {
            Ok(c) => c,
            Err(d) => return (None, d),
        };
        let limit = config
            .get("limit")
            .as_u64()
            .and_then(|l| usize::try_from(l).ok());
        let history = clients::history_table(&clients);
        match history.list(&home, limit).await {
            Ok(entries) => {
                let fields = entry_fields();
                let value = config
                    .clone()
                    .with_attr("id", Value::string(home.to_string()))
                    .with_attr(
                        "entries",
                        Value::list(entries.iter().map(|e| attrs::field_values(&fields, e))),
                    );
                (Some(value), Diagnostics::new())
            }
            Err(e) => (
                None,
                errors::core_error(&format!("Could not read the history of {home}"), &e, None),
            ),
        }
    }
}

/// The fields of an entry of `entries`.
fn entry_fields() -> Vec<Field<HistoryEntry>> {
    vec![
        Field::new(
            Attribute::int64("at"),
            "When it happened, in epoch milliseconds (unique per home).",
            |e| Value::int(e.at),
        ),
        Field::new(
            Attribute::string("time"),
            "When it happened (RFC 3339, UTC).",
            |e| Value::opt_string(rfc3339(e.at)),
        ),
        Field::new(
            Attribute::string("event"),
            "What happened: `created`, `seen`, `restore_started`, `restore_succeeded`, `restore_failed`, \
             `restore_refused`, `target_set` or `replication_set`.",
            |e| Value::string(&e.event),
        ),
        Field::new(
            Attribute::string("domain_id"),
            "The domain id of the home at the time.",
            |e| Value::opt_string(e.domain_id.as_deref()),
        ),
        Field::new(
            Attribute::string("file_system_id"),
            "The file system of the home directory at the time.",
            |e| Value::opt_string(e.file_system_id.as_deref()),
        ),
        Field::new(
            Attribute::string("uid"),
            "The uid of the home directory at the time.",
            |e| Value::opt_string(e.uid.map(|u| u.to_string())),
        ),
        Field::new(
            Attribute::string("source_file_system_id"),
            "For restores and restore targets: the source directory's file system.",
            |e| Value::opt_string(e.source_file_system_id.as_deref()),
        ),
        Field::new(
            Attribute::string("source_uid"),
            "For restores and restore targets: the source directory's uid.",
            |e| Value::opt_string(e.source_uid.map(|u| u.to_string())),
        ),
        Field::new(
            Attribute::string("status"),
            "A status: of the restore, or `enabled`/`disabled` for `replication_set`.",
            |e| Value::opt_string(e.status.as_deref()),
        ),
        Field::new(
            Attribute::string("execution"),
            "The restore workflow execution (ARN), for restores.",
            |e| Value::opt_string(e.execution.as_deref()),
        ),
        Field::new(
            Attribute::int64("files_transferred"),
            "Files copied by the restore.",
            |e| Value::opt_int(e.files_transferred),
        ),
        Field::new(
            Attribute::int64("bytes_written"),
            "Bytes written by the restore.",
            |e| Value::opt_int(e.bytes_written),
        ),
        Field::new(
            Attribute::string("detail"),
            "A sentence about what happened, or why a restore failed or was refused.",
            |e| Value::opt_string(e.detail.as_deref()),
        ),
    ]
}

/// Epoch milliseconds as RFC 3339.
fn rfc3339(at: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
}
