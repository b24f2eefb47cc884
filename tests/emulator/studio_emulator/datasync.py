"""DataSync for EFS locations, with task executions that really copy files.

moto 5.2.5 knows only S3 and SMB locations and its executions copy nothing. This module adds
CreateLocationEfs/DescribeLocationEfs and replaces the task and execution actions. An EFS file
system `fs-…` is the local directory `SETTINGS.efs_dir(fs)`; a location is that directory, plus
the access point's root directory when there is one, plus the subdirectory. An execution runs
on a thread of its own and its status follows the time (the `delays` of the settings), as on AWS:
[QUEUED →] LAUNCHING → PREPARING → TRANSFERRING (the data moves) → VERIFYING → SUCCESS, or ERROR
(through CANCELLING after a cancel). Operations through an access point run as its POSIX user,
enforced by the kernel (see `Credentials`).

Locations and tasks live in moto's own DataSync backend dicts, so ListLocations, DeleteLocation
and `/moto-api/reset` keep working. Nothing here reads or writes through a symlink: every file
operation is relative to a directory descriptor opened with O_NOFOLLOW.
"""
from __future__ import annotations

import ctypes
import errno
import json
import os
import platform
import re
import stat
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.datasync.models import DataSyncBackend, Location, Task
from moto.datasync.responses import DataSyncResponse
from moto.moto_api._internal import mock_random

from .efs import AccessPointRootMissing, open_access_point_root
from .settings import SETTINGS

PARTITIONS = "(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b)"
EFS_ARN = re.compile(rf"^arn:{PARTITIONS}:elasticfilesystem:[a-z\-0-9]*:[0-9]{{12}}:file-system/fs-.*$")
AP_ARN = re.compile(
    rf"^arn:{PARTITIONS}:elasticfilesystem:[a-z\-0-9]+:[0-9]{{12}}:access-point/fsap-[0-9a-f]{{8,40}}$"
)
ROLE_ARN = re.compile(rf"^arn:{PARTITIONS}:iam::[0-9]{{12}}:role/.*$")
SUBNET_ARN = re.compile(rf"^arn:{PARTITIONS}:ec2:[a-z\-0-9]*:[0-9]{{12}}:subnet/.*$")
SG_ARN = re.compile(rf"^arn:{PARTITIONS}:ec2:[a-z\-0-9]*:[0-9]{{12}}:security-group/sg-[a-f0-9]+$")
SUBDIR = re.compile(r"^[a-zA-Z0-9_\-\+\./\(\)\$\p{Zs}]*$".replace(r"\p{Zs}", " \u00a0\u2000-\u200a\u3000"))
LOCATION_ARN = re.compile(rf"^arn:{PARTITIONS}:datasync:[a-z\-0-9]+:[0-9]{{12}}:location/loc-[0-9a-z]{{17}}$")
TASK_ARN = re.compile(rf"^arn:{PARTITIONS}:datasync:[a-z\-0-9]*:[0-9]{{12}}:task/task-[0-9a-f]{{17}}$")
EXEC_ARN = re.compile(
    rf"^arn:{PARTITIONS}:datasync:[a-z\-0-9]*:[0-9]{{12}}:task/task-[0-9a-f]{{17}}/execution/exec-[0-9a-f]{{17}}$"
)
# API Reference, TagResource/ListTagsForResource/UntagResource, ResourceArn (TaggableResourceArn):
# locations, tasks and task executions (and agents, storage systems and discovery jobs).
TAGGABLE_ARN = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov|aws-eusc|aws-iso|aws-iso-b):datasync:[a-z\-0-9]+:[0-9]{12}:"
    r"(((agent|task|location)/(agent|task|loc)-[a-z0-9]{17}(/execution/exec-[a-f0-9]{17})?)|"
    r"(system/storage-system-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"
    r"(/job/discovery-job-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})?))$"
)
NEXT_TOKEN = re.compile(r"^[a-zA-Z0-9=_-]+$")
TAG_KEY = re.compile(r"^[a-zA-Z0-9\s+=._:/-]+$")
TAG_VALUE = re.compile(r"^[a-zA-Z0-9\s+=._:@/-]+$")
TASK_NAME = re.compile(r"^[a-zA-Z0-9\s+=._:@/-]+$")

# Options of a task as DataSync documents them: name -> (allowed values, default).
OPTION_VALUES = {
    "VerifyMode": (("POINT_IN_TIME_CONSISTENT", "ONLY_FILES_TRANSFERRED", "NONE"), "POINT_IN_TIME_CONSISTENT"),
    "OverwriteMode": (("ALWAYS", "NEVER"), "ALWAYS"),
    "Atime": (("NONE", "BEST_EFFORT"), "BEST_EFFORT"),
    "Mtime": (("NONE", "PRESERVE"), "PRESERVE"),
    "Uid": (("NONE", "INT_VALUE", "NAME", "BOTH"), "INT_VALUE"),
    "Gid": (("NONE", "INT_VALUE", "NAME", "BOTH"), "INT_VALUE"),
    "PreserveDeletedFiles": (("PRESERVE", "REMOVE"), "PRESERVE"),
    "PreserveDevices": (("NONE", "PRESERVE"), "NONE"),
    "PosixPermissions": (("NONE", "PRESERVE"), "PRESERVE"),
    "TaskQueueing": (("ENABLED", "DISABLED"), "ENABLED"),
    "LogLevel": (("OFF", "BASIC", "TRANSFER"), "BASIC"),
    "TransferMode": (("CHANGED", "ALL"), "CHANGED"),
    "SecurityDescriptorCopyFlags": (("NONE", "OWNER_DACL", "OWNER_DACL_SACL"), "NONE"),
    "ObjectTags": (("PRESERVE", "NONE"), "PRESERVE"),
}



# ---------------------------------------------------------------------------------------------
# errors


class DataSyncError(JsonRESTError):
    """An error with DataSync's JSON shape; InvalidRequestException carries an errorCode."""

    def __init__(self, typ: str, message: str, error_code: str | None = None, status: int = 400):
        super().__init__(typ, message)
        self.code = status
        body: dict[str, Any] = {"__type": typ, "message": message}
        if error_code:
            body["errorCode"] = error_code
        self.description = json.dumps(body)


def invalid(message: str, error_code: str = "InvalidParameter") -> DataSyncError:
    return DataSyncError("InvalidRequestException", message, error_code)


