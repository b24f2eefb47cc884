"""Lambda functions with a `provided.*` runtime really run.

On the first invoke of a function, the `bootstrap` of its zip is unpacked into a temporary
directory and started with `AWS_LAMBDA_RUNTIME_API` pointing at a Runtime API server that this
module runs in-process on a free port (one per sandbox). The process stays warm and serves one
invocation at a time; the function's Timeout is enforced (the sandbox is killed), a process that
exits is restarted on the next invoke, and a change of code or configuration starts a new sandbox.

Hooked paths, so that every way of invoking a function runs the real binary:
- `LambdaFunction.invoke` and `LambdaSimpleBackend.invoke`: direct Invoke (RequestResponse, Event,
  DryRun), Step Functions `lambda:invoke` tasks (they call Invoke over HTTP), SQS/Kinesis/SNS/logs
  deliveries that moto makes.
- DynamoDB streams: moto pushes records to the function synchronously inside PutItem. Instead, one
  poller thread per event-source mapping reads the shard and delivers batches asynchronously, in
  order, honouring BatchSize, StartingPosition, Enabled, FilterCriteria, MaximumRetryAttempts and
  FunctionResponseTypes ReportBatchItemFailures (retry from the first failed sequence number).
- EventBridge rules with Lambda targets (moto raises NotImplementedError): delivered
  asynchronously, with Input / InputPath / InputTransformer.

Functions with other runtimes keep moto's behaviour. Sandboxes are killed on `/moto-api/reset`
and at exit.
"""
from __future__ import annotations

import atexit
import base64
import copy
import io
import json
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.awslambda_simple.models import LambdaSimpleBackend

from . import lambda_efs
from .lambda_efs import MountPlan
from .settings import SETTINGS

RUNTIME_PREFIX = "/2018-06-01/runtime"
INIT_TIMEOUT = 10.0  # seconds, as Lambda gives the init phase


def is_provided(fn: Any) -> bool:
    return str(getattr(fn, "run_time", None) or "").startswith("provided")


def header(headers: Any, name: str, default: str | None = None) -> str | None:
    if not headers:
        return default
    lname = name.lower()
    try:
        for k, v in headers.items():
            if k.lower() == lname:
                return v
    except AttributeError:
        pass
    return default


def log(msg: str) -> None:
    print(f"[studio-emulator lambda] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# process spawning: children are started from one long-lived thread, so that PR_SET_PDEATHSIG
# (which fires when the *thread* that forked exits) only fires when the emulator dies.


def _die_with_parent() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class _Spawner:
    def __init__(self) -> None:
        self.requests: queue.Queue = queue.Queue()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def _run(self) -> None:
        while True:
            args, kwargs, box = self.requests.get()
            try:
                box["proc"] = subprocess.Popen(*args, preexec_fn=_die_with_parent, **kwargs)
            except BaseException as e:  # handed back to the caller
                box["error"] = e
            box["done"].set()

    def popen(self, *args: Any, **kwargs: Any) -> subprocess.Popen:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="lambda-spawner", daemon=True)
                self.thread.start()
        box: dict[str, Any] = {"done": threading.Event()}
        self.requests.put((args, kwargs, box))
        box["done"].wait()
        if "error" in box:
            raise box["error"]
        return box["proc"]


SPAWNER = _Spawner()


# ---------------------------------------------------------------------------------------------
# the Runtime API


class Invocation:
    def __init__(self, payload: bytes, function_arn: str, timeout: float):
        self.id = str(uuid.uuid4())
        self.payload = payload
        self.function_arn = function_arn
        self.timeout = timeout
        self.deadline_ms = 0
        self.fetched = threading.Event()
        self.done = threading.Event()
        self.result: bytes = b""
        self.error_type: str | None = None  # set when the function failed
        now = int(time.time())
        self.trace_id = f"Root=1-{now:08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"

    def finish(self, body: bytes, error_type: str | None) -> None:
        if self.done.is_set():
            return
        self.result = body
        self.error_type = error_type
        self.done.set()


