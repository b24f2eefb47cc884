"""The IAM of modules/ is least privilege by tag (issue 11).

Real Terraform applies modules/restore-workflow and modules/event-app to the emulator; the test
reads every role's inline and attached policies back through IAM and checks them:

(a) every DataSync or EFS write action is allowed only in statements conditioned on the
    ownership tag: creates and tagging on `aws:RequestTag/<OWNER_TAG>` with `aws:TagKeys` limited
    to that key, deletes, cancels and starts on `aws:ResourceTag/<OWNER_TAG>` (EFS tag-on-create
    may instead carry `elasticfilesystem:CreateAction`), never with the value "*";
(b) no Resource "*" (nor a whole-service `arn:…:<service>:<region>:<account>:*`) except for the
    actions in RESOURCE_STAR, each with the documented reason;
(c) OWNER_TAG is the Rust constant `studio_core::sweep::OWNER_TAG` (the one authority), and it is
    what each module's `local.owner_tag` says.

The emulator does not enforce IAM: this checks the documents, not AWS's evaluation of them.
"""
import io
import json
import os
import re
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / ".tools" / "bin" / "terraform"
CLI_CONFIG = REPO / ".tools" / "terraformrc"
SWEEP_RS = REPO / "crates" / "core" / "src" / "sweep.rs"
MODULES = REPO / "modules"
PREFIX = "iamcheck"

pytestmark = pytest.mark.skipif(not (TERRAFORM.exists() and CLI_CONFIG.exists()),
                                reason="Terraform and the provider mirror come from scripts/setup")


def rust_owner_tag() -> str:
    """`OWNER_TAG` as crates/core/src/sweep.rs defines it."""
    found = re.findall(r'pub\s+const\s+OWNER_TAG\s*:\s*&(?:\'static\s+)?str\s*=\s*"([^"]+)"\s*;',
                       SWEEP_RS.read_text())
    assert len(found) == 1, f"expected one OWNER_TAG in {SWEEP_RS}, found {found}"
    return found[0]


OWNER_TAG = rust_owner_tag()

# Actions that may have Resource "*": the Service Authorization Reference lists no resource type
# for them (https://docs.aws.amazon.com/service-authorization/latest/reference/), so no ARN
# narrows them.
RESOURCE_STAR = {
    "sagemaker:ListApps": "no resource type (list_amazonsagemaker.html)",
    "sagemaker:ListDomains": "no resource type (list_amazonsagemaker.html)",
    "sagemaker:ListUserProfiles": "no resource type (list_amazonsagemaker.html)",
    "sagemaker:ListSpaces": "no resource type (list_amazonsagemaker.html)",
    "ec2:DescribeSubnets": "EC2 Describe*: no resource type (list_amazonec2.html)",
    "ec2:DescribeSecurityGroups": "EC2 Describe*: no resource type (list_amazonec2.html)",
    "ec2:DescribeNetworkInterfaces": "EC2 Describe*: no resource type (list_amazonec2.html)",
    "datasync:ListTasks": "no resource type (list_awsdatasync.html)",
    "datasync:ListLocations": "no resource type (list_awsdatasync.html)",
    "datasync:ListTaskExecutions": "no resource type (list_awsdatasync.html)",
    # A create with no resource type: "*" is the only Resource, the aws:RequestTag condition
    # (checked under (a)) is what narrows it.
    "datasync:CreateLocationEfs": "no resource type; aws:RequestTag/aws:TagKeys (list_awsdatasync.html)",
    # CloudWatch Logs delivery for Step Functions (Step Functions developer guide, "IAM policies
    # for logging to CloudWatch Logs"): no resource-level permissions.
    "logs:CreateLogDelivery": "log delivery: no resource type (list_amazoncloudwatchlogs.html)",
    "logs:GetLogDelivery": "log delivery: no resource type (list_amazoncloudwatchlogs.html)",
    "logs:UpdateLogDelivery": "log delivery: no resource type (list_amazoncloudwatchlogs.html)",
    "logs:DeleteLogDelivery": "log delivery: no resource type (list_amazoncloudwatchlogs.html)",
    "logs:ListLogDeliveries": "log delivery: no resource type (list_amazoncloudwatchlogs.html)",
    "logs:PutResourcePolicy": "no resource type (list_amazoncloudwatchlogs.html)",
    "logs:DescribeResourcePolicies": "no resource type (list_amazoncloudwatchlogs.html)",
    "logs:DescribeLogGroups": "log delivery needs it on all groups (Step Functions developer guide)",
}

