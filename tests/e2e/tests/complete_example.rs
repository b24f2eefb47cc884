//! `examples/complete` (a demo domain with users, and the whole event-driven restore stack)
//! applies against the emulator with the real hashicorp/aws provider, plans empty afterwards,
//! and destroys, keeping the domain's home file system.

use studio_e2e::{Emulator, complete_example, repo_root};

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
    let (tf, _) = complete_example(&emulator, "complete", 20);
    tf.apply();
    assert!(
        !tf.output("domain_id")
            .as_str()
            .unwrap_or_default()
            .is_empty()
    );
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
