"""`aws-sdk:<service>:<action>` tasks of Step Functions speak PascalCase, whatever the service's
own casing.

AWS: "Parameters in Step Functions are expressed in PascalCase, even if the native service API
is in camelCase. For example, you could use the Step Functions API action startSyncExecution and
specify its parameter as StateMachineArn."
(https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html). The result
is PascalCase too (`$.Status` of `aws-sdk:sfn:describeExecution`). Moto's interpreter hands the
task's parameters to boto3 as they are and returns boto3's answer as it is, so for a camelCase
service (Step Functions itself) the call fails on `ExecutionArn`, and a PascalCase path would
miss `status`. This maps the parameters onto the operation's member names (case-insensitively,
following the input shape) and the answer's member names to PascalCase (following the output
shape; map keys, which are data, stay as they are). PascalCase services are unchanged.
"""
from __future__ import annotations

from typing import Any

_installed = False


def to_native(value: Any, shape: Any) -> Any:
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        by_lower = {name.lower(): name for name in shape.members}
        out = {}
        for key, item in value.items():
            name = by_lower.get(key.lower(), key)
            out[name] = to_native(item, shape.members.get(name))
        return out
    if kind == "list" and isinstance(value, list):
        return [to_native(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: to_native(item, shape.value) for key, item in value.items()}
    return value


def to_pascal(value: Any, shape: Any) -> Any:
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {(key[:1].upper() + key[1:]): to_pascal(item, shape.members.get(key))
                for key, item in value.items()}
    if kind == "list" and isinstance(value, list):
        return [to_pascal(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: to_pascal(item, shape.value) for key, item in value.items()}
    return value


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as aws_sdk)

    def _eval_service_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):
        client = aws_sdk.boto_client_for(
            service=self._get_boto_service_name(),
            region=resource_runtime_part.region,
            state_credentials=state_credentials,
        )
        action = self._get_boto_service_action()
        operation = client.meta.service_model.operation_model(client.meta.method_to_api_mapping[action])
        parameters = to_native(normalised_parameters, operation.input_shape)
        response = getattr(client, action)(**parameters) or {}
        response.pop("ResponseMetadata", None)
        env.stack.append(to_pascal(response, operation.output_shape))

    aws_sdk.StateTaskServiceAwsSdk._eval_service_task = _eval_service_task