class Validator:
    """Collects constraint violations and reports them as AWS's framework does."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, value: Any, member: str, constraint: str) -> None:
        shown = "null" if value is None else value
        self.errors.append(f"Value '{shown}' at '{member}' failed to satisfy constraint: {constraint}")

    def required(self, value: Any, member: str) -> bool:
        if value is None:
            self.add(None, member, "Member must not be null")
            return False
        return True

    def pattern(self, value: Any, member: str, regex: re.Pattern, max_len: int | None = None) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            self.add(value, member, "Member must be a string")
            return
        if max_len is not None and len(value) > max_len:
            self.add(value, member, f"Member must have length less than or equal to {max_len}")
        elif not regex.match(value):
            self.add(value, member, f"Member must satisfy regular expression pattern: {regex.pattern}")

    def enum(self, value: Any, member: str, allowed: tuple[str, ...]) -> None:
        if value is not None and value not in allowed:
            self.add(value, member, f"Member must satisfy enum value set: [{', '.join(allowed)}]")

    def raise_if_any(self) -> None:
        if self.errors:
            n = len(self.errors)
            message = f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(self.errors)
            raise DataSyncError("ValidationException", message)


def validate_tags(v: Validator, tags: Any, member: str = "tags") -> None:
    if tags is None:
        return
    if not isinstance(tags, list) or len(tags) > 50:
        v.add(tags, member, "Member must have length less than or equal to 50")
        return
    for i, tag in enumerate(tags, 1):
        key, value = tag.get("Key"), tag.get("Value")
        if v.required(key, f"{member}.{i}.member.key"):
            v.pattern(key, f"{member}.{i}.member.key", TAG_KEY, 256)
        v.pattern(value, f"{member}.{i}.member.value", TAG_VALUE, 256)


def now() -> datetime:
    return datetime.now(timezone.utc)


def epoch(dt: datetime | None) -> float | None:
    return dt.timestamp() if dt else None


# ---------------------------------------------------------------------------------------------
# models


class EfsLocation(Location):
    def __init__(self, backend: DataSyncBackend, spec: dict[str, Any]):
        fs_arn = spec["EfsFilesystemArn"]
        self.file_system_id = fs_arn.rsplit("/", 1)[1]
        self.fs_region = fs_arn.split(":")[3]
        subdir = spec.get("Subdirectory") or "/"
        self.subdirectory = "/" + "/".join(p for p in subdir.split("/") if p not in ("", "."))
        uri = f"efs://{self.fs_region}.{self.file_system_id}{self.subdirectory.rstrip('/')}/"
        super().__init__(uri, backend.region_name, "EFS", metadata=dict(spec))
        self.arn = (
            f"arn:aws:datasync:{backend.region_name}:{backend.account_id}:location/"
            f"loc-{mock_random.get_random_hex(17)}"
        )
        self.efs_arn = fs_arn
        self.access_point_arn = spec.get("AccessPointArn")
        self.role_arn = spec.get("FileSystemAccessRoleArn")
        self.in_transit = spec.get("InTransitEncryption") or "NONE"
        self.ec2_config = spec.get("Ec2Config")
        self.tags = spec.get("Tags") or []
        self.creation_time = now()

    def describe(self) -> dict[str, Any]:
        out = {
            "LocationArn": self.arn,
            "LocationUri": self.uri,
            "Ec2Config": self.ec2_config,
            "CreationTime": epoch(self.creation_time),
            "InTransitEncryption": self.in_transit,
        }
        if self.access_point_arn:
            out["AccessPointArn"] = self.access_point_arn
        if self.role_arn:
            out["FileSystemAccessRoleArn"] = self.role_arn
        return out


# The statuses of an execution (API Reference, DescribeTaskExecution / TaskExecutionListEntry).
TERMINAL = ("SUCCESS", "ERROR")
PHASES = ("QUEUED", "LAUNCHING", "PREPARING", "TRANSFERRING", "VERIFYING", "SUCCESS")


class Cancelled(Exception):
    """The execution was cancelled (or its task deleted, or the emulator reset) mid-way."""


class Execution:
    """One run of a task, moving through its statuses on a thread of its own as time passes
    (not one step per DescribeTaskExecution call): QUEUED (another execution of the task runs),
    LAUNCHING, PREPARING, TRANSFERRING (the data moves), VERIFYING, then SUCCESS or ERROR; a
    cancel goes through CANCELLING to ERROR."""

    def __init__(self, task: Task, options: dict[str, Any], includes: Any, excludes: Any,
                 tags: list | None = None):
        self.task_arn = task.arn
        # API Reference, StartTaskExecution, Tags: "the tags that you want to apply to the Amazon
        # Resource Name (ARN) representing the task execution"; read with ListTagsForResource.
        self.tags: list = [{"Key": t["Key"], "Value": t.get("Value", "")} for t in tags or []]
        self.arn = f"{task.arn}/execution/exec-{mock_random.get_random_hex(17)}"
        self.options = options
        self.includes = includes
        self.excludes = excludes
        self.start_time = now()
        self.launch_time: datetime | None = None
        self.status = "QUEUED"
        self.reached = "QUEUED"  # the last phase entered, kept through CANCELLING and ERROR
        self.counters: dict[str, int] = {}
        self.error: tuple[str, str] | None = None  # (ErrorCode, ErrorDetail)
        self.failed_in: str | None = None  # the phase that failed: TRANSFER or VERIFY
        self.durations = {"prepare": 0, "transfer": 0, "verify": 0}
        self.stop = threading.Event()  # cancel, task deleted, reset
        self.generation = SETTINGS.generation

    def count(self, key: str, n: int = 1) -> None:
        self.counters[key] = self.counters.get(key, 0) + n

    def wait(self, seconds: float) -> None:
        """Sleeps, but wakes up (raising Cancelled) as soon as the execution is stopped."""
        if seconds > 0 and self.stop.wait(seconds) or self.stop.is_set():
            raise Cancelled()

    def enter(self, status: str) -> None:
        if self.stop.is_set():
            raise Cancelled()
        self.status = self.reached = status

    def describe(self) -> dict[str, Any]:
        reached = PHASES.index(self.reached)
        c = self.counters
        prepared, transferring, verified = reached >= 3, reached >= 3, reached >= 5
        out: dict[str, Any] = {
            "TaskExecutionArn": self.arn,
            "Status": self.status,
            "Options": self.options,
            "Excludes": self.excludes or [],
            "Includes": self.includes or [],
            "StartTime": epoch(self.start_time),
            "TaskMode": "BASIC",
        }
        # DescribeTaskExecution (API reference): every counter is optional ("Required: No") and
        # is "calculated during the PREPARING step" or counted while TRANSFERRING/VERIFYING. The
        # documentation does not say what an execution that never reached a phase reports; the
        # stricter reading is taken: its counters are absent, not zero, so that a JSONPath to one
        # (a States.Runtime in Step Functions) or an unwrap fails here as it could on AWS.
        if prepared:
            out.update({
                "EstimatedFilesToTransfer": c.get("estimated_files", 0),
                "EstimatedBytesToTransfer": c.get("estimated_bytes", 0),
                "EstimatedFilesToDelete": c.get("estimated_deleted", 0),
                "FilesPrepared": c.get("estimated_files", 0),
            })
        if transferring:
            # live while the data moves (the counters a DescribeTaskExecution shows mid-transfer)
            out.update({
                "FilesTransferred": c.get("files", 0),
                "BytesTransferred": c.get("bytes", 0),
                "BytesWritten": c.get("bytes", 0),
                "BytesCompressed": c.get("bytes", 0),
                "FilesDeleted": c.get("deleted", 0),
                "FilesSkipped": c.get("skipped", 0),
            })
        if verified or self.failed_in == "VERIFY":
            out["FilesVerified"] = c.get("verified", 0)
        if self.launch_time:
            out["LaunchTime"] = epoch(self.launch_time)
        d = self.durations
        result: dict[str, Any] = {
            "PrepareDuration": d["prepare"],
            "PrepareStatus": "SUCCESS" if reached >= 3 else "PENDING",
            "TotalDuration": d["prepare"] + d["transfer"] + d["verify"],
            "TransferDuration": d["transfer"],
            "TransferStatus": "SUCCESS" if reached >= 4 else "PENDING",
            "VerifyDuration": d["verify"],
            "VerifyStatus": "SUCCESS" if reached >= 5 else "PENDING",
        }
        if self.status == "ERROR" and self.error:
            result["ErrorCode"], result["ErrorDetail"] = self.error
            if self.failed_in == "VERIFY":
                result["VerifyStatus"] = "ERROR"
            elif self.failed_in == "PREPARE":
                result["PrepareStatus"] = "ERROR"
            else:
                result["TransferStatus"] = "ERROR"
        out["Result"] = result
        return out


def state(backend: DataSyncBackend) -> dict[str, Any]:
    """Per-backend state that moto's reset clears along with the backend."""
    return backend.__dict__.setdefault("_studio_datasync", {"executions": {}, "lock": threading.RLock()})


# How many tasks exist, and the most that existed at once since the last reset, for tests that
# bound the product's use of the task quota (DataSync user guide, "DataSync quotas": 100 tasks per
# account and Region). Read with `GET /studio-emulator/datasync`. Counted over every account and
# Region; updated under `_TASKS_LOCK` together with the change of `backend.tasks` it follows.
_TASKS_LOCK = threading.Lock()
_TASK_COUNTS: dict[tuple[str, str], int] = {}
_TASKS_PEAK = 0


def _count_tasks(backend: DataSyncBackend) -> None:
    """Records `backend.tasks`' new size (call with `_TASKS_LOCK` held)."""
    global _TASKS_PEAK
    _TASK_COUNTS[(backend.account_id, backend.region_name)] = len(backend.tasks)
    _TASKS_PEAK = max(_TASKS_PEAK, sum(_TASK_COUNTS.values()))


def tasks_counts() -> dict[str, int]:
    """`{"tasks": <existing now>, "tasks_peak": <most at once since the last reset>}`."""
    with _TASKS_LOCK:
        return {"tasks": sum(_TASK_COUNTS.values()), "tasks_peak": _TASKS_PEAK}


def restart_tasks_peak() -> dict[str, int]:
    """Starts a new peak from the tasks that exist now (`POST /studio-emulator/datasync`), so that
    a test measures only its own stretch of time."""
    global _TASKS_PEAK
    with _TASKS_LOCK:
        _TASKS_PEAK = sum(_TASK_COUNTS.values())
        return {"tasks": _TASKS_PEAK, "tasks_peak": _TASKS_PEAK}


def reset_tasks_counts() -> None:
    global _TASKS_PEAK
    with _TASKS_LOCK:
        _TASK_COUNTS.clear()
        _TASKS_PEAK = 0


# Executions with a thread of their own, so that a reset can stop them.
RUNNING: set[Execution] = set()


def stop_all() -> None:
    for ex in list(RUNNING):
        ex.stop.set()


def launch(backend: DataSyncBackend, ex: Execution) -> None:
    """Starts the thread that runs `ex` (its task has no other execution running)."""
    task = backend.tasks.get(ex.task_arn)
    if task is not None:
        task.current_task_execution_arn = ex.arn
        task.status = "RUNNING"
    ex.status = ex.reached = "LAUNCHING"
    ex.launch_time = now()
    RUNNING.add(ex)
    threading.Thread(target=run_execution, args=(backend, ex), name=f"datasync {ex.arn[-21:]}",
                     daemon=True).start()


