//! Ownership tags, and the sweeper that removes what a stopped restore left behind.
//!
//! Every object a restore creates (DataSync locations, task and task execution, EFS access
//! point), whichever engine creates it, carries one tag, [`OWNER_TAG`], whose value names the
//! restore's owner, the one party whose liveness decides whether the object is still in use:
//!
//! - a restore workflow execution: its ARN (`arn:<partition>:states:<region>:<account>:execution:<state machine>:<name>`),
//!   alive while Step Functions says it is `RUNNING`;
//! - a provider restore: `provider/<restore id>/<table>/<run>`, alive while the lease it holds on
//!   the target's row of mapping table `<table>` (8 hex digits of its name's SHA-256) is held by
//!   run `<run>` and has not expired; `<table>` is `-` when the provider has no mapping table,
//!   and then only a later run of the same restore (same restore id) removes what it left.
pub const OWNER_TAG: &str = "studio-restore:owner";

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use sha2::{Digest, Sha256};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::aws::Clients;
use crate::lease;
use crate::records::restore_status;
use crate::retry::{RetryPolicy, is_transient, retry};
use crate::wait::{Backoff, Waiter};

/// The owner value of a provider restore: `provider/<restore id>/<table>/<run>`, where `<run>`
/// names the lease holder of this run (so that the lease proves it alive) and `<table>` the
/// mapping table that holds that lease (`-`: none).
pub fn provider_owner(restore_id: &str, mapping_table: Option<&str>, holder: &str) -> String {
    let table = mapping_table.map_or_else(|| "-".to_owned(), hex8);
    format!("provider/{restore_id}/{table}/{}", run_of(holder))
}

/// The `<run>` part of a provider owner: 12 hex digits of the SHA-256 of its lease holder.
fn run_of(holder: &str) -> String {
    hex::encode(Sha256::digest(holder.as_bytes()))[..12].to_owned()
}

fn hex8(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))[..8].to_owned()
}

/// An owner value, read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A restore workflow execution, by ARN.
    Execution(String),
    /// A provider restore.
    Provider {
        restore_id: String,
        /// 8 hex digits of the mapping table's name; `None` when it had none.
        table: Option<String>,
        run: String,
    },
}

impl Owner {
    pub fn parse(value: &str) -> Option<Owner> {
        if lease::is_execution(value) {
            return Some(Owner::Execution(value.to_owned()));
        }
        let mut parts = value.split('/');
        match (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) {
            (Some("provider"), Some(restore_id), Some(table), Some(run), None)
                if !restore_id.is_empty() && !run.is_empty() =>
            {
                Some(Owner::Provider {
                    restore_id: restore_id.to_owned(),
                    table: (table != "-").then(|| table.to_owned()),
                    run: run.to_owned(),
                })
            }
            _ => None,
        }
    }
}

/// What the sweeper looks at.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// EFS file systems: DataSync locations on them, tasks using those locations, and their
    /// access points.
    pub file_systems: Vec<String>,
    /// The mapping table whose leases prove provider restores alive.
    pub mapping_table: Option<String>,
    /// Also sweep provider restores of this restore id that kept no lease (a provider without
    /// a mapping table): a new run of the same restore is about to start, so the old one ended.
    pub own_restore_id: Option<String>,
    /// Only the objects of this owner (an execution that was just stopped, for instance).
    pub only_owner: Option<String>,
}

/// The objects of one owner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owned {
    pub tasks: BTreeSet<String>,
    pub locations: BTreeSet<String>,
    /// Access point ids.
    pub access_points: BTreeSet<String>,
}

impl Owned {
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty() && self.locations.is_empty() && self.access_points.is_empty()
    }

    pub fn len(&self) -> usize {
        self.tasks.len() + self.locations.len() + self.access_points.len()
    }
}

/// One owner whose objects were removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swept {
    pub owner: String,
    /// Why the owner counts as ended.
    pub why: String,
    pub objects: Owned,
    /// DataSync task executions that were still running and were cancelled.
    pub cancelled: Vec<String>,
}

/// What a sweep did.
#[derive(Debug, Clone, Default)]
pub struct SweepReport {
    pub swept: Vec<Swept>,
    /// Owners still running, left alone.
    pub alive: usize,
    /// Owners whose liveness this sweep cannot decide (another mapping table, no lease, an
    /// execution it may not describe), left alone.
    pub undecided: usize,
    /// What could not be removed or checked.
    pub failures: Vec<String>,
}

