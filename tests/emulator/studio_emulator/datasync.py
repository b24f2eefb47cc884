"""DataSync for EFS locations, with task executions that really copy files.

moto 5.2.5 knows only S3 and SMB locations and its executions copy nothing. This module adds
CreateLocationEfs/DescribeLocationEfs and replaces the task and execution actions. An EFS file
system `fs-…` is the local directory `SETTINGS.efs_dir(fs)`; a location is that directory, plus
the access point's root directory when there is one, plus the subdirectory. StartTaskExecution
copies the source location into the destination synchronously, with the task's options, and
DescribeTaskExecution then moves the status one step per call, as moto does:
LAUNCHING → PREPARING → TRANSFERRING → VERIFYING → SUCCESS (or ERROR).

Locations and tasks live in moto's own DataSync backend dicts, so ListLocations, DeleteLocation
and `/moto-api/reset` keep working. Nothing here reads or writes through a symlink: every file
operation is relative to a directory descriptor opened with O_NOFOLLOW.
"""
from __future__ import annotations

import errno
import fnmatch
import json
import os
import re
import stat
import threading
import time
from datetime import datetime, timezone
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.datasync.models import DataSyncBackend, Location, Task
from moto.datasync.responses import DataSyncResponse
from moto.moto_api._internal import mock_random

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

# The steps an execution goes through, one per DescribeTaskExecution call.
STEPS = ("LAUNCHING", "PREPARING", "TRANSFERRING", "VERIFYING", "SUCCESS")


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


class Execution:
    def __init__(self, task: Task, options: dict[str, Any], includes: Any, excludes: Any):
        self.task_arn = task.arn
        self.arn = f"{task.arn}/execution/exec-{mock_random.get_random_hex(17)}"
        self.options = options
        self.includes = includes
        self.excludes = excludes
        self.start_time = now()
        self.step = 0
        self.status = STEPS[0]
        self.report: dict[str, Any] = {}
        self.error: tuple[str, str] | None = None  # (ErrorCode, ErrorDetail)
        self.verify_error: tuple[str, str] | None = None
        self.durations = {"prepare": 0, "transfer": 0, "verify": 0}
        self.cancelled = False

    def advance(self) -> None:
        """One step of the status machine, as moto does on every DescribeTaskExecution."""
        if self.status in ("SUCCESS", "ERROR"):
            return
        if self.status == "TRANSFERRING" and SETTINGS.config.get("datasync_hold_executions"):
            # Held: a test interrupts the copy while it is in flight (Ctrl-C, timeouts).
            return
        nxt = STEPS[self.step + 1]
        if nxt == "TRANSFERRING" and self.error:
            self.status = "ERROR"
        elif nxt == "SUCCESS" and self.verify_error:
            self.status = "ERROR"
        else:
            self.step += 1
            self.status = nxt

    def describe(self) -> dict[str, Any]:
        reached = STEPS.index(self.status) if self.status in STEPS else self.step
        failed = self.status == "ERROR"
        r = self.report
        out: dict[str, Any] = {
            "TaskExecutionArn": self.arn,
            "Status": self.status,
            "Options": self.options,
            "Excludes": self.excludes or [],
            "Includes": self.includes or [],
            "StartTime": epoch(self.start_time),
            "EstimatedFilesToTransfer": r.get("estimated_files", 0) if reached >= 2 or failed else 0,
            "EstimatedBytesToTransfer": r.get("estimated_bytes", 0) if reached >= 2 or failed else 0,
            "EstimatedFilesToDelete": r.get("deleted", 0) if reached >= 2 else 0,
            "FilesTransferred": r.get("files", 0) if reached >= 3 else 0,
            "BytesTransferred": r.get("bytes", 0) if reached >= 3 else 0,
            "BytesWritten": r.get("bytes", 0) if reached >= 3 else 0,
            "BytesCompressed": r.get("bytes", 0) if reached >= 3 else 0,
            "FilesDeleted": r.get("deleted", 0) if reached >= 3 else 0,
            "FilesSkipped": r.get("skipped", 0) if reached >= 3 else 0,
            "FilesVerified": r.get("verified", 0) if reached >= 4 or (failed and self.verify_error) else 0,
            "FilesPrepared": r.get("estimated_files", 0) if reached >= 2 else 0,
            "TaskMode": "BASIC",
        }
        prep = self.durations["prepare"] if reached >= 2 or failed else 0
        xfer = self.durations["transfer"] if reached >= 3 or failed else 0
        verify = self.durations["verify"] if reached >= 4 or failed else 0
        result: dict[str, Any] = {
            "PrepareDuration": prep,
            "PrepareStatus": "SUCCESS" if reached >= 2 else "PENDING",
            "TotalDuration": prep + xfer + verify,
            "TransferDuration": xfer,
            "TransferStatus": "SUCCESS" if reached >= 3 else "PENDING",
            "VerifyDuration": verify,
            "VerifyStatus": "SUCCESS" if reached >= 4 else "PENDING",
        }
        if failed:
            code, detail = self.error or self.verify_error or ("Cancelled", "Task execution cancelled")
            result["ErrorCode"] = code
            result["ErrorDetail"] = detail
            if self.verify_error and not self.error:
                result["VerifyStatus"] = "ERROR"
            else:
                result["TransferStatus"] = "ERROR"
                result["VerifyStatus"] = "PENDING"
        out["Result"] = result
        return out


