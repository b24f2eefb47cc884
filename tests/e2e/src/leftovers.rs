//! What a restore may leave behind in the account: DataSync tasks, locations and running task
//! executions, and EFS access points. Every listing reads all pages, and a tag or description
//! that cannot be read fails the check, unless the object is gone by the time it is listed
//! again (another test deleted it in the meantime).
//!
//! Which objects belong to a restore is decided from what the test knows, not from what the
//! restore says it created (that is what is under test):
//! - a location whose URI is on a file system the test owns, and every access point on it;
//! - a task or execution whose ARN the test recorded during the run (the resource's
//!   `execution_arn`, an execution seen in flight);
//! - any task or location carrying one of the given marks as a tag value, and any task named
//!   after one (the workflow names and tags what it creates after its execution);
//! - and then, repeatedly: a task that reads or writes a location of the restore, and a task or
//!   location tagged with a value found on an object of the restore (the restore id).

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use aws_sdk_datasync::error::DisplayErrorContext;

use crate::emulator::Clients;

/// The objects of one restore (or of every restore on the test's file system).
#[derive(Clone, Debug, Default)]
pub struct LeakScope {
    file_systems: Vec<String>,
    access_point_file_systems: Vec<String>,
    tasks: BTreeSet<String>,
    executions: BTreeSet<String>,
    tag_values: BTreeSet<String>,
}

/// What is still there. `executions` (ARN and status) are only the ones not yet ended: an
/// ended execution is history, which DataSync keeps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Leftovers {
    pub tasks: Vec<String>,
    pub locations: Vec<String>,
    pub executions: Vec<(String, String)>,
    pub access_points: Vec<String>,
}

impl Leftovers {
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
            && self.locations.is_empty()
            && self.executions.is_empty()
            && self.access_points.is_empty()
    }
}

impl fmt::Display for Leftovers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DataSync tasks {:?}, DataSync locations {:?}, running task executions {:?}, EFS access points {:?}",
            self.tasks, self.locations, self.executions, self.access_points
        )
    }
}

/// The task an execution ARN (`…:task/task-…/execution/exec-…`) belongs to.
pub fn task_of_execution(execution_arn: &str) -> Option<&str> {
    execution_arn
        .split_once("/execution/")
        .map(|(task, _)| task)
        .filter(|task| task.contains(":task/"))
}

impl LeakScope {
    /// Everything on `file_system_id`, a file system only this test uses: its locations, its
    /// access points, the tasks between them, their executions.
    pub fn file_system(file_system_id: &str) -> LeakScope {
        LeakScope::default().with_file_system(file_system_id)
    }

    /// Everything tagged with `mark` or named `mark` (a workflow execution's name), and what
    /// it leads to.
    pub fn marked(mark: &str) -> LeakScope {
        LeakScope::default().with_mark(mark)
    }

    pub fn with_file_system(mut self, file_system_id: &str) -> LeakScope {
        self.file_systems.push(file_system_id.to_owned());
        self.access_point_file_systems
            .push(file_system_id.to_owned());
        self
    }

    /// Also look for access points of this scope on `file_system_id`, a file system shared with
    /// other restores (by their tags).
    pub fn with_access_points_on(mut self, file_system_id: &str) -> LeakScope {
        self.access_point_file_systems
            .push(file_system_id.to_owned());
        self
    }

    /// See [`LeakScope::marked`].
    pub fn with_mark(mut self, mark: &str) -> LeakScope {
        self.tag_values.insert(mark.to_owned());
        self
    }

    pub fn with_task(mut self, task_arn: &str) -> LeakScope {
        self.record_task(task_arn);
        self
    }

    /// Records a task ARN seen during the run.
    pub fn record_task(&mut self, task_arn: &str) {
        self.tasks.insert(task_arn.to_owned());
    }

    /// Records a DataSync task execution seen during the run (and so its task). Panics when
    /// `execution_arn` is not a DataSync task execution ARN.
    pub fn record_execution(&mut self, execution_arn: &str) {
        let task = task_of_execution(execution_arn)
            .unwrap_or_else(|| panic!("{execution_arn:?} is not a DataSync task execution ARN"));
        self.tasks.insert(task.to_owned());
        self.executions.insert(execution_arn.to_owned());
    }

    /// The tasks recorded so far.
    pub fn recorded_tasks(&self) -> impl Iterator<Item = &str> {
        self.tasks.iter().map(String::as_str)
    }

    /// Panics, listing them, when any object of this scope is left.
    pub async fn assert_none_left(&self, aws: &Clients) {
        let left = self.leftovers(aws).await;
        assert!(
            left.is_empty(),
            "left behind by the restore ({self:?}): {left}"
        );
    }

