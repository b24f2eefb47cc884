"""Injected faults for every emulated service: the `throttle` and `fail` switches.

One mechanism, in front of moto (a WSGI middleware), so it covers every service and every caller
(SDKs, Terraform, the Lambdas, and the Step Functions interpreter's `aws-sdk:*` tasks, which call
back over HTTP):

- `throttle: {"Action": n}`: the next n calls of that action fail with the throttling error the
  service documents (code and HTTP status in `THROTTLING` below).
- `fail: {"Action": {"code": "InternalException", "count": 1, "message": "...", "status": 500,
  "after": false}}`: the next `count` calls fail with that error code. `status` defaults to the
  status the service's model gives that code (400 otherwise, 500 for a code naming an internal
  error). `after: true` lets the call happen first and then answers with the error, the
  "ambiguous failure" (the caller cannot know whether its call took effect).

- `latency: {"Action": seconds}`: every call of that action takes this much longer before it is
  answered (a slow or distant endpoint), so a test can interrupt a client in the middle of one
  call. It stays until set to 0. A delayed answer carries the header `x-studio-emulator-latency`
  (the seconds added), so a test can tell which calls were slowed without timing the others.

An action is named `Action` (any service) or `service:Action`, the service by its SDK name or its
signing name (`efs` or `elasticfilesystem`, `stepfunctions` or `states`, `dynamodb`, ...). The
request's service comes from the SigV4 credential scope; the action from `X-Amz-Target` (JSON
protocols), the `Action` form field (query protocols) or the operation whose HTTP method and URI
template match (REST protocols, from botocore's service model). Each count goes down by one per
failed call and stays in the switch at 0, so a test can read how many were consumed.
"""
from __future__ import annotations

import functools
import io
import json
import re
import time
import urllib.parse
import uuid
from typing import Any

from .settings import SETTINGS

# The throttling error each service documents (error code, HTTP status), by signing name.
THROTTLING = {
    # SageMaker API Reference, "Common Errors": ThrottlingException, HTTP 400.
    "sagemaker": ("ThrottlingException", 400),
    # DataSync API Reference, "Common Errors": ThrottlingException, HTTP 400.
    "datasync": ("ThrottlingException", 400),
    # EFS API Reference, "ThrottlingException": HTTP 429.
    "elasticfilesystem": ("ThrottlingException", 429),
    # DynamoDB Developer Guide, "Error handling with DynamoDB": ThrottlingException (control plane),
    # 400; data-plane calls get ProvisionedThroughputExceededException, 400 (see DYNAMODB_DATA).
    "dynamodb": ("ThrottlingException", 400),
    # SNS API Reference (e.g. Publish), "ThrottledException": code Throttled, HTTP 429.
    "sns": ("Throttled", 429),
    # Step Functions API Reference, "Common Errors": ThrottlingException, HTTP 400.
    "states": ("ThrottlingException", 400),
    # IAM API Reference, "Common Errors": ThrottlingException, HTTP 400.
    "iam": ("ThrottlingException", 400),
    # Lambda API Reference (e.g. Invoke), "TooManyRequestsException": HTTP 429.
    "lambda": ("TooManyRequestsException", 429),
    # EventBridge API Reference, "Common Errors": ThrottlingException, HTTP 400.
    "events": ("ThrottlingException", 400),
}
DEFAULT_THROTTLING = ("ThrottlingException", 400)  # the "Common Errors" of most AWS APIs
DYNAMODB_DATA = {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                 "BatchWriteItem", "TransactGetItems", "TransactWriteItems", "ExecuteStatement",
                 "BatchExecuteStatement", "ExecuteTransaction"}
MESSAGES = {"Throttled": "Rate exceeded", "ThrottlingException": "Rate exceeded",
            "TooManyRequestsException": "Rate exceeded",
            "ProvisionedThroughputExceededException":
                "The level of configured provisioned throughput for the table was exceeded. "
                "Consider increasing your provisioning level with the UpdateTable API."}