def run_execution(backend: DataSyncBackend, ex: Execution) -> None:
    st = state(backend)
    try:
        execute(backend, ex)
        if ex.stop.is_set():
            raise Cancelled()
        ex.status = ex.reached = "SUCCESS"
    except Cancelled:
        if ex.generation != SETTINGS.generation:
            return  # the emulator was reset: nobody is looking any more
        ex.status = "CANCELLING"
        # API Reference, CancelTaskExecution: the execution goes through CANCELLING to ERROR; the
        # files already (or partly) written stay as they are.
        time.sleep(SETTINGS.delay("datasync_cancelling"))
        ex.error = ex.error or ("Cancelled", "Task execution cancelled")
        ex.status = "ERROR"
    except CopyFailed as e:
        ex.error = (e.code, e.detail)
        ex.status = "ERROR"
    except Exception as e:  # a bug here must still end the execution
        ex.error = ("InternalError", f"Transfer failed: {e!r}")
        ex.status = "ERROR"
    finally:
        RUNNING.discard(ex)
    if ex.generation != SETTINGS.generation:
        return
    with st["lock"]:
        task = backend.tasks.get(ex.task_arn)
        queued = [q for q in st["executions"].values() if q.task_arn == ex.task_arn and q.status == "QUEUED"]
        if task is not None and queued:
            launch(backend, queued[0])  # DataSync runs the queued executions of a task in order
        elif task is not None and task.current_task_execution_arn == ex.arn:
            task.status = "AVAILABLE"


def execute(backend: DataSyncBackend, ex: Execution) -> None:
    ex.wait(SETTINGS.delay("datasync_launching"))
    src = backend.locations.get(ex_task_location(backend, ex, "source"))
    dst = backend.locations.get(ex_task_location(backend, ex, "destination"))
    ex.enter("PREPARING")
    t0 = time.monotonic()
    ex.wait(SETTINGS.delay("datasync_preparing"))
    injected = SETTINGS.config.get("datasync_execution_error")
    if isinstance(injected, str):
        ex.failed_in = "TRANSFER"
        raise CopyFailed(injected, injected)
    if not (isinstance(src, EfsLocation) and isinstance(dst, EfsLocation)):
        # other location types (S3, SMB) copy nothing, as in moto
        ex.enter("TRANSFERRING")
        ex.enter("VERIFYING")
        ex.wait(SETTINGS.delay("datasync_verifying"))
        return
    account = backend.account_id
    reader = location_identity(src, account)
    writer = location_identity(dst, account)
    creds = Credentials()
    src_fd = dst_fd = None
    try:
        try:
            src_fd = open_location(src, account, create=False, creds=creds, identity=reader)
            dst_fd = open_location(dst, account, create=True, creds=creds, identity=writer)
        except CopyFailed:
            ex.failed_in = "PREPARE"
            raise
        copier = Copier(ex, parse_patterns(ex.includes), parse_patterns(ex.excludes), writer, creds, reader, dst)
        copier.dst_root = dst_fd
        for fd in (src_fd, dst_fd):
            root = os.fstat(fd)
            copier.avoid.add((root.st_dev, root.st_ino))
        if os.fstat(src_fd).st_ino == os.fstat(dst_fd).st_ino and os.fstat(src_fd).st_dev == os.fstat(dst_fd).st_dev:
            ex.failed_in = "PREPARE"
            raise CopyFailed("InvalidLocation", "The source and destination locations are the same directory")
        creds.become(reader)
        files, size = plan(copier, src_fd)
        ex.counters.update(estimated_files=files, estimated_bytes=size)
        ex.durations["prepare"] = int((time.monotonic() - t0) * 1000)
        # Hold: a test interrupts a copy in flight (Ctrl-C, timeouts) before any data moved.
        ex.enter("TRANSFERRING")
        while SETTINGS.config.get("datasync_hold_executions"):
            ex.wait(0.05)
        t1 = time.monotonic()
        ex.failed_in = "TRANSFER"
        try:
            copier.t0 = time.monotonic()
            copier.copy_tree(src_fd, dst_fd)
        except PermissionError as e:
            raise CopyFailed("PermissionDenied", copier.denied(e)) from None
        except OSError as e:
            raise CopyFailed("TransferFailed", f"Transfer failed at {copier.current or '/'} "
                                               f"(relative to {dst.uri}): {e.strerror or e}") from None
        finally:
            creds.become(None)
            ex.durations["transfer"] = int((time.monotonic() - t1) * 1000)
        ex.enter("VERIFYING")
        t2 = time.monotonic()
        verify = ex.options["VerifyMode"]
        ex.counters["verified"] = 0 if verify == "NONE" else (
            copier.seen if verify == "POINT_IN_TIME_CONSISTENT" else ex.counters.get("files", 0))
        ex.wait(SETTINGS.delay("datasync_verifying"))
        ex.durations["verify"] = int((time.monotonic() - t2) * 1000)
        if copier.ownership_mismatch and verify != "NONE":
            # EFS access points force their POSIX identity on every write, so preserved ownership
            # cannot match the source: DataSync documents that verification then fails.
            ex.failed_in = "VERIFY"
            option = ex.options["Uid"] if copier.ownership_mismatch == "uid" else ex.options["Gid"]
            raise CopyFailed(
                "VerificationFailed",
                f"Verification failed: the destination access point enforces its POSIX user, so the "
                f"{option} {copier.ownership_mismatch} of the source was not preserved. Set Uid and "
                f"Gid to NONE or VerifyMode to NONE.")
        ex.failed_in = None
    finally:
        creds.become(None)
        for fd in (src_fd, dst_fd):
            if fd is not None:
                os.close(fd)


def ex_task_location(backend: DataSyncBackend, ex: Execution, which: str) -> str | None:
    task = backend.tasks.get(ex.task_arn)
    if task is None:
        raise Cancelled()
    return task.source_location_arn if which == "source" else task.destination_location_arn


# ---------------------------------------------------------------------------------------------
# the copy


class CopyFailed(Exception):
    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


class Pattern:
    """One pattern of a SIMPLE_PATTERN filter (DataSync user guide, "Transferring specific files,
    objects, and folders by using filters"; API reference, FilterRule): relative to the location
    (`/dir` is the folder directly under it, `/dir/` the same), `*` matches zero or more
    characters (a `/` too), `\\` makes the next character ordinary, nothing else is special, case
    sensitive. A pattern without a `/` matches a name at any depth. The native engine's matcher
    (crates/copy/src/filter.rs) shares tests/contracts/datasync-filter-cases.json with this one."""

    def __init__(self, pieces: list[str | None], name_only: bool):
        regex = "".join(".*" if p is None else re.escape(p) for p in pieces)
        self.regex = re.compile(regex, re.DOTALL)
        self.name_only = name_only

    def matches(self, path: str) -> bool:
        if self.regex.fullmatch(path):
            return True
        return self.name_only and self.regex.fullmatch(path.rsplit("/", 1)[-1]) is not None


def _split_filter(value: str) -> list[list[str | None]]:
    """A filter's patterns, each as pieces: text, or None for `*`. Raises ValueError on a trailing
    lone backslash."""
    patterns: list[list[str | None]] = [[]]
    chars = iter(value)
    for c in chars:
        if c == "\\":
            nxt = next(chars, None)
            if nxt is None:
                raise ValueError("the filter ends with a single backslash")
            patterns[-1].append(nxt)
        elif c == "|":
            patterns.append([])
        elif c == "*":
            patterns[-1].append(None)
        else:
            patterns[-1].append(c)
    return patterns


def _pattern(pieces: list[str | None]) -> Pattern | None:
    # Spaces around a pattern belong to the filter, not to the pattern.
    while pieces and isinstance(pieces[0], str) and pieces[0].isspace():
        pieces.pop(0)
    while pieces and isinstance(pieces[-1], str) and pieces[-1].isspace():
        pieces.pop()
    while pieces and pieces[-1] == "/":
        pieces.pop()  # /dir/ is /dir; a pattern of slashes alone names the root, never excluded
    if not pieces:
        return None
    merged: list[str | None] = []
    for p in pieces:
        if p is not None and merged and isinstance(merged[-1], str):
            merged[-1] += p
        else:
            merged.append(p)
    return Pattern(merged, not any(p is not None and "/" in p for p in merged))


def parse_patterns(filters: Any) -> list[Pattern]:
    patterns: list[Pattern] = []
    for f in filters or []:
        if f.get("FilterType", "SIMPLE_PATTERN") != "SIMPLE_PATTERN":
            continue
        for pieces in _split_filter(f.get("Value") or ""):
            pattern = _pattern(pieces)
            if pattern is not None:
                patterns.append(pattern)
    return patterns