    /// The objects of this scope that exist now.
    pub async fn leftovers(&self, aws: &Clients) -> Leftovers {
        let mut inventory = Inventory::read(aws).await;
        let mut tag_values = self.tag_values.clone();
        let mut locations: BTreeSet<String> = inventory
            .locations
            .iter()
            .filter(|(_, uri)| self.file_systems.iter().any(|fs| location_is_on(uri, fs)))
            .map(|(arn, _)| arn.clone())
            .collect();
        let mut access_points = Vec::new();
        for fs in &self.access_point_file_systems {
            for (id, tags) in list_access_points(aws, fs).await {
                let owned = self.file_systems.contains(fs);
                if owned || tags.iter().any(|v| tag_values.contains(v)) {
                    if owned {
                        tag_values.extend(tags);
                    }
                    access_points.push(id);
                }
            }
        }
        let mut tasks: BTreeSet<String> = inventory
            .tasks
            .iter()
            .filter(|(arn, name)| self.tasks.contains(arn) || self.tag_values.contains(name))
            .map(|(arn, _)| arn.clone())
            .collect();
        // Until nothing new is found: what a restore's objects point at, or share a tag value
        // with, is the restore's too.
        loop {
            let before = (locations.len(), tasks.len(), tag_values.len());
            for arn in locations
                .iter()
                .chain(tasks.iter())
                .cloned()
                .collect::<Vec<_>>()
            {
                if let Some(values) = inventory.tags(&arn).await {
                    tag_values.extend(values);
                }
            }
            for (arn, _) in inventory.tasks.clone() {
                if tasks.contains(&arn) {
                    if let Some((source, destination)) = inventory.task_locations(&arn).await {
                        locations.extend(
                            [source, destination]
                                .into_iter()
                                .filter(|l| inventory.locations.contains_key(l)),
                        );
                    }
                    continue;
                }
                let tagged = !tag_values.is_empty()
                    && inventory
                        .tags(&arn)
                        .await
                        .is_some_and(|values| values.iter().any(|v| tag_values.contains(v)));
                let between = !locations.is_empty()
                    && inventory
                        .task_locations(&arn)
                        .await
                        .is_some_and(|(s, d)| locations.contains(&s) || locations.contains(&d));
                if tagged || between {
                    tasks.insert(arn);
                }
            }
            if !tag_values.is_empty() {
                for arn in inventory.locations.keys().cloned().collect::<Vec<_>>() {
                    if !locations.contains(&arn)
                        && inventory
                            .tags(&arn)
                            .await
                            .is_some_and(|values| values.iter().any(|v| tag_values.contains(v)))
                    {
                        locations.insert(arn);
                    }
                }
            }
            if (locations.len(), tasks.len(), tag_values.len()) == before {
                break;
            }
        }
        let known_tasks: BTreeSet<&str> = tasks
            .iter()
            .chain(self.tasks.iter())
            .map(String::as_str)
            .collect();
        let executions = inventory
            .executions
            .iter()
            .filter(|(arn, status)| {
                !matches!(status.as_str(), "SUCCESS" | "ERROR")
                    && (self.executions.contains(arn)
                        || task_of_execution(arn).is_some_and(|t| known_tasks.contains(t)))
            })
            .cloned()
            .collect();
        Leftovers {
            tasks: tasks.into_iter().collect(),
            locations: locations.into_iter().collect(),
            executions,
            access_points,
        }
    }
}

/// `efs://<region>.<fs-id>/<subdirectory>`: whether the location is on `file_system_id`.
fn location_is_on(uri: &str, file_system_id: &str) -> bool {
    let host = uri
        .strip_prefix("efs://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default();
    host == file_system_id || host.ends_with(&format!(".{file_system_id}"))
}

/// Every DataSync task, location and task execution in the account (all pages), with their
/// tags and task descriptions read on demand.
struct Inventory<'a> {
    aws: &'a Clients,
    /// ARN and name.
    tasks: Vec<(String, String)>,
    /// ARN → URI.
    locations: HashMap<String, String>,
    /// ARN → status.
    executions: Vec<(String, String)>,
    tags: HashMap<String, Option<Vec<String>>>,
    described: HashMap<String, Option<(String, String)>>,
}

