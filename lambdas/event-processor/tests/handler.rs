//! The event processor's handler on CloudTrail-shaped events, against an in-memory backend.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{Value, json};
use studio_core::domain_filter::{self, DomainFilter};
use studio_core::home::HomeDirectory;
use studio_core::records::{HistoryEntry, MappingRecord, Observation, Observed};
use studio_core::resolve::{Domain, Home};
use studio_core::{Error, HomeKey, HomeKind, Uid};
use studio_event_processor::{Backend, Outcome, handle};

const FS: &str = "fs-0123456789abcdef0";

#[derive(Default)]
struct Fake {
    /// uid SageMaker reports per (kind, name); `None`: no uid; missing: not found.
    homes: HashMap<(HomeKind, String), Option<String>>,
    domain_error: Option<fn() -> Error>,
    home_error: Option<fn() -> Error>,
    rows: Mutex<HashMap<HomeKey, MappingRecord>>,
    history: Mutex<Vec<HistoryEntry>>,
    observed: Mutex<u32>,
}

impl Fake {
    fn with(homes: &[(HomeKind, &str, Option<&str>)]) -> Fake {
        Fake {
            homes: homes
                .iter()
                .map(|(k, n, u)| ((*k, n.to_string()), u.map(str::to_owned)))
                .collect(),
            ..Fake::default()
        }
    }

    fn history(&self) -> Vec<HistoryEntry> {
        self.history.lock().unwrap().clone()
    }
}

impl Backend for Fake {
    async fn domain(&self, domain_id: &str) -> Result<Domain, Error> {
        if let Some(e) = self.domain_error {
            return Err(e());
        }
        Ok(Domain {
            id: domain_id.to_owned(),
            arn: format!("arn:aws:sagemaker:us-east-1:123456789012:domain/{domain_id}"),
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

    async fn home(
        &self,
        domain: &Domain,
        kind: HomeKind,
        name: &str,
    ) -> Result<Option<Home>, Error> {
        if let Some(e) = self.home_error {
            return Err(e());
        }
        let Some(uid) = self.homes.get(&(kind, name.to_owned())) else {
            return Ok(None);
        };
        let directory = match uid {
            Some(uid) => Some(HomeDirectory::new(FS, uid.parse::<Uid>()?)?),
            None => None,
        };
        Ok(Some(Home {
            key: HomeKey::new(&domain.name, kind, name)?,
            domain_id: domain.id.clone(),
            arn: String::new(),
            status: "InService".into(),
            directory,
            sso_user: None,
            owner: studio_core::owner::Owner::of_user("IAM", name, None),
            execution_role: None,
            created_at: Some("2026-11-26T15:00:00Z".into()),
        }))
    }

    async fn observe(&self, home: &HomeKey, seen: &Observation) -> Result<Observed, Error> {
        *self.observed.lock().unwrap() += 1;
        let mut rows = self.rows.lock().unwrap();
        let mut record = rows
            .get(home)
            .cloned()
            .unwrap_or_else(|| MappingRecord::new(home.clone()));
        let observed = match &record.directory {
            None => {
                record.directory = Some(seen.directory.clone());
                Observed::Inserted(record.clone())
            }
            Some(d) if *d == seen.directory => return Ok(Observed::Unchanged(record)),
            Some(d) => {
                record.previous = Some(studio_core::records::PreviousDirectory {
                    directory: d.clone(),
                    domain_id: record.domain_id.clone(),
                    owner: record.owner.take(),
                });
                record.directory = Some(seen.directory.clone());
                Observed::Recreated(record.clone())
            }
        };
        record.domain_id = Some(seen.domain_id.clone());
        record.owner = seen.owner.clone();
        rows.insert(home.clone(), record);
        Ok(observed)
    }

    async fn append(&self, entry: &HistoryEntry) -> Result<(), Error> {
        self.history.lock().unwrap().push(entry.clone());
        Ok(())
    }
}

/// A CloudTrail "AWS API Call via CloudTrail" event as EventBridge delivers it.
fn cloudtrail(event_name: &str, request: Value) -> Value {
    json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.sagemaker",
        "account": "123456789012",
        "time": "2026-11-26T15:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "eventVersion": "1.09",
            "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLE:admin"},
            "eventTime": "2026-11-26T15:00:00Z",
            "eventSource": "sagemaker.amazonaws.com",
            "eventName": event_name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": "203.0.113.5",
            "userAgent": "aws-cli/2",
            "requestParameters": request,
            "responseElements": {"userProfileArn": "arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-abc123/alice"},
            "requestID": "2f1c3b8e-0000-0000-0000-000000000000",
            "eventID": "e1d2c3b4-0000-0000-0000-000000000000",
            "readOnly": false,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": "123456789012",
            "eventCategory": "Management"
        }
    })
}