# signing name <-> botocore service name, where they differ
SDK_NAMES = {"elasticfilesystem": "efs", "states": "stepfunctions", "monitoring": "cloudwatch"}
TARGET_PREFIXES = {"DynamoDB_20120810": "dynamodb", "DynamoDBStreams_20120810": "dynamodb",
                   "SageMaker": "sagemaker", "FmrsService": "datasync", "AWSStepFunctions": "states",
                   "AWSEvents": "events", "Logs_20140328": "logs", "AmazonSSM": "ssm",
                   "AmazonSQS": "sqs"}
CREDENTIAL = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")


def _active(table: dict) -> bool:
    for value in table.values():
        count = value.get("count", 1) if isinstance(value, dict) else value
        if isinstance(count, int) and count > 0:
            return True
    return False


@functools.lru_cache(maxsize=None)
def _rest_routes(sdk_name: str) -> list:
    """[(method, regex, literal length, operation)] for a REST service, most specific first."""
    import botocore.session

    try:
        model = botocore.session.get_session().get_service_model(sdk_name)
    except Exception:
        return []
    routes = []
    for op_name in model.operation_names:
        http = model.operation_model(op_name).http
        path, _, query = http.get("requestUri", "/").partition("?")
        pattern = ""
        for part in re.split(r"(\{[^}]+\})", path):
            if part.startswith("{"):
                pattern += ".+" if part.endswith("+}") else "[^/]+"
            else:
                pattern += re.escape(part)
        fixed_query = [q.split("=")[0] for q in query.split("&") if q and "=" not in q]
        routes.append((http.get("method", "POST"), re.compile(f"^{pattern}/?$"),
                       len(re.sub(r"\{[^}]+\}", "", path)), fixed_query, op_name))
    routes.sort(key=lambda r: -r[2])
    return routes


