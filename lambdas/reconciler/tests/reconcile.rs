//! The reconciler against an in-memory backend.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use studio_core::domain_filter::DomainFilter;
use studio_core::home::HomeDirectory;
use studio_core::records::{HistoryEntry, MappingRecord, Observation, Observed, PreviousDirectory};
use studio_core::resolve::{Domain, Home};
use studio_core::sweep::SweepReport;
use studio_core::workflow::{RestoreOptions, RestoreRequest, RetrySchedule, Started};
use studio_core::{Error, HomeKey, HomeKind, Uid};
use studio_reconciler::{Backend, Mode, Settings, reconcile};

const FS: &str = "fs-0123456789abcdef0";

#[derive(Default)]
struct Fake {
    /// (kind, name) -> uid, in domain d-abc123 named "studio".
    homes: BTreeMap<(HomeKind, String), Option<u32>>,
    rows: Mutex<HashMap<HomeKey, MappingRecord>>,
    history: Mutex<Vec<HistoryEntry>>,
    names: Mutex<HashSet<String>>,
    holders: Mutex<Vec<String>>,
    running: HashSet<String>,
    /// name -> IAM Identity Center user, for profiles that have one.
    sso: Mutex<HashMap<String, String>>,
}

fn dir(uid: u32) -> HomeDirectory {
    HomeDirectory::new(FS, Uid::new(uid.into()).unwrap()).unwrap()
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

impl Backend for Fake {
    async fn domain_ids(&self) -> Result<Vec<String>, Error> {
        Ok(vec!["d-abc123".into()])
    }

    async fn domain(&self, domain_id: &str) -> Result<Domain, Error> {
        Ok(Domain {
            id: domain_id.into(),
            arn: String::new(),
            name: "studio".into(),
            status: "InService".into(),
            auth_mode: "IAM".into(),
            home_efs_file_system_id: Some(FS.into()),
            vpc_id: None,
            subnet_ids: vec![],
            security_group_ids: vec![],
            execution_role: None,
            url: None,
        })
    }

    async fn homes_in(&self, _domain_id: &str) -> Result<Vec<(HomeKind, String)>, Error> {
        Ok(self.homes.keys().cloned().collect())
    }

    async fn home(
        &self,
        domain: &Domain,
        kind: HomeKind,
        name: &str,
    ) -> Result<Option<Home>, Error> {
        Ok(self.homes.get(&(kind, name.to_owned())).map(|uid| Home {
            key: HomeKey::new(&domain.name, kind, name).unwrap(),
            domain_id: domain.id.clone(),
            arn: String::new(),
            status: "InService".into(),
            directory: uid.map(dir),
            sso_user: None,
            owner: studio_core::owner::Owner::of_user(
                "IAM",
                name,
                self.sso.lock().unwrap().get(name).map(String::as_str),
            ),
            execution_role: None,
            created_at: Some(now()),
        }))
    }

    async fn observe(&self, home: &HomeKey, seen: &Observation) -> Result<Observed, Error> {
        let mut rows = self.rows.lock().unwrap();
        let mut record = rows
            .get(home)
            .cloned()
            .unwrap_or_else(|| MappingRecord::new(home.clone()));
        let observed = match record.directory.clone() {
            Some(d) if d == seen.directory => return Ok(Observed::Unchanged(record)),
            Some(d) => {
                record.previous = Some(PreviousDirectory {
                    directory: d,
                    domain_id: record.domain_id.clone(),
                    owner: record.owner.take(),
                });
                record.directory = Some(seen.directory.clone());
                record.domain_id = Some(seen.domain_id.clone());
                record.created_at = seen.created_at.clone();
                record.owner = seen.owner.clone();
                Observed::Recreated(record.clone())
            }
            None => {
                record.directory = Some(seen.directory.clone());
                record.domain_id = Some(seen.domain_id.clone());
                record.created_at = seen.created_at.clone();
                record.owner = seen.owner.clone();
                Observed::Inserted(record.clone())
            }
        };
        rows.insert(home.clone(), record);
        Ok(observed)
    }

    async fn append(&self, entry: &HistoryEntry) -> Result<(), Error> {
        self.history.lock().unwrap().push(entry.clone());
        Ok(())
    }

    async fn scan(&self) -> Result<Vec<MappingRecord>, Error> {
        Ok(self.rows.lock().unwrap().values().cloned().collect())
    }

    async fn mark_refused(
        &self,
        record: &MappingRecord,
        execution_name: &str,
    ) -> Result<(), Error> {
        if let Some(row) = self.rows.lock().unwrap().get_mut(&record.home) {
            row.last_restore = Some(studio_core::records::RestoreOutcome {
                status: studio_core::records::restore_status::REFUSED.into(),
                execution: Some(execution_name.to_owned()),
                restored_at: None,
                files_transferred: None,
                bytes_written: None,
                duration_ms: None,
            });
        }
        Ok(())
    }

    async fn start(&self, request: &RestoreRequest, attempt: u32) -> Result<Started, Error> {
        Ok(
            if self
                .names
                .lock()
                .unwrap()
                .insert(request.execution_name_for_attempt(attempt))
            {
                Started::New
            } else {
                Started::AlreadyStarted
            },
        )
    }

    async fn slot_holders(&self) -> Result<Vec<String>, Error> {
        Ok(self.holders.lock().unwrap().clone())
    }

    async fn is_running(&self, execution_name: &str) -> Result<bool, Error> {
        Ok(self.running.contains(execution_name))
    }

    async fn free_slot(&self, execution_name: &str) -> Result<(), Error> {
        self.holders.lock().unwrap().retain(|h| h != execution_name);
        Ok(())
    }

    async fn execution_running(&self, execution_arn: &str) -> Result<Option<bool>, Error> {
        let name = execution_arn.rsplit(':').next().unwrap_or_default();
        Ok(Some(self.running.contains(name)))
    }

    async fn fail_run(&self, _home: &HomeKey, _arn: &str, _why: &str) -> Result<bool, Error> {
        Ok(false)
    }

    async fn sweep(&self, _file_systems: Vec<String>) -> Result<SweepReport, Error> {
        Ok(SweepReport::default())
    }

    async fn recount_slots(&self) -> Result<Option<(i64, usize)>, Error> {
        Ok(None)
    }
}

fn settings(max_starts: usize) -> Settings {
    Settings {
        mapping_table: "studioUser".into(),
        history_table: "studioUserHistory".into(),
        slots_table: Some("slots".into()),
        state_machine_arn: Some("arn:aws:states:us-east-1:123456789012:stateMachine:sm".into()),
        max_starts,
        max_age: time::Duration::hours(168),
        domains: DomainFilter::everything(),
        options: RestoreOptions {
            requested_by: "reconciler".into(),
            ..RestoreOptions::default()
        },
        retry: RetrySchedule::default(),
    }
}

#[tokio::test]
async fn seeding_records_every_profile_and_space_and_starts_nothing() {
    let mut fake = Fake::default();
    fake.homes
        .insert((HomeKind::User, "alice".into()), Some(200001));
    fake.homes
        .insert((HomeKind::Space, "alice".into()), Some(200002));
    fake.homes.insert((HomeKind::User, "pending".into()), None);
    let report = reconcile(&fake, &settings(10), Mode::Seed).await.unwrap();
    assert_eq!(
        (
            report.domains,
            report.homes,
            report.inserted,
            report.unresolved
        ),
        (1, 3, 2, 1)
    );
    assert_eq!(
        fake.rows.lock().unwrap().len(),
        2,
        "a home without a uid is not written"
    );
    assert_eq!(fake.history.lock().unwrap().len(), 2);
    // A second run changes nothing.
    let again = reconcile(&fake, &settings(10), Mode::Reconcile)
        .await
        .unwrap();
    assert_eq!(
        (again.inserted, again.unchanged, again.restores_started),
        (0, 2, 0)
    );
}

#[tokio::test]
async fn a_recreation_the_events_missed_is_recorded_and_restored_once() {
    let mut fake = Fake::default();
    fake.homes
        .insert((HomeKind::User, "alice".into()), Some(200001));
    reconcile(&fake, &settings(10), Mode::Seed).await.unwrap();
    // Deleted and recreated while the event path was down.
    fake.homes
        .insert((HomeKind::User, "alice".into()), Some(200006));
    let report = reconcile(&fake, &settings(10), Mode::Reconcile)
        .await
        .unwrap();
    assert_eq!(
        (report.recreated, report.restores_started),
        (1, 1),
        "{report:?}"
    );
    let again = reconcile(&fake, &settings(10), Mode::Reconcile)
        .await
        .unwrap();
    assert_eq!(
        (again.restores_started, again.restores_already_started),
        (0, 1)
    );
}

#[tokio::test]
async fn a_recreation_for_another_person_that_only_the_reconciler_sees_is_refused_and_marked() {
    let mut fake = Fake::default();
    fake.homes
        .insert((HomeKind::User, "alice".into()), Some(200001));
    fake.sso
        .lock()
        .unwrap()
        .insert("alice".into(), "alice@example.com".into());
    reconcile(&fake, &settings(10), Mode::Seed).await.unwrap();
    // Recreated for someone else; the stream record of the change was lost.
    fake.homes
        .insert((HomeKind::User, "alice".into()), Some(200006));
    fake.sso
        .lock()
        .unwrap()
        .insert("alice".into(), "mallory@example.com".into());
    let report = reconcile(&fake, &settings(10), Mode::Reconcile)
        .await
        .unwrap();
    assert_eq!(
        (report.restores_started, report.restores_refused),
        (0, 1),
        "{report:?}"
    );
    assert!(fake.names.lock().unwrap().is_empty(), "nothing started");
    let history = fake.history.lock().unwrap().clone();
    let refused = history
        .iter()
        .find(|e| e.event == "restore_refused")
        .expect("a restore_refused entry");
    let detail = refused.detail.as_deref().unwrap();
    assert!(
        detail.contains("alice@example.com")
            && detail.contains("mallory@example.com")
            && detail.contains("/200001")
            && detail.contains("/200006"),
        "{detail}"
    );
    // Marked: the next run neither starts nor refuses it again.
    let again = reconcile(&fake, &settings(10), Mode::Reconcile)
        .await
        .unwrap();
    assert_eq!((again.restores_started, again.restores_refused), (0, 0));
}

#[tokio::test]
async fn starts_are_capped_per_run_and_stale_slots_freed() {
    let mut fake = Fake::default();
    for n in 0..5 {
        fake.homes
            .insert((HomeKind::User, format!("u{n}")), Some(200001 + n));
    }
    reconcile(&fake, &settings(2), Mode::Seed).await.unwrap();
    for n in 0..5 {
        fake.homes
            .insert((HomeKind::User, format!("u{n}")), Some(200101 + n));
    }
    *fake.holders.lock().unwrap() = vec!["restore-gone".into(), "restore-live".into()];
    fake.running.insert("restore-live".into());
    let report = reconcile(&fake, &settings(2), Mode::Reconcile)
        .await
        .unwrap();
    assert_eq!(
        (report.restores_started, report.restores_deferred),
        (2, 3),
        "{report:?}"
    );
    assert_eq!(report.slots_freed, 1);
    assert_eq!(
        *fake.holders.lock().unwrap(),
        vec!["restore-live".to_string()]
    );
    let next = reconcile(&fake, &settings(2), Mode::Reconcile)
        .await
        .unwrap();
    assert_eq!(next.restores_started, 2);
}

#[test]
fn the_mode_comes_from_the_event() {
    assert_eq!(
        Mode::from_event(&serde_json::json!({"mode": "seed"})),
        Mode::Seed
    );
    assert_eq!(
        Mode::from_event(&serde_json::json!({"mode": "reconcile"})),
        Mode::Reconcile
    );
    assert_eq!(Mode::from_event(&serde_json::json!({})), Mode::Reconcile);
    // A deployment, from the stream of event-app's deployments table: seed only.
    let deployment = |mode: &str| {
        serde_json::json!({"Records": [{"eventSource": "aws:dynamodb", "eventName": "MODIFY",
            "dynamodb": {"NewImage": {"id": {"S": "reconciler"}, "mode": {"S": mode}}}}]})
    };
    assert_eq!(Mode::from_event(&deployment("seed")), Mode::Seed);
    assert_eq!(Mode::from_event(&deployment("reconcile")), Mode::Reconcile);
    assert_eq!(Mode::from_event(&deployment("")), Mode::Seed);
}

#[tokio::test]
async fn only_the_tracked_domains_are_reconciled() {
    let mut fake = Fake::default();
    fake.homes
        .insert((HomeKind::User, "alice".into()), Some(200001));
    let mut elsewhere = settings(10);
    elsewhere.domains.ids = ["d-other".to_owned()].into();
    let report = reconcile(&fake, &elsewhere, Mode::Reconcile).await.unwrap();
    assert_eq!((report.domains, report.homes), (0, 0));
    assert!(fake.rows.lock().unwrap().is_empty());
    let mut here = settings(10);
    here.domains.ids = ["d-abc123".to_owned()].into();
    assert_eq!(
        reconcile(&fake, &here, Mode::Seed).await.unwrap().inserted,
        1
    );
}

#[tokio::test]
async fn a_domain_is_tracked_by_its_name_whatever_its_id() {
    // The fake's only domain, d-abc123, is named "studio": as a domain recreated under that
    // name would be, whose new id nobody has listed.
    let mut fake = Fake::default();
    fake.homes
        .insert((HomeKind::User, "alice".into()), Some(200001));
    let mut other_name = settings(10);
    other_name.domains.names = ["research".to_owned()].into();
    other_name.domains.ids = ["d-old999".to_owned()].into();
    let report = reconcile(&fake, &other_name, Mode::Seed).await.unwrap();
    assert_eq!((report.domains, report.homes), (0, 0));
    assert!(fake.rows.lock().unwrap().is_empty());
    let mut by_name = settings(10);
    by_name.domains.names = ["studio".to_owned()].into();
    by_name.domains.ids = ["d-old999".to_owned()].into();
    let report = reconcile(&fake, &by_name, Mode::Seed).await.unwrap();
    assert_eq!((report.domains, report.inserted), (1, 1));
}
