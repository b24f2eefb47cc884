//! Issue 2's acceptance test: from the Rust AWS SDK alone, the emulator gives a recreated user
//! profile a new uid and, once Studio is opened, an empty home directory, and a DataSync task
//! between two EFS locations copies the old home directory into the new one.

use std::time::Duration;

use aws_sdk_datasync::types::{Ec2Config, TaskExecutionStatus};
use aws_sdk_sagemaker::error::DisplayErrorContext;
use aws_sdk_sagemaker::types::AuthMode;
use studio_e2e::{
    ACCOUNT_ID, Clients, Emulator, REGION, Studio, close_studio, create_domain, create_profile,
    delete_and_wait, eventually, hand_to_owner, open_studio, read_file, tree, unique_name,
    write_file,
};

const NOTEBOOK: &str = r#"{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"#;
const RESULTS: &str = "run,accuracy\n1,0.91\n2,0.94\n";

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn datasync_copies_the_old_home_into_the_recreated_profile() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let domain_name = unique_name("restore");

    let domain_id = create_domain(&aws, &domain_name, AuthMode::Iam).await.0;
    let fs_id = aws
        .sagemaker
        .describe_domain()
        .domain_id(&domain_id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing domain {domain_id}: {}", DisplayErrorContext(e)))
        .home_efs_file_system_id
        .unwrap_or_else(|| panic!("domain {domain_id} reports no HomeEfsFileSystemId"));

    // alice works in her home directory.
    // SageMaker documents HomeEfsFileSystemUid only as a string; Studio's homes are numeric
    // POSIX uids (`/<uid>` on the domain's EFS), which is what everything here relies on. The
    // directory itself appears when Studio first mounts it (her first app), so the test makes it.
    let old_uid = create_profile(&aws, &domain_id, "alice").await;
    assert!(
        old_uid.parse::<u32>().is_ok_and(|uid| uid > 0),
        "alice's HomeEfsFileSystemUid in {domain_name} is a positive number: {old_uid:?}"
    );
    let old_home = emulator.home_dir(&fs_id, &old_uid);
    assert!(
        !old_home.exists(),
        "CreateUserProfile made the home directory {}: Studio makes it at the first app",
        old_home.display()
    );
    let alice = Studio::user_profile(&domain_id, "alice");
    open_studio(&aws.sagemaker, alice).await;
    assert!(
        old_home.is_dir(),
        "alice's first app made no home directory {}",
        old_home.display()
    );
    write_file(&old_home.join("analysis.ipynb"), NOTEBOOK);
    write_file(&old_home.join("data/results.csv"), RESULTS);
    hand_to_owner(&old_home);

    // Her profile is deleted and recreated: a new uid, an empty directory.
    close_studio(&aws.sagemaker, alice).await;
    delete_and_wait(&aws.sagemaker, alice).await;
    let new_uid = create_profile(&aws, &domain_id, "alice").await;
    assert!(
        new_uid.parse::<u32>().is_ok_and(|uid| uid > 0) && new_uid != old_uid,
        "the recreated alice in {domain_name} has a new uid: {new_uid:?}, was {old_uid:?}"
    );
    let new_home = emulator.home_dir(&fs_id, &new_uid);
    open_studio(&aws.sagemaker, alice).await;
    assert_eq!(
        tree(&new_home),
        Vec::<String>::new(),
        "the recreated home {}",
        new_home.display()
    );

    // DataSync copies /<old uid> into /<new uid>.
    let source = create_efs_location(&aws, &fs_id, &format!("/{old_uid}")).await;
    let destination = create_efs_location(&aws, &fs_id, &format!("/{new_uid}")).await;
    let task = aws
        .datasync
        .create_task()
        .source_location_arn(&source)
        .destination_location_arn(&destination)
        .name(format!("restore {domain_name} alice"))
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "creating the DataSync task {source} -> {destination}: {}",
                DisplayErrorContext(e)
            )
        })
        .task_arn
        .expect("CreateTask returns a TaskArn");
    let execution = aws
        .datasync
        .start_task_execution()
        .task_arn(&task)
        .send()
        .await
        .unwrap_or_else(|e| panic!("starting task {task}: {}", DisplayErrorContext(e)))
        .task_execution_arn
        .expect("StartTaskExecution returns a TaskExecutionArn");
    let finished = eventually(
        "the DataSync execution to succeed",
        Duration::from_secs(60),
        || async {
            let described = aws
                .datasync
                .describe_task_execution()
                .task_execution_arn(&execution)
                .send()
                .await
                .unwrap_or_else(|e| panic!("describing {execution}: {}", DisplayErrorContext(e)));
            match described.status {
                Some(TaskExecutionStatus::Success) => Some(described),
                Some(TaskExecutionStatus::Error) => {
                    panic!("execution {execution} failed: {:?}", described.result)
                }
                _ => None,
            }
        },
    )
    .await;

    assert_eq!(read_file(&new_home.join("analysis.ipynb")), NOTEBOOK);
    assert_eq!(read_file(&new_home.join("data/results.csv")), RESULTS);
    assert_eq!(
        tree(&new_home),
        ["analysis.ipynb", "data", "data/results.csv"]
    );
    assert_eq!(
        tree(&old_home),
        tree(&new_home),
        "the source is left as it was"
    );
    let files = finished.files_transferred;
    assert!(
        files >= 2,
        "FilesTransferred {files}: two files were copied"
    );
    assert_eq!(
        finished.bytes_written,
        (NOTEBOOK.len() + RESULTS.len()) as i64,
        "BytesWritten: the bytes of both files"
    );

    // Tidy up, as every restore must: the task and both locations go.
    aws.datasync
        .delete_task()
        .task_arn(&task)
        .send()
        .await
        .expect("deleting the task");
    for location in [&source, &destination] {
        aws.datasync
            .delete_location()
            .location_arn(location)
            .send()
            .await
            .unwrap_or_else(|e| panic!("deleting location {location}: {}", DisplayErrorContext(e)));
    }
}

async fn create_efs_location(aws: &Clients, fs_id: &str, subdirectory: &str) -> String {
    let ec2 = Ec2Config::builder()
        .subnet_arn(format!(
            "arn:aws:ec2:{REGION}:{ACCOUNT_ID}:subnet/subnet-0e2e0000"
        ))
        .security_group_arns(format!(
            "arn:aws:ec2:{REGION}:{ACCOUNT_ID}:security-group/sg-0e2e0000"
        ))
        .build()
        .expect("a complete Ec2Config");
    aws.datasync
        .create_location_efs()
        .efs_filesystem_arn(format!(
            "arn:aws:elasticfilesystem:{REGION}:{ACCOUNT_ID}:file-system/{fs_id}"
        ))
        .subdirectory(subdirectory)
        .ec2_config(ec2)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "creating the EFS location {fs_id}{subdirectory}: {}",
                DisplayErrorContext(e)
            )
        })
        .location_arn
        .expect("CreateLocationEfs returns a LocationArn")
}
