//! A plan has no side effects: `terraform plan` of `examples/complete` invokes no Lambda
//! function (the emulator counts every run of a function's code), while apply seeds the mapping
//! table through the reconciler exactly as the module promises.

use std::collections::BTreeMap;
use std::time::Duration;

use studio_e2e::{Emulator, Provider, Terraform, eventually, repo_root, unique_name};

/// One EC2 Query call; returns the text of the first `<tag>` in the answer.
fn ec2(emulator: &Emulator, params: &[(&str, &str)], tag: &str) -> String {
    let xml = emulator.query("ec2", params);
    let open = format!("<{tag}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no <{tag}> in the answer to {params:?}:\n{xml}"))
        + open.len();
    let end = xml[start..].find('<').expect("a closing tag") + start;
    xml[start..end].to_owned()
}

/// How many times each function of this deployment ran.
fn counts(emulator: &Emulator, prefix: &str) -> BTreeMap<String, u64> {
    let all = emulator.invocations();
    all["functions"]
        .as_object()
        .expect("the emulator reports invocations by function")
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .map(|(name, n)| (name.clone(), n.as_u64().expect("a count")))
        .collect()
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn planning_the_complete_example_invokes_no_function() {
    let emulator = Emulator::from_env();
    let root = repo_root();
    let lambdas = root.join("target/lambda");
    let vpc = ec2(
        &emulator,
        &[
            ("Action", "CreateVpc"),
            ("Version", "2016-11-15"),
            ("CidrBlock", "10.30.0.0/16"),
        ],
        "vpcId",
    );
    let subnet = ec2(
        &emulator,
        &[
            ("Action", "CreateSubnet"),
            ("Version", "2016-11-15"),
            ("VpcId", &vpc),
            ("CidrBlock", "10.30.1.0/24"),
        ],
        "subnetId",
    );

    let mut tf = Terraform::new(&emulator);
    let example = root.join("examples/complete");
    for entry in std::fs::read_dir(&example).expect("reading examples/complete") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "tf") {
            let text = std::fs::read_to_string(&path).expect("reading a .tf file");
            let text = text.replace("\"../../modules/", "\"./modules/");
            tf.write(path.file_name().unwrap().to_str().unwrap(), &text);
        }
    }
    std::os::unix::fs::symlink(root.join("modules"), tf.dir().join("modules"))
        .expect("linking the modules into the working directory");
    tf.write_provider_override(&[Provider::Aws]);
    let prefix = unique_name("plan");
    tf.set_var("name_prefix", &prefix)
        .set_var("domain_name", &unique_name("plan"))
        .set_var("vpc_id", &vpc)
        .set_var("subnet_ids", &format!("[\"{subnet}\"]"))
        .set_var("lambda_dir", &lambdas.display().to_string())
        .set_var("lambda_runtime", "provided.al2");
    tf.init();

    // Before anything exists.
    tf.plan();
    assert_eq!(counts(&emulator, &prefix), BTreeMap::new());

    tf.apply();
    // Apply seeds: the deployments table's stream runs the reconciler once, and it records the
    // example's profiles in the mapping table.
    let reconciler = format!("{prefix}-reconciler");
    let table = tf
        .output("mapping_table_name")
        .as_str()
        .expect("the mapping table's name")
        .to_owned();
    let clients = emulator.clients().await;
    eventually(
        "the deploy-time seed to record the example's profiles",
        Duration::from_secs(120),
        || async {
            let rows = clients
                .dynamodb
                .scan()
                .table_name(&table)
                .send()
                .await
                .ok()?
                .count;
            (rows > 0 && counts(&emulator, &prefix).get(&reconciler) == Some(&1)).then_some(())
        },
    )
    .await;
    // Everything apply set off (CloudTrail events, stream records) has run once the counts stay
    // the same for a few seconds.
    let mut before = counts(&emulator, &prefix);
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let now = counts(&emulator, &prefix);
        if now == before {
            break;
        }
        before = now;
    }

    tf.assert_plan_empty();
    tf.plan();
    assert_eq!(
        counts(&emulator, &prefix),
        before,
        "terraform plan invoked a function"
    );

    tf.destroy();
}