fn profile_event(name: &str) -> Value {
    cloudtrail(
        "CreateUserProfile",
        json!({"domainId": "d-abc123", "userProfileName": name,
               "userSettings": {"executionRole": "arn:aws:iam::123456789012:role/service-role/SageMakerRole"}}),
    )
}

#[tokio::test]
async fn a_created_profile_is_recorded_with_a_history_row() {
    let fake = Fake::with(&[(HomeKind::User, "alice", Some("200001"))]);
    let outcome = handle(&fake, &DomainFilter::everything(), &profile_event("alice"))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        Outcome::Recorded {
            home: "studio/user/alice".into(),
            result: "inserted".into(),
            uid: 200001
        }
    );
    let history = fake.history();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].event.as_str(), history[0].uid),
        ("created", Some(200001))
    );
    assert_eq!(history[0].home, "studio/user/alice");
}

#[tokio::test]
async fn a_profile_without_an_execution_role_is_recorded() {
    let fake = Fake::with(&[(HomeKind::User, "sso-user", Some("200011"))]);
    let event = cloudtrail(
        "CreateUserProfile",
        json!({"domainId": "d-abc123", "userProfileName": "sso-user", "singleSignOnUserIdentifier": "UserName", "singleSignOnUserValue": "sso-user@example.com"}),
    );
    let outcome = handle(&fake, &DomainFilter::everything(), &event)
        .await
        .unwrap();
    assert!(
        matches!(outcome, Outcome::Recorded { uid: 200011, .. }),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_space_is_recorded_apart_from_a_user_of_the_same_name() {
    let fake = Fake::with(&[
        (HomeKind::User, "team", Some("200001")),
        (HomeKind::Space, "team", Some("200002")),
    ]);
    handle(&fake, &DomainFilter::everything(), &profile_event("team"))
        .await
        .unwrap();
    let space = cloudtrail(
        "CreateSpace",
        json!({"domainId": "d-abc123", "spaceName": "team"}),
    );
    let outcome = handle(&fake, &DomainFilter::everything(), &space)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        Outcome::Recorded {
            home: "studio/space/team".into(),
            result: "inserted".into(),
            uid: 200002
        }
    );
    assert_eq!(fake.rows.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_redelivered_event_changes_nothing() {
    let fake = Fake::with(&[(HomeKind::User, "alice", Some("200001"))]);
    handle(&fake, &DomainFilter::everything(), &profile_event("alice"))
        .await
        .unwrap();
    let again = handle(&fake, &DomainFilter::everything(), &profile_event("alice"))
        .await
        .unwrap();
    assert!(
        matches!(&again, Outcome::Recorded { result, .. } if result == "unchanged"),
        "{again:?}"
    );
    assert_eq!(
        fake.history().len(),
        1,
        "a redelivery appends no history row"
    );
}

#[tokio::test]
async fn a_recreated_profile_records_its_previous_directory() {
    let mut fake = Fake::with(&[(HomeKind::User, "alice", Some("200001"))]);
    handle(&fake, &DomainFilter::everything(), &profile_event("alice"))
        .await
        .unwrap();
    fake.homes
        .insert((HomeKind::User, "alice".into()), Some("200006".into()));
    let outcome = handle(&fake, &DomainFilter::everything(), &profile_event("alice"))
        .await
        .unwrap();
    assert!(
        matches!(&outcome, Outcome::Recorded { result, uid: 200006, .. } if result == "recreated")
    );
    let last = fake.history().pop().unwrap();
    assert_eq!((last.source_uid, last.uid), (Some(200001), Some(200006)));
}

#[tokio::test]
async fn failed_calls_and_other_events_are_ignored() {
    let fake = Fake::with(&[(HomeKind::User, "alice", Some("200001"))]);
    let mut failed = profile_event("alice");
    failed["detail"]["errorCode"] = json!("ResourceInUse");
    failed["detail"]["errorMessage"] = json!("Profile already exists");
    for event in [
        failed,
        cloudtrail(
            "DeleteUserProfile",
            json!({"domainId": "d-abc123", "userProfileName": "alice"}),
        ),
        cloudtrail("CreateUserProfile", json!({"domainId": "d-abc123"})),
        json!({"unexpected": true}),
    ] {
        let outcome = handle(&fake, &DomainFilter::everything(), &event)
            .await
            .unwrap();
        assert!(matches!(outcome, Outcome::Ignored { .. }), "{outcome:?}");
    }
    assert_eq!(*fake.observed.lock().unwrap(), 0);
    assert!(fake.history().is_empty());
}

#[tokio::test]
async fn an_unknown_uid_is_never_written() {
    for uid in [None, Some("0"), Some("")] {
        let fake = Fake::with(&[(HomeKind::User, "alice", uid)]);
        let outcome = handle(&fake, &DomainFilter::everything(), &profile_event("alice")).await;
        let outcome = match (uid, outcome) {
            (Some(""), Err(e)) | (Some("0"), Err(e)) => panic!("{uid:?}: {e}"),
            (_, Ok(outcome)) => outcome,
            (_, Err(e)) => panic!("{uid:?}: {e}"),
        };
        assert!(
            matches!(outcome, Outcome::Unresolved { home: Some(_), .. }),
            "{uid:?}: {outcome:?}"
        );
        assert_eq!(
            *fake.observed.lock().unwrap(),
            0,
            "{uid:?}: nothing may be written to the mapping table"
        );
        let history = fake.history();
        assert_eq!(history.len(), 1);
        assert_eq!((history[0].event.as_str(), history[0].uid), ("seen", None));
    }
}

#[tokio::test]
async fn a_profile_deleted_before_it_was_described_is_noted() {
    let fake = Fake::with(&[]);
    let outcome = handle(&fake, &DomainFilter::everything(), &profile_event("ghost"))
        .await
        .unwrap();
    assert!(
        matches!(outcome, Outcome::Unresolved { home: Some(ref h), .. } if h == "studio/user/ghost")
    );
    assert_eq!(fake.history()[0].event, "seen");
}

#[tokio::test]
async fn describe_failures_retry_when_transient_and_are_recorded_otherwise() {
    let mut fake = Fake::with(&[(HomeKind::User, "alice", Some("200001"))]);
    fake.home_error = Some(|| Error::Aws {
        action: "describing user alice".into(),
        code: Some("ThrottlingException".into()),
        message: "Rate exceeded".into(),
    });
    assert!(
        handle(&fake, &DomainFilter::everything(), &profile_event("alice"))
            .await
            .is_err(),
        "throttling must fail the invocation, so that it is retried"
    );
    fake.home_error = Some(|| Error::Aws {
        action: "describing user alice".into(),
        code: Some("AccessDeniedException".into()),
        message: "not authorized".into(),
    });
    let outcome = handle(&fake, &DomainFilter::everything(), &profile_event("alice"))
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Unresolved { .. }));
    assert!(
        fake.history()[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("not authorized")
    );
    fake.home_error = None;
    fake.domain_error = Some(|| Error::NotFound("domain d-abc123 not found".into()));
    let outcome = handle(&fake, &DomainFilter::everything(), &profile_event("alice"))
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Unresolved { home: None, .. }));
    assert_eq!(*fake.observed.lock().unwrap(), 0);
}