TAGGED_SERVICES = ("datasync", "elasticfilesystem")
CREATE_PREFIXES = ("Create", "Tag")
RESOURCE_PREFIXES = ("Delete", "Cancel", "Start", "Update", "Untag", "Put")


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def conditions(statement: dict) -> dict:
    """{key: (operator, [values])}, keys lower-cased (IAM condition keys are case-insensitive)."""
    out = {}
    for operator, block in statement.get("Condition", {}).items():
        for key, values in block.items():
            out[key.lower()] = (operator, as_list(values))
    return out


def write_kind(action: str):
    """'create' or 'resource' for a DataSync/EFS write action, else None. A wildcard action of
    those services counts as a write."""
    service, _, name = action.partition(":")
    if service.lower() not in TAGGED_SERVICES and service != "*":
        return None
    if "*" in name or service == "*":
        return "create"
    if name.startswith(CREATE_PREFIXES):
        return "create"
    if name.startswith(RESOURCE_PREFIXES):
        return "resource"
    return None


def tag_condition_problem(conds: dict, key: str, owner_tag: str):
    """Why the `key` condition on the ownership tag does not narrow anything, or None."""
    full = f"{key}/{owner_tag}".lower()
    if full not in conds:
        return f"no {key}/{owner_tag} condition"
    operator, values = conds[full]
    if operator not in ("StringEquals", "StringLike", "ArnLike", "ArnEquals"):
        return f"{key}/{owner_tag} tested with {operator}"
    if not values or any(v.strip("*") == "" for v in values):
        return f"{key}/{owner_tag} accepts any value: {values}"
    return None


def violations(statements: list, owner_tag: str, other_tag_keys: tuple = ()) -> list:
    """Every broken rule in `statements` (Statement elements of policy documents), as text.
    `other_tag_keys`: the module's own `tags`, which the objects a restore creates carry too
    (so aws:TagKeys may list them after the ownership tag, and nothing else)."""
    found = []
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        sid = statement.get("Sid", "<no sid>")
        if "NotAction" in statement or "NotResource" in statement:
            found.append(f"{sid}: NotAction/NotResource in an Allow statement")
            continue
        actions = as_list(statement["Action"])
        resources = as_list(statement["Resource"])
        conds = conditions(statement)

        # (a) DataSync and EFS writes only on this project's tag.
        for action in actions:
            kind = write_kind(action)
            if kind == "create":
                problem = tag_condition_problem(conds, "aws:RequestTag", owner_tag)
                if problem and action.lower() == "elasticfilesystem:tagresource":
                    create = conds.get("elasticfilesystem:createaction")
                    problem = None if create and "*" not in "".join(create[1]) else (
                        problem + " and no elasticfilesystem:CreateAction")
                keys = conds.get("aws:tagkeys")
                if not problem and (keys is None or keys[0] != "ForAllValues:StringEquals"
                                    or keys[1] != [owner_tag, *sorted(other_tag_keys)]):
                    problem = f"aws:TagKeys not limited to {owner_tag} and the module's tags: {keys}"
                if problem:
                    found.append(f"{sid}: {action}: {problem}")
            elif kind == "resource":
                problem = tag_condition_problem(conds, "aws:ResourceTag", owner_tag)
                if problem:
                    found.append(f"{sid}: {action}: {problem}")

        # (b) no "*" where the ARN is known.
        for resource in resources:
            whole_service = re.fullmatch(r"arn:[^:]+:[^:]+:[^:]*:[^:]*:\*", resource)
            if resource == "*" or whole_service:
                for action in actions:
                    if resource != "*" or action not in RESOURCE_STAR:
                        found.append(f"{sid}: {action} on {resource}")
    return found