def identify(environ) -> tuple[str | None, str | None, str]:
    """(signing name, action, protocol) of a request; protocol is json, query or rest."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    found = CREDENTIAL.search(auth)
    service = found.group(1) if found else None
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        prefix, _, action = target.rpartition(".")
        return service or TARGET_PREFIXES.get(prefix), action, "json"
    content_type = environ.get("CONTENT_TYPE", "")
    if "x-www-form-urlencoded" in content_type:
        body = _body(environ)
        action = urllib.parse.parse_qs(body.decode(errors="replace")).get("Action", [None])[0]
        if action:
            return service, action, "query"
    query_action = urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).get("Action", [None])[0]
    if query_action:
        return service, query_action, "query"
    if service is None:
        return None, None, "rest"
    method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    for route_method, regex, _, fixed_query, op_name in _rest_routes(SDK_NAMES.get(service, service)):
        if route_method == method and regex.match(path) and all(q in query for q in fixed_query):
            return service, op_name, "rest"
    return service, None, "rest"


def _body(environ) -> bytes:
    """Reads the request body and puts it back, so moto still reads it."""
    if "studio_emulator.body" in environ:
        return environ["studio_emulator.body"]
    length = environ.get("CONTENT_LENGTH")
    stream = environ["wsgi.input"]
    data = stream.read(int(length)) if length else stream.read()
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    environ["studio_emulator.body"] = data
    return data


def _names(service: str | None, action: str) -> list[str]:
    names = [action]
    if service:
        names = [f"{service}:{action}", f"{SDK_NAMES.get(service, service)}:{action}", action]
    return names


def take(service: str | None, action: str) -> dict | None:
    """The fault this call of `action` must answer with (consuming one), or None."""
    with SETTINGS.lock:
        for key in _names(service, action):
            spec = SETTINGS.config["fail"].get(key)
            if isinstance(spec, dict) and spec.get("count", 1) > 0:
                spec["count"] = spec.get("count", 1) - 1
                return {"code": spec.get("code", "InternalFailure"), "message": spec.get("message"),
                        "status": spec.get("status"), "after": bool(spec.get("after"))}
        for key in _names(service, action):
            left = SETTINGS.config["throttle"].get(key)
            if isinstance(left, int) and left > 0:
                SETTINGS.config["throttle"][key] = left - 1
                code, status = THROTTLING.get(service or "", DEFAULT_THROTTLING)
                if service == "dynamodb" and action in DYNAMODB_DATA:
                    code = "ProvisionedThroughputExceededException"
                return {"code": code, "message": None, "status": status, "after": False}
    return None


@functools.lru_cache(maxsize=None)
def modeled_status(service: str, code: str) -> int | None:
    import botocore.session

    try:
        model = botocore.session.get_session().get_service_model(SDK_NAMES.get(service, service))
    except Exception:
        return None
    for shape in model.error_shapes:
        error = shape.metadata.get("error") or {}
        if shape.name == code or error.get("code") == code:
            return error.get("httpStatusCode")
    return None


def error_response(service: str | None, protocol: str, fault: dict):
    """(status line, headers, body) of an AWS error in the request's protocol."""
    code = fault["code"]
    status = fault["status"] or (service and modeled_status(service, code)) or (
        500 if "internal" in code.lower() or "serviceunavailable" in code.lower() else 400)
    message = fault["message"] or MESSAGES.get(code) or f"Injected fault: {code}"
    request_id = str(uuid.uuid4())
    headers = [("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", code)]
    if protocol == "query":
        kind = "Receiver" if status >= 500 else "Sender"
        body = (f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code>"
                f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId>"
                f"</ErrorResponse>").encode()
        headers.append(("Content-Type", "text/xml"))
    else:
        document: dict[str, Any] = {"__type": code, "message": message}
        if protocol == "rest":  # EFS's error shapes carry ErrorCode/Message
            document.update(ErrorCode=code, Message=message)
        body = json.dumps(document).encode()
        headers.append(("Content-Type", "application/x-amz-json-1.1" if protocol == "json"
                        else "application/json"))
    headers.append(("Content-Length", str(len(body))))
    return f"{status} {_reason(status)}", headers, body


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def latency(service: str | None, action: str) -> float:
    """How much longer a call of `action` takes (the `latency` switch)."""
    with SETTINGS.lock:
        for key in _names(service, action):
            seconds = SETTINGS.config["latency"].get(key)
            if isinstance(seconds, (int, float)) and seconds > 0:
                return float(seconds)
    return 0.0


def _marked_late(start_response, delay: float):
    """`start_response` that adds the `x-studio-emulator-latency` header to the answer."""

    def marked(status, headers, *args):
        return start_response(status, [*headers, (LATENCY_HEADER, f"{delay:g}")], *args)

    return marked


LATENCY_HEADER = "x-studio-emulator-latency"


class FaultMiddleware:
    """Answers a call with an injected error when `throttle` or `fail` names its action, and
    late when `latency` does."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        with SETTINGS.lock:
            armed = (_active(SETTINGS.config["fail"]) or _active(SETTINGS.config["throttle"])
                     or bool(SETTINGS.config["latency"]))
        if not armed or environ.get("PATH_INFO", "").startswith(("/moto-api", "/studio-emulator")):
            return self.app(environ, start_response)
        service, action, protocol = identify(environ)
        delay = latency(service, action) if action else 0.0
        if delay:
            time.sleep(delay)
            start_response = _marked_late(start_response, delay)
        fault = take(service, action) if action else None
        if fault is None:
            return self.app(environ, start_response)
        if fault["after"]:
            # The call takes effect; only its answer is lost.
            result = self.app(environ, lambda *args, **kwargs: (lambda data: None))
            try:
                for _ in result:
                    pass
            finally:
                if hasattr(result, "close"):
                    result.close()
        status, headers, body = error_response(service, protocol, fault)
        start_response(status, headers)
        return [body]