def matches(rel: str, patterns: list[Pattern]) -> bool:
    """True when `/rel` or one of its parent directories matches a pattern."""
    parts = rel.strip("/").split("/")
    for i in range(1, len(parts) + 1):
        prefix = "/" + "/".join(parts[:i])
        if any(p.matches(prefix) for p in patterns):
            return True
    return False


class Identity:
    """The POSIX user an access point enforces (EFS user guide, "Enforcing a user identity using
    an access point"): every operation through it runs as this uid, gid and secondary gids."""

    def __init__(self, uid: int, gid: int, groups: list[int]):
        self.uid = uid
        self.gid = gid
        self.groups = groups


def location_identity(loc: EfsLocation, account: str) -> Identity | None:
    """The identity a location's operations run as: its access point's PosixUser, else root (no
    access point: DataSync mounts EFS as root, "Configuring DataSync transfers with Amazon EFS")."""
    if not loc.access_point_arn:
        return None
    ap = _access_point(loc.access_point_arn, loc.fs_region, account)
    user = ap.posix_user or {}
    if "Uid" not in user:
        return None
    return Identity(int(user["Uid"]), int(user.get("Gid", user["Uid"])),
                    [int(g) for g in user.get("SecondaryGids") or []])


# Linux syscall numbers of setfsuid, setfsgid, setgroups: raw syscalls change the credentials of
# the calling thread only (glibc's wrappers would change every thread of the emulator).
_SYSCALLS = {"x86_64": (122, 123, 116), "aarch64": (151, 152, 159)}


class Credentials:
    """Switches the file-system identity of the copying thread, so that the kernel enforces the
    access point's user on every operation (permission checks, ownership of new files, chmod and
    utime only on one's own files), while the other location's operations keep their own identity.

    Needs root (CAP_SETUID/CAP_SETGID) and Linux; otherwise `enforced` is False and operations run
    as the emulator's user, with ownership set where the kernel allows (see README)."""

    def __init__(self) -> None:
        numbers = _SYSCALLS.get(platform.machine())
        self.enforced = os.geteuid() == 0 and sys.platform == "linux" and numbers is not None
        self.current: Identity | None = None
        if self.enforced:
            self.libc = ctypes.CDLL(None, use_errno=True)
            self.nr_setfsuid, self.nr_setfsgid, self.nr_setgroups = numbers

    def become(self, who: Identity | None) -> None:
        if not self.enforced or who is self.current:
            return
        uid, gid, groups = (0, 0, [0]) if who is None else (who.uid, who.gid, who.groups or [who.gid])
        array = (ctypes.c_uint * len(groups))(*groups)
        if self.libc.syscall(self.nr_setgroups, ctypes.c_size_t(len(groups)), array) != 0:
            raise OSError(ctypes.get_errno(), "setgroups failed")
        self.libc.syscall(self.nr_setfsgid, ctypes.c_uint(gid))
        self.libc.syscall(self.nr_setfsuid, ctypes.c_uint(uid))
        if self.libc.syscall(self.nr_setfsuid, ctypes.c_uint(0xFFFFFFFF)) != uid:  # reads it back
            raise OSError(errno.EPERM, f"cannot act as uid {uid}")
        self.current = who


def chown(target: int | str, uid: int, gid: int, dir_fd: int | None = None) -> None:
    """Sets an owner without following links. Only root may give files away: when the emulator
    does not run as root, ownership is best effort (as for the home directories SageMaker makes)."""
    try:
        if isinstance(target, int):
            os.fchown(target, uid, gid)
        else:
            os.chown(target, uid, gid, dir_fd=dir_fd, follow_symlinks=False)
    except PermissionError:
        if os.geteuid() == 0:
            raise


def _access_point(access_point_arn: str, region: str, account: str):
    from moto.efs.models import efs_backends

    ap_id = access_point_arn.rsplit("/", 1)[1]
    ap = efs_backends[account][region].access_points.get(ap_id)
    if ap is None:
        raise CopyFailed("InvalidAccessPoint", f"Access point {ap_id} was not found")
    return ap


def open_location(loc: EfsLocation, account: str, create: bool, creds: Credentials,
                  identity: Identity | None) -> int:
    """Mounts a location: a directory fd of its root, opened without following any symlink. EFS
    itself (as root) resolves the access point's root directory and creates it from CreationInfo
    when it is missing (EFS API Reference, CreationInfo; without it a missing root fails the
    mount); the subdirectory is walked, and created for a destination, as the location's user."""
    base = SETTINGS.efs_dir(loc.file_system_id)
    if not os.path.isdir(base):
        raise CopyFailed("FileSystemNotFound", f"Unable to mount {loc.uri}: file system {loc.file_system_id} is not reachable")
    parts = [p for p in loc.subdirectory.split("/") if p]
    creds.become(None)
    try:
        if loc.access_point_arn:
            ap = _access_point(loc.access_point_arn, loc.fs_region, account)
            fd = open_access_point_root(loc.file_system_id, ap)  # as EFS does, as root
        else:
            fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except AccessPointRootMissing as e:
        raise CopyFailed(
            "AccessPointRootMissing",
            f"Unable to mount {loc.uri} through access point {e.access_point_id}: its root directory "
            f"{e.root} does not exist and the access point has no CreationInfo to create it",
        )
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.ENOTDIR, errno.EINVAL):
            raise CopyFailed("InvalidSubdirectory",
                             f"{loc.uri}: the access point's root directory is not a directory inside the file "
                             f"system (symlinks are not followed)")
        raise
    try:
        for name in parts:
            creds.become(identity)
            if name == "..":
                raise CopyFailed("InvalidSubdirectory", f"Subdirectory of {loc.uri} leaves the file system")
            try:
                nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except FileNotFoundError:
                if create:
                    os.mkdir(name, 0o755, dir_fd=fd)
                    nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                else:
                    raise CopyFailed(
                        "SourceNotFound", f"The source location {loc.uri} does not exist: no such directory"
                    )
            except PermissionError:
                raise CopyFailed("PermissionDenied", f"Unable to open {loc.uri}: permission denied at "
                                                     f"'{name}' for the location's user")
            except OSError as e:
                if e.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise CopyFailed(
                        "InvalidSubdirectory", f"{loc.uri}: '{name}' is not a directory (symlinks are not followed)"
                    )
                raise
            os.close(fd)
            fd = nfd
        return fd
    except BaseException:
        os.close(fd)
        raise
    finally:
        creds.become(None)


