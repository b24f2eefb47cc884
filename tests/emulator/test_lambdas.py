"""`provided.*` Lambda functions that really run (studio_emulator/lambdas.py).

The function under test is a small Python script named `bootstrap` that speaks the Lambda Runtime
API, zipped on the fly. It appends every event it receives to `$OUT_DIR/events.jsonl`, so tests
can see asynchronous deliveries, and its behaviour is driven by the event.
"""
import base64
import io
import json
import os
import sys
import time
import zipfile

import pytest
from botocore.config import Config

ACCOUNT = "123456789012"
NO_RETRY = Config(retries={"total_max_attempts": 1}, read_timeout=60)

BOOTSTRAP = r'''#!{python}
import json, os, sys, time, urllib.request

API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
OUT = os.environ.get("OUT_DIR")
if os.environ.get("FAIL_INIT"):
    body = json.dumps({{"errorType": "InitBroken", "errorMessage": "cannot start"}}).encode()
    urllib.request.urlopen(urllib.request.Request(API + "/init/error", data=body, method="POST"))
    sys.exit(1)


def post(path, body, headers=None):
    req = urllib.request.Request(API + path, data=json.dumps(body).encode(), method="POST", headers=headers or {{}})
    urllib.request.urlopen(req).read()


while True:
    r = urllib.request.urlopen(API + "/invocation/next")
    rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
    event = json.loads(r.read() or b"null")
    print("event", json.dumps(event), flush=True)
    if OUT:
        with open(os.path.join(OUT, "events.jsonl"), "a") as f:
            f.write(json.dumps(event) + "\n")
    ev = event if isinstance(event, dict) else {{}}
    if ev.get("exit") is not None:
        sys.exit(int(ev["exit"]))
    if ev.get("sleep"):
        time.sleep(ev["sleep"])
    while ev.get("gate") and not os.path.exists(ev["gate"]):  # held until the test opens the gate
        time.sleep(0.05)
    if ev.get("fail"):
        post("/invocation/" + rid + "/error", {{"errorType": "Boom", "errorMessage": "asked to fail"}},
             {{"Lambda-Runtime-Function-Error-Type": "Boom"}})
        continue
    if "Records" in ev:
        if any(rec["dynamodb"]["Keys"]["pk"]["S"].startswith("always-fail") for rec in ev["Records"]):
            post("/invocation/" + rid + "/error", {{"errorType": "RecordError", "errorMessage": "cannot"}})
            continue
        if os.environ.get("ECHO_TABLE"):  # write back into the table whose stream invoked us
            for rec in ev["Records"]:
                pk = rec["dynamodb"]["Keys"]["pk"]["S"]
                if rec["eventName"] == "INSERT" and not pk.startswith("echo-"):
                    item = {{"TableName": os.environ["ECHO_TABLE"], "Item": {{"pk": {{"S": "echo-" + pk}}}}}}
                    req = urllib.request.Request(os.environ["AWS_ENDPOINT_URL"], data=json.dumps(item).encode(),
                        method="POST", headers={{"X-Amz-Target": "DynamoDB_20120810.PutItem",
                        "Content-Type": "application/x-amz-json-1.0",
                        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"}})
                    urllib.request.urlopen(req, timeout=10).read()
        failures = []
        for rec in ev["Records"]:
            pk = rec["dynamodb"]["Keys"]["pk"]["S"]
            marker = os.path.join(OUT, "failed-" + pk)
            if pk.startswith("fail-once") and not os.path.exists(marker):
                open(marker, "w").close()
                failures.append({{"itemIdentifier": rec["dynamodb"]["SequenceNumber"]}})
        post("/invocation/" + rid + "/response", {{"batchItemFailures": failures}})
        continue
    health = None
    if ev.get("call_home"):
        with urllib.request.urlopen(os.environ["AWS_ENDPOINT_URL"] + "/studio-emulator/health") as h:
            health = json.loads(h.read())["status"]
    names = ["AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
             "_HANDLER", "LAMBDA_TASK_ROOT", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
             "AWS_SECRET_ACCESS_KEY", "MY_SETTING"]
    post("/invocation/" + rid + "/response", {{
        "event": event,
        "pid": os.getpid(),
        "env": {{n: os.environ.get(n) for n in names}},
        "task_root_has_bootstrap": os.path.exists(os.path.join(os.environ["LAMBDA_TASK_ROOT"], "bootstrap")),
        "headers": {{k: r.headers.get(k) for k in ["Lambda-Runtime-Aws-Request-Id", "Lambda-Runtime-Deadline-Ms",
                     "Lambda-Runtime-Invoked-Function-Arn", "Lambda-Runtime-Trace-Id"]}},
        "health": health,
    }})
'''


