//! `examples/complete` (a demo domain with users, and the whole event-driven restore stack)
//! applies against the emulator with the real hashicorp/aws provider in one apply (the domain's
//! EFS security group, which SageMaker creates with the domain, found by its name), plans empty
//! afterwards, and destroys, keeping the domain's home file system.

use serde_json::Value;
use studio_e2e::{Emulator, complete_example, repo_root};

/// Every resource of `type_` in the state's module tree, with its address.
fn resources_of(module: &Value, type_: &str, into: &mut Vec<Value>) {
    for resource in module["resources"].as_array().into_iter().flatten() {
        if resource["type"] == type_ {
            into.push(resource.clone());
        }
    }
    for child in module["child_modules"].as_array().into_iter().flatten() {
        resources_of(child, type_, into);
    }
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn the_complete_example_applies_plans_empty_and_destroys() {
    let emulator = Emulator::from_env();
    let root = repo_root();
    let lambdas = root.join("target/lambda");
    for function in [
        "studio-event-processor",
        "studio-stream-processor",
        "studio-reconciler",
        "studio-copier",
    ] {
        let zip = lambdas.join(function).join("bootstrap.zip");
        assert!(
            zip.is_file(),
            "{} is missing: run scripts/build-lambdas",
            zip.display()
        );
    }
    let (tf, _) = complete_example(&emulator, "complete", 20);
    // No `efs_security_group_id`: one apply creates the domain and opens NFS from DataSync into
    // the group SageMaker made with it.
    tf.apply();
    let domain_id = tf.output("domain_id");
    let domain_id = domain_id.as_str().expect("the domain's id");
    assert!(!domain_id.is_empty());
    // The copier mounts the domain's file system.
    let copier = tf.output("copier_function_name");
    let copier = copier.as_str().expect("the copier's name");
    let aws = emulator.clients().await;
    let config = aws
        .lambda
        .get_function_configuration()
        .function_name(copier)
        .send()
        .await
        .expect("the copier exists");
    let access_point = config.file_system_configs()[0].arn();
    let points = aws
        .efs
        .describe_access_points()
        .access_point_id(access_point.rsplit('/').next().unwrap())
        .send()
        .await
        .expect("its access point exists");
    assert_eq!(
        points.access_points()[0].file_system_id(),
        tf.output("home_efs_file_system_id").as_str(),
        "the copier mounts the domain's file system"
    );
    let mut rules = Vec::new();
    resources_of(
        &tf.show_json()["values"]["root_module"],
        "aws_security_group_rule",
        &mut rules,
    );
    let ingress = rules
        .iter()
        .find(|r| r["name"] == "efs_ingress_from_datasync")
        .unwrap_or_else(|| panic!("no NFS ingress rule after one apply: {rules:#?}"));
    let efs_group = ingress["values"]["security_group_id"]
        .as_str()
        .expect("the rule's group");
    let datasync_group = ingress["values"]["source_security_group_id"]
        .as_str()
        .expect("the rule's source");
    let described = emulator.query(
        "ec2",
        &[
            ("Action", "DescribeSecurityGroups"),
            ("Version", "2016-11-15"),
            ("GroupId.1", efs_group),
        ],
    );
    assert!(
        described.contains(&format!(
            "<groupName>security-group-for-inbound-nfs-{domain_id}</groupName>"
        )),
        "the rule opens the domain's inbound NFS group: {described}"
    );
    assert!(
        described.contains(datasync_group),
        "NFS in from DataSync's group: {described}"
    );
    let egress = rules
        .iter()
        .find(|r| r["name"] == "datasync_egress_to_efs")
        .expect("the NFS egress rule of DataSync's group");
    assert_eq!(egress["values"]["source_security_group_id"], efs_group);
    tf.assert_plan_empty();
    let home_fs = tf.output("home_efs_file_system_id");
    let home_fs = home_fs.as_str().expect("the home file system's id");
    tf.destroy();
    assert!(
        tf.state_list().is_empty(),
        "destroy leaves nothing in the state"
    );
    assert!(
        emulator.efs_root().join(home_fs).is_dir(),
        "the domain's home file system outlives it (studio_home_retention)"
    );
}