class Copier:
    """Copies a source tree into a destination, relative to directory fds (never through a link),
    as the destination's user (`creds`), reading as the source's user."""

    def __init__(self, ex: Execution, includes: list[str], excludes: list[str], dest: Identity | None,
                 creds: Credentials, reader: Identity | None, dst_loc: EfsLocation):
        self.ex = ex
        self.o = ex.options
        self.includes = includes
        self.excludes = excludes
        self.dest = dest
        self.creds = creds
        self.reader = reader
        self.dst_loc = dst_loc
        self.dst_root = -1
        self.seen = 0  # entries in scope at the source, for verification
        self.ownership_mismatch: str | None = None
        self.avoid: set[tuple[int, int]] = set()  # the two location roots: never walked into
        self.links: dict[tuple[int, int], tuple[list[str], str]] = {}  # source inode -> dest path
        self.current = ""  # the path being copied, relative to the locations
        self.t0 = time.monotonic()

    def read(self) -> None:
        self.creds.become(self.reader)

    def write(self) -> None:
        self.creds.become(self.dest)

    def denied(self, e: PermissionError) -> str:
        return (f"Transfer failed: permission denied at {self.current or '/'} (relative to the "
                f"destination location {self.dst_loc.uri}): the location's user "
                f"{'root' if self.dest is None else f'{self.dest.uid}:{self.dest.gid}'} may not "
                f"{'write' if e.errno in (errno.EACCES, errno.EROFS) else 'change'} it")

    # --- what a destination entry should look like

    def owner(self, st: os.stat_result) -> tuple[int, int]:
        if self.dest is not None:
            uid, gid = self.dest.uid, self.dest.gid
            if self.o["Uid"] != "NONE" and st.st_uid != uid and self.ownership_mismatch is None:
                self.ownership_mismatch = "uid"
            if self.o["Gid"] != "NONE" and st.st_gid != gid and self.ownership_mismatch is None:
                self.ownership_mismatch = "gid"
            return uid, gid
        uid = st.st_uid if self.o["Uid"] != "NONE" else 0
        gid = st.st_gid if self.o["Gid"] != "NONE" else 0
        return uid, gid

    def wanted_mode(self, st: os.stat_result, existing: os.stat_result | None) -> int:
        if self.o["PosixPermissions"] == "PRESERVE":
            return stat.S_IMODE(st.st_mode)
        if existing is not None and stat.S_IFMT(existing.st_mode) == stat.S_IFMT(st.st_mode):
            return stat.S_IMODE(existing.st_mode)
        return 0o755 if stat.S_ISDIR(st.st_mode) else 0o644

    def same_meta(self, st: os.stat_result, dst: os.stat_result) -> bool:
        uid, gid = self.owner(st)
        if (dst.st_uid, dst.st_gid) != (uid, gid):
            return False
        if not stat.S_ISLNK(st.st_mode) and stat.S_IMODE(dst.st_mode) != self.wanted_mode(st, dst):
            return False
        if self.o["Mtime"] == "PRESERVE" and not stat.S_ISDIR(st.st_mode) and dst.st_mtime_ns != st.st_mtime_ns:
            return False
        return True

    def apply_meta_fd(self, fd: int, st: os.stat_result, existing: os.stat_result | None) -> None:
        uid, gid = self.owner(st)
        if (os.fstat(fd).st_uid, os.fstat(fd).st_gid) != (uid, gid):
            chown(fd, uid, gid)
        os.fchmod(fd, self.wanted_mode(st, existing))
        self.set_times(st, fd=fd)

    def set_times(self, st: os.stat_result, fd: int | None = None, name: str | None = None, dir_fd: int | None = None) -> None:
        if self.o["Mtime"] != "PRESERVE":
            return
        atime = st.st_atime_ns if self.o["Atime"] == "BEST_EFFORT" else time.time_ns()
        if fd is not None:
            os.utime(fd, ns=(atime, st.st_mtime_ns))
        else:
            os.utime(name, ns=(atime, st.st_mtime_ns), dir_fd=dir_fd, follow_symlinks=False)

    # --- scope

    def in_scope(self, rel: str, is_dir: bool) -> tuple[bool, bool]:
        """(copy this entry, descend into it)."""
        if self.excludes and matches(rel, self.excludes):
            return False, False
        if not self.includes or matches(rel, self.includes):
            return True, True
        return False, is_dir  # something below may still be included

    # --- the walk

    def copy_tree(self, src_fd: int, dst_fd: int, rel: str = "") -> None:
        names = set()
        self.read()
        with os.scandir(src_fd) as it:
            entries = sorted(((e.name, e.stat(follow_symlinks=False)) for e in it), key=lambda e: e[0])
        for name, st in entries:
            self.ex.wait(0)  # a cancel stops the copy between entries, too
            names.add(name)
            child_rel = f"{rel}/{name}"
            self.current = child_rel
            copy_it, descend = self.in_scope(child_rel, stat.S_ISDIR(st.st_mode))
            if stat.S_ISDIR(st.st_mode) and (st.st_dev, st.st_ino) in self.avoid:
                self.ex.count("skipped")  # one location lies inside the other: not into itself
                continue
            if stat.S_ISDIR(st.st_mode):
                if copy_it or descend:
                    self.copy_dir(src_fd, dst_fd, name, st, child_rel, create=copy_it)
            elif copy_it:
                self.seen += 1
                if stat.S_ISLNK(st.st_mode):
                    self.copy_link(src_fd, dst_fd, name, st)
                elif stat.S_ISREG(st.st_mode) and st.st_nlink > 1 and (st.st_dev, st.st_ino) in self.links:
                    self.copy_hard_link(dst_fd, name, st, child_rel)
                elif stat.S_ISREG(st.st_mode):
                    self.copy_file(src_fd, dst_fd, name, st)
                    if st.st_nlink > 1:
                        self.links[(st.st_dev, st.st_ino)] = (child_rel.strip("/").split("/")[:-1], name)
                else:
                    self.ex.count("skipped")  # devices, fifos and sockets are not copied
        self.current = rel
        if self.o["PreserveDeletedFiles"] == "REMOVE":
            self.write()
            with os.scandir(dst_fd) as it:
                extra = [e.name for e in it if e.name not in names]
            for name in extra:
                child_rel = f"{rel}/{name}"
                if self.excludes and matches(child_rel, self.excludes):
                    continue
                if self.includes and not matches(child_rel, self.includes):
                    continue
                self.current = child_rel
                self.ex.count("deleted", remove_entry(dst_fd, name))

    def lstat_dst(self, dst_fd: int, name: str) -> os.stat_result | None:
        self.write()
        try:
            return os.stat(name, dir_fd=dst_fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def copy_dir(self, src_fd: int, dst_fd: int, name: str, st: os.stat_result, rel: str, create: bool) -> None:
        existing = self.lstat_dst(dst_fd, name)
        if create:
            self.seen += 1
        never = self.o["OverwriteMode"] == "NEVER"
        if existing is not None and not stat.S_ISDIR(existing.st_mode):
            if never:
                self.ex.count("skipped")
                return
            remove_entry(dst_fd, name)  # a link or a file where a directory belongs: replace it
            existing = None
        made = existing is None
        if made:
            os.mkdir(name, 0o700, dir_fd=dst_fd)
        self.read()
        sub_src = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=src_fd)
        try:
            self.write()
            sub_dst = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dst_fd)
        except BaseException:
            os.close(sub_src)
            raise
        try:
            before = self.ex.counters.get("files", 0)
            self.copy_tree(sub_src, sub_dst, rel)
            self.current = rel
            self.write()
            if create and (made or not never):
                changed = made or self.o["TransferMode"] == "ALL" or not self.same_meta(st, os.fstat(sub_dst))
                # times last: writing the children changed the directory's mtime
                if changed or not made:
                    self.apply_meta_fd(sub_dst, st, None if made else existing)
                if changed:
                    self.ex.count("files")
            elif create:
                self.ex.count("skipped")  # OverwriteMode NEVER: an existing directory keeps its metadata
            elif made and self.ex.counters.get("files", 0) == before:
                os.rmdir(name, dir_fd=dst_fd)  # only walked for includes, and nothing was included
            elif made:
                uid, gid = self.owner(st)
                chown(sub_dst, uid, gid)
                os.fchmod(sub_dst, 0o755)
        finally:
            os.close(sub_src)
            os.close(sub_dst)

    def copy_link(self, src_fd: int, dst_fd: int, name: str, st: os.stat_result) -> None:
        self.read()
        target = os.readlink(name, dir_fd=src_fd)  # the link itself; its target is never opened
        existing = self.lstat_dst(dst_fd, name)
        if existing is not None:
            same_link = stat.S_ISLNK(existing.st_mode) and os.readlink(name, dir_fd=dst_fd) == target
            if same_link and self.o["TransferMode"] == "CHANGED" and self.same_meta(st, existing):
                return
            if self.o["OverwriteMode"] == "NEVER":
                self.ex.count("skipped")
                return
            if not same_link:
                remove_entry(dst_fd, name)
                existing = None
        if existing is None:
            os.symlink(target, name, dir_fd=dst_fd)
        uid, gid = self.owner(st)
        if (existing is None and self.dest is None) or (existing is not None and (existing.st_uid, existing.st_gid) != (uid, gid)):
            chown(name, uid, gid, dir_fd=dst_fd)
        self.set_times(st, name=name, dir_fd=dst_fd)
        self.ex.count("files")
        self.ex.count("bytes", len(os.fsencode(target)))

    def copy_hard_link(self, dst_fd: int, name: str, st: os.stat_result, rel: str) -> None:
        """A second name of a source inode becomes a second name of the destination inode
        ("How DataSync handles metadata and special files": hard links are preserved)."""
        parent_parts, first = self.links[(st.st_dev, st.st_ino)]
        self.write()
        parent = self.open_dst_dir(parent_parts)
        try:
            first_st = os.stat(first, dir_fd=parent, follow_symlinks=False)
            existing = self.lstat_dst(dst_fd, name)
            if existing is not None:
                if (existing.st_dev, existing.st_ino) == (first_st.st_dev, first_st.st_ino):
                    return  # already the same file
                if self.o["OverwriteMode"] == "NEVER":
                    self.ex.count("skipped")
                    return
                remove_entry(dst_fd, name)
            # linkat without AT_SYMLINK_FOLLOW: links the entry itself, never a link's target
            os.link(first, name, src_dir_fd=parent, dst_dir_fd=dst_fd, follow_symlinks=False)
        finally:
            os.close(parent)
        self.ex.count("files")

    def open_dst_dir(self, parts: list[str]) -> int:
        fd = os.dup(self.dst_root)
        for part in parts:
            try:
                nfd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            finally:
                os.close(fd)
            fd = nfd
        return fd

    def copy_file(self, src_fd: int, dst_fd: int, name: str, st: os.stat_result) -> None:
        existing = self.lstat_dst(dst_fd, name)
        if existing is not None:
            same_type = stat.S_ISREG(existing.st_mode)
            same_data = same_type and existing.st_size == st.st_size and existing.st_mtime_ns == st.st_mtime_ns
            if self.o["TransferMode"] == "CHANGED" and same_data and self.same_meta(st, existing):
                return
            if self.o["OverwriteMode"] == "NEVER":
                # API Reference, Options: NEVER "doesn't overwrite data in the destination location
                # even if source data has changed" (nor its metadata).
                self.ex.count("skipped")
                return
            if self.o["TransferMode"] == "CHANGED" and same_data:
                # only the metadata differs: update it in place, through an fd of the file itself
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dst_fd)
                try:
                    self.apply_meta_fd(fd, st, existing)
                finally:
                    os.close(fd)
                self.ex.count("files")
                return
            remove_entry(dst_fd, name)
        self.read()
        src = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=src_fd)
        try:
            self.write()
            # Written in place at its final name (O_EXCL: never through a link that appeared
            # meanwhile), so a cancel leaves an incomplete file there, as on AWS
            # (API Reference, CancelTaskExecution).
            out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=dst_fd)
            try:
                self.transfer(src, out, st.st_size)
                keep_mode = existing if existing is not None and stat.S_ISREG(existing.st_mode) else None
                self.apply_meta_fd(out, st, keep_mode)
            finally:
                os.close(out)
        finally:
            os.close(src)
        self.ex.count("files")

    def transfer(self, src: int, out: int, size: int) -> None:
        """Moves the bytes at the configured pace: `datasync_bytes_per_second`, and
        `datasync_file` seconds per file, spent halfway through it."""
        rate = SETTINGS.config["delays"].get("datasync_bytes_per_second")
        per_file = SETTINGS.delay("datasync_file")
        chunk = 1 << 20 if not rate else max(1, min(1 << 16, int(rate) // 10 or 1))
        halfway = size // 2
        written = 0
        paused = per_file <= 0
        while True:
            if not paused and written >= halfway:
                self.ex.wait(per_file)
                paused = True
            want = chunk if paused else max(1, min(chunk, halfway - written))
            data = os.read(src, want)
            if not data:
                break
            view = memoryview(data)
            while view:
                n = os.write(out, view)
                view = view[n:]
            written += len(data)
            self.ex.count("bytes", len(data))
            if rate:
                ahead = self.ex.counters.get("bytes", 0) / float(rate) - (time.monotonic() - self.t0)
                self.ex.wait(max(0.0, ahead))
            else:
                self.ex.wait(0)
        if not paused:
            self.ex.wait(per_file)


def remove_entry(dir_fd: int, name: str) -> int:
    """Remove a destination entry (a whole tree for a directory) without following links."""
    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(name, dir_fd=dir_fd)
        return 1
    count = 1
    sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
    try:
        with os.scandir(sub) as it:
            children = [e.name for e in it]
        for child in children:
            count += remove_entry(sub, child)
    finally:
        os.close(sub)
    os.rmdir(name, dir_fd=dir_fd)
    return count


def plan(copier: Copier, src_fd: int) -> tuple[int, int]:
    """A dry count of what is in scope at the source: (files, bytes) for the estimates."""
    files = size = 0

    def walk(fd: int, rel: str) -> None:
        nonlocal files, size
        with os.scandir(fd) as it:
            for e in it:
                st = e.stat(follow_symlinks=False)
                child = f"{rel}/{e.name}"
                copy_it, descend = copier.in_scope(child, stat.S_ISDIR(st.st_mode))
                if stat.S_ISDIR(st.st_mode) and (st.st_dev, st.st_ino) in copier.avoid:
                    continue
                if copy_it:
                    files += 1
                    if stat.S_ISREG(st.st_mode):
                        size += st.st_size
                if stat.S_ISDIR(st.st_mode) and descend:
                    sub = os.open(e.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                    try:
                        walk(sub, child)
                    finally:
                        os.close(sub)

    walk(src_fd, "")
    return files, size


# ---------------------------------------------------------------------------------------------
# actions


def _body(self: DataSyncResponse) -> dict[str, Any]:
    try:
        return json.loads(self.body or "{}")
    except ValueError:
        raise DataSyncError("SerializationException", "Request body is not valid JSON")


def _reply(data: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in data.items() if v is not None})


def _efs_location(backend: DataSyncBackend, arn: str) -> EfsLocation:
    loc = backend.locations.get(arn)
    if loc is None:
        raise invalid(f"Location {arn} is not found.", "NotFound")
    if not isinstance(loc, EfsLocation):
        raise invalid(f"Invalid Location type: {loc.typ}")
    return loc


def create_location_efs(self: DataSyncResponse) -> str:
    b = _body(self)
    v = Validator()
    fs_arn = b.get("EfsFilesystemArn")
    if v.required(fs_arn, "efsFilesystemArn"):
        v.pattern(fs_arn, "efsFilesystemArn", EFS_ARN, 128)
    ec2 = b.get("Ec2Config")
    if v.required(ec2, "ec2Config") and isinstance(ec2, dict):
        subnet, sgs = ec2.get("SubnetArn"), ec2.get("SecurityGroupArns")
        if v.required(subnet, "ec2Config.subnetArn"):
            v.pattern(subnet, "ec2Config.subnetArn", SUBNET_ARN, 128)
        if v.required(sgs, "ec2Config.securityGroupArns"):
            if not isinstance(sgs, list) or not 1 <= len(sgs) <= 5:
                v.add(sgs, "ec2Config.securityGroupArns", "Member must have length between 1 and 5")
            else:
                for i, sg in enumerate(sgs, 1):
                    v.pattern(sg, f"ec2Config.securityGroupArns.{i}.member", SG_ARN, 128)
    v.pattern(b.get("Subdirectory"), "subdirectory", SUBDIR, 4096)
    v.pattern(b.get("AccessPointArn"), "accessPointArn", AP_ARN, 128)
    v.pattern(b.get("FileSystemAccessRoleArn"), "fileSystemAccessRoleArn", ROLE_ARN, 2048)
    v.enum(b.get("InTransitEncryption"), "inTransitEncryption", ("NONE", "TLS1_2"))
    validate_tags(v, b.get("Tags"))
    v.raise_if_any()

    backend = self.datasync_backend
    parts = fs_arn.split(":")
    account, fs_region, fs_id = parts[4], parts[3], fs_arn.rsplit("/", 1)[1]
    if account != backend.account_id:
        raise invalid(f"Invalid parameter: ARN account ({account}) must match authenticated user.")
    if fs_region != backend.region_name:
        raise invalid(f"Invalid parameter: EFS file system {fs_arn} must be in region {backend.region_name}.")
    for arn in [ec2["SubnetArn"], *ec2["SecurityGroupArns"]]:
        if arn.split(":")[4] != backend.account_id:
            raise invalid(f"Invalid parameter: ARN account ({arn.split(':')[4]}) must match authenticated user.")
    ap_arn, role, tls = b.get("AccessPointArn"), b.get("FileSystemAccessRoleArn"), b.get("InTransitEncryption")
    if (ap_arn or role) and tls != "TLS1_2":
        raise invalid(
            "Invalid parameter: InTransitEncryption must be TLS1_2 when AccessPointArn or FileSystemAccessRoleArn is specified."
        )

    from moto.efs.models import efs_backends

    efs = efs_backends[backend.account_id][fs_region]
    if fs_id not in efs.file_systems_by_id:
        raise invalid(f"Unable to find EFS file system {fs_id}: verify that it exists in {fs_region}.", "NotFound")
    if ap_arn:
        ap_id = ap_arn.rsplit("/", 1)[1]
        ap = efs.access_points.get(ap_id)
        if ap is None:
            raise invalid(f"Unable to find EFS access point {ap_id}.", "NotFound")
        if ap.file_system_id != fs_id:
            raise invalid(f"Invalid parameter: access point {ap_id} does not belong to file system {fs_id}.")

    loc = EfsLocation(backend, b)
    backend.locations[loc.arn] = loc
    return _reply({"LocationArn": loc.arn})


def describe_location_efs(self: DataSyncResponse) -> str:
    b = _body(self)
    v = Validator()
    if v.required(b.get("LocationArn"), "locationArn"):
        v.pattern(b.get("LocationArn"), "locationArn", LOCATION_ARN, 128)
    v.raise_if_any()
    return _reply(_efs_location(self.datasync_backend, b["LocationArn"]).describe())


def _paginate(items: list[Any], b: dict[str, Any]) -> tuple[list[Any], str | None]:
    """One page of a List* answer. API Reference, ListTaskExecutions (and ListTasks, ListLocations,
    ListTagsForResource): MaxResults is an integer from 0 to 100, NextToken an opaque string
    matching `[a-zA-Z0-9=_-]+` (at most 65535); a violation is a ValidationException. A token that
    matches but was never issued is refused with InvalidRequestException (not documented; the
    error every refused DataSync request gets). MaxResults 0 (undocumented) gives a full page."""
    v = Validator()
    size, token = b.get("MaxResults"), b.get("NextToken")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool)):
        v.add(size, "maxResults", "Member must be an integer")
    elif size is not None and size > 100:
        v.add(size, "maxResults", "Member must have value less than or equal to 100")
    elif size is not None and size < 0:
        v.add(size, "maxResults", "Member must have value greater than or equal to 0")
    v.pattern(token, "nextToken", NEXT_TOKEN, 65535)
    v.raise_if_any()
    if token is not None and not token.isdigit():
        raise invalid(f"Invalid parameter: NextToken {token} is not valid.")
    start = int(token or 0)
    size = size or 100
    page = items[start : start + size]
    return page, (str(start + size) if start + size < len(items) else None)


