//! The list resource `studio_profile_restore` (`terraform query`): every restore that could be
//! declared now. That is a home whose profile or space exists (recreated, with a new home
//! directory) and whose mapping-table row still records the directory it had before, when the
//! one source resolver would let a `studio_profile_restore` copy that directory into the new
//! one: same owner, not someone's live home, not the target's own directory. A home the history
//! shows restored from that directory into its current one is not listed again.
//!
//! `terraform query -generate-config-out=FILE` writes each as a `studio_profile_restore` block
//! whose source names the old directory explicitly (`file_system_id`, `uid`).

use async_trait::async_trait;
use studio_core::home::{HomeDirectory, HomeKey};
use studio_core::homes::{TrackedHome, tracked_homes};
use studio_core::profile_restore::{Consent, HomeRef, ProfileRestore, SourceSpec, Tables};
use studio_core::records::HistoryTable;
use tfplugin::framework::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::framework::list::{ListResource, ListResult, ListSink};
use tfplugin::framework::provider::Context;
use tfplugin::framework::schema::Schema;
use tfplugin::values::value::Value;

use crate::clients::{self, StudioClients};
use crate::errors;
use crate::list_filter::{self, ListFilter};
use crate::resource_profile_restore::{IDENTITY, TYPE_NAME, declarable_state};

pub struct ProfileRestoreList;

/// How many history entries of a home are read to tell whether it was restored already.
const HISTORY_LOOKBACK: usize = 50;

#[async_trait]
impl ListResource for ProfileRestoreList {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        list_filter::schema(
            "Lists the restores that could be declared now: every user profile or space that \
             exists and whose mapping-table row (the provider's `user_table`) records the home \
             directory it had before its latest recreation, when a `studio_profile_restore` \
             would copy that directory into the new one (the same owner rules: the same IAM \
             Identity Center user or profile name, a private space's owner, a shared space's \
             domain; never someone's live home). Homes whose history shows that copy succeeded \
             are not listed. `terraform query -generate-config-out=FILE` writes one \
             `studio_profile_restore` block per result, its source naming the old directory.",
            "restores",
        )
    }

    async fn list(&self, config: &Value, sink: &ListSink, ctx: &Context) -> Diagnostics {
        let conn = match clients::connect(ctx) {
            Ok(c) => c,
            Err(d) => return d,
        };
        let filter = ListFilter::from_config(config);
        let studio = clients::studio(&conn, ctx);
        let mapping = clients::mapping_table(&conn);
        let homes = match tracked_homes(&mapping, &studio, &filter.home_filter()).await {
            Ok(homes) => homes,
            Err(e) => {
                return errors::core_error("Could not list the restorable homes", &e, None);
            }
        };
        let history = clients::history_table(&conn);
        for home in homes.iter().filter(|h| filter.matches(&h.record.home)) {
            if !sink.wants_more() {
                break;
            }
            let Some(candidate) = Candidate::of(home) else {
                continue;
            };
            match restored_already(&history, &candidate).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    return errors::core_error(
                        &format!("Could not read the history of {}", candidate.key),
                        &e,
                        None,
                    );
                }
            }
            let result = match candidate.check(&conn, home, ctx).await {
                Ok(()) => {
                    let state = declarable_state(&candidate.source, &candidate.target);
                    let identity = match IDENTITY.of_state(&state, ctx) {
                        Ok(Some(identity)) => identity,
                        Ok(None) => continue,
                        Err(d) => return d,
                    };
                    sink.send(ListResult {
                        identity,
                        display_name: candidate.display_name(),
                        resource: Some(state),
                        diagnostics: Diagnostics::new(),
                    })
                    .await
                }
                Err(why) => {
                    sink.warn(Diagnostic::warning(
                        format!("Not listed: {}", candidate.key),
                        format!(
                            "{} had {} before its latest recreation, but a \
                             studio_profile_restore would refuse to restore it into {}: {why}",
                            candidate.key, candidate.previous, candidate.current
                        ),
                    ))
                    .await
                }
            };
            if !result {
                break;
            }
        }
        Diagnostics::new()
    }
}

/// A home with a previous directory and a current one: the restore it could get.
struct Candidate {
    key: HomeKey,
    previous: HomeDirectory,
    current: HomeDirectory,
    source: SourceSpec,
    target: HomeRef,
}

impl Candidate {
    /// `None` when the home has no previous directory or is not attached now.
    fn of(home: &TrackedHome) -> Option<Candidate> {
        let previous = home.record.previous.as_ref()?;
        let live = home.current.as_ref()?;
        let current = live.directory.clone()?;
        let key = home.record.home.clone();
        // Where the old directory was seen; rows written before that was recorded only know
        // the home's domain (the resolver then checks the owner by the declared home).
        let source_domain = previous
            .domain_id
            .clone()
            .or_else(|| home.record.domain_id.clone())
            .unwrap_or_else(|| live.domain_id.clone());
        Some(Candidate {
            source: SourceSpec {
                home: HomeRef {
                    domain_id: source_domain,
                    kind: key.kind,
                    name: key.name.clone(),
                },
                file_system_id: Some(previous.directory.file_system_id.clone()),
                uid: Some(previous.directory.uid),
            },
            target: HomeRef {
                domain_id: live.domain_id.clone(),
                kind: key.kind,
                name: key.name.clone(),
            },
            previous: previous.directory.clone(),
            current,
            key,
        })
    }

    fn display_name(&self) -> String {
        format!(
            "{}: {} (domain {}) into {} (domain {})",
            self.key,
            self.previous,
            self.source.home.domain_id,
            self.current,
            self.target.domain_id
        )
    }

    /// The checks a `studio_profile_restore` of this declaration makes at plan and again at
    /// apply, by the same resolver; the refusal's words when it would refuse.
    async fn check(
        &self,
        conn: &StudioClients,
        home: &TrackedHome,
        ctx: &Context,
    ) -> Result<(), String> {
        let restore = ProfileRestore {
            clients: &conn.aws,
            tables: Tables {
                mapping: Some(conn.user_table.clone()),
                history: Some(conn.history_table.clone()),
                slots: conn.slots_table.clone(),
            },
            cancel: ctx.cancellation().clone(),
            request: None,
            interrupted: Vec::new(),
            progress: None,
        };
        restore
            .resolve_source(&self.source, home.current.as_ref(), Consent::Declared)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Whether the history records a successful restore from the previous directory into the
/// current one. No history table: nothing recorded.
async fn restored_already(
    history: &HistoryTable,
    candidate: &Candidate,
) -> Result<bool, studio_core::Error> {
    let entries = match history.list(&candidate.key, Some(HISTORY_LOOKBACK)).await {
        Ok(entries) => entries,
        Err(e) if e.code() == Some("ResourceNotFoundException") => return Ok(false),
        Err(e) => return Err(e),
    };
    let uid = |u: studio_core::Uid| Some(i64::from(u.get()));
    Ok(entries.iter().any(|e| {
        e.event == "restore_succeeded"
            && e.file_system_id.as_deref() == Some(candidate.current.file_system_id.as_str())
            && e.uid == uid(candidate.current.uid)
            && e.source_file_system_id.as_deref()
                == Some(candidate.previous.file_system_id.as_str())
            && e.source_uid == uid(candidate.previous.uid)
    }))
}
