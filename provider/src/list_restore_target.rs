//! The list resource `studio_restore_target` (`terraform query`): the restore intents the
//! mapping table holds (rows with `restore_from`), as the resource imports them.

use async_trait::async_trait;
use tfplugin::framework::diagnostics::Diagnostics;
use tfplugin::framework::list::{ListResource, ListResult, ListSink};
use tfplugin::framework::provider::Context;
use tfplugin::framework::schema::Schema;
use tfplugin::values::value::Value;

use crate::clients;
use crate::errors;
use crate::list_filter::{self, ListFilter};
use crate::resource_restore_target::{IDENTITY, TYPE_NAME, pending_state};

pub struct RestoreTargetList;

#[async_trait]
impl ListResource for RestoreTargetList {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        list_filter::schema(
            "Lists the restore intents of the mapping table (the provider's `user_table`): every \
             home whose row has a pending `restore_from`, whoever wrote it, as the \
             `studio_restore_target` that declares it. Filtered by the target home.",
            "restore targets",
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
            Err(e) => return errors::core_error("Could not list the restore targets", &e, None),
        };
        rows.sort_by(|a, b| a.home.cmp(&b.home));
        for row in rows.iter().filter(|r| filter.matches(&r.home)) {
            let (Some(state), Some(from)) = (pending_state(row), row.restore_from.as_ref()) else {
                continue;
            };
            let identity = match IDENTITY.of_state(&state, ctx) {
                Ok(Some(identity)) => identity,
                Ok(None) => continue,
                Err(d) => return d,
            };
            let display_name = format!("{} from {} ({})", row.home, from.home, from.directory);
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
