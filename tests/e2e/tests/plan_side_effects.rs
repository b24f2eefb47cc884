//! A plan has no side effects: `terraform plan` of `examples/complete` invokes no Lambda
//! function (the emulator counts every run of a function's code), while apply seeds the mapping
//! table through the reconciler exactly as the module promises.

use std::collections::BTreeMap;
use std::time::Duration;

use studio_e2e::{Emulator, complete_example, eventually};

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
    let (tf, prefix) = complete_example(&emulator, "plan", 30);

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
