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