def state(backend: DataSyncBackend) -> dict[str, Any]:
    """Per-backend state that moto's reset clears along with the backend."""
    return backend.__dict__.setdefault("_studio_datasync", {"executions": {}, "lock": threading.RLock()})


# ---------------------------------------------------------------------------------------------
# the copy


class CopyFailed(Exception):
    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


def parse_patterns(filters: Any) -> list[str]:
    patterns: list[str] = []
    for f in filters or []:
        if f.get("FilterType", "SIMPLE_PATTERN") != "SIMPLE_PATTERN":
            continue
        for p in (f.get("Value") or "").split("|"):
            p = p.strip()
            if p:
                patterns.append(p.rstrip("/") or "/")
    return patterns


def matches(rel: str, patterns: list[str]) -> bool:
    """True when `/rel` or one of its parent directories matches a pattern."""
    parts = rel.strip("/").split("/")
    for i in range(1, len(parts) + 1):
        prefix = "/" + "/".join(parts[:i])
        for p in patterns:
            if fnmatch.fnmatchcase(prefix, p) or ("/" not in p and fnmatch.fnmatchcase(parts[i - 1], p)):
                return True
    return False


class Identity:
    """How a destination location writes: the owner it forces, if any."""

    def __init__(self, uid: int | None, gid: int | None):
        self.uid = uid
        self.gid = gid


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


def open_location(loc: EfsLocation, account: str, create: bool) -> tuple[int, Identity]:
    """Mount a location: a directory fd of its root (opened without following any symlink)."""
    base = SETTINGS.efs_dir(loc.file_system_id)
    if not os.path.isdir(base):
        raise CopyFailed("FileSystemNotFound", f"Unable to mount {loc.uri}: file system {loc.file_system_id} is not reachable")
    ident = Identity(None, None)
    parts: list[str] = []
    creation = None
    if loc.access_point_arn:
        ap = _access_point(loc.access_point_arn, loc.fs_region, account)
        root = (ap.root_directory or {}).get("Path") or "/"
        parts += [p for p in root.split("/") if p]
        creation = (ap.root_directory or {}).get("CreationInfo")
        user = ap.posix_user or {}
        if "Uid" in user:
            ident = Identity(int(user["Uid"]), int(user.get("Gid", user["Uid"])))
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        n_ap = len(parts)
        parts += [p for p in loc.subdirectory.split("/") if p]
        for i, name in enumerate(parts):
            if name == "..":
                raise CopyFailed("InvalidSubdirectory", f"Subdirectory of {loc.uri} leaves the file system")
            try:
                nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except FileNotFoundError:
                in_ap_root = i < n_ap
                if in_ap_root and creation:
                    os.mkdir(name, 0o700, dir_fd=fd)
                    nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                    chown(nfd, int(creation["OwnerUid"]), int(creation["OwnerGid"]))
                    os.fchmod(nfd, int(str(creation["Permissions"]), 8))
                elif in_ap_root:
                    raise CopyFailed(
                        "AccessPointRootMissing",
                        f"Unable to mount {loc.uri}: the access point root directory does not exist",
                    )
                elif create:
                    os.mkdir(name, 0o755, dir_fd=fd)
                    nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                    chown(nfd, ident.uid if ident.uid is not None else 0, ident.gid if ident.gid is not None else 0)
                else:
                    raise CopyFailed(
                        "SourceNotFound", f"The source location {loc.uri} does not exist: no such directory"
                    )
            except OSError as e:
                if e.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise CopyFailed(
                        "InvalidSubdirectory", f"{loc.uri}: '{name}' is not a directory (symlinks are not followed)"
                    )
                raise
            os.close(fd)
            fd = nfd
        return fd, ident
    except BaseException:
        os.close(fd)
        raise