def bootstrap_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        z.writestr(info, BOOTSTRAP.format(python=sys.executable))
    return buf.getvalue()


@pytest.fixture
def lam(emulator):
    return emulator.client("lambda", config=NO_RETRY)


@pytest.fixture
def make_function(emulator, lam, tmp_path):
    role = emulator.client("iam").create_role(RoleName="lambda-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]

    def make(name="fn", timeout=10, runtime="provided.al2023", **env):
        out = tmp_path / name
        out.mkdir(exist_ok=True)
        variables = {"OUT_DIR": str(out), "MY_SETTING": "42", **env}
        arn = lam.create_function(
            FunctionName=name,
            Runtime=runtime,
            Role=role,
            Handler="bootstrap",
            Code={"ZipFile": bootstrap_zip()},
            Timeout=timeout,
            MemorySize=256,
            Environment={"Variables": variables},
        )["FunctionArn"]
        return arn, out

    return make


def invoke(lam, name, event, **kwargs):
    r = lam.invoke(FunctionName=name, Payload=json.dumps(event), **kwargs)
    return r, json.loads(r["Payload"].read() or b"null")


def events(out, n, timeout=15.0):
    """Waits until the function has recorded at least n events; returns them."""
    path = out / "events.jsonl"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            got = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            if len(got) >= n:
                return got
        time.sleep(0.05)
    got = path.read_text() if path.exists() else "(nothing)"
    raise AssertionError(f"expected {n} events, got: {got}")


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_lambdas_invoke_runs_the_bootstrap(emulator, lam, make_function):
    arn, _ = make_function(timeout=7)
    t0 = time.time()
    r, out = invoke(lam, "fn", {"hello": "world", "call_home": True}, LogType="Tail")
    assert r["StatusCode"] == 200 and "FunctionError" not in r
    assert out["event"] == {"hello": "world", "call_home": True}
    env = out["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "fn"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["_HANDLER"] == "bootstrap"
    assert env["AWS_REGION"] == "us-east-1"
    assert env["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{emulator.port}"
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"]
    assert env["MY_SETTING"] == "42"
    assert out["task_root_has_bootstrap"]
    assert out["health"] == "ok"  # the function reached the emulator through AWS_ENDPOINT_URL
    h = out["headers"]
    assert h["Lambda-Runtime-Invoked-Function-Arn"] == arn
    assert h["Lambda-Runtime-Trace-Id"].startswith("Root=1-")
    assert len(h["Lambda-Runtime-Aws-Request-Id"]) == 36
    assert t0 + 6 < int(h["Lambda-Runtime-Deadline-Ms"]) / 1000 < time.time() + 7.5
    logs = base64.b64decode(r["LogResult"]).decode()
    assert f"START RequestId: {h['Lambda-Runtime-Aws-Request-Id']}" in logs and '"hello"' in logs

    # Lambda's log tail holds what the function wrote before it answered: every time, not when
    # the reader of its output happens to be ahead (API reference, Invoke: LogResult, "the last
    # 4 KB of the execution log").
    for n in range(30):
        r, _ = invoke(lam, "fn", {"n": n}, LogType="Tail")
        assert f'event {{"n": {n}}}' in base64.b64decode(r["LogResult"]).decode(), n

    # warm: the same process serves the next invocation
    _, again = invoke(lam, "fn", {"n": 2})
    assert again["pid"] == out["pid"]
    assert again["headers"]["Lambda-Runtime-Aws-Request-Id"] != h["Lambda-Runtime-Aws-Request-Id"]


def test_lambdas_error_is_unhandled(lam, make_function):
    make_function()
    r, out = invoke(lam, "fn", {"fail": True})
    assert r["StatusCode"] == 200
    assert r["FunctionError"] == "Unhandled"
    assert out == {"errorType": "Boom", "errorMessage": "asked to fail"}
    r, out = invoke(lam, "fn", {"ok": True})  # the sandbox survives a handled error
    assert "FunctionError" not in r


def test_lambdas_timeout_and_restart(lam, make_function):
    make_function(timeout=1)
    _, first = invoke(lam, "fn", {})
    t0 = time.monotonic()
    # Held until a gate that never opens: only the timeout can answer this call (the client's own
    # read timeout, 60 s, would end it with an exception instead).
    r, out = invoke(lam, "fn", {"gate": "/nonexistent/never-opened"})
    assert r["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in out["errorMessage"]
    assert time.monotonic() - t0 >= 0.9  # not before the function's timeout
    assert not alive(first["pid"])  # a timed-out sandbox is not reused
    r, out = invoke(lam, "fn", {})
    assert "FunctionError" not in r and out["pid"] != first["pid"]


def test_lambdas_process_exit_and_init_error(lam, make_function):
    make_function()
    _, first = invoke(lam, "fn", {})
    r, out = invoke(lam, "fn", {"exit": 3})
    assert r["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in out["errorMessage"]
    r, out = invoke(lam, "fn", {})
    assert "FunctionError" not in r and out["pid"] != first["pid"]

    make_function(name="broken", FAIL_INIT="1")
    r, out = invoke(lam, "broken", {})
    assert r["FunctionError"] == "Unhandled"
    assert out["errorType"] == "InitBroken"


def test_lambdas_event_invocation_is_asynchronous(lam, make_function):
    _, out_dir = make_function()
    gate = out_dir / "gate"
    # The function cannot finish before the gate opens, and the gate opens only after the call
    # answered: a synchronous invocation would never answer (the client gives up after 60 s).
    event = {"gate": str(gate), "async": 1}
    r = lam.invoke(FunctionName="fn", Payload=json.dumps(event), InvocationType="Event")
    assert r["StatusCode"] == 202
    gate.touch()
    assert events(out_dir, 1)[0] == event
    r, out = invoke(lam, "fn", {})  # the held invocation finished, so the sandbox takes the next
    assert "FunctionError" not in r


def test_lambdas_eventbridge_target(emulator, make_function):
    arn, out_dir = make_function()
    events_client = emulator.client("events", config=NO_RETRY)
    events_client.put_rule(Name="r", EventPattern=json.dumps({"source": ["studio.test"]}))
    events_client.put_targets(Rule="r", Targets=[{"Id": "1", "Arn": arn}])
    # neither a schedule-only rule nor a disabled rule receives PutEvents events
    events_client.put_rule(Name="schedule", ScheduleExpression="rate(1 hour)")
    events_client.put_targets(Rule="schedule", Targets=[{"Id": "1", "Arn": arn}])
    events_client.put_rule(Name="off", EventPattern=json.dumps({"source": ["studio.test"]}), State="DISABLED")
    events_client.put_targets(Rule="off", Targets=[{"Id": "1", "Arn": arn}])
    r = events_client.put_events(
        Entries=[
            {"Source": "other.source", "DetailType": "x", "Detail": "{}"},
            {"Source": "studio.test", "DetailType": "Thing Happened", "Detail": json.dumps({"k": "v"})},
        ]
    )
    assert r["FailedEntryCount"] == 0
    (event,) = events(out_dir, 1)
    assert event["source"] == "studio.test"
    assert event["detail-type"] == "Thing Happened"
    assert event["detail"] == {"k": "v"}
    assert event["account"] == ACCOUNT and event["region"] == "us-east-1"
    assert event["id"] == r["Entries"][1]["EventId"]
    assert event["time"].endswith("Z")
    time.sleep(0.3)
    assert len(events(out_dir, 1)) == 1  # the non-matching event was not delivered

    # Input and InputTransformer shape what the function receives
    events_client.put_targets(Rule="r", Targets=[{"Id": "1", "Arn": arn, "Input": '{"fixed": true}'}])
    events_client.put_events(Entries=[{"Source": "studio.test", "DetailType": "x", "Detail": "{}"}])
    assert events(out_dir, 2)[1] == {"fixed": True}
    events_client.put_targets(
        Rule="r",
        Targets=[{"Id": "1", "Arn": arn, "InputTransformer": {
            "InputPathsMap": {"k": "$.detail.k"}, "InputTemplate": '{"got": "<k>"}'}}],
    )
    events_client.put_events(Entries=[{"Source": "studio.test", "DetailType": "x", "Detail": '{"k": "v2"}'}])
    assert events(out_dir, 3)[2] == {"got": "v2"}


def test_lambdas_dynamodb_stream_mapping(emulator, lam, make_function):
    arn, out_dir = make_function()
    ddb = emulator.client("dynamodb", config=NO_RETRY)
    table = ddb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    stream_arn = table["LatestStreamArn"]
    ddb.put_item(TableName="t", Item={"pk": {"S": "before-mapping"}})
    lam.create_event_source_mapping(
        EventSourceArn=stream_arn,
        FunctionName="fn",
        StartingPosition="TRIM_HORIZON",
        BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    (first,) = events(out_dir, 1)  # TRIM_HORIZON: the record written before the mapping
    (record,) = first["Records"]
    assert record["eventSourceARN"] == stream_arn
    assert record["eventName"] == "INSERT"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["awsRegion"] == "us-east-1"
    assert record["dynamodb"]["NewImage"] == {"pk": {"S": "before-mapping"}}
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], (int, float))

    # A PutItem returns at once (delivery is asynchronous), even while the function is busy.
    ddb.put_item(TableName="t", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    ddb.put_item(TableName="t", Item={"pk": {"S": "a"}, "v": {"N": "2"}})
    got = events(out_dir, 2)
    delivered = [r for e in got[1:] for r in e["Records"]]
    while len(delivered) < 2:
        delivered = [r for e in events(out_dir, len(got) + 1)[1:] for r in e["Records"]]
    assert [r["eventName"] for r in delivered[:2]] == ["INSERT", "MODIFY"]
    assert delivered[1]["dynamodb"]["OldImage"]["v"] == {"N": "1"}
    assert delivered[1]["dynamodb"]["NewImage"]["v"] == {"N": "2"}

    # ReportBatchItemFailures: the batch is retried from the failed record, not from its start.
    n = len(events(out_dir, 1))
    mapping = lam.list_event_source_mappings()["EventSourceMappings"][0]["UUID"]
    lam.update_event_source_mapping(UUID=mapping, Enabled=False)  # so the three records form one batch
    time.sleep(0.6)
    for pk in ("b1", "fail-once-b2", "b3"):
        ddb.put_item(TableName="t", Item={"pk": {"S": pk}})
    lam.update_event_source_mapping(UUID=mapping, Enabled=True)
    got = events(out_dir, n + 2)
    keys = [[r["dynamodb"]["Keys"]["pk"]["S"] for r in e["Records"]] for e in got[n:]]
    assert keys[0] == ["b1", "fail-once-b2", "b3"]
    assert keys[1] == ["fail-once-b2", "b3"]


def test_lambdas_stream_filters_and_retry_limit(emulator, lam, make_function):
    _, out_dir = make_function()
    ddb = emulator.client("dynamodb", config=NO_RETRY)
    stream_arn = ddb.create_table(
        TableName="t2",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    ddb.put_item(TableName="t2", Item={"pk": {"S": "before"}})
    lam.create_event_source_mapping(
        EventSourceArn=stream_arn,
        FunctionName="fn",
        StartingPosition="LATEST",  # "before" is not delivered
        BatchSize=1,
        MaximumRetryAttempts=1,
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]},
    )
    time.sleep(0.3)
    ddb.put_item(TableName="t2", Item={"pk": {"S": "always-fail"}})
    ddb.put_item(TableName="t2", Item={"pk": {"S": "ok"}})
    ddb.put_item(TableName="t2", Item={"pk": {"S": "ok"}, "v": {"S": "modified"}})  # MODIFY: filtered out
    ddb.put_item(TableName="t2", Item={"pk": {"S": "last"}})
    got = events(out_dir, 4)
    keys = [e["Records"][0]["dynamodb"]["Keys"]["pk"]["S"] for e in got]
    assert keys == ["always-fail", "always-fail", "ok", "last"]  # one retry, then dropped
    time.sleep(0.5)
    assert len(events(out_dir, 4)) == 4


def test_lambdas_stream_function_writes_to_its_own_table(emulator, lam, make_function):
    """moto's synchronous delivery would deadlock here: PutItem → function → PutItem → function."""
    _, out_dir = make_function(ECHO_TABLE="t3")
    ddb = emulator.client("dynamodb", config=NO_RETRY)
    stream_arn = ddb.create_table(
        TableName="t3",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )["TableDescription"]["LatestStreamArn"]
    lam.create_event_source_mapping(EventSourceArn=stream_arn, FunctionName="fn", StartingPosition="LATEST")
    ddb.put_item(TableName="t3", Item={"pk": {"S": "x"}})
    got = events(out_dir, 2)  # the insert of x, then the insert of echo-x it made
    keys = [r["dynamodb"]["Keys"]["pk"]["S"] for e in got for r in e["Records"]]
    assert keys[:2] == ["x", "echo-x"]
    assert ddb.get_item(TableName="t3", Key={"pk": {"S": "echo-x"}})["Item"]


def test_lambdas_new_code_starts_a_new_sandbox(lam, make_function):
    make_function()
    _, first = invoke(lam, "fn", {})
    lam.update_function_configuration(FunctionName="fn", Environment={"Variables": {"MY_SETTING": "43"}})
    _, second = invoke(lam, "fn", {})
    assert second["env"]["MY_SETTING"] == "43"
    assert second["pid"] != first["pid"]
    deadline = time.monotonic() + 5
    while alive(first["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(first["pid"])


def test_lambdas_step_functions_task(emulator, make_function):
    arn, _ = make_function()
    sfn = emulator.client("stepfunctions", config=NO_RETRY)
    definition = {
        "StartAt": "Optimized",
        "States": {
            "Optimized": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": arn, "Payload": {"from": "sfn", "input.$": "$"}},
                "ResultSelector": {"event.$": "$.Payload.event"},
                "ResultPath": "$.optimized",
                "Next": "Direct",
            },
            "Direct": {"Type": "Task", "Resource": arn, "ResultPath": "$.direct", "Next": "Failing"},
            "Failing": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": arn, "Payload": {"fail": True}},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Done"}],
                "End": True,
            },
            "Done": {"Type": "Succeed"},
        },
    }
    machine = sfn.create_state_machine(
        name="m", definition=json.dumps(definition), roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn"
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"x": 1}))["executionArn"]
    deadline = time.monotonic() + 30
    while True:
        d = sfn.describe_execution(executionArn=execution)
        if d["status"] != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert d["status"] == "SUCCEEDED", d
    output = json.loads(d["output"])
    assert output["optimized"]["event"] == {"from": "sfn", "input": {"x": 1}}
    assert output["direct"]["event"]["x"] == 1
    assert output["caught"]["Error"] == "Boom"


