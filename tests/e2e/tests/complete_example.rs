//! `examples/complete` (a demo domain with users, and the whole event-driven restore stack)
//! applies against the emulator with the real hashicorp/aws provider, plans empty afterwards,
//! and destroys.

use studio_e2e::{Emulator, Provider, Terraform, repo_root, unique_name};

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
    ] {
        let zip = lambdas.join(function).join("bootstrap.zip");
        assert!(
            zip.is_file(),
            "{} is missing: run scripts/build-lambdas",
            zip.display()
        );
    }
    // The example needs a real VPC and subnet: security groups are created in it.
    let vpc = ec2(
        &emulator,
        &[
            ("Action", "CreateVpc"),
            ("Version", "2016-11-15"),
            ("CidrBlock", "10.20.0.0/16"),
        ],
        "vpcId",
    );
    let subnet = ec2(
        &emulator,
        &[
            ("Action", "CreateSubnet"),
            ("Version", "2016-11-15"),
            ("VpcId", &vpc),
            ("CidrBlock", "10.20.1.0/24"),
        ],
        "subnetId",
    );

    let mut tf = Terraform::new(&emulator);
    let example = root.join("examples/complete");
    for entry in std::fs::read_dir(&example).expect("reading examples/complete") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "tf") {
            let text = std::fs::read_to_string(&path).expect("reading a .tf file");
            // The example names the modules relative to itself; the copy reaches them through
            // a link in its own directory (an absolute path would make them remote packages).
            let text = text.replace("\"../../modules/", "\"./modules/");
            tf.write(path.file_name().unwrap().to_str().unwrap(), &text);
        }
    }
    std::os::unix::fs::symlink(root.join("modules"), tf.dir().join("modules"))
        .expect("linking the modules into the working directory");
    tf.write_provider_override(&[Provider::Aws]);
    let prefix = unique_name("complete");
    tf.set_var("name_prefix", &prefix)
        .set_var("domain_name", &unique_name("complete"))
        .set_var("vpc_id", &vpc)
        .set_var("subnet_ids", &format!("[\"{subnet}\"]"))
        .set_var("lambda_dir", &lambdas.display().to_string())
        // hashicorp/aws 3.39.0 does not know provided.al2023 (the module's default).
        .set_var("lambda_runtime", "provided.al2");
    tf.init();
    tf.apply();
    assert!(
        !tf.output("domain_id")
            .as_str()
            .unwrap_or_default()
            .is_empty()
    );
    tf.assert_plan_empty();
    tf.destroy();
    assert!(
        tf.state_list().is_empty(),
        "destroy leaves nothing in the state"
    );
}
