//! The list resource `studio_replication` (`terraform query`): the automatic-restore setting of
//! every home the mapping table has a row for, as the resource reads it.

use async_trait::async_trait;
use tfplugin::framework::diagnostics::Diagnostics;
use tfplugin::framework::list::{ListResource, ListResult, ListSink};
use tfplugin::framework::provider::Context;
use tfplugin::framework::schema::Schema;
use tfplugin::values::value::Value;

use crate::clients;
use crate::errors;
use crate::list_filter::{self, ListFilter};
use crate::resource_replication::{IDENTITY, TYPE_NAME, state_of};

pub struct ReplicationList;

#[async_trait]
impl ListResource for ReplicationList {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        list_filter::schema(
            "Lists the rows of the mapping table (the provider's `user_table`), each as the \
             `studio_replication` of its home: `enabled` is whether the home is restored \
             automatically when it is recreated (on unless turned off).",
            "replication settings",
        )
    }

    async fn list(&self, config: &Value, sink: &ListSink, ctx: &Context) -> Diagnostics {
        let conn = match clients::connect(ctx) {
            Ok(c) => c,
            Err(d) => return d,
        };
        let filter = ListFilter::from_config(config);
        let mut rows = match clients::mapping_table(&conn).scan().await {
            Ok(rows) => rows,
            Err(e) => {
                return errors::core_error("Could not list the replication settings", &e, None);
            }
        };
        rows.sort_by(|a, b| a.home.cmp(&b.home));
        for row in rows.iter().filter(|r| filter.matches(&r.home)) {
            let state = state_of(&row.home, row.replication);
            let identity = match IDENTITY.of_state(&state, ctx) {
                Ok(Some(identity)) => identity,
                Ok(None) => continue,
                Err(d) => return d,
            };
            let display_name = format!(
                "{}: automatic restore {}",
                row.home,
                if row.replication { "on" } else { "off" }
            );
            let result = ListResult {
                identity,
                display_name,
                resource: Some(state),
                diagnostics: Diagnostics::new(),
            };
            if !sink.send(result).await {
                break;
            }
        }
        Diagnostics::new()
    }
}