impl SweepReport {
    pub fn objects_removed(&self) -> usize {
        self.swept.iter().map(|s| s.objects.len()).sum()
    }

    /// One sentence per swept owner, for warnings and logs.
    pub fn describe(&self) -> Vec<String> {
        self.swept
            .iter()
            .map(|s| {
                let mut what = Vec::new();
                what.extend(s.objects.tasks.iter().map(|t| format!("task {t}")));
                what.extend(s.objects.locations.iter().map(|l| format!("location {l}")));
                what.extend(
                    s.objects
                        .access_points
                        .iter()
                        .map(|a| format!("access point {a}")),
                );
                let cancelled = if s.cancelled.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; cancelled the running DataSync execution {}",
                        s.cancelled.join(", ")
                    )
                };
                format!(
                    "removed what {} left behind ({}): {}{cancelled}",
                    s.owner,
                    s.why,
                    what.join(", ")
                )
            })
            .collect()
    }
}

/// Finds objects tagged [`OWNER_TAG`] whose owner has ended, cancels their DataSync executions
/// and deletes them.
pub struct Sweeper<'a> {
    clients: &'a Clients,
    policy: RetryPolicy,
    cancel: CancellationToken,
}

/// How long a cancelled DataSync execution may take to end before its task is deleted anyway.
const CANCEL_WAIT: Duration = Duration::from_secs(60);

/// DataSync execution statuses that have ended.
const ENDED: &[&str] = &["SUCCESS", "ERROR"];