def tag_keys_in_conditions(statements: list) -> set:
    """Every tag key named in an aws:RequestTag/… or aws:ResourceTag/… condition."""
    keys = set()
    for statement in statements:
        for operator_block in statement.get("Condition", {}).values():
            for key in operator_block:
                prefix, _, tag = key.partition("/")
                if prefix.lower() in ("aws:requesttag", "aws:resourcetag"):
                    keys.add(tag)
    return keys


# ---------------------------------------------------------------------------------------------
# The checker fails on what it must catch.

GOOD_CREATE = {
    "Effect": "Allow", "Action": ["datasync:CreateLocationEfs"], "Resource": "*",
    "Condition": {
        "StringLike": {f"aws:RequestTag/{OWNER_TAG}": "arn:aws:states:us-east-1:1:execution:sm:*"},
        "ForAllValues:StringEquals": {"aws:TagKeys": [OWNER_TAG]},
    },
}
GOOD_DELETE = {
    "Effect": "Allow", "Action": ["datasync:DeleteTask"],
    "Resource": "arn:aws:datasync:us-east-1:1:task/*",
    "Condition": {"StringLike": {f"aws:ResourceTag/{OWNER_TAG}": ["provider/*"]}},
}


@pytest.mark.parametrize("bad, expected", [
    # The workflow's policy before issue 11: writes on any DataSync object of the account.
    ({"Sid": "Old", "Effect": "Allow", "Action": ["datasync:CreateTask", "datasync:DeleteTask"],
      "Resource": "arn:aws:datasync:us-east-1:1:*"}, "Old: datasync:CreateTask: no aws:RequestTag"),
    ({"Sid": "Old", "Effect": "Allow", "Action": "datasync:DeleteLocation",
      "Resource": "arn:aws:datasync:us-east-1:1:*"}, "Old: datasync:DeleteLocation on arn:aws:datasync:us-east-1:1:*"),
    ({**GOOD_DELETE, "Sid": "Star", "Resource": "*"}, "Star: datasync:DeleteTask on *"),
    ({**GOOD_DELETE, "Sid": "AnyOwner",
      "Condition": {"StringLike": {f"aws:ResourceTag/{OWNER_TAG}": "*"}}}, "accepts any value"),
    ({**GOOD_DELETE, "Sid": "OtherKey",
      "Condition": {"StringLike": {"aws:ResourceTag/studio-restore:execution": "x"}}},
     f"no aws:ResourceTag/{OWNER_TAG}"),
    ({**GOOD_CREATE, "Sid": "AnyKeys", "Condition": {"StringLike": GOOD_CREATE["Condition"]["StringLike"]}},
     "aws:TagKeys not limited"),
    ({**GOOD_CREATE, "Sid": "CreateOnResourceTag", "Condition": {
        "StringLike": {f"aws:ResourceTag/{OWNER_TAG}": "provider/*"}}}, "no aws:RequestTag"),
    ({"Sid": "EfsTag", "Effect": "Allow", "Action": "elasticfilesystem:TagResource",
      "Resource": "arn:aws:elasticfilesystem:us-east-1:1:access-point/*"}, "no elasticfilesystem:CreateAction"),
    ({"Sid": "Wild", "Effect": "Allow", "Action": "elasticfilesystem:*",
      "Resource": "arn:aws:elasticfilesystem:us-east-1:1:file-system/*"}, "Wild: elasticfilesystem:*"),
    ({"Sid": "Ec2", "Effect": "Allow", "Action": "ec2:CreateNetworkInterface", "Resource": "*"},
     "Ec2: ec2:CreateNetworkInterface on *"),
    ({"Sid": "Not", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "NotAction"),
])
def test_the_checker_catches(bad, expected):
    found = violations([GOOD_CREATE, GOOD_DELETE, bad], OWNER_TAG)
    assert any(expected in v for v in found), found
    assert violations([GOOD_CREATE, GOOD_DELETE], OWNER_TAG) == []


def test_the_checker_allows_exactly_the_modules_own_tag_keys_besides_the_owner_tag():
    def create(*keys):
        conditions = {**GOOD_CREATE["Condition"],
                      "ForAllValues:StringEquals": {"aws:TagKeys": [OWNER_TAG, *keys]}}
        return {**GOOD_CREATE, "Condition": conditions}

    assert violations([create("team")], OWNER_TAG, ("team",)) == []
    assert violations([create("cost-center", "team")], OWNER_TAG, ("team", "cost-center")) == []
    for statement, declared in [(create("team"), ()), (create("anything"), ("team",)),
                                (create("team", "anything"), ("team",)), (create(), ("team",))]:
        found = violations([statement], OWNER_TAG, declared)
        assert any("aws:TagKeys not limited" in v for v in found), (statement, declared, found)


def test_owner_tag_is_the_rust_constant_in_every_module():
    assert OWNER_TAG
    defined = {}
    for tf in MODULES.glob("*/*.tf"):
        for value in re.findall(r'^\s*owner_tag\s*=\s*"([^"]*)"', tf.read_text(), re.M):
            defined.setdefault(tf.parent.name, []).append(value)
    assert set(defined) >= {"restore-workflow", "event-app"}, defined
    for module, values in defined.items():
        assert values == [OWNER_TAG], f"modules/{module}: owner_tag {values}, Rust says {OWNER_TAG}"
    # The key is written once per module: every tag condition goes through local.owner_tag.
    for tf in MODULES.glob("*/iam.tf"):
        assert OWNER_TAG not in tf.read_text(), f"{tf}: spell the tag key as local.owner_tag"


# ---------------------------------------------------------------------------------------------
# The real modules, applied.

def terraform(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(CLI_CONFIG), "TF_IN_AUTOMATION": "1",
           "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}
    result = subprocess.run([str(TERRAFORM), *args], cwd=workdir, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, f"terraform {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


ENDPOINTS = ["cloudwatch", "cloudwatchevents", "cloudwatchlogs", "datasync", "dynamodb", "ec2",
             "efs", "iam", "kms", "lambda", "sagemaker", "sns", "sqs", "stepfunctions", "sts"]

CONFIG = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "3.39.0" }
  }
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_get_ec2_platforms      = true
  skip_region_validation      = true
  max_retries                 = 1
  endpoints {
ENDPOINTS  }
}

