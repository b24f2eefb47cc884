"""The `throttle` and `fail` switches work for every service, with each service's documented
throttling error (studio_emulator/faults.py)."""
import json

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"


def failure(call, *args, **kwargs):
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    response = info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_every_service_throttles_with_its_documented_error(emulator):
    ddb, efs, sns = emulator.client("dynamodb"), emulator.client("efs"), emulator.client("sns")
    sfn, iam, lam = emulator.client("stepfunctions"), emulator.client("iam"), emulator.client("lambda")
    events, sm, ds = emulator.client("events"), emulator.client("sagemaker"), emulator.client("datasync")
    ddb.create_table(TableName="t", AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    emulator.config(throttle={
        "PutItem": 1, "DescribeTable": 1, "DescribeFileSystems": 1, "CreateTopic": 1,
        "ListStateMachines": 1, "ListRoles": 1, "ListFunctions": 1, "ListRules": 1,
        "ListDomains": 1, "ListTasks": 1})
    cases = [
        # DynamoDB: data plane and control plane differ (Developer Guide, error handling).
        (ddb.put_item, dict(TableName="t", Item={"k": {"S": "1"}}),
         ("ProvisionedThroughputExceededException", 400)),
        (ddb.describe_table, dict(TableName="t"), ("ThrottlingException", 400)),
        (efs.describe_file_systems, {}, ("ThrottlingException", 429)),
        (sns.create_topic, dict(Name="x"), ("Throttled", 429)),
        (sfn.list_state_machines, {}, ("ThrottlingException", 400)),
        (iam.list_roles, {}, ("ThrottlingException", 400)),
        (lam.list_functions, {}, ("TooManyRequestsException", 429)),
        (events.list_rules, {}, ("ThrottlingException", 400)),
        (sm.list_domains, {}, ("ThrottlingException", 400)),
        (ds.list_tasks, {}, ("ThrottlingException", 400)),
    ]
    for call, kwargs, expected in cases:
        assert failure(call, **kwargs) == expected, call
    for call, kwargs, _ in cases:  # one each: the next call goes through
        call(**kwargs)
    assert set(emulator.config()["throttle"].values()) == {0}


def test_a_service_qualified_name_throttles_only_that_service(emulator):
    emulator.config(throttle={"lambda:ListTags": 1})
    sm = emulator.client("sagemaker")
    domain = sm.create_domain(DomainName="d", AuthMode="IAM", SubnetIds=["subnet-1"], VpcId="vpc-1",
                              DefaultUserSettings={"ExecutionRole": f"arn:aws:iam::{ACCOUNT}:role/r"})
    sm.list_tags(ResourceArn=domain["DomainArn"])  # SageMaker's ListTags is not Lambda's
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:nope"
    assert failure(emulator.client("lambda").list_tags, Resource=arn) == ("TooManyRequestsException", 429)


def test_fail_switch_any_action_any_code(emulator):
    sns = emulator.client("sns")
    emulator.config(fail={"CreateTopic": {"code": "InternalError", "count": 2}})
    for _ in range(2):
        assert failure(sns.create_topic, Name="a") == ("InternalError", 500)
    sns.create_topic(Name="a")
    assert emulator.config()["fail"]["CreateTopic"]["count"] == 0

    efs = emulator.client("efs")
    emulator.config(fail={"efs:CreateAccessPoint": {"code": "AccessPointLimitExceeded"}})
    fs = efs.create_file_system(CreationToken="x")["FileSystemId"]
    # The status comes from the service's model when it documents the code.
    assert failure(efs.create_access_point, FileSystemId=fs) == ("AccessPointLimitExceeded", 403)


def test_fail_after_the_call_took_effect(emulator):
    """The ambiguous failure: the call happened, the caller got an error."""
    sns = emulator.client("sns")
    emulator.config(fail={"CreateTopic": {"code": "InternalError", "after": True}})
    assert failure(sns.create_topic, Name="happened") == ("InternalError", 500)
    assert [t["TopicArn"].rsplit(":", 1)[1] for t in sns.list_topics()["Topics"]] == ["happened"]


def test_latency_delays_only_the_named_action_until_switched_off(emulator):
    """Which calls were slowed is read from the answer's header, not from a clock (a busy machine
    slows every call); only the named action's answer comes at least its latency late."""
    import time

    sns = emulator.client("sns")

    def slowed(response) -> str | None:
        return response["ResponseMetadata"]["HTTPHeaders"].get("x-studio-emulator-latency")

    emulator.config(latency={"sns:CreateTopic": 3})
    started = time.monotonic()
    assert slowed(sns.create_topic(Name="slow")) == "3"
    assert time.monotonic() - started >= 3
    assert slowed(sns.list_topics()) is None, "other actions are not slowed"
    emulator.config(latency={"sns:CreateTopic": 0})
    assert slowed(sns.create_topic(Name="fast")) is None


def test_step_functions_sdk_tasks_see_the_faults(emulator):
    """The interpreter's aws-sdk calls come back over HTTP, so a retrier meets the real error name."""
    sfn = emulator.client("stepfunctions")
    emulator.config(throttle={"DescribeFileSystems": 2})
    definition = {"StartAt": "Describe", "States": {"Describe": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:efs:describeFileSystems",
        "Retry": [{"ErrorEquals": ["Efs.ThrottlingException"], "IntervalSeconds": 1,
                   "MaxAttempts": 3, "BackoffRate": 1}],
        "End": True}}}
    machine = sfn.create_state_machine(name="m", definition=json.dumps(definition),
                                       roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn")["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    import time
    deadline = time.monotonic() + 30
    while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED"
    assert emulator.config()["throttle"]["DescribeFileSystems"] == 0