impl<'a> Sweeper<'a> {
    pub fn new(clients: &'a Clients) -> Sweeper<'a> {
        Sweeper {
            clients,
            policy: clients.retry,
            // A sweep runs to its end, also after the caller's cancellation (the provider's Ctrl-C): stopping half-way
            // would leave what it is there to remove.
            cancel: CancellationToken::new(),
        }
    }

    /// Every object in `scope` tagged [`OWNER_TAG`], by owner value.
    pub async fn owned(&self, scope: &Scope) -> Result<BTreeMap<String, Owned>, Error> {
        let mut owned: BTreeMap<String, Owned> = BTreeMap::new();
        let in_scope = |uri: &str| {
            scope
                .file_systems
                .iter()
                .any(|fs| uri.contains(fs.as_str()))
        };
        let mut scoped_locations = BTreeSet::new();
        // Locations elsewhere (a source on an old domain's file system), kept for owners that
        // have objects in scope.
        let mut elsewhere: Vec<(String, String)> = Vec::new();
        for location in self.list_locations().await? {
            let Some(arn) = location.location_arn() else {
                continue;
            };
            let scoped = location.location_uri().is_some_and(in_scope);
            if scoped {
                scoped_locations.insert(arn.to_owned());
            }
            let Some(owner) = self.owner_of(arn).await? else {
                continue;
            };
            if scoped {
                owned
                    .entry(owner)
                    .or_default()
                    .locations
                    .insert(arn.to_owned());
            } else {
                elsewhere.push((owner, arn.to_owned()));
            }
        }
        for task in self.list_tasks().await? {
            let Some(arn) = task.task_arn() else { continue };
            let Some(owner) = self.owner_of(arn).await? else {
                continue;
            };
            // A task is in scope when one of its locations is, or when its owner has objects in
            // scope (its locations may be gone already).
            let described = self.describe_task(arn).await?;
            let uses_scope = described.as_ref().is_some_and(|(src, dst)| {
                scoped_locations.contains(src) || scoped_locations.contains(dst)
            });
            if uses_scope || owned.contains_key(&owner) {
                owned.entry(owner).or_default().tasks.insert(arn.to_owned());
            }
        }
        for fs in &scope.file_systems {
            for (id, owner) in self.access_points(fs).await? {
                owned.entry(owner).or_default().access_points.insert(id);
            }
        }
        for (owner, arn) in elsewhere {
            if let Some(objects) = owned.get_mut(&owner) {
                objects.locations.insert(arn);
            }
        }
        if let Some(only) = &scope.only_owner {
            owned.retain(|owner, _| owner == only);
        }
        Ok(owned)
    }

    /// Removes the objects in `scope` whose owner has ended.
    pub async fn sweep(&self, scope: &Scope) -> Result<SweepReport, Error> {
        let owned = self.owned(scope).await?;
        let mut report = SweepReport::default();
        if owned.is_empty() {
            return Ok(report);
        }
        let leases = match &scope.mapping_table {
            Some(table) => self.live_leases(table).await?,
            None => BTreeSet::new(),
        };
        let my_table = scope.mapping_table.as_deref().map(hex8);
        for (owner, objects) in owned {
            let why = match self
                .ended(&owner, &leases, my_table.as_deref(), scope)
                .await
            {
                Ok(Verdict::Alive) => {
                    report.alive += 1;
                    continue;
                }
                Ok(Verdict::Undecided) => {
                    report.undecided += 1;
                    continue;
                }
                Ok(Verdict::Ended(why)) => why,
                Err(e) => {
                    report.failures.push(e.to_string());
                    continue;
                }
            };
            tracing::info!(%owner, %why, objects = objects.len(), "sweeping what an ended restore left behind");
            let (cancelled, failures) = self.remove(&objects).await;
            report.failures.extend(failures);
            report.swept.push(Swept {
                owner,
                why,
                objects,
                cancelled,
            });
        }
        Ok(report)
    }

    async fn ended(
        &self,
        owner: &str,
        leases: &BTreeSet<String>,
        my_table: Option<&str>,
        scope: &Scope,
    ) -> Result<Verdict, Error> {
        match Owner::parse(owner) {
            // The caller ended it itself (it stopped the execution): Step Functions may still
            // say RUNNING for a moment after StopExecution.
            Some(Owner::Execution(_)) if scope.only_owner.as_deref() == Some(owner) => {
                Ok(Verdict::Ended("it was stopped".into()))
            }
            Some(Owner::Execution(arn)) => match self.execution_status(&arn).await? {
                Some(status) if status == "RUNNING" => Ok(Verdict::Alive),
                Some(status) => Ok(Verdict::Ended(format!(
                    "the workflow execution ended {status} without its clean-up"
                ))),
                None => Ok(Verdict::Ended(
                    "the workflow execution does not exist".into(),
                )),
            },
            Some(Owner::Provider {
                restore_id,
                table,
                run,
            }) => {
                if scope.only_owner.as_deref() == Some(owner) {
                    return Ok(Verdict::Ended("its run ended".into()));
                }
                match (table.as_deref(), my_table) {
                    (Some(table), Some(mine)) if table == mine => {
                        if leases.contains(&run) {
                            Ok(Verdict::Alive)
                        } else {
                            Ok(Verdict::Ended(
                                "its provider holds no lease any more (it was killed or crashed)"
                                    .into(),
                            ))
                        }
                    }
                    (None, _) if scope.own_restore_id.as_deref() == Some(restore_id.as_str()) => {
                        Ok(Verdict::Ended(
                            "an earlier run of this restore, which kept no lease, was interrupted"
                                .into(),
                        ))
                    }
                    _ => Ok(Verdict::Undecided),
                }
            }
            None => Ok(Verdict::Undecided),
        }
    }

    /// The runs (see [`provider_owner`]) of every unexpired process lease in `table`.
    async fn live_leases(&self, table: &str) -> Result<BTreeSet<String>, Error> {
        let now = lease::timestamp(time::OffsetDateTime::now_utc());
        let mut runs = BTreeSet::new();
        let mut start = None;
        loop {
            let out = retry(&self.policy, &self.cancel, is_transient, || async {
                self.clients
                    .dynamodb
                    .scan()
                    .table_name(table)
                    .consistent_read(true)
                    .projection_expression("#h, #e")
                    .expression_attribute_names("#h", lease::HOLDER)
                    .expression_attribute_names("#e", lease::EXPIRES_AT)
                    .filter_expression("attribute_exists(#h)")
                    .set_exclusive_start_key(start.clone())
                    .send()
                    .await
                    .map_err(|e| Error::aws(format!("reading the leases in table {table}"), &e))
            })
            .await;
            let out = match out {
                Ok(out) => out,
                // No table: nobody holds a lease in it.
                Err(e) if e.code() == Some("ResourceNotFoundException") => return Ok(runs),
                Err(e) => return Err(e),
            };
            for item in out.items() {
                let text = |k: &str| match item.get(k) {
                    Some(AttributeValue::S(s)) => Some(s.as_str()),
                    _ => None,
                };
                if let (Some(holder), Some(expires)) =
                    (text(lease::HOLDER), text(lease::EXPIRES_AT))
                {
                    if expires >= now.as_str() {
                        runs.insert(run_of(holder));
                    }
                }
            }
            match out.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => return Ok(runs),
            }
        }
    }