def test_lambdas_reset_kills_sandboxes(emulator, lam, make_function):
    make_function()
    _, out = invoke(lam, "fn", {})
    assert alive(out["pid"])
    emulator.reset()
    deadline = time.monotonic() + 5
    while alive(out["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(out["pid"])


def test_lambdas_other_runtimes_keep_moto_behaviour(lam, make_function):
    _, out_dir = make_function(name="py", runtime="python3.12")
    r, out = invoke(lam, "py", {"echo": 1})
    assert r["StatusCode"] == 200
    assert out == {"echo": 1}  # moto's simple backend echoes the payload
    assert not (out_dir / "events.jsonl").exists()  # the bootstrap in the zip never ran


def test_lambdas_invocations_are_counted_per_function(emulator, lam, make_function):
    # CloudWatch's Invocations metric counts every run of the code, errors included, and no
    # DryRun (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html).
    assert emulator.request("GET", "/studio-emulator/invocations") == {"total": 0, "functions": {}}
    make_function("counted")
    _, out = make_function("other")
    invoke(lam, "counted", {})
    invoke(lam, "counted", {"fail": True})
    r = lam.invoke(FunctionName="counted", InvocationType="DryRun")
    assert r["StatusCode"] == 204
    lam.invoke(FunctionName="other", InvocationType="Event", Payload=b"{}")
    events(out, 1)  # counted before the code runs, so this is observable once it ran
    counted = emulator.request("GET", "/studio-emulator/invocations")
    assert counted == {"total": 3, "functions": {"counted": 2, "other": 1}}
    emulator.reset()
    assert emulator.request("GET", "/studio-emulator/invocations")["total"] == 0