def _error_body(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


class RuntimeApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "RuntimeApiServer"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def _read_body(self) -> bytes:
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            out = io.BytesIO()
            while True:
                line = self.rfile.readline().strip()
                size = int(line.split(b";")[0] or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return out.getvalue()
                out.write(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        try:
            self.end_headers()
            if body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the runtime went away (killed sandbox)

    def do_GET(self) -> None:  # noqa: N802
        sandbox = self.server.sandbox
        if self.path.rstrip("/") != f"{RUNTIME_PREFIX}/invocation/next":
            self._send(404, _error_body("NotFound", "unknown path"))
            return
        while True:
            if sandbox.closed:
                self._send(410, _error_body("Gone", "sandbox is shutting down"))
                return
            try:
                inv: Invocation = sandbox.pending.get(timeout=0.25)
            except queue.Empty:
                continue
            if inv.done.is_set():
                continue
            break
        inv.deadline_ms = int((time.time() + inv.timeout) * 1000)
        sandbox.current = inv
        inv.fetched.set()
        self._send(
            200,
            inv.payload,
            {
                "Lambda-Runtime-Aws-Request-Id": inv.id,
                "Lambda-Runtime-Deadline-Ms": str(inv.deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": inv.function_arn,
                "Lambda-Runtime-Trace-Id": inv.trace_id,
            },
        )

    def do_POST(self) -> None:  # noqa: N802
        sandbox = self.server.sandbox
        body = self._read_body()
        path = self.path.rstrip("/")
        if path == f"{RUNTIME_PREFIX}/init/error":
            error_type = self.headers.get("Lambda-Runtime-Function-Error-Type") or "Runtime.Unknown"
            sandbox.init_error = (body or _error_body(error_type, "init failed"), error_type)
            self._send(202, b'{"status":"OK"}')
            return
        prefix = f"{RUNTIME_PREFIX}/invocation/"
        if path.startswith(prefix):
            rest = path[len(prefix) :]
            request_id, _, kind = rest.partition("/")
            inv = sandbox.current
            if inv is None or inv.id != request_id:
                self._send(400, _error_body("InvalidRequestID", f"unknown request id {request_id}"))
                return
            if kind == "response":
                inv.finish(body, None)
                self._send(202, b'{"status":"OK"}')
                return
            if kind == "error":
                error_type = self.headers.get("Lambda-Runtime-Function-Error-Type") or "Unhandled"
                inv.finish(body or _error_body(error_type, "Unhandled"), error_type)
                self._send(202, b'{"status":"OK"}')
                return
        self._send(404, _error_body("NotFound", "unknown path"))


class RuntimeApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, sandbox: "Sandbox"):
        self.sandbox = sandbox
        super().__init__(("127.0.0.1", 0), RuntimeApiHandler)


# ---------------------------------------------------------------------------------------------
# sandboxes


class Sandbox:
    def __init__(self, fn: LambdaFunction, key: tuple, mount: MountPlan | None = None):
        self.key = key
        self.mount = mount
        self.function_name = fn.function_name
        self.function_arn = fn.function_arn
        self.lock = threading.Lock()  # one invocation at a time
        self.pending: queue.Queue = queue.Queue()
        self.current: Invocation | None = None
        self.closed = False
        self.proc: subprocess.Popen | None = None
        self.init_error: tuple[bytes, str] | None = None
        self.logs: list[str] = []
        self.logs_lock = threading.Lock()
        self.pump_lock = threading.Lock()
        self.partial_lines: dict[int, bytes] = {}
        self.dir = tempfile.mkdtemp(prefix=f"lambda-{fn.function_name}-")
        if mount is not None and mount.uid not in (None, 0):
            os.chmod(self.dir, 0o755)  # the task root stays readable for the access point's user
        self.server = RuntimeApiServer(self)
        self.server_thread = threading.Thread(
            target=self.server.serve_forever, name=f"runtime-api-{fn.function_name}", daemon=True
        )
        self.server_thread.start()
        self._unpack(fn)

    @property
    def runtime_api(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def _unpack(self, fn: LambdaFunction) -> None:
        data = getattr(fn, "code_bytes", b"") or b""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for info in zf.infolist():
                    target = os.path.realpath(os.path.join(self.dir, info.filename))
                    if not target.startswith(os.path.realpath(self.dir) + os.sep):
                        continue  # no path escapes out of the task root
                    zf.extract(info, self.dir)
                    mode = (info.external_attr >> 16) & 0o7777
                    if mode and not info.is_dir():
                        os.chmod(target, mode)
        except zipfile.BadZipFile:
            pass
        boot = os.path.join(self.dir, "bootstrap")
        if os.path.isfile(boot):
            os.chmod(boot, os.stat(boot).st_mode | 0o555)

    def _environment(self, fn: LambdaFunction) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{SETTINGS.port}",
        }
        env.update({k: str(v) for k, v in (fn.environment_vars or {}).items()})
        env.update(
            {
                "AWS_LAMBDA_RUNTIME_API": self.runtime_api,
                "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
                "AWS_LAMBDA_FUNCTION_VERSION": str(getattr(fn, "version", "") or "$LATEST"),
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.function_name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": f"{datetime.now(timezone.utc):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}",
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_REGION": fn.region,
                "AWS_DEFAULT_REGION": fn.region,
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_SESSION_TOKEN": "test",
                "_HANDLER": fn.handler or "bootstrap",
                "LAMBDA_TASK_ROOT": self.dir,
                "LAMBDA_RUNTIME_DIR": self.dir,
            }
        )
        return env

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, fn: LambdaFunction) -> None:
        boot = os.path.join(self.dir, "bootstrap")
        if not os.path.isfile(boot):
            raise FileNotFoundError("bootstrap")
        self.init_error = None
        argv, pass_fds, root_fd = [boot], (), None
        if self.mount is not None:
            root_fd = self._open_mount_source()
            argv, pass_fds = self._mount_argv(boot, root_fd), (root_fd,)
        try:
            self.proc = SPAWNER.popen(
                argv,
                cwd=self.dir,
                env=self._environment(fn),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                pass_fds=pass_fds,
            )
        finally:
            if root_fd is not None:
                os.close(root_fd)
        threading.Thread(target=self._pump_logs, args=(self.proc,), daemon=True).start()

    def _open_mount_source(self) -> int:
        """The access point's root directory, opened (and created from CreationInfo) as EFS does at
        mount time, i.e. when a sandbox starts (efs.open_access_point_root)."""
        from moto.efs.models import efs_backends

        from .efs import AccessPointRootMissing, open_access_point_root

        m = self.mount
        assert m is not None
        where = f"function {self.function_name} cannot mount access point {m.access_point_id} at {m.target}"
        if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("mount") is None:
            raise lambda_efs.EFSMountFailureException(
                f"{where}: the emulator mounts file systems in a private mount namespace, which needs root "
                f"and util-linux (unshare, mount); run the emulator as root")
        ap = None
        for regions in efs_backends.values():
            for backend in regions.values():
                ap = backend.access_points.get(m.access_point_id) or ap
        if ap is None:
            raise lambda_efs.EFSMountFailureException(f"{where}: the access point does not exist")
        try:
            return open_access_point_root(m.file_system_id, ap)
        except AccessPointRootMissing as e:
            raise lambda_efs.EFSMountFailureException(f"{where}: {e}")
        except OSError as e:
            raise lambda_efs.EFSMountFailureException(
                f"{where}: its root directory cannot be opened ({e.strerror}; symlinks are not followed)")

    def _mount_argv(self, boot: str, root_fd: int) -> list[str]:
        m = self.mount
        assert m is not None
        spec = {"fd": root_fd, "target": m.target, "read_only": m.read_only, "uid": m.uid, "gid": m.gid,
                "groups": list(m.groups)}
        helper = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lambda_mount.py")
        return ["unshare", "--mount", "--propagation", "private", "--",
                sys.executable, "-I", helper, json.dumps(spec), boot]

    def _pump_logs(self, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        os.set_blocking(fd, False)
        while self._drain_logs(proc):
            select.select([fd], [], [], 0.2)

    def _drain_logs(self, proc: subprocess.Popen) -> bool:
        """Reads every complete line the function has written so far; False at the end of its
        output. An invocation's log tail takes what the function wrote before it answered, so
        `invoke` drains too once the answer is in, not only this thread (which may lag)."""
        assert proc.stdout is not None
        with self.pump_lock:
            partial = self.partial_lines.get(proc.pid, b"")
            ended = False
            while True:
                try:
                    chunk = os.read(proc.stdout.fileno(), 65536)
                except BlockingIOError:
                    break
                except (OSError, ValueError):
                    chunk = b""
                if not chunk:
                    ended = True
                    break
                partial += chunk
            *lines, partial = partial.split(b"\n")
            if ended and partial:
                lines.append(partial)
                partial = b""
            self.partial_lines[proc.pid] = partial
            for raw in lines:
                line = raw.decode("utf-8", "replace")
                with self.logs_lock:
                    self.logs.append(line)
                    if len(self.logs) > 10000:
                        del self.logs[:5000]
                log(f"{self.function_name}: {line}")
            if ended:
                self.partial_lines.pop(proc.pid, None)
            return not ended

    def stop_process(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.kill()
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> None:
        self.closed = True
        if self.current is not None:
            self.current.finish(_error_body("Sandbox.Stopped", "The sandbox was stopped"), "Unhandled")
        self.stop_process()
        try:
            self.server.shutdown()
            self.server.server_close()
        except Exception:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def invoke(self, fn: LambdaFunction, payload: bytes) -> tuple[bytes, str | None, str]:
        """Run one invocation: (payload, function error type or None, log tail). Raises
        EFSMountFailureException (the code never ran) when a cold start cannot mount."""
        with self.lock:
            if self.closed:
                count_invocation(fn)
                return _error_body("Sandbox.Stopped", "The sandbox was stopped"), "Unhandled", ""
            with self.logs_lock:
                log_start = len(self.logs)
            inv = Invocation(payload, fn.function_arn, float(fn.timeout or 3))
            cold = not self.alive()
            if cold:
                try:
                    self.start(fn)
                except (OSError, FileNotFoundError) as e:
                    count_invocation(fn)
                    detail = f"Couldn't find valid bootstrap(s): [{e}]"
                    return _error_body("Runtime.InvalidEntrypoint", detail), "Unhandled", ""
            count_invocation(fn)
            proc = self.proc
            self.pending.put(inv)
            started = time.monotonic()
            result = self._wait(inv, cold, started)
            self.current = None
            if proc is not None:
                self._drain_logs(proc)
            with self.logs_lock:
                lines = self.logs[log_start:]
            body, error_type = result
            report = [f"START RequestId: {inv.id} Version: $LATEST", *lines, f"END RequestId: {inv.id}"]
            duration = (time.monotonic() - started) * 1000
            report.append(
                f"REPORT RequestId: {inv.id}\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} ms\t"
                f"Memory Size: {fn.memory_size} MB"
            )
            return body, error_type, "\n".join(report)

    def _wait(self, inv: Invocation, cold: bool, started: float) -> tuple[bytes, str | None]:
        fetch_limit = started + (INIT_TIMEOUT if cold else 1.0) + inv.timeout
        while not inv.fetched.wait(0.02):
            if self.init_error is not None:
                body, _ = self.init_error
                self.stop_process()
                return body, "Unhandled"
            if not self.alive():
                code = self.proc.returncode if self.proc is not None else None
                self.stop_process()
                return (
                    _error_body("Runtime.ExitError", f"RequestId: {inv.id} Error: Runtime exited with error: exit status {code}"),
                    "Unhandled",
                )
            if time.monotonic() > fetch_limit:
                self.stop_process()
                return (
                    _error_body("Sandbox.Timedout", f"RequestId: {inv.id} Error: Task timed out after {inv.timeout:.2f} seconds"),
                    "Unhandled",
                )
        limit = time.monotonic() + inv.timeout
        while not inv.done.wait(0.02):
            if not self.alive():
                code = self.proc.returncode if self.proc is not None else None
                self.stop_process()
                inv.finish(
                    _error_body("Runtime.ExitError", f"RequestId: {inv.id} Error: Runtime exited with error: exit status {code}"),
                    "Unhandled",
                )
                break
            if time.monotonic() > limit:
                self.stop_process()  # Lambda does not reuse a sandbox that timed out
                inv.finish(
                    _error_body("Sandbox.Timedout", f"RequestId: {inv.id} Error: Task timed out after {inv.timeout:.2f} seconds"),
                    "Unhandled",
                )
                break
        return inv.result, ("Unhandled" if inv.error_type else None)


class Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sandboxes: dict[str, Sandbox] = {}
        self.generation = 0  # bumped on reset: stream pollers of older generations stop

    def sandbox_for(self, fn: LambdaFunction, mount: MountPlan | None = None) -> Sandbox:
        key = (
            fn.function_arn,
            str(fn.version),
            getattr(fn, "code_sha_256", ""),
            fn.last_modified,
            json.dumps(fn.environment_vars or {}, sort_keys=True),
            fn.timeout,
            fn.memory_size,
            mount.key() if mount is not None else None,
        )
        name = f"{fn.function_arn}:{fn.version}"
        with self.lock:
            box = self.sandboxes.get(name)
            if box is not None and box.key == key and not box.closed:
                return box
            old = box
            box = Sandbox(fn, key, mount)
            self.sandboxes[name] = box
        if old is not None:
            threading.Thread(target=old.close, daemon=True).start()  # it may be mid-invocation
        return box

    def kill_all(self) -> None:
        with self.lock:
            boxes = list(self.sandboxes.values())
            self.sandboxes.clear()
            self.generation += 1
        for box in boxes:
            box.close()


REGISTRY = Registry()


# ---------------------------------------------------------------------------------------------
# the invoke path


# How many times each function's code ran, by function name: the emulator's stand-in for
# CloudWatch's `Invocations` metric ("the number of times that your function code is invoked,
# including successful invocations and invocations that result in a function error";
# https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html). A DryRun is not
# an invocation: it only validates the request. Read with `GET /studio-emulator/invocations`.
_INVOCATIONS: dict[str, int] = {}
_INVOCATIONS_LOCK = threading.Lock()


def count_invocation(fn: LambdaFunction) -> None:
    with _INVOCATIONS_LOCK:
        _INVOCATIONS[fn.function_name] = _INVOCATIONS.get(fn.function_name, 0) + 1


def invocations() -> dict[str, Any]:
    with _INVOCATIONS_LOCK:
        functions = dict(sorted(_INVOCATIONS.items()))
    return {"total": sum(functions.values()), "functions": functions}


def run_function(fn: LambdaFunction, payload: Any) -> tuple[bytes, str | None, str]:
    mount = lambda_efs.plan_mount(fn)  # raises EFSMountFailureException before any code runs
    if payload is None or payload == "" or payload == b"":
        payload = b"{}"
    if isinstance(payload, str):
        payload = payload.encode()
    if not isinstance(payload, bytes):
        payload = json.dumps(payload).encode()
    return REGISTRY.sandbox_for(fn, mount).invoke(fn, payload)


def _save_logs(fn: LambdaFunction, logs: str) -> None:
    try:
        fn.logs_backend.ensure_log_group(fn.logs_group_name)
        fn.save_logs(logs)
    except Exception:
        pass


def provided_invoke(fn: LambdaFunction, body: Any, request_headers: Any, response_headers: dict) -> bytes:
    inv_type = header(request_headers, "X-Amz-Invocation-Type", "RequestResponse")
    if inv_type == "DryRun":
        return b""
    if inv_type == "Event":

        def background() -> None:
            try:
                _, error, logs = run_function(fn, body)
                _save_logs(fn, logs)
                if error:
                    log(f"{fn.function_name}: asynchronous invocation failed")
            except Exception as e:
                log(f"{fn.function_name}: asynchronous invocation failed: {e!r}")

        threading.Thread(target=background, name=f"invoke-{fn.function_name}", daemon=True).start()
        return b""
    result, error, logs = run_function(fn, body)
    _save_logs(fn, logs)
    if error:
        response_headers["x-amz-function-error"] = error
    response_headers["x-amz-log-result"] = base64.b64encode(logs.encode()[-4096:]).decode()
    response_headers["X-Amz-Executed-Version"] = str(fn.version)
    return result


_original_function_invoke = LambdaFunction.invoke
_original_simple_invoke = LambdaSimpleBackend.invoke


def patched_function_invoke(self: LambdaFunction, body: Any, request_headers: Any, response_headers: Any):
    if not is_provided(self):
        if header(request_headers, "X-Amz-Invocation-Type", "RequestResponse") != "DryRun":
            count_invocation(self)
        return _original_function_invoke(self, body, request_headers, response_headers)
    return provided_invoke(self, body, request_headers, response_headers)


def patched_simple_invoke(self: LambdaSimpleBackend, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any):
    fn = self.get_function(function_name, qualifier)
    if not is_provided(fn):
        if header(headers, "X-Amz-Invocation-Type", "RequestResponse") != "DryRun":
            count_invocation(fn)
        return _original_simple_invoke(self, function_name, qualifier, body, headers, response_headers)
    payload = provided_invoke(fn, body, headers, response_headers)
    response_headers["Content-Length"] = str(len(payload))
    return payload


# ---------------------------------------------------------------------------------------------
# DynamoDB stream event-source mappings


STREAM_WAKE = threading.Condition()


def _lambda_backend(account: str, region: str) -> LambdaBackend:
    from moto.awslambda.utils import get_backend

    return get_backend(account, region)


def _table_for_stream(account: str, region: str, stream_arn: str):
    from moto.dynamodb.models import dynamodb_backends

    try:
        name = stream_arn.split(":", 5)[5].split("/")[1]
        table = dynamodb_backends[account][region].get_table(name)
    except Exception:
        return None
    if getattr(table, "stream_shard", None) is None:
        return None
    if getattr(table, "latest_stream_label", None) and not stream_arn.endswith(table.latest_stream_label):
        return None
    return table


def _record_payload(record: dict[str, Any], esm: Any, region: str) -> dict[str, Any]:
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record["eventVersion"],
        "eventSource": record["eventSource"],
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": esm.event_source_arn,
    }


def _passes_filters(esm: Any, record: dict[str, Any]) -> bool:
    criteria = getattr(esm, "filter_criteria", None) or {}
    filters = criteria.get("Filters") or []
    if not filters:
        return True
    from moto.events.models import EventPattern

    for f in filters:
        try:
            if EventPattern.load(f.get("Pattern")).matches_event(record):
                return True
        except Exception:
            return True  # a pattern moto cannot evaluate does not drop records
    return False


class StreamPoller(threading.Thread):
    def __init__(self, account: str, region: str, esm: Any, generation: int):
        super().__init__(name=f"esm-{esm.uuid}", daemon=True)
        self.account = account
        self.region = region
        self.uuid = esm.uuid
        self.stream_arn = esm.event_source_arn
        self.generation = generation
        table = _table_for_stream(account, region, self.stream_arn)
        shard = table.stream_shard if table is not None else None
        start = shard.starting_sequence_number if shard is not None else 0
        if shard is not None and (esm.starting_position or "TRIM_HORIZON") == "LATEST":
            start += len(shard.items)
        self.position = start  # the next sequence number to deliver
        self.shard = shard

    def _esm(self) -> Any:
        return _lambda_backend(self.account, self.region)._event_source_mappings.get(self.uuid)

    def run(self) -> None:
        retries = 0
        while REGISTRY.generation == self.generation:
            esm = self._esm()
            if esm is None:
                return
            table = _table_for_stream(self.account, self.region, self.stream_arn)
            if table is None or table.stream_shard is not self.shard:
                return  # stream deleted or replaced
            if not esm.enabled:
                with STREAM_WAKE:
                    STREAM_WAKE.wait(0.5)
                continue
            offset = self.position - self.shard.starting_sequence_number
            batch = [r.to_json() for r in self.shard.items[offset : offset + int(esm.batch_size or 100)]]
            if not batch:
                with STREAM_WAKE:
                    if len(self.shard.items) <= offset:
                        STREAM_WAKE.wait(0.5)
                continue
            last_seq = int(batch[-1]["dynamodb"]["SequenceNumber"])
            records = [
                p for p in (_record_payload(r, esm, self.region) for r in batch) if _passes_filters(esm, p)
            ]
            if not records:
                self.position = last_seq + 1
                continue
            ok, failed_at = self._deliver(esm, records)
            if ok:
                self.position = last_seq + 1
                retries = 0
                continue
            retries += 1
            max_retries = esm.max_retry_attempts
            if max_retries is not None and int(max_retries) >= 0 and retries > int(max_retries):
                log(f"stream mapping {self.uuid}: dropping batch after {retries} attempts")
                self.position = last_seq + 1
                retries = 0
                continue
            if failed_at is not None:
                self.position = failed_at
            time.sleep(min(0.2 * 2 ** (retries - 1), 5.0))

    def _deliver(self, esm: Any, records: list[dict[str, Any]]) -> tuple[bool, int | None]:
        """(success, sequence number to retry from when the function reported item failures)."""
        backend = _lambda_backend(self.account, self.region)
        try:
            fn = backend.get_function(esm.function_arn, None)
        except Exception:
            return False, None
        body = json.dumps({"Records": records})
        response_headers: dict[str, Any] = {}
        try:
            if is_provided(fn):
                result, error, logs = run_function(fn, body)
                _save_logs(fn, logs)
            else:
                result = backend.invoke(fn.function_name, None, body, {}, response_headers)
                error = response_headers.get("x-amz-function-error")
        except Exception as e:
            log(f"stream mapping {self.uuid}: invoke failed: {e!r}")
            return False, None
        if error:
            return False, None
        if "ReportBatchItemFailures" not in (esm.function_response_types or []):
            return True, None
        try:
            response = json.loads(result or b"null")
        except ValueError:
            return True, None
        failures = response.get("batchItemFailures") if isinstance(response, dict) else None
        if not failures:
            return True, None
        seqs = {int(r["dynamodb"]["SequenceNumber"]) for r in records}
        failed = []
        for f in failures:
            ident = f.get("itemIdentifier") if isinstance(f, dict) else None
            try:
                n = int(ident)
            except (TypeError, ValueError):
                return False, None  # an invalid identifier fails the whole batch
            if n not in seqs:
                return False, None
            failed.append(n)
        return False, min(failed)


def _stream_add(self: Any, old: Any, new: Any) -> None:
    """moto's StreamShard.add without the synchronous delivery (and without forgetting records)."""
    from moto.dynamodb.models.table import StreamRecord

    t = self.table.stream_specification["StreamViewType"]
    if old is None:
        event_name = "INSERT"
    elif new is None:
        event_name = "REMOVE"
    else:
        event_name = "MODIFY"
    seq = len(self.items) + self.starting_sequence_number
    self.items.append(StreamRecord(self.table, t, event_name, old, new, seq))
    with STREAM_WAKE:
        STREAM_WAKE.notify_all()


_original_create_esm = LambdaBackend.create_event_source_mapping


def patched_create_esm(self: LambdaBackend, spec: dict[str, Any]):
    esm = _original_create_esm(self, spec)
    if ":dynamodb:" in esm.event_source_arn and "/stream/" in esm.event_source_arn:
        # moto registered the mapping on the table for its synchronous path: the poller replaces it
        table = _table_for_stream(self.account_id, self.region_name, esm.event_source_arn)
        if table is not None:
            table.lambda_event_source_mappings.pop(esm.function_arn, None)
        StreamPoller(self.account_id, self.region_name, esm, REGISTRY.generation).start()
    return esm


# ---------------------------------------------------------------------------------------------
# EventBridge Lambda targets


def _input_path(event: dict[str, Any], path: str) -> Any:
    value: Any = event
    for part in [p for p in path.lstrip("$").split(".") if p]:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _target_payload(target: dict[str, Any], event: dict[str, Any], original: dict[str, Any]) -> str:
    if target.get("Input") is not None:
        return target["Input"]
    if target.get("InputPath"):
        return json.dumps(_input_path(event, target["InputPath"]))
    transformer = target.get("InputTransformer")
    if transformer:
        from moto.events.models import EventTemplateParser

        out = EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=copy.deepcopy(original),  # moto's parser wants the ingestion time too
        )
        return out if isinstance(out, str) else json.dumps(out)
    return json.dumps(event)


def _deliver_to_lambda(account: str, region: str, function_arn: str, payload: str) -> None:
    try:
        backend = _lambda_backend(account, region)
        fn = backend.get_function(function_arn, None)
        if is_provided(fn):
            _, error, logs = run_function(fn, payload)
            _save_logs(fn, logs)
            if error:
                log(f"{fn.function_name}: EventBridge invocation failed")
        else:
            backend.invoke(fn.function_name, None, payload, {"X-Amz-Invocation-Type": "Event"}, {})
    except Exception as e:
        log(f"EventBridge delivery to {function_arn} failed: {e!r}")


def _install_events() -> None:
    from moto.events.models import Rule
    from moto.utilities.arns import parse_arn

    original = Rule.send_to_targets
    if getattr(original, "_studio_patched", False):
        return

    def send_to_targets(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
        lambda_targets = []
        others = []
        for target in self.targets:
            try:
                service = parse_arn(target["Arn"]).service
            except Exception:
                service = ""
            (lambda_targets if service == "lambda" else others).append(target)
        # AWS delivers events only to enabled rules that have an event pattern (a schedule-only
        # rule is not matched by PutEvents); moto checks neither, so guard the Lambda targets here.
        deliverable = (
            getattr(self, "state", "ENABLED") == "ENABLED"
            and bool(self.event_pattern.get_pattern())
            and self.event_pattern.matches_event(original_event)
        )
        if lambda_targets and deliverable:
            event = copy.deepcopy(original_event)
            event.pop("ingestion-time", None)
            t = event.get("time")
            if isinstance(t, (int, float)):
                event["time"] = datetime.fromtimestamp(float(t), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            for target in lambda_targets:
                try:
                    payload = _target_payload(target, event, original_event) if transform_input else json.dumps(event)
                except Exception as e:  # a broken transformer must not fail PutEvents
                    log(f"EventBridge: cannot build the input for {target.get('Arn')}: {e!r}")
                    continue
                arn = target["Arn"]
                parts = arn.split(":")
                threading.Thread(
                    target=_deliver_to_lambda,
                    args=(parts[4], parts[3], arn, payload),
                    name="eventbridge-lambda",
                    daemon=True,
                ).start()
        if others:
            view = copy.copy(self)
            view.targets = others
            original(view, original_event, transform_input)

    send_to_targets._studio_patched = True  # type: ignore[attr-defined]
    Rule.send_to_targets = send_to_targets


# ---------------------------------------------------------------------------------------------


_installed = False


def install() -> None:
    """Patch moto's Lambda, DynamoDB-stream and EventBridge paths (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    from moto.dynamodb.models.table import StreamShard
    from moto.moto_api._internal.models import MotoAPIBackend

    from . import control

    control.add_endpoint("GET", "invocations", invocations)
    lambda_efs.install()
    LambdaFunction.invoke = patched_function_invoke
    LambdaSimpleBackend.invoke = patched_simple_invoke
    LambdaBackend.create_event_source_mapping = patched_create_esm
    StreamShard.add = _stream_add
    _install_events()

    original_reset = MotoAPIBackend.reset

    def reset(self: Any) -> None:
        REGISTRY.kill_all()
        with _INVOCATIONS_LOCK:
            _INVOCATIONS.clear()
        original_reset(self)

    MotoAPIBackend.reset = reset
    atexit.register(REGISTRY.kill_all)