def list_locations(self: DataSyncResponse) -> str:
    b = _body(self)
    items = []
    for arn, loc in self.datasync_backend.locations.items():
        if not _filters_match(b.get("Filters"), {"LocationUri": loc.uri, "LocationType": loc.typ}):
            continue
        items.append({"LocationArn": arn, "LocationUri": loc.uri})
    page, token = _paginate(items, b)
    return _reply({"Locations": page, "NextToken": token})


def _filters_match(filters: Any, values: dict[str, str]) -> bool:
    for f in filters or []:
        value = values.get(f.get("Name"))
        if value is None:
            continue
        wanted = f.get("Values") or []
        op = f.get("Operator", "Equals")
        if op == "Equals" and value not in wanted:
            return False
        if op == "NotEquals" and value in wanted:
            return False
        if op == "Contains" and not any(w in value for w in wanted):
            return False
        if op == "BeginsWith" and not any(value.startswith(w) for w in wanted):
            return False
    return True


def delete_location(self: DataSyncResponse) -> str:
    b = _body(self)
    arn = b.get("LocationArn")
    v = Validator()
    if v.required(arn, "locationArn"):
        v.pattern(arn, "locationArn", LOCATION_ARN, 128)
    v.raise_if_any()
    if self.datasync_backend.locations.pop(arn, None) is None:
        raise invalid(f"Location {arn} is not found.", "NotFound")
    return _reply({})