resource "aws_vpc" "v" {
  cidr_block = "10.43.0.0/16"
}

resource "aws_subnet" "s" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.43.1.0/24"
}

module "restore_workflow" {
  source             = "MODULES/restore-workflow"
  name_prefix        = "PREFIX"
  mapping_table_name = module.event_app.mapping_table_name
  mapping_table_arn  = module.event_app.mapping_table_arn
  vpc_id             = aws_vpc.v.id
  subnet_id          = aws_subnet.s.id
  tags               = { team = "ml", "cost-center" = "42" }
}

module "event_app" {
  source                   = "MODULES/event-app"
  name_prefix              = "PREFIX"
  mapping_table_name       = "PREFIX-map"
  history_table_name       = "PREFIX-history"
  state_machine_arn        = module.restore_workflow.state_machine_arn
  slots_table_arn          = module.restore_workflow.slots_table_arn
  event_processor_zip      = "ZIP"
  stream_processor_zip     = "ZIP"
  reconciler_zip           = "ZIP"
  lambda_runtime           = "provided.al2"
  run_reconciler_on_deploy = false
}

output "state_machine_arn" {
  value = module.restore_workflow.state_machine_arn
}

output "subnet_arn" {
  value = aws_subnet.s.arn
}
"""


# The restore workflow's `tags` in CONFIG: what it creates carries them (issue 12).
MODULE_TAG_KEYS = ("team", "cost-center")


def role_statements(iam, role_name: str) -> list:
    statements = []

    def document(doc):
        doc = json.loads(unquote(doc)) if isinstance(doc, str) else doc
        return as_list(doc["Statement"])

    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        statements += document(iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"])
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        version = iam.get_policy_version(PolicyArn=attached["PolicyArn"],
                                         VersionId=policy["DefaultVersionId"])
        statements += document(version["PolicyVersion"]["Document"])
    return statements


def test_module_policies_are_least_privilege_by_tag(emulator, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\nexit 1\n")
    (tmp_path / "lambda.zip").write_bytes(buffer.getvalue())
    endpoints = "".join(f'    {s:16} = "{emulator.url}"\n' for s in ENDPOINTS)
    (tmp_path / "main.tf").write_text(
        CONFIG.replace("ENDPOINTS", endpoints).replace("MODULES", str(MODULES))
        .replace("PREFIX", PREFIX).replace("ZIP", str(tmp_path / "lambda.zip")))

    terraform(tmp_path, "init", "-no-color")
    terraform(tmp_path, "apply", "-auto-approve", "-no-color")
    outputs = json.loads(terraform(tmp_path, "output", "-json").stdout)
    own_executions = outputs["state_machine_arn"]["value"].replace(":stateMachine:", ":execution:") + ":*"
    subnet_arn = outputs["subnet_arn"]["value"]

    iam = emulator.client("iam")
    # IAM is global: the role names carry the Region (issue 12), so that two Regions' deployments
    # with one prefix do not collide.
    roles = [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(PREFIX)]
    assert sorted(roles) == sorted(f"{PREFIX}-{r}-us-east-1" for r in
                                   ("restore-workflow", "event-processor", "stream-processor", "reconciler"))
    policies = {role.removesuffix("-us-east-1"): role_statements(iam, role) for role in roles}

    problems = [f"{role}: {v}" for role, statements in policies.items()
                for v in violations(statements, OWNER_TAG, MODULE_TAG_KEYS)]
    assert problems == [], "\n".join(problems)

    # (c) Every tag condition names the Rust constant, and only it.
    used = set().union(*(tag_keys_in_conditions(s) for s in policies.values()))
    assert used == {OWNER_TAG}, used

    # The owners each role may act on: the workflow only its own executions; the reconciler's
    # sweeper those and provider restores.
    def owner_values(statements):
        return {v for s in statements for operator, block in s.get("Condition", {}).items()
                if operator != "Null" for key, values in block.items()
                if key.lower().startswith(("aws:requesttag/", "aws:resourcetag/"))
                for v in as_list(values)}
    assert owner_values(policies[f"{PREFIX}-restore-workflow"]) == {own_executions}
    assert owner_values(policies[f"{PREFIX}-reconciler"]) == {own_executions, "provider/*"}
    for role in ("event-processor", "stream-processor"):
        assert not any(a.startswith(TAGGED_SERVICES) for s in policies[f"{PREFIX}-{role}"]
                       for a in as_list(s.get("Action", []))), role

    # The sweeper can do its work: cancel, delete (DataSync) and delete access points.
    reconciler_actions = {a for s in policies[f"{PREFIX}-reconciler"] if s["Effect"] == "Allow"
                          for a in as_list(s["Action"])}
    assert reconciler_actions >= {
        "datasync:ListTasks", "datasync:ListLocations", "datasync:ListTagsForResource",
        "datasync:DescribeTask", "datasync:ListTaskExecutions", "datasync:DescribeTaskExecution",
        "datasync:CancelTaskExecution", "datasync:DeleteTask", "datasync:DeleteLocation",
        "elasticfilesystem:DescribeAccessPoints", "elasticfilesystem:DeleteAccessPoint",
        "states:DescribeExecution", "dynamodb:UpdateItem"}, reconciler_actions

    # Network interfaces: in the module's subnet and security group only.
    workflow = policies[f"{PREFIX}-restore-workflow"]
    [create_eni] = [s for s in workflow if "ec2:CreateNetworkInterface" in as_list(s["Action"])]
    assert subnet_arn in as_list(create_eni["Resource"])
    assert all(r.endswith("network-interface/*") or r == subnet_arn or ":security-group/sg-" in r
               for r in as_list(create_eni["Resource"])), create_eni
    [manage_enis] = [s for s in workflow if "ec2:DeleteNetworkInterface" in as_list(s["Action"])]
    assert conditions(manage_enis)["ec2:subnet"][1] == [subnet_arn]

    # The failure topic is encrypted even without a key of the user's (SNS's default is none).
    [topic] = [t["TopicArn"] for t in emulator.client("sns").list_topics()["Topics"]
               if t["TopicArn"].endswith(f":{PREFIX}-restore-failures")]
    attributes = emulator.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes.get("KmsMasterKeyId") == "alias/aws/sns", attributes

    terraform(tmp_path, "destroy", "-auto-approve", "-no-color")
