//! What many end-to-end tests set up the same way: Studio domains and user profiles on the
//! emulator's test network, and the provider's tables as `modules/event-app` creates them.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_sdk_sagemaker::error::DisplayErrorContext;
use aws_sdk_sagemaker::types::{AuthMode, UserSettings};

use crate::{
    ACCOUNT_ID, Clients, Studio, close_studio, delete_and_wait, unique_name, wait_in_service,
};

/// The network every test domain is created in: DataSync's defaults for `studio_profile_restore`
/// (the domain's subnets and its users' security groups) come from it.
pub const TEST_SUBNET: &str = "subnet-0e2e0000";
pub const TEST_VPC: &str = "vpc-0e2e0000";
pub const TEST_SECURITY_GROUP: &str = "sg-0e2e0000";

/// A domain (IAM or IAM Identity Center) on the test network; returns its id and its home file
/// system.
pub async fn create_domain(aws: &Clients, name: &str, auth: AuthMode) -> (String, String) {
    let id = aws
        .sagemaker
        .create_domain()
        .domain_name(name)
        .auth_mode(auth)
        .default_user_settings(
            UserSettings::builder()
                .execution_role(format!("arn:aws:iam::{ACCOUNT_ID}:role/studio-execution"))
                .security_groups(TEST_SECURITY_GROUP)
                .build(),
        )
        .subnet_ids(TEST_SUBNET)
        .vpc_id(TEST_VPC)
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating domain {name}: {}", DisplayErrorContext(e)))
        .domain_id
        .expect("CreateDomain returns a DomainId");
    let fs = aws
        .sagemaker
        .describe_domain()
        .domain_id(&id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing {id}: {}", DisplayErrorContext(e)))
        .home_efs_file_system_id
        .expect("a home file system");
    (id, fs)
}

/// Creates a user profile (the domain's default settings), waits until it is InService and
/// returns its uid.
pub async fn create_profile(aws: &Clients, domain_id: &str, name: &str) -> String {
    aws.sagemaker
        .create_user_profile()
        .domain_id(domain_id)
        .user_profile_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating {name} in {domain_id}: {}", DisplayErrorContext(e)));
    wait_in_service(&aws.sagemaker, Studio::user_profile(domain_id, name)).await;
    aws.sagemaker
        .describe_user_profile()
        .domain_id(domain_id)
        .user_profile_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing {name}: {}", DisplayErrorContext(e)))
        .home_efs_file_system_uid
        .expect("a HomeEfsFileSystemUid")
}

/// Closes the profile's Studio (its apps), deletes it and waits until it is gone: until then it
/// is `Deleting` and its name cannot be used again.
pub async fn delete_profile(aws: &Clients, domain_id: &str, name: &str) {
    let profile = Studio::user_profile(domain_id, name);
    close_studio(&aws.sagemaker, profile).await;
    delete_and_wait(&aws.sagemaker, profile).await;
}

/// Deletes the profile and creates it again (a new uid, no home directory until its first
/// app); returns the new uid.
pub async fn recreate_profile(aws: &Clients, domain_id: &str, name: &str) -> String {
    delete_profile(aws, domain_id, name).await;
    create_profile(aws, domain_id, name).await
}

/// A table keyed by `home` (and the numeric `range`), as `modules/event-app` creates the
/// mapping table (no range) and the history table (`at`).
pub async fn create_table(aws: &Clients, name: &str, range: Option<&str>) {
    let attribute = |name: &str, ty: ScalarAttributeType| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ty)
            .build()
            .expect("an attribute definition")
    };
    let key = |name: &str, ty: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(ty)
            .build()
            .expect("a key element")
    };
    let mut req = aws
        .dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("home", ScalarAttributeType::S))
        .key_schema(key("home", KeyType::Hash));
    if let Some(range) = range {
        req = req
            .attribute_definitions(attribute(range, ScalarAttributeType::N))
            .key_schema(key(range, KeyType::Range));
    }
    req.send().await.unwrap_or_else(|e| {
        panic!(
            "creating table {name}: {}",
            aws_sdk_dynamodb::error::DisplayErrorContext(e)
        )
    });
}

/// A mapping table and a history table of their own (unique names); returns their names.
pub async fn create_tables(aws: &Clients) -> (String, String) {
    let tables = (
        unique_name("studio-user"),
        unique_name("studio-user-history"),
    );
    create_table(aws, &tables.0, None).await;
    create_table(aws, &tables.1, Some("at")).await;
    tables
}