def _options(given: Any, base: dict[str, Any] | None = None, v: Validator | None = None, member: str = "options") -> dict[str, Any]:
    opts = dict(base) if base else {k: d for k, (_, d) in OPTION_VALUES.items()}
    for k, val in (given or {}).items():
        if k in OPTION_VALUES and v is not None:
            v.enum(val, f"{member}.{k[0].lower()}{k[1:]}", OPTION_VALUES[k][0])
        opts[k] = val
    return opts


def _check_option_rules(o: dict[str, Any], efs: bool) -> None:
    """The rules between options that the DataSync API Reference ("Options") states."""
    # Options, Atime: "If Atime is set to BEST_EFFORT, Mtime must be set to PRESERVE. If Atime is
    # set to NONE, Mtime must also be NONE." Mtime states the reverse.
    if o.get("Atime") == "BEST_EFFORT" and o.get("Mtime") != "PRESERVE":
        raise invalid("Invalid parameter: Mtime must be PRESERVE when Atime is BEST_EFFORT.")
    if o.get("Mtime") == "PRESERVE" and o.get("Atime") != "BEST_EFFORT":
        raise invalid("Invalid parameter: Atime must be BEST_EFFORT when Mtime is PRESERVE.")
    # Options, PreserveDevices: "PRESERVE ... This option currently isn't supported for Amazon EFS."
    if efs and o.get("PreserveDevices") == "PRESERVE":
        raise invalid("Invalid parameter: PreserveDevices PRESERVE is not supported for Amazon EFS locations.")
    # Options, PreserveDeletedFiles: REMOVE needs TransferMode CHANGED.
    if o.get("PreserveDeletedFiles") == "REMOVE" and o.get("TransferMode") == "ALL":
        raise invalid("Invalid parameter: PreserveDeletedFiles REMOVE cannot be used with TransferMode ALL.")


def _any_efs(backend: DataSyncBackend, *arns: str) -> bool:
    return any(isinstance(backend.locations.get(arn), EfsLocation) for arn in arns)


def _validate_filters(v: Validator, filters: Any, member: str) -> None:
    if filters is None:
        return
    if not isinstance(filters, list) or len(filters) > 1:
        v.add(filters, member, "Member must have length less than or equal to 1")
        return
    for i, f in enumerate(filters, 1):
        v.enum(f.get("FilterType"), f"{member}.{i}.member.filterType", ("SIMPLE_PATTERN",))
        v.pattern(f.get("Value"), f"{member}.{i}.member.value", re.compile(r"^[^\x00]+$"), 102400)
        # A lone trailing escape: the guide documents \\ as escaping the next character and says
        # nothing of a filter that ends with one. Strict where AWS is silent: refused.
        try:
            _split_filter(f.get("Value") or "")
        except ValueError as e:
            v.add(f.get("Value"), f"{member}.{i}.member.value", str(e))


def create_task(self: DataSyncResponse) -> str:
    b = _body(self)
    v = Validator()
    for key, member in (("SourceLocationArn", "sourceLocationArn"), ("DestinationLocationArn", "destinationLocationArn")):
        if v.required(b.get(key), member):
            v.pattern(b.get(key), member, LOCATION_ARN, 128)
    v.pattern(b.get("Name"), "name", TASK_NAME, 256)
    opts = _options(b.get("Options"), v=v)
    _validate_filters(v, b.get("Excludes"), "excludes")
    _validate_filters(v, b.get("Includes"), "includes")
    validate_tags(v, b.get("Tags"))
    v.raise_if_any()
    backend = self.datasync_backend
    for key in ("SourceLocationArn", "DestinationLocationArn"):
        if b[key] not in backend.locations:
            raise invalid(f"Location {b[key]} is not found.", "NotFound")
    _check_option_rules(opts, _any_efs(backend, b["SourceLocationArn"], b["DestinationLocationArn"]))
    if b["SourceLocationArn"] == b["DestinationLocationArn"]:
        raise invalid("Invalid parameter: source and destination locations must be different.")
    task = Task(
        b["SourceLocationArn"],
        b["DestinationLocationArn"],
        b.get("Name") or "",
        region_name=backend.region_name,
        metadata={
            "CloudWatchLogGroupArn": b.get("CloudWatchLogGroupArn"),
            "Options": opts,
            "Excludes": b.get("Excludes") or [],
            "Includes": b.get("Includes") or [],
            "Tags": b.get("Tags") or [],
            "Schedule": b.get("Schedule"),
            "CreationTime": now(),
        },
    )
    task.arn = f"arn:aws:datasync:{backend.region_name}:{backend.account_id}:task/task-{mock_random.get_random_hex(17)}"
    with _TASKS_LOCK:  # the quota check and the insertion as one step, so concurrent calls respect it
        # DataSync quotas (user guide): "Maximum number of tasks you can create: 100" per account and
        # Region, adjustable. The error is not documented: InvalidRequestException, the error every
        # refused DataSync request gets.
        quota = SETTINGS.config.get("datasync_task_quota")
        if isinstance(quota, int) and len(backend.tasks) >= quota:
            raise invalid(f"Quota exceeded: this account already has {len(backend.tasks)} tasks in "
                          f"{backend.region_name}, the maximum number of tasks you can create ({quota}).",
                          )
        backend.tasks[task.arn] = task
        _count_tasks(backend)
    return _reply({"TaskArn": task.arn})


def _task(self: DataSyncResponse, arn: Any) -> Task:
    v = Validator()
    if v.required(arn, "taskArn"):
        v.pattern(arn, "taskArn", TASK_ARN, 128)
    v.raise_if_any()
    task = self.datasync_backend.tasks.get(arn)
    if task is None:
        raise invalid(f"Task {arn} is not found.", "NotFound")
    return task


def describe_task(self: DataSyncResponse) -> str:
    task = _task(self, _body(self).get("TaskArn"))
    m = task.metadata
    return _reply(
        {
            "TaskArn": task.arn,
            "Status": task.status,
            "Name": task.name or None,
            "CurrentTaskExecutionArn": task.current_task_execution_arn,
            "SourceLocationArn": task.source_location_arn,
            "DestinationLocationArn": task.destination_location_arn,
            "CloudWatchLogGroupArn": m.get("CloudWatchLogGroupArn"),
            "SourceNetworkInterfaceArns": [],
            "DestinationNetworkInterfaceArns": [],
            "Options": m.get("Options"),
            "Excludes": m.get("Excludes") or [],
            "Includes": m.get("Includes") or [],
            "Schedule": m.get("Schedule"),
            "CreationTime": epoch(m.get("CreationTime")),
            "TaskMode": "BASIC",
        }
    )


