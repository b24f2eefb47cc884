//! The harness of the end-to-end tests: the emulator, Terraform, fresh working directories.
//!
//! Every test in `tests/e2e/tests/` talks to one running emulator (`scripts/test` starts it; by
//! hand: `scripts/emulator start && eval "$(scripts/emulator env)"`). Tests run in parallel
//! against it, so none of them resets it: each names what it creates with [`unique_name`].
//!
//! ```no_run
//! # async fn example() {
//! use studio_e2e::{Emulator, Provider, Terraform, unique_name};
//!
//! let emulator = Emulator::from_env();
//! let aws = emulator.clients().await;
//! let table = unique_name("mapping");
//!
//! let tf = Terraform::new(&emulator);
//! tf.write_providers(&[Provider::Aws]);
//! tf.write("main.tf", &format!(r#"
//! resource "aws_dynamodb_table" "t" {{
//!   name         = "{table}"
//!   hash_key     = "home"
//!   billing_mode = "PAY_PER_REQUEST"
//!   attribute {{
//!     name = "home"
//!     type = "S"
//!   }}
//! }}"#));
//! tf.init();
//! tf.apply();
//! tf.assert_plan_empty();
//! let described = aws.dynamodb.describe_table().table_name(&table).send().await.unwrap();
//! tf.destroy();
//! # }
//! ```

mod emulator;
mod event_app;
mod files;
mod fixtures;
mod lambda;
mod leftovers;
mod names;
mod repo;
mod studio;
mod terraform;
mod wait;

pub use emulator::{ACCOUNT_ID, Clients, Emulator, REGION};
pub use event_app::{EventPath, Options as EventPathOptions, PATIENCE, dynamodb_json};
pub use files::{hand_to_owner, read_file, tree, write_file};
pub use fixtures::{
    TEST_SECURITY_GROUP, TEST_SUBNET, TEST_VPC, complete_example, create_domain, create_profile,
    create_table, create_tables, delete_profile, put_mapping_row, recreate_profile,
    restore_workflow_hcl, restore_workflow_hcl_with,
};
pub use lambda::{LambdaZip, lambda_zip};
pub use leftovers::{LeakScope, Leftovers, task_of_execution};
pub use names::unique_name;
pub use repo::repo_root;
pub use studio::{
    Studio, close_studio, delete_and_wait, open_studio, wait_in_service, wait_until_deleted,
};
pub use terraform::{Plan, Provider, Terraform, TerraformOutput, TerraformVersion, cli_config};
pub use wait::eventually;