class Copier:
    def __init__(self, options: dict[str, Any], includes: list[str], excludes: list[str], dest: Identity):
        self.o = options
        self.includes = includes
        self.excludes = excludes
        self.dest = dest
        self.files = 0
        self.bytes = 0
        self.skipped = 0
        self.deleted = 0
        self.seen = 0  # entries in scope at the source, for verification
        self.ownership_mismatch: str | None = None
        self.avoid: set[tuple[int, int]] = set()  # the two location roots: never walked into

    # --- what a destination entry should look like

    def owner(self, st: os.stat_result) -> tuple[int, int]:
        if self.dest.uid is not None:
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
        with os.scandir(src_fd) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            names.add(entry.name)
            child_rel = f"{rel}/{entry.name}"
            st = entry.stat(follow_symlinks=False)
            copy_it, descend = self.in_scope(child_rel, stat.S_ISDIR(st.st_mode))
            if stat.S_ISDIR(st.st_mode) and (st.st_dev, st.st_ino) in self.avoid:
                self.skipped += 1  # one location lies inside the other: do not copy it into itself
                continue
            if stat.S_ISDIR(st.st_mode):
                if copy_it or descend:
                    self.copy_dir(src_fd, dst_fd, entry.name, st, child_rel, create=copy_it)
            elif copy_it:
                self.seen += 1
                if stat.S_ISLNK(st.st_mode):
                    self.copy_link(src_fd, dst_fd, entry.name, st)
                elif stat.S_ISREG(st.st_mode):
                    self.copy_file(src_fd, dst_fd, entry.name, st)
                else:
                    self.skipped += 1  # devices, fifos and sockets are not copied
        if self.o["PreserveDeletedFiles"] == "REMOVE":
            with os.scandir(dst_fd) as it:
                extra = [e.name for e in it if e.name not in names]
            for name in extra:
                child_rel = f"{rel}/{name}"
                if self.excludes and matches(child_rel, self.excludes):
                    continue
                if self.includes and not matches(child_rel, self.includes):
                    continue
                self.deleted += remove_entry(dst_fd, name)

    def lstat_dst(self, dst_fd: int, name: str) -> os.stat_result | None:
        try:
            return os.stat(name, dir_fd=dst_fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def copy_dir(self, src_fd: int, dst_fd: int, name: str, st: os.stat_result, rel: str, create: bool) -> None:
        existing = self.lstat_dst(dst_fd, name)
        if create:
            self.seen += 1
        if existing is not None and not stat.S_ISDIR(existing.st_mode):
            if self.o["OverwriteMode"] == "NEVER":
                self.skipped += 1
                return
            remove_entry(dst_fd, name)  # a link or a file where a directory belongs: replace it
            existing = None
        made = existing is None
        if made:
            os.mkdir(name, 0o700, dir_fd=dst_fd)
        sub_src = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=src_fd)
        try:
            sub_dst = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dst_fd)
        except BaseException:
            os.close(sub_src)
            raise
        try:
            before = self.files
            self.copy_tree(sub_src, sub_dst, rel)
            if create:
                changed = made or self.o["TransferMode"] == "ALL" or not self.same_meta(st, os.fstat(sub_dst))
                # times last: writing the children changed the directory's mtime
                self.apply_meta_fd(sub_dst, st, None if made else existing)
                if changed:
                    self.files += 1
            elif made and self.files == before:
                os.rmdir(name, dir_fd=dst_fd)  # only walked for includes, and nothing was included
            elif made:
                uid, gid = self.owner(st)
                chown(sub_dst, uid, gid)
                os.fchmod(sub_dst, 0o755)
        finally:
            os.close(sub_src)
            os.close(sub_dst)

    def copy_link(self, src_fd: int, dst_fd: int, name: str, st: os.stat_result) -> None:
        target = os.readlink(name, dir_fd=src_fd)  # the link itself; its target is never opened
        existing = self.lstat_dst(dst_fd, name)
        if existing is not None:
            same_link = stat.S_ISLNK(existing.st_mode) and os.readlink(name, dir_fd=dst_fd) == target
            if same_link and self.o["TransferMode"] == "CHANGED" and self.same_meta(st, existing):
                return
            if not same_link:
                if self.o["OverwriteMode"] == "NEVER":
                    self.skipped += 1
                    return
                remove_entry(dst_fd, name)
                existing = None
        if existing is None:
            tmp = f".datasync-{mock_random.get_random_hex(8)}"
            os.symlink(target, tmp, dir_fd=dst_fd)
            os.rename(tmp, name, src_dir_fd=dst_fd, dst_dir_fd=dst_fd)
        uid, gid = self.owner(st)
        chown(name, uid, gid, dir_fd=dst_fd)
        self.set_times(st, name=name, dir_fd=dst_fd)
        self.files += 1
        self.bytes += len(os.fsencode(target))

    def copy_file(self, src_fd: int, dst_fd: int, name: str, st: os.stat_result) -> None:
        existing = self.lstat_dst(dst_fd, name)
        if existing is not None:
            same_type = stat.S_ISREG(existing.st_mode)
            same_data = same_type and existing.st_size == st.st_size and existing.st_mtime_ns == st.st_mtime_ns
            if self.o["TransferMode"] == "CHANGED" and same_data:
                if self.same_meta(st, existing):
                    return
                # only the metadata differs: update it in place, through an fd of the file itself
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dst_fd)
                try:
                    self.apply_meta_fd(fd, st, existing)
                finally:
                    os.close(fd)
                self.files += 1
                return
            if self.o["OverwriteMode"] == "NEVER":
                self.skipped += 1
                return
            if stat.S_ISDIR(existing.st_mode):
                remove_entry(dst_fd, name)
        src = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=src_fd)
        tmp = f".datasync-{mock_random.get_random_hex(8)}"
        try:
            out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=dst_fd)
            try:
                n = 0
                while True:
                    chunk = os.read(src, 1 << 20)
                    if not chunk:
                        break
                    view = memoryview(chunk)
                    while view:
                        w = os.write(out, view)
                        view = view[w:]
                    n += len(chunk)
                keep_mode = existing if existing is not None and stat.S_ISREG(existing.st_mode) else None
                self.apply_meta_fd(out, st, keep_mode)
            finally:
                os.close(out)
            # rename replaces whatever is at `name` (a symlink included) without following it
            os.rename(tmp, name, src_dir_fd=dst_fd, dst_dir_fd=dst_fd)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=dst_fd)
            except OSError:
                pass
            raise
        finally:
            os.close(src)
        self.files += 1
        self.bytes += n


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