    /// `None` when the execution does not exist.
    async fn execution_status(&self, arn: &str) -> Result<Option<String>, Error> {
        let out = retry(&self.policy, &self.cancel, is_transient, || async {
            self.clients
                .sfn
                .describe_execution()
                .execution_arn(arn)
                .send()
                .await
                .map_err(|e| Error::aws(format!("describing workflow execution {arn}"), &e))
        })
        .await;
        match out {
            Ok(out) => Ok(Some(out.status().as_str().to_owned())),
            Err(e) if e.code() == Some("ExecutionDoesNotExist") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Cancels the running executions of the tasks, then deletes tasks, locations and access
    /// points. Returns the cancelled executions and what could not be removed.
    pub async fn remove(&self, objects: &Owned) -> (Vec<String>, Vec<String>) {
        let mut cancelled = Vec::new();
        let mut failures = Vec::new();
        for task in &objects.tasks {
            match self.cancel_running(task).await {
                Ok(mut c) => cancelled.append(&mut c),
                Err(e) => failures.push(e.to_string()),
            }
            let retryable =
                |e: &Error| is_transient(e) || e.code() == Some("InvalidRequestException");
            let policy = RetryPolicy {
                max_attempts: 6,
                ..self.policy
            };
            let res = retry(&policy, &self.cancel, retryable, || async {
                self.clients
                    .datasync
                    .delete_task()
                    .task_arn(task)
                    .send()
                    .await
                    .map_err(|e| Error::aws(format!("deleting DataSync task {task}"), &e))
            })
            .await;
            if let Err(e) = res {
                if self.describe_task(task).await.ok().flatten().is_some() {
                    failures.push(e.to_string());
                }
            }
        }
        for location in &objects.locations {
            let res = retry(&self.policy, &self.cancel, is_transient, || async {
                self.clients
                    .datasync
                    .delete_location()
                    .location_arn(location)
                    .send()
                    .await
                    .map_err(|e| Error::aws(format!("deleting DataSync location {location}"), &e))
            })
            .await;
            match res {
                Err(e) if e.code() != Some("InvalidRequestException") => {
                    failures.push(e.to_string())
                }
                _ => {}
            }
        }
        for id in &objects.access_points {
            let res = retry(&self.policy, &self.cancel, is_transient, || async {
                self.clients
                    .efs
                    .delete_access_point()
                    .access_point_id(id)
                    .send()
                    .await
                    .map_err(|e| Error::aws(format!("deleting EFS access point {id}"), &e))
            })
            .await;
            match res {
                Err(e) if e.code() != Some("AccessPointNotFound") => failures.push(e.to_string()),
                _ => {}
            }
        }
        (cancelled, failures)
    }

    /// Cancels every execution of `task` that has not ended and waits (up to [`CANCEL_WAIT`])
    /// until DataSync has ended them: a task whose execution is still `CANCELLING` cannot be
    /// deleted.
    async fn cancel_running(&self, task: &str) -> Result<Vec<String>, Error> {
        let action = format!("listing the executions of DataSync task {task}");
        // InvalidRequestException: the task is gone, and its executions with it.
        let executions = self
            .paged(Some("InvalidRequestException"), |token| async {
                let out = (self.clients.datasync.list_task_executions())
                    .task_arn(task)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| Error::aws(&action, &e))?;
                let next = out.next_token().map(str::to_owned);
                Ok((out.task_executions().to_vec(), next))
            })
            .await?;
        let running: Vec<String> = executions
            .iter()
            .filter(|ex| !ENDED.contains(&ex.status().map(|s| s.as_str()).unwrap_or_default()))
            .filter_map(|ex| ex.task_execution_arn().map(str::to_owned))
            .collect();
        let mut cancelled = Vec::new();
        for arn in &running {
            let res = retry(&self.policy, &self.cancel, is_transient, || async {
                self.clients
                    .datasync
                    .cancel_task_execution()
                    .task_execution_arn(arn)
                    .send()
                    .await
                    .map_err(|e| {
                        Error::aws(format!("cancelling DataSync task execution {arn}"), &e)
                    })
            })
            .await;
            match res {
                Ok(_) => cancelled.push(arn.clone()),
                // Ended meanwhile.
                Err(e) if e.code() == Some("InvalidRequestException") => {}
                Err(e) => return Err(e),
            }
        }
        let until = Instant::now() + CANCEL_WAIT;
        // Nothing interrupts this wait but its own deadline.
        let uninterrupted = CancellationToken::new();
        for arn in &cancelled {
            let backoff = Backoff::new(Duration::from_millis(200), 2.0, Duration::from_secs(5));
            let mut waiter = Waiter::new(backoff, until, &uninterrupted);
            while Instant::now() < until {
                let status = self
                    .clients
                    .datasync
                    .describe_task_execution()
                    .task_execution_arn(arn)
                    .send()
                    .await
                    .ok()
                    .and_then(|o| o.status().map(|s| s.as_str().to_owned()));
                if status.as_deref().is_none_or(|s| ENDED.contains(&s))
                    || waiter.pause().await.is_err()
                {
                    break;
                }
            }
        }
        Ok(cancelled)
    }

    async fn list_locations(
        &self,
    ) -> Result<Vec<aws_sdk_datasync::types::LocationListEntry>, Error> {
        self.paged(None, |token| async {
            let out = self
                .clients
                .datasync
                .list_locations()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| Error::aws("listing DataSync locations", &e))?;
            Ok((
                out.locations().to_vec(),
                out.next_token().map(str::to_owned),
            ))
        })
        .await
    }