impl<'a> Inventory<'a> {
    async fn read(aws: &'a Clients) -> Inventory<'a> {
        Inventory {
            aws,
            tasks: list_tasks(aws).await,
            locations: list_locations(aws).await.into_iter().collect(),
            executions: list_executions(aws).await,
            tags: HashMap::new(),
            described: HashMap::new(),
        }
    }

    /// The tag values of a task or location; `None` when it was deleted since it was listed.
    async fn tags(&mut self, arn: &str) -> Option<Vec<String>> {
        if let Some(tags) = self.tags.get(arn) {
            return tags.clone();
        }
        let mut values = Vec::new();
        let mut token = None;
        let tags = loop {
            let page = self
                .aws
                .datasync
                .list_tags_for_resource()
                .resource_arn(arn)
                .set_next_token(token.take())
                .send()
                .await;
            match page {
                Ok(page) => {
                    values.extend(
                        page.tags()
                            .iter()
                            .filter_map(|t| t.value().map(str::to_owned)),
                    );
                    match page.next_token() {
                        Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                        _ => break Some(values),
                    }
                }
                Err(e) => {
                    self.fail_unless_gone(
                        arn,
                        &format!("reading the tags of {arn}: {}", DisplayErrorContext(e)),
                    )
                    .await;
                    break None;
                }
            }
        };
        self.tags.insert(arn.to_owned(), tags.clone());
        tags
    }

    /// A task's source and destination location ARNs; `None` when it was deleted since it was
    /// listed.
    async fn task_locations(&mut self, arn: &str) -> Option<(String, String)> {
        if let Some(described) = self.described.get(arn) {
            return described.clone();
        }
        let described = match self.aws.datasync.describe_task().task_arn(arn).send().await {
            Ok(task) => Some((
                task.source_location_arn().unwrap_or_default().to_owned(),
                task.destination_location_arn()
                    .unwrap_or_default()
                    .to_owned(),
            )),
            Err(e) => {
                self.fail_unless_gone(
                    arn,
                    &format!("describing task {arn}: {}", DisplayErrorContext(e)),
                )
                .await;
                None
            }
        };
        self.described.insert(arn.to_owned(), described.clone());
        described
    }

    /// Panics with `error` unless the task or location `arn` no longer exists.
    async fn fail_unless_gone(&self, arn: &str, error: &str) {
        let still_there = if arn.contains(":task/") {
            list_tasks(self.aws).await.iter().any(|(t, _)| t == arn)
        } else {
            list_locations(self.aws).await.iter().any(|(l, _)| l == arn)
        };
        assert!(!still_there, "checking for leftovers: {error}");
    }
}

async fn list_tasks(aws: &Clients) -> Vec<(String, String)> {
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let page = aws
            .datasync
            .list_tasks()
            .set_next_token(token.take())
            .send()
            .await
            .unwrap_or_else(|e| panic!("listing DataSync tasks: {}", DisplayErrorContext(e)));
        all.extend(page.tasks().iter().filter_map(|t| {
            Some((
                t.task_arn()?.to_owned(),
                t.name().unwrap_or_default().to_owned(),
            ))
        }));
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => return all,
        }
    }
}

async fn list_locations(aws: &Clients) -> Vec<(String, String)> {
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let page = aws
            .datasync
            .list_locations()
            .set_next_token(token.take())
            .send()
            .await
            .unwrap_or_else(|e| panic!("listing DataSync locations: {}", DisplayErrorContext(e)));
        all.extend(page.locations().iter().filter_map(|l| {
            Some((
                l.location_arn()?.to_owned(),
                l.location_uri().unwrap_or_default().to_owned(),
            ))
        }));
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => return all,
        }
    }
}

async fn list_executions(aws: &Clients) -> Vec<(String, String)> {
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let page = aws
            .datasync
            .list_task_executions()
            .set_next_token(token.take())
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "listing DataSync task executions: {}",
                    DisplayErrorContext(e)
                )
            });
        all.extend(page.task_executions().iter().filter_map(|e| {
            Some((
                e.task_execution_arn()?.to_owned(),
                e.status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            ))
        }));
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => return all,
        }
    }
}

/// The access points of `file_system_id` (all pages): id and tag values.
async fn list_access_points(aws: &Clients, file_system_id: &str) -> Vec<(String, Vec<String>)> {
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let page = aws
            .efs
            .describe_access_points()
            .file_system_id(file_system_id)
            .set_next_token(token.take())
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "listing the access points of {file_system_id}: {}",
                    aws_sdk_efs::error::DisplayErrorContext(e)
                )
            });
        all.extend(page.access_points().iter().filter_map(|a| {
            Some((
                a.access_point_id()?.to_owned(),
                a.tags().iter().map(|t| t.value().to_owned()).collect(),
            ))
        }));
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => return all,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_execution_belongs_to_its_task() {
        let task = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0";
        assert_eq!(
            task_of_execution(&format!("{task}/execution/exec-0123456789abcdef0")),
            Some(task)
        );
        assert_eq!(
            task_of_execution("arn:aws:states:us-east-1:123456789012:execution:sm:name"),
            None
        );
    }

    #[test]
    fn locations_are_matched_by_file_system_not_prefix() {
        assert!(location_is_on("efs://us-east-1.fs-0123/200000/", "fs-0123"));
        assert!(!location_is_on(
            "efs://us-east-1.fs-01234/200000/",
            "fs-0123"
        ));
        assert!(!location_is_on(
            "efs://us-east-1.fs-0999/fs-0123/",
            "fs-0123"
        ));
    }
}