def run_copy(execution: Execution, src: EfsLocation, dst: EfsLocation, account: str) -> None:
    injected = SETTINGS.config.get("datasync_execution_error")
    if isinstance(injected, str):
        execution.error = (injected, injected)
        return
    t0 = time.monotonic()
    src_fd = dst_fd = None
    try:
        src_fd, _ = open_location(src, account, create=False)
        dst_fd, ident = open_location(dst, account, create=True)
        copier = Copier(
            execution.options, parse_patterns(execution.includes), parse_patterns(execution.excludes), ident
        )
        for fd in (src_fd, dst_fd):
            root = os.fstat(fd)
            copier.avoid.add((root.st_dev, root.st_ino))
        if os.fstat(src_fd).st_ino == os.fstat(dst_fd).st_ino and os.fstat(src_fd).st_dev == os.fstat(dst_fd).st_dev:
            raise CopyFailed("InvalidLocation", "The source and destination locations are the same directory")
        est_files, est_bytes = plan(copier, src_fd)
        t1 = time.monotonic()
        copier.copy_tree(src_fd, dst_fd)
        t2 = time.monotonic()
        verify = execution.options["VerifyMode"]
        verified = 0 if verify == "NONE" else (copier.seen if verify == "POINT_IN_TIME_CONSISTENT" else copier.files)
        execution.report = {
            "estimated_files": est_files,
            "estimated_bytes": est_bytes,
            "files": copier.files,
            "bytes": copier.bytes,
            "skipped": copier.skipped,
            "deleted": copier.deleted,
            "verified": verified,
        }
        execution.durations = {
            "prepare": int((t1 - t0) * 1000),
            "transfer": int((t2 - t1) * 1000),
            "verify": int((time.monotonic() - t2) * 1000),
        }
        if copier.ownership_mismatch and verify != "NONE":
            # EFS access points force their POSIX identity on every write, so preserved ownership
            # cannot match the source: DataSync documents that verification then fails.
            execution.verify_error = (
                "VerificationFailed",
                f"Verification failed: the destination access point enforces its POSIX user, so the "
                f"{execution.options['Uid'] if copier.ownership_mismatch == 'uid' else execution.options['Gid']} "
                f"{copier.ownership_mismatch} of the source was not preserved. Set Uid and Gid to NONE or VerifyMode to NONE.",
            )
    except CopyFailed as e:
        execution.error = (e.code, e.detail)
    except PermissionError as e:
        execution.error = ("PermissionDenied", f"Transfer failed: permission denied: {e.filename or ''}".strip())
    except OSError as e:
        execution.error = ("TransferFailed", f"Transfer failed: {e.strerror or e}: {e.filename or ''}".strip())
    except Exception as e:  # a bug here must still end the execution, not the request
        execution.error = ("InternalError", f"Transfer failed: {e!r}")
    finally:
        for fd in (src_fd, dst_fd):
            if fd is not None:
                os.close(fd)


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
    start = int(b.get("NextToken") or 0)
    size = int(b.get("MaxResults") or 100)
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
    # DataSync quotas (user guide): "Maximum number of tasks you can create: 100" per account and
    # Region, adjustable. The error is not documented: InvalidRequestException, the error every
    # refused DataSync request gets.
    quota = SETTINGS.config.get("datasync_task_quota")
    if isinstance(quota, int) and len(backend.tasks) >= quota:
        raise invalid(f"Quota exceeded: this account already has {len(backend.tasks)} tasks in "
                      f"{backend.region_name}, the maximum number of tasks you can create ({quota}).",
                      )
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
    backend.tasks[task.arn] = task
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
    ex = state(backend)["executions"].get(task.current_task_execution_arn or "")
    if ex is not None and ex.status not in ("SUCCESS", "ERROR"):
        ex.cancelled = True
        ex.error = ex.error or ("Cancelled", "Task execution cancelled: the task was deleted")
        ex.status = "ERROR"
    del backend.tasks[task.arn]
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
    v.raise_if_any()
    _check_option_rules(opts, _any_efs(backend, task.source_location_arn, task.destination_location_arn))
    with st["lock"]:
        current = st["executions"].get(task.current_task_execution_arn or "")
        if current is not None and current.status not in ("SUCCESS", "ERROR"):
            raise invalid(
                f"Task {task.arn} already has a running execution {current.arn}.", "TaskAlreadyRunning"
            )
        src = backend.locations.get(task.source_location_arn)
        dst = backend.locations.get(task.destination_location_arn)
        if src is None or dst is None:
            missing = task.source_location_arn if src is None else task.destination_location_arn
            raise invalid(f"Location {missing} is not found.", "NotFound")
        includes = b["Includes"] if "Includes" in b else task.metadata.get("Includes")
        excludes = b["Excludes"] if "Excludes" in b else task.metadata.get("Excludes")
        execution = Execution(task, opts, includes, excludes)
        st["executions"][execution.arn] = execution
        task.current_task_execution_arn = execution.arn
        task.status = "RUNNING"
        if isinstance(src, EfsLocation) and isinstance(dst, EfsLocation):
            run_copy(execution, src, dst, backend.account_id)
        # other location types (S3, SMB) copy nothing, as in moto
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
        out = ex.describe()
        ex.advance()
        if ex.status in ("SUCCESS", "ERROR"):
            task = self.datasync_backend.tasks.get(ex.task_arn)
            if task is not None and task.current_task_execution_arn == ex.arn:
                task.status = "AVAILABLE"
    return _reply(out)


def cancel_task_execution(self: DataSyncResponse) -> str:
    ex = _execution(self, _body(self).get("TaskExecutionArn"))
    with state(self.datasync_backend)["lock"]:
        if ex.status in ("SUCCESS", "ERROR"):
            raise invalid(f"Sync task cannot be cancelled in its current status: {ex.status}")
        ex.cancelled = True
        ex.error = ("Cancelled", "Task execution cancelled")
        ex.status = "ERROR"
        task = self.datasync_backend.tasks.get(ex.task_arn)
        if task is not None:
            task.status = "AVAILABLE"
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
    """The tag list of a location or task (created on first use for moto's own locations)."""
    v = Validator()
    if v.required(arn, "resourceArn"):
        v.pattern(arn, "resourceArn", re.compile(rf"^arn:{PARTITIONS}:datasync:[a-z\-0-9]+:[0-9]{{12}}:(agent|task|location|system)/.*$"), 128)
    v.raise_if_any()
    backend = self.datasync_backend
    if arn in backend.locations:
        loc = backend.locations[arn]
        if not isinstance(getattr(loc, "tags", None), list):
            loc.tags = []
        return loc.tags
    if arn in backend.tasks:
        return backend.tasks[arn].metadata.setdefault("Tags", [])
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