def update_task(self: DataSyncResponse) -> str:
    b = _body(self)
    task = _task(self, b.get("TaskArn"))
    v = Validator()
    opts = _options(b.get("Options"), base=task.metadata.get("Options"), v=v)
    _validate_filters(v, b.get("Excludes"), "excludes")
    _validate_filters(v, b.get("Includes"), "includes")
    v.raise_if_any()
    _check_option_rules(opts, _any_efs(self.datasync_backend, task.source_location_arn, task.destination_location_arn))
    task.metadata["Options"] = opts
    for key in ("Excludes", "Includes", "CloudWatchLogGroupArn", "Schedule"):
        if key in b:
            task.metadata[key] = b[key]
    if b.get("Name"):
        task.name = b["Name"]
    return _reply({})


def list_tasks(self: DataSyncResponse) -> str:
    b = _body(self)
    items = []
    for arn, task in self.datasync_backend.tasks.items():
        flt = [f for f in b.get("Filters") or [] if f.get("Name") == "LocationId"]
        if flt and not (
            _filters_match(flt, {"LocationId": task.source_location_arn})
            or _filters_match(flt, {"LocationId": task.destination_location_arn})
        ):
            continue
        items.append({"TaskArn": arn, "Status": task.status, "Name": task.name or None, "TaskMode": "BASIC"})
    page, token = _paginate(items, b)
    return _reply({"Tasks": [{k: v for k, v in t.items() if v is not None} for t in page], "NextToken": token})


def delete_task(self: DataSyncResponse) -> str:
    task = _task(self, _body(self).get("TaskArn"))
    backend = self.datasync_backend
    with state(backend)["lock"]:
        for ex in state(backend)["executions"].values():
            if ex.task_arn == task.arn and ex.status not in TERMINAL:
                ex.error = ex.error or ("Cancelled", "Task execution cancelled: the task was deleted")
                if ex.status == "QUEUED":
                    ex.status = "ERROR"
                ex.stop.set()
        with _TASKS_LOCK:
            backend.tasks.pop(task.arn, None)
            _count_tasks(backend)
    return _reply({})


def start_task_execution(self: DataSyncResponse) -> str:
    b = _body(self)
    task = _task(self, b.get("TaskArn"))
    backend = self.datasync_backend
    st = state(backend)
    v = Validator()
    opts = _options(b.get("OverrideOptions"), base=task.metadata.get("Options"), v=v, member="overrideOptions")
    _validate_filters(v, b.get("Excludes"), "excludes")
    _validate_filters(v, b.get("Includes"), "includes")
    validate_tags(v, b.get("Tags"))
    v.raise_if_any()
    _check_option_rules(opts, _any_efs(backend, task.source_location_arn, task.destination_location_arn))
    with st["lock"]:
        busy = [ex for ex in st["executions"].values() if ex.task_arn == task.arn and ex.status not in TERMINAL]
        # API Reference, StartTaskExecution: "For each task, you can only run one task execution
        # at a time"; the others wait in QUEUED (DescribeTaskExecution: LaunchTime is later than
        # StartTime for a queued execution) unless the task's TaskQueueing is DISABLED.
        if busy and opts.get("TaskQueueing") == "DISABLED":
            raise invalid(f"Task {task.arn} already has a running execution {busy[0].arn}.", "TaskAlreadyRunning")
        src = backend.locations.get(task.source_location_arn)
        dst = backend.locations.get(task.destination_location_arn)
        if src is None or dst is None:
            missing = task.source_location_arn if src is None else task.destination_location_arn
            raise invalid(f"Location {missing} is not found.", "NotFound")
        includes = b["Includes"] if "Includes" in b else task.metadata.get("Includes")
        excludes = b["Excludes"] if "Excludes" in b else task.metadata.get("Excludes")
        execution = Execution(task, opts, includes, excludes, b.get("Tags"))
        st["executions"][execution.arn] = execution
        if not busy:
            launch(backend, execution)
    return _reply({"TaskExecutionArn": execution.arn})


def _execution(self: DataSyncResponse, arn: Any) -> Execution:
    v = Validator()
    if v.required(arn, "taskExecutionArn"):
        v.pattern(arn, "taskExecutionArn", EXEC_ARN, 128)
    v.raise_if_any()
    ex = state(self.datasync_backend)["executions"].get(arn)
    if ex is None:
        raise invalid(f"Task execution {arn} is not found.", "NotFound")
    return ex


def describe_task_execution(self: DataSyncResponse) -> str:
    ex = _execution(self, _body(self).get("TaskExecutionArn"))
    with state(self.datasync_backend)["lock"]:
        return _reply(ex.describe())


def cancel_task_execution(self: DataSyncResponse) -> str:
    ex = _execution(self, _body(self).get("TaskExecutionArn"))
    with state(self.datasync_backend)["lock"]:
        if ex.status in TERMINAL or ex.status == "CANCELLING":
            raise invalid(f"Sync task cannot be cancelled in its current status: {ex.status}")
        ex.error = ("Cancelled", "Task execution cancelled")
        queued = ex.status == "QUEUED"
        # API Reference, CancelTaskExecution: CANCELLING, then ERROR; "the files that were
        # transferred before cancelling ... might be incomplete or inconsistent".
        ex.status = "CANCELLING"
        ex.stop.set()
    if queued:
        def cancelled() -> None:
            ex.status = "ERROR"

        SETTINGS.later("datasync_cancelling", cancelled)
    return _reply({})


def list_task_executions(self: DataSyncResponse) -> str:
    b = _body(self)
    task_arn = b.get("TaskArn")
    if task_arn is not None:
        _task(self, task_arn)
    items = [
        {"TaskExecutionArn": ex.arn, "Status": ex.status, "TaskMode": "BASIC"}
        for ex in state(self.datasync_backend)["executions"].values()
        if task_arn is None or ex.task_arn == task_arn
    ]
    page, token = _paginate(items, b)
    return _reply({"TaskExecutions": page, "NextToken": token})


def _tagged(self: DataSyncResponse, arn: Any) -> list:
    """The tag list of a location, task or task execution (created on first use for moto's own
    locations)."""
    v = Validator()
    if v.required(arn, "resourceArn"):
        v.pattern(arn, "resourceArn", TAGGABLE_ARN, 128)
    v.raise_if_any()
    backend = self.datasync_backend
    if arn in backend.locations:
        loc = backend.locations[arn]
        if not isinstance(getattr(loc, "tags", None), list):
            loc.tags = []
        return loc.tags
    if arn in backend.tasks:
        return backend.tasks[arn].metadata.setdefault("Tags", [])
    execution = state(backend)["executions"].get(arn)
    if execution is not None:
        return execution.tags
    raise invalid(f"Resource {arn} is not found.", "NotFound")


def list_tags_for_resource(self: DataSyncResponse) -> str:
    b = _body(self)
    page, token = _paginate(list(_tagged(self, b.get("ResourceArn"))), b)
    return _reply({"Tags": page, "NextToken": token})


def tag_resource(self: DataSyncResponse) -> str:
    b = _body(self)
    v = Validator()
    if v.required(b.get("Tags"), "tags"):
        validate_tags(v, b.get("Tags"))
    v.raise_if_any()
    tags = _tagged(self, b.get("ResourceArn"))
    for tag in b["Tags"]:
        tags[:] = [t for t in tags if t["Key"] != tag["Key"]] + [{"Key": tag["Key"], "Value": tag.get("Value", "")}]
    return _reply({})


def untag_resource(self: DataSyncResponse) -> str:
    b = _body(self)
    tags = _tagged(self, b.get("ResourceArn"))
    keys = set(b.get("Keys") or [])
    tags[:] = [t for t in tags if t["Key"] not in keys]
    return _reply({})


ACTIONS = {
    "list_tags_for_resource": list_tags_for_resource,
    "tag_resource": tag_resource,
    "untag_resource": untag_resource,
    "create_location_efs": create_location_efs,
    "describe_location_efs": describe_location_efs,
    "list_locations": list_locations,
    "delete_location": delete_location,
    "create_task": create_task,
    "describe_task": describe_task,
    "update_task": update_task,
    "list_tasks": list_tasks,
    "delete_task": delete_task,
    "start_task_execution": start_task_execution,
    "describe_task_execution": describe_task_execution,
    "cancel_task_execution": cancel_task_execution,
    "list_task_executions": list_task_executions,
}

_installed = False


def install() -> None:
    """Patch moto's DataSync responses (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    for name, fn in ACTIONS.items():
        setattr(DataSyncResponse, name, fn)
    from . import control

    control.on_reset(stop_all)
    control.on_reset(reset_tasks_counts)
    control.add_endpoint("GET", "datasync", tasks_counts)
    control.add_endpoint("POST", "datasync", restart_tasks_peak)
