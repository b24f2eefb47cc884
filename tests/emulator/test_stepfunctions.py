"""Step Functions error handling as the developer guide documents it ("Handling errors in Step
Functions workflows"): States.ALL does not catch States.Runtime (nor States.DataLimitExceeded), and
a missing JSONPath is States.Runtime, which fails the execution with no Catch or Retry running."""
import json
import time

import pytest

ROLE = "arn:aws:iam::123456789012:role/sfn"


def run(emulator, definition, payload=None):
    sfn = emulator.client("stepfunctions")
    machine = sfn.create_state_machine(name=f"m{time.monotonic_ns()}", definition=json.dumps(definition),
                                       roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(payload or {}))["executionArn"]
    deadline = time.monotonic() + 30
    while (result := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return result


def catch_all(state):
    state["Catch"] = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Cleanup"}]
    state["Retry"] = [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2, "IntervalSeconds": 1}]
    return state


LIST = "arn:aws:states:::aws-sdk:sfn:listStateMachines"


@pytest.mark.parametrize("field,value", [
    ("Parameters", {"MaxResults.$": "$.missing"}),
    ("InputPath", "$.missing"),
    ("OutputPath", "$.missing"),
    ("ResultSelector", {"x.$": "$.missing"}),
])
def test_missing_path_is_states_runtime_and_not_caught_by_states_all(emulator, field, value):
    state = catch_all({"Type": "Task", "Resource": LIST, field: value, "Next": "Done"})
    definition = {"StartAt": "S", "States": {
        "S": state,
        "Cleanup": {"Type": "Pass", "Result": "cleaned", "ResultPath": "$.cleanup", "Next": "Done"},
        "Done": {"Type": "Succeed"}}}
    result = run(emulator, definition, {"present": 1})
    assert result["status"] == "FAILED", (field, result)
    assert result["error"] == "States.Runtime", result
    assert "missing" in result.get("cause", "")
    history = emulator.client("stepfunctions").get_execution_history(executionArn=result["executionArn"])
    entered = [e["stateEnteredEventDetails"]["name"] for e in history["events"] if "stateEnteredEventDetails" in e]
    assert "Cleanup" not in entered


def test_states_all_still_catches_task_errors(emulator):
    definition = {"StartAt": "S", "States": {
        "S": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sagemaker:describeDomain",
              "Parameters": {"DomainId": "d-000000000000"},
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Done"}],
              "Next": "Done"},
        "Done": {"Type": "Succeed"}}}
    result = run(emulator, definition)
    assert result["status"] == "SUCCEEDED", result
    assert json.loads(result["output"])["caught"]["Error"] == "SageMaker.ResourceNotFoundException"


def test_every_error_answer_carries_a_request_id_so_a_task_fails_with_the_services_error(emulator):
    # AWS answers every call, a failed one too, with a request id (x-amzn-RequestId: what the
    # SDKs' RequestId reads, https://docs.rs/aws-sdk-dynamodb/latest/aws_sdk_dynamodb/operation/trait.RequestId.html);
    # moto's interpreter reads it from every failed task, and without it ends the execution in
    # States.Runtime instead of the service's error, which no Retry or Catch handles.
    datasync = emulator.client("datasync")
    missing = "arn:aws:datasync:us-east-1:123456789012:task/task-00000000000000000"
    with pytest.raises(datasync.exceptions.InvalidRequestException) as info:
        datasync.describe_task(TaskArn=missing)
    assert info.value.response["ResponseMetadata"].get("RequestId"), info.value.response
    definition = {"StartAt": "S", "States": {
        "S": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:datasync:describeTask",
              "Parameters": {"TaskArn": missing},
              "Catch": [{"ErrorEquals": ["DataSync.InvalidRequestException"], "ResultPath": "$.caught",
                         "Next": "Done"}],
              "Next": "Done"},
        "Done": {"Type": "Succeed"}}}
    result = run(emulator, definition)
    assert result["status"] == "SUCCEEDED", result
    assert json.loads(result["output"])["caught"]["Error"] == "DataSync.InvalidRequestException"