    async fn list_tasks(&self) -> Result<Vec<aws_sdk_datasync::types::TaskListEntry>, Error> {
        self.paged(None, |token| async {
            let out = self
                .clients
                .datasync
                .list_tasks()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| Error::aws("listing DataSync tasks", &e))?;
            Ok((out.tasks().to_vec(), out.next_token().map(str::to_owned)))
        })
        .await
    }

    /// Every item of a paged list: `page(token)` asks for one page (retried here when the
    /// error is transient) and returns its items and the next page's token. The error code
    /// `gone` (what the service answers when the listed container no longer exists) is an
    /// empty list.
    async fn paged<T, F, Fut>(&self, gone: Option<&str>, mut page: F) -> Result<Vec<T>, Error>
    where
        F: FnMut(Option<String>) -> Fut,
        Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), Error>>,
    {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let listed = retry(&self.policy, &self.cancel, is_transient, || {
                page(token.clone())
            })
            .await;
            let (items, next) = match listed {
                Ok(listed) => listed,
                Err(e) if gone.is_some() && e.code() == gone => return Ok(Vec::new()),
                Err(e) => return Err(e),
            };
            all.extend(items);
            match next {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => return Ok(all),
            }
        }
    }

    /// The owner tag of a DataSync task or location; `None` when it has none or is gone.
    pub async fn owner_of(&self, arn: &str) -> Result<Option<String>, Error> {
        let tags = retry(&self.policy, &self.cancel, is_transient, || async {
            self.clients
                .datasync
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .map_err(|e| Error::aws(format!("reading the tags of {arn}"), &e))
        })
        .await;
        match tags {
            Ok(tags) => Ok(tags
                .tags()
                .iter()
                .find(|t| t.key() == OWNER_TAG)
                .and_then(|t| t.value().map(str::to_owned))),
            // Deleted since it was listed.
            Err(e) if e.code() == Some("InvalidRequestException") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A task's source and destination location; `None` when it is gone.
    async fn describe_task(&self, arn: &str) -> Result<Option<(String, String)>, Error> {
        let out = retry(&self.policy, &self.cancel, is_transient, || async {
            self.clients
                .datasync
                .describe_task()
                .task_arn(arn)
                .send()
                .await
                .map_err(|e| Error::aws(format!("describing DataSync task {arn}"), &e))
        })
        .await;
        match out {
            Ok(out) => Ok(Some((
                out.source_location_arn().unwrap_or_default().to_owned(),
                out.destination_location_arn()
                    .unwrap_or_default()
                    .to_owned(),
            ))),
            Err(e) if e.code() == Some("InvalidRequestException") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The access points of `file_system` that carry an owner tag: (id, owner).
    pub async fn access_points(&self, file_system: &str) -> Result<Vec<(String, String)>, Error> {
        let action = format!("listing the EFS access points of {file_system}");
        let access_points = self
            .paged(Some("FileSystemNotFound"), |token| async {
                let out = (self.clients.efs.describe_access_points())
                    .file_system_id(file_system)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| Error::aws(&action, &e))?;
                let next = out.next_token().map(str::to_owned);
                Ok((out.access_points().to_vec(), next))
            })
            .await?;
        Ok(access_points
            .iter()
            .filter_map(|ap| {
                let owner = ap.tags().iter().find(|t| t.key() == OWNER_TAG)?;
                Some((ap.access_point_id()?.to_owned(), owner.value().to_owned()))
            })
            .collect())
    }

    /// Records on `home`'s row that the restore `execution_arn` recorded as running ended
    /// without recording its outcome (stopped, timed out): `FAILED`, with `why` as its detail,
    /// so that the retry policy applies. Only while the row still names that execution as
    /// running; returns whether it changed the row.
    pub async fn fail_run(
        &self,
        mapping_table: &str,
        home: &str,
        execution_arn: &str,
        why: &str,
    ) -> Result<bool, Error> {
        let res = retry(&self.policy, &self.cancel, is_transient, || async {
            self.clients
                .dynamodb
                .update_item()
                .table_name(mapping_table)
                .key("home", AttributeValue::S(home.to_owned()))
                .update_expression(
                    "SET #status = :failed, #detail = :detail, #at = :at ADD #version :one",
                )
                .condition_expression("#status = :running AND #execution = :execution")
                .expression_attribute_names("#status", "restore_status")
                .expression_attribute_names("#detail", crate::records::RESTORE_DETAIL)
                .expression_attribute_names("#at", "restored_at")
                .expression_attribute_names("#version", "version")
                .expression_attribute_names("#execution", "restore_execution")
                .expression_attribute_values(
                    ":failed",
                    AttributeValue::S(restore_status::FAILED.into()),
                )
                .expression_attribute_values(
                    ":running",
                    AttributeValue::S(restore_status::RUNNING.into()),
                )
                .expression_attribute_values(
                    ":execution",
                    AttributeValue::S(execution_arn.to_owned()),
                )
                .expression_attribute_values(":detail", AttributeValue::S(why.to_owned()))
                .expression_attribute_values(
                    ":at",
                    AttributeValue::S(crate::records::now_rfc3339()),
                )
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .send()
                .await
                .map_err(|e| {
                    Error::aws(
                        format!("recording the failed restore of {home} in table {mapping_table}"),
                        &e,
                    )
                })
        })
        .await;
        match res {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether the owner of a provider run (an owner value) still runs, by its lease in
    /// `mapping_table`; `None` when that cannot be told (another mapping table, or none).
    pub async fn provider_alive(
        &self,
        owner: &str,
        mapping_table: &str,
    ) -> Result<Option<bool>, Error> {
        match Owner::parse(owner) {
            Some(Owner::Provider {
                table: Some(table),
                run,
                ..
            }) if table == hex8(mapping_table) => {
                Ok(Some(self.live_leases(mapping_table).await?.contains(&run)))
            }
            _ => Ok(None),
        }
    }

    /// Whether a workflow execution still runs (`None`: it does not exist).
    pub async fn execution_running(&self, arn: &str) -> Result<Option<bool>, Error> {
        Ok(self
            .execution_status(arn)
            .await?
            .map(|status| status == "RUNNING"))
    }
}

enum Verdict {
    Alive,
    Undecided,
    Ended(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_read_back_as_written() {
        let holder = lease::process_holder("restore r-1 from a into b");
        let owner = provider_owner("r-0123456789abcdef0123", Some("studioUser"), &holder);
        assert_eq!(
            Owner::parse(&owner),
            Some(Owner::Provider {
                restore_id: "r-0123456789abcdef0123".into(),
                table: Some(hex8("studioUser")),
                run: run_of(&holder),
            })
        );
        let none = provider_owner("r-1", None, &holder);
        assert!(matches!(
            Owner::parse(&none),
            Some(Owner::Provider { table: None, .. })
        ));
        let arn = "arn:aws:states:us-east-1:123456789012:execution:sm:restore-1";
        assert_eq!(Owner::parse(arn), Some(Owner::Execution(arn.into())));
        for bad in [
            "",
            "provider",
            "provider/r-1/-",
            "provider//-/x",
            "provider/a/b/c/d",
            "someone",
        ] {
            assert_eq!(Owner::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn owner_values_are_valid_tag_values_for_datasync_and_efs() {
        // DataSync TagListEntry.Value: ^[a-zA-Z0-9\s+=._:@/-]+$, at most 256; EFS Tag.Value: at
        // most 256 of letters, digits, spaces and + - = . _ : / @.
        let holder = lease::process_holder("restore r-1 from fs-1:/1 into fs-2:/2, a, b");
        let owner = provider_owner("r-0123456789abcdef0123", Some(&"t".repeat(255)), &holder);
        assert!(owner.len() <= 256);
        assert!(
            owner
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || " +=._:@/-".contains(c)),
            "{owner}"
        );
    }
}