/// A user profile's mapping row as the event processor writes it (ARCHITECTURE.md, "Mapping
/// table"), with `extra` attributes on top.
#[allow(clippy::too_many_arguments)]
pub async fn put_mapping_row(
    aws: &Clients,
    table: &str,
    domain_name: &str,
    domain_id: &str,
    name: &str,
    fs: &str,
    uid: &str,
    extra: &[(&str, AttributeValue)],
) {
    let s = |v: &str| AttributeValue::S(v.to_owned());
    let mut item: HashMap<String, AttributeValue> = HashMap::from([
        ("home".to_owned(), s(&format!("{domain_name}/user/{name}"))),
        ("kind".to_owned(), s("user")),
        ("name".to_owned(), s(name)),
        ("domain_name".to_owned(), s(domain_name)),
        ("domain_id".to_owned(), s(domain_id)),
        (
            "domain_ids".to_owned(),
            AttributeValue::Ss(vec![domain_id.to_owned()]),
        ),
        ("file_system_id".to_owned(), s(fs)),
        ("uid".to_owned(), AttributeValue::N(uid.to_owned())),
        ("replication".to_owned(), AttributeValue::Bool(true)),
        ("version".to_owned(), AttributeValue::N("1".into())),
    ]);
    for (k, v) in extra {
        item.insert((*k).to_owned(), v.clone());
    }
    aws.dynamodb
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "writing the row of {name}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )
        });
}

/// `modules/restore-workflow` on a VPC and subnet of its own, for the mapping table `table`
/// (which the test creates), with short slot waits and `tags = { team = "ml" }`; outputs
/// `state_machine_arn`, `slots_table` and `datasync_security_group_id`. HCL for a test's working
/// directory (with the aws provider).
pub fn restore_workflow_hcl(prefix: &str, table: &str) -> String {
    restore_workflow_hcl_with(prefix, table, "")
}

/// [`restore_workflow_hcl`] with more arguments of the module (`extra`, HCL lines).
pub fn restore_workflow_hcl_with(prefix: &str, table: &str, extra: &str) -> String {
    format!(
        r#"
resource "aws_vpc" "v" {{
  cidr_block = "10.44.0.0/16"
}}

resource "aws_subnet" "s" {{
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.44.1.0/24"
}}

module "restore_workflow" {{
  source                       = "{modules}/restore-workflow"
  name_prefix                  = "{prefix}"
  mapping_table_name           = "{table}"
  mapping_table_arn            = "arn:aws:dynamodb:us-east-1:{ACCOUNT_ID}:table/{table}"
  vpc_id                       = aws_vpc.v.id
  subnet_id                    = aws_subnet.s.id
  queue_wait_max_delay_seconds = 2
  tags                         = {{ team = "ml" }}
{extra}
}}

output "state_machine_arn" {{
  value = module.restore_workflow.state_machine_arn
}}

output "slots_table" {{
  value = module.restore_workflow.slots_table_name
}}

output "datasync_security_group_id" {{
  value = module.restore_workflow.datasync_security_group_id
}}
"#,
        modules = crate::repo_root().join("modules").display(),
    )
}

/// One EC2 Query call; returns the text of the first `<tag>` in the answer.
fn ec2(emulator: &crate::Emulator, params: &[(&str, &str)], tag: &str) -> String {
    let xml = emulator.query("ec2", params);
    let open = format!("<{tag}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no <{tag}> in the answer to {params:?}:\n{xml}"))
        + open.len();
    let end = xml[start..].find('<').expect("a closing tag") + start;
    xml[start..end].to_owned()
}

/// `examples/complete` in a working directory of its own, initialised, on a new VPC
/// `10.<octet>.0.0/16` with one subnet (the example creates security groups in it), every name
/// under a new prefix made from `word`, the Lambdas from `target/lambda` on `provided.al2`
/// (hashicorp/aws 3.39.0 does not know the module's default, provided.al2023). Returns the
/// working directory and the prefix.
pub fn complete_example(
    emulator: &crate::Emulator,
    word: &str,
    octet: u8,
) -> (crate::Terraform, String) {
    let root = crate::repo_root();
    let vpc = ec2(
        emulator,
        &[
            ("Action", "CreateVpc"),
            ("Version", "2016-11-15"),
            ("CidrBlock", &format!("10.{octet}.0.0/16")),
        ],
        "vpcId",
    );
    let subnet = ec2(
        emulator,
        &[
            ("Action", "CreateSubnet"),
            ("Version", "2016-11-15"),
            ("VpcId", &vpc),
            ("CidrBlock", &format!("10.{octet}.1.0/24")),
        ],
        "subnetId",
    );
    let mut tf = crate::Terraform::new(emulator);
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
    tf.write_provider_override(&[crate::Provider::Aws, crate::Provider::Studio]);
    let prefix = unique_name(word);
    tf.set_var("name_prefix", &prefix)
        .set_var("domain_name", &unique_name(word))
        .set_var("vpc_id", &vpc)
        .set_var("subnet_ids", &format!("[\"{subnet}\"]"))
        .set_var(
            "lambda_dir",
            &root.join("target/lambda").display().to_string(),
        )
        .set_var("lambda_runtime", "provided.al2");
    tf.init();
    (tf, prefix)
}