ACCOUNT_ID = "123456789012"
ERROR_CALLS = [
    ("datasync", "create_location_efs", dict(
        EfsFilesystemArn=f"arn:aws:elasticfilesystem:us-east-1:{ACCOUNT_ID}:file-system/fs-00000000",
        Ec2Config={"SubnetArn": f"arn:aws:ec2:us-east-1:{ACCOUNT_ID}:subnet/subnet-0",
                   "SecurityGroupArns": [f"arn:aws:ec2:us-east-1:{ACCOUNT_ID}:security-group/sg-0"]})),
    ("datasync", "start_task_execution", dict(
        TaskArn=f"arn:aws:datasync:us-east-1:{ACCOUNT_ID}:task/task-00000000000000000")),
    ("datasync", "delete_location", dict(
        LocationArn=f"arn:aws:datasync:us-east-1:{ACCOUNT_ID}:location/loc-00000000000000000")),
    ("efs", "describe_file_systems", dict(FileSystemId="fs-00000000")),
    ("sagemaker", "describe_user_profile", dict(DomainId="d-000000000000", UserProfileName="nobody")),
    ("sagemaker", "describe_domain", dict(DomainId="d-000000000000")),
    ("stepfunctions", "describe_execution", dict(
        executionArn=f"arn:aws:states:us-east-1:{ACCOUNT_ID}:execution:none:none")),
    ("dynamodb", "update_item", dict(TableName="missing", Key={"id": {"S": "x"}},
                                     UpdateExpression="SET a = :a",
                                     ExpressionAttributeValues={":a": {"S": "b"}})),
    ("sns", "publish", dict(TopicArn=f"arn:aws:sns:us-east-1:{ACCOUNT_ID}:missing", Message="m")),
]


@pytest.mark.parametrize("service,call,kwargs", ERROR_CALLS, ids=[f"{s}.{c}" for s, c, _ in ERROR_CALLS])
def test_the_workflows_services_answer_errors_with_a_request_id(emulator, service, call, kwargs):
    from botocore.exceptions import ClientError
    with pytest.raises(ClientError) as info:
        getattr(emulator.client(service), call)(**kwargs)
    assert info.value.response["ResponseMetadata"].get("RequestId"), info.value.response


@pytest.mark.parametrize("stop_after", [0.0, 0.3, 0.9, 1.0, 1.1, 1.5])
def test_a_stopped_execution_ends_aborted_even_mid_retry(emulator, stop_after):
    # API reference, StopExecution: "Stops an execution"; DescribeExecution's status is then
    # ABORTED, whatever the state was doing. moto's interpreter let the interrupted retry wait raise
    # afterwards and overwrote the stop with FAILED, at random (the restore workflow's lease test
    # stops an execution that retries a conditional update every second).
    sfn = emulator.client("stepfunctions")
    definition = {"StartAt": "S", "States": {
        "S": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sagemaker:describeDomain",
              "Parameters": {"DomainId": "d-000000000000"},
              "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 50,
                         "BackoffRate": 1}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Cleanup"}],
              "Next": "Done"},
        "Cleanup": {"Type": "Pass", "Next": "Done"},
        "Done": {"Type": "Succeed"}}}
    machine = sfn.create_state_machine(name=f"m{time.monotonic_ns()}", definition=json.dumps(definition),
                                       roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    time.sleep(stop_after)
    sfn.stop_execution(executionArn=execution, error="Test.Stop", cause="stopped by the test")
    deadline = time.monotonic() + 30
    while (result := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert result["status"] == "ABORTED", result
    time.sleep(1.5)  # nothing runs after the stop: no later state, no Catch
    history = sfn.get_execution_history(executionArn=execution)["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    assert "Cleanup" not in entered, entered
    assert sfn.describe_execution(executionArn=execution)["status"] == "ABORTED"