fn domains(ids: &str, names: &str) -> DomainFilter {
    DomainFilter::from_settings(|var| match var {
        domain_filter::DOMAIN_IDS => Some(ids.to_owned()),
        domain_filter::DOMAIN_NAMES => Some(names.to_owned()),
        _ => None,
    })
}

fn event_in(domain_id: &str, name: &str) -> Value {
    cloudtrail(
        "CreateUserProfile",
        json!({"domainId": domain_id, "userProfileName": name}),
    )
}

#[tokio::test]
async fn a_domain_recreated_under_a_tracked_name_is_recorded_with_its_new_id() {
    // The fake's domains are all named "studio": d-new999 is the domain recreated under it.
    let fake = Fake::with(&[(HomeKind::User, "alice", Some("200001"))]);
    let outcome = handle(
        &fake,
        &domains("d-abc123", "studio"),
        &event_in("d-new999", "alice"),
    )
    .await
    .unwrap();
    assert!(
        matches!(outcome, Outcome::Recorded { uid: 200001, .. }),
        "{outcome:?}"
    );
    assert_eq!(fake.rows.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_domain_tracked_neither_by_id_nor_by_name_is_ignored_and_nothing_is_written() {
    let fake = Fake::with(&[(HomeKind::User, "alice", Some("200001"))]);
    let outcome = handle(
        &fake,
        &domains("d-abc123", "research"),
        &event_in("d-new999", "alice"),
    )
    .await
    .unwrap();
    let Outcome::Ignored { reason } = outcome else {
        panic!("expected Ignored, got {outcome:?}");
    };
    assert!(
        reason.contains("d-new999") && reason.contains("\"studio\""),
        "{reason}"
    );
    assert!(fake.rows.lock().unwrap().is_empty());
    assert!(fake.history().is_empty());
}

#[tokio::test]
async fn with_ids_only_an_unlisted_domain_is_ignored_without_describing_it() {
    let mut fake = Fake::with(&[(HomeKind::User, "alice", Some("200001"))]);
    // Describing would fail: an Ignored outcome shows it was not described.
    fake.domain_error = Some(|| Error::Invalid("described an untracked domain".into()));
    let outcome = handle(
        &fake,
        &domains("d-abc123", ""),
        &event_in("d-new999", "alice"),
    )
    .await
    .unwrap();
    assert!(matches!(outcome, Outcome::Ignored { .. }), "{outcome:?}");
    let listed = handle(
        &fake,
        &domains("d-abc123", ""),
        &event_in("d-abc123", "alice"),
    )
    .await
    .unwrap();
    assert!(matches!(listed, Outcome::Unresolved { .. }), "{listed:?}");
}
