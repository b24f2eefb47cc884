"""DataSync EFS locations and task executions that really copy (studio_emulator/datasync.py)."""
import os
import stat
import time
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
EC2 = {
    "SubnetArn": f"arn:aws:ec2:us-east-1:{ACCOUNT}:subnet/subnet-0123456789abcdef0",
    "SecurityGroupArns": [f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-0123456789abcdef0"],
}
ROLE = f"arn:aws:iam::{ACCOUNT}:role/datasync-efs"
NO_RETRY = Config(retries={"total_max_attempts": 1}, parameter_validation=False)


def fs_arn(fs_id):
    return f"arn:aws:elasticfilesystem:us-east-1:{ACCOUNT}:file-system/{fs_id}"


@pytest.fixture
def ds(emulator):
    return emulator.client("datasync", config=NO_RETRY)


@pytest.fixture
def efs(emulator):
    return emulator.client("efs", config=NO_RETRY)


@pytest.fixture
def two_fs(emulator, efs):
    """Two file systems; returns (src_fs, dst_fs, src_root, dst_root) with roots as Paths."""
    ids = [efs.create_file_system(CreationToken=str(uuid.uuid4()))["FileSystemId"] for _ in range(2)]
    roots = [emulator.efs_root / i for i in ids]
    for r in roots:
        r.mkdir(parents=True, exist_ok=True)
    return ids[0], ids[1], roots[0], roots[1]


def location(ds, fs_id, subdir, **extra):
    return ds.create_location_efs(EfsFilesystemArn=fs_arn(fs_id), Subdirectory=subdir, Ec2Config=EC2, **extra)[
        "LocationArn"
    ]


def wait_until(predicate, timeout=30.0):
    """Polls an observable condition (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)
    return value


def finish(ds, execution):
    """Polls an execution to its end; returns (the distinct statuses seen in order, last description)."""
    statuses = []
    deadline = time.monotonic() + 60
    while True:
        d = ds.describe_task_execution(TaskExecutionArn=execution)
        if not statuses or statuses[-1] != d["Status"]:
            statuses.append(d["Status"])
        if d["Status"] in ("SUCCESS", "ERROR"):
            return statuses, d
        assert time.monotonic() < deadline, f"execution did not finish: {statuses}"
        time.sleep(0.02)


def run(ds, src, dst, **task_args):
    """Creates a task, runs it to the end; returns (statuses seen, last description)."""
    task = ds.create_task(SourceLocationArn=src, DestinationLocationArn=dst, **task_args)["TaskArn"]
    return finish(ds, ds.start_task_execution(TaskArn=task)["TaskExecutionArn"])


def error_of(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def make_tree(root, outside):
    """The source home directory used by the copy tests."""
    (root / "project" / "deep").mkdir(parents=True)
    (root / "project" / "deep" / "nb.ipynb").write_text('{"cells": []}')
    (root / "project" / "empty").mkdir()
    (root / "empty.txt").touch()
    (root / "data.csv").write_bytes(b"a,b\n" * 1000)
    (root / "secret").write_text("token")
    os.chmod(root / "secret", 0o600)
    os.chown(root / "secret", 200000, 1001)
    os.chown(root / "data.csv", 200000, 1001)
    os.utime(root / "data.csv", (1_600_000_000, 1_600_000_000))
    os.symlink("project/deep/nb.ipynb", root / "link-inside")
    outside.mkdir(exist_ok=True)
    (outside / "not-yours.txt").write_text("outside the tree")
    os.symlink(str(outside), root / "link-outside")


# --- shapes and errors -------------------------------------------------------------------------


def test_datasync_location_efs_shapes(ds, two_fs):
    src_fs, _, _, _ = two_fs
    arn = location(ds, src_fs, "/200000/", Tags=[{"Key": "k", "Value": "v"}])
    assert arn.startswith(f"arn:aws:datasync:us-east-1:{ACCOUNT}:location/loc-")
    d = ds.describe_location_efs(LocationArn=arn)
    assert d["LocationUri"] == f"efs://us-east-1.{src_fs}/200000/"
    assert d["Ec2Config"] == EC2
    assert d["InTransitEncryption"] == "NONE"
    assert "CreationTime" in d
    root = location(ds, src_fs, "")
    assert ds.describe_location_efs(LocationArn=root)["LocationUri"] == f"efs://us-east-1.{src_fs}/"
    listed = {l["LocationArn"]: l["LocationUri"] for l in ds.list_locations()["Locations"]}
    assert listed[arn] == f"efs://us-east-1.{src_fs}/200000/"
    ds.delete_location(LocationArn=arn)
    with pytest.raises(ClientError) as e:
        ds.describe_location_efs(LocationArn=arn)
    assert error_of(e)[0] == "InvalidRequestException"
    assert arn not in {l["LocationArn"] for l in ds.list_locations()["Locations"]}


def test_datasync_location_efs_validation(ds, efs, two_fs):
    src_fs, dst_fs, _, _ = two_fs
    with pytest.raises(ClientError) as e:
        ds.create_location_efs(EfsFilesystemArn="fs-123", Ec2Config=EC2)
    code, message, status = error_of(e)
    assert (code, status) == ("ValidationException", 400)
    assert "at 'efsFilesystemArn' failed to satisfy constraint" in message

    with pytest.raises(ClientError) as e:
        ds.create_location_efs(EfsFilesystemArn=fs_arn(src_fs))
    assert error_of(e)[0] == "ValidationException"
    assert "'ec2Config'" in error_of(e)[1]

    with pytest.raises(ClientError) as e:
        ds.create_location_efs(
            EfsFilesystemArn=fs_arn(src_fs), Ec2Config={"SubnetArn": "subnet-1", "SecurityGroupArns": []}
        )
    assert error_of(e)[0] == "ValidationException"
    assert error_of(e)[1].startswith("2 validation errors detected")

    with pytest.raises(ClientError) as e:
        ds.create_location_efs(EfsFilesystemArn=fs_arn(src_fs), Ec2Config=EC2, InTransitEncryption="TLS1_3")
    assert error_of(e)[0] == "ValidationException"

    with pytest.raises(ClientError) as e:
        ds.create_location_efs(EfsFilesystemArn=fs_arn("fs-00000000"), Ec2Config=EC2)
    assert error_of(e)[0] == "InvalidRequestException"

    other_account = fs_arn(src_fs).replace(ACCOUNT, "111111111111")
    with pytest.raises(ClientError) as e:
        ds.create_location_efs(EfsFilesystemArn=other_account, Ec2Config=EC2)
    assert error_of(e)[:2] == (
        "InvalidRequestException",
        "Invalid parameter: ARN account (111111111111) must match authenticated user.",
    )
    assert e.value.response["errorCode"] == "InvalidParameter"  # a modeled field of InvalidRequestException

    ap = efs.create_access_point(FileSystemId=dst_fs, PosixUser={"Uid": 200005, "Gid": 1001})["AccessPointArn"]
    # An access point alone is enough (the file system policy decides); TLS is what is required.
    location(ds, dst_fs, "/", AccessPointArn=ap, InTransitEncryption="TLS1_2")
    with pytest.raises(ClientError) as e:
        location(ds, dst_fs, "/", AccessPointArn=ap, FileSystemAccessRoleArn=ROLE)
    assert error_of(e)[0] == "InvalidRequestException"
    assert "TLS1_2" in error_of(e)[1]
    with pytest.raises(ClientError) as e:  # the access point belongs to another file system
        location(ds, src_fs, "/", AccessPointArn=ap, FileSystemAccessRoleArn=ROLE, InTransitEncryption="TLS1_2")
    assert error_of(e)[0] == "InvalidRequestException"
    ok = location(ds, dst_fs, "/", AccessPointArn=ap, FileSystemAccessRoleArn=ROLE, InTransitEncryption="TLS1_2")
    d = ds.describe_location_efs(LocationArn=ok)
    assert (d["AccessPointArn"], d["FileSystemAccessRoleArn"], d["InTransitEncryption"]) == (ap, ROLE, "TLS1_2")


def test_datasync_task_shapes_and_errors(ds, two_fs):
    src_fs, dst_fs, _, _ = two_fs
    src, dst = location(ds, src_fs, "/200000"), location(ds, dst_fs, "/200005")
    with pytest.raises(ClientError) as e:
        ds.create_task(SourceLocationArn=src, DestinationLocationArn=src.replace(src[-17:], "0" * 17))
    assert error_of(e)[0] == "InvalidRequestException"
    with pytest.raises(ClientError) as e:
        ds.create_task(SourceLocationArn=src, DestinationLocationArn=dst, Options={"TransferMode": "SOME"})
    assert error_of(e)[0] == "ValidationException"
    task = ds.create_task(
        SourceLocationArn=src, DestinationLocationArn=dst, Name="restore", Options={"Uid": "NONE", "Gid": "NONE"}
    )["TaskArn"]
    assert task.startswith(f"arn:aws:datasync:us-east-1:{ACCOUNT}:task/task-")
    d = ds.describe_task(TaskArn=task)
    assert d["Status"] == "AVAILABLE" and d["Name"] == "restore"
    assert d["Options"]["Uid"] == "NONE" and d["Options"]["TransferMode"] == "CHANGED"
    assert [t["TaskArn"] for t in ds.list_tasks()["Tasks"]] == [task]
    execution = ds.start_task_execution(TaskArn=task)["TaskExecutionArn"]
    assert execution.startswith(task + "/execution/exec-")
    assert ds.describe_task(TaskArn=task)["Status"] == "RUNNING"
    with pytest.raises(ClientError) as e:  # without queueing, a second execution is refused
        ds.start_task_execution(TaskArn=task, OverrideOptions={"TaskQueueing": "DISABLED"})
    assert error_of(e)[0] == "InvalidRequestException"
    assert ds.list_task_executions(TaskArn=task)["TaskExecutions"][0]["TaskExecutionArn"] == execution
    ds.cancel_task_execution(TaskExecutionArn=execution)
    assert finish(ds, execution)[1]["Status"] == "ERROR"
    with pytest.raises(ClientError) as e:
        ds.cancel_task_execution(TaskExecutionArn=execution)
    assert error_of(e)[0] == "InvalidRequestException"
    wait_until(lambda: ds.describe_task(TaskArn=task)["Status"] == "AVAILABLE")
    ds.delete_task(TaskArn=task)
    assert ds.list_tasks()["Tasks"] == []
    with pytest.raises(ClientError) as e:
        ds.describe_task(TaskArn=task)
    assert error_of(e)[0] == "InvalidRequestException"


def test_datasync_throttling(emulator, ds, two_fs):
    src_fs, _, _, _ = two_fs
    emulator.config(throttle={"CreateLocationEfs": 1, "ListTasks": 2})
    with pytest.raises(ClientError) as e:
        location(ds, src_fs, "/")
    assert error_of(e) == ("ThrottlingException", "Rate exceeded", 400)
    location(ds, src_fs, "/")  # only the first call was throttled
    for _ in range(2):
        with pytest.raises(ClientError) as e:
            ds.list_tasks()
        assert error_of(e)[0] == "ThrottlingException"
    ds.list_tasks()


# --- the copy ----------------------------------------------------------------------------------


def test_datasync_copies_a_home_directory(ds, two_fs, tmp_path):
    src_fs, dst_fs, src_root, dst_root = two_fs
    make_tree(src_root / "200000", tmp_path / "outside")
    (dst_root / "200005").mkdir()
    statuses, d = run(ds, location(ds, src_fs, "/200000"), location(ds, dst_fs, "/200005"))
    # TRANSFERRING may be too short to be seen for a small tree; the timed phases are not
    assert [s for s in statuses if s != "TRANSFERRING"] == ["LAUNCHING", "PREPARING", "VERIFYING", "SUCCESS"]
    assert d["Result"]["TransferStatus"] == "SUCCESS" and d["Result"]["VerifyStatus"] == "SUCCESS"
    assert "ErrorCode" not in d["Result"]
    for key in ("PrepareDuration", "TransferDuration", "VerifyDuration", "TotalDuration"):
        assert key in d["Result"]
    assert "StartTime" in d

    home = dst_root / "200005"
    assert (home / "project/deep/nb.ipynb").read_text() == '{"cells": []}'
    assert (home / "project/empty").is_dir()
    assert (home / "empty.txt").stat().st_size == 0
    assert (home / "data.csv").read_bytes() == b"a,b\n" * 1000
    secret = (home / "secret").lstat()
    assert stat.S_IMODE(secret.st_mode) == 0o600
    assert (secret.st_uid, secret.st_gid) == (200000, 1001)  # Uid/Gid INT_VALUE is the default
    assert (home / "data.csv").stat().st_mtime == 1_600_000_000
    assert os.readlink(home / "link-inside") == "project/deep/nb.ipynb"
    assert (home / "link-outside").is_symlink()
    assert os.readlink(home / "link-outside") == str(tmp_path / "outside")
    assert not any(p.name == "not-yours.txt" for p in home.rglob("*"))  # rglob does not follow links

    # files and links (6) plus directories (3); the location root is not counted
    assert d["FilesTransferred"] == 9
    assert d["EstimatedFilesToTransfer"] == 9
    size = 13 + 4000 + 5 + len("project/deep/nb.ipynb") + len(str(tmp_path / "outside"))
    assert d["BytesTransferred"] == d["BytesWritten"] == size
    assert d["EstimatedBytesToTransfer"] == 13 + 4000 + 5
    assert d["FilesVerified"] == 9


def test_datasync_never_writes_through_a_destination_symlink(ds, two_fs, tmp_path):
    src_fs, dst_fs, src_root, dst_root = two_fs
    (src_root / "h" / "proj").mkdir(parents=True)
    (src_root / "h" / "notes.txt").write_text("from the source")
    (src_root / "h" / "proj" / "file").write_text("inside proj")
    victim_file = tmp_path / "victim.txt"
    victim_file.write_text("untouched")
    victim_dir = tmp_path / "victim-dir"
    victim_dir.mkdir()
    (dst_root / "h").mkdir()
    os.symlink(victim_file, dst_root / "h" / "notes.txt")
    os.symlink(victim_dir, dst_root / "h" / "proj")

    _, d = run(ds, location(ds, src_fs, "/h"), location(ds, dst_fs, "/h"))
    assert d["Status"] == "SUCCESS"
    assert victim_file.read_text() == "untouched"
    assert list(victim_dir.iterdir()) == []
    assert not (dst_root / "h" / "notes.txt").is_symlink()
    assert (dst_root / "h" / "notes.txt").read_text() == "from the source"
    assert not (dst_root / "h" / "proj").is_symlink()
    assert (dst_root / "h" / "proj" / "file").read_text() == "inside proj"


def test_datasync_destination_location_behind_a_symlink_fails(ds, two_fs, tmp_path):
    src_fs, dst_fs, src_root, dst_root = two_fs
    (src_root / "h").mkdir()
    (src_root / "h" / "f").write_text("x")
    os.symlink(tmp_path, dst_root / "h")
    _, d = run(ds, location(ds, src_fs, "/h"), location(ds, dst_fs, "/h"))
    assert d["Status"] == "ERROR"
    assert "symlink" in d["Result"]["ErrorDetail"]
    assert not (tmp_path / "f").exists()


def test_datasync_transfer_mode_changed_and_all(ds, two_fs):
    src_fs, dst_fs, src_root, dst_root = two_fs
    (src_root / "h" / "d").mkdir(parents=True)
    (src_root / "h" / "a").write_text("aaa")
    (src_root / "h" / "d" / "b").write_text("bb")
    src, dst = location(ds, src_fs, "/h"), location(ds, dst_fs, "/h")
    assert run(ds, src, dst)[1]["FilesTransferred"] == 3
    _, d = run(ds, src, dst)  # nothing changed
    assert (d["FilesTransferred"], d["BytesTransferred"]) == (0, 0)
    (src_root / "h" / "a").write_text("changed")
    _, d = run(ds, src, dst)
    assert (d["FilesTransferred"], d["BytesTransferred"]) == (1, 7)
    os.chmod(src_root / "h" / "d" / "b", 0o640)  # metadata only
    _, d = run(ds, src, dst)
    assert (d["FilesTransferred"], d["BytesTransferred"]) == (1, 0)
    assert stat.S_IMODE((dst_root / "h" / "d" / "b").stat().st_mode) == 0o640
    _, d = run(ds, src, dst, Options={"TransferMode": "ALL"})
    assert (d["FilesTransferred"], d["BytesTransferred"]) == (3, 9)


def test_datasync_overwrite_mode_and_deleted_files(ds, two_fs):
    src_fs, dst_fs, src_root, dst_root = two_fs
    (src_root / "h").mkdir()
    (src_root / "h" / "a").write_text("new")
    (dst_root / "h").mkdir()
    (dst_root / "h" / "a").write_text("old content")
    (dst_root / "h" / "extra").write_text("only at the destination")
    src, dst = location(ds, src_fs, "/h"), location(ds, dst_fs, "/h")
    _, d = run(ds, src, dst, Options={"OverwriteMode": "NEVER"})
    assert d["Status"] == "SUCCESS"
    assert (dst_root / "h" / "a").read_text() == "old content"
    assert d["FilesSkipped"] == 1
    _, d = run(ds, src, dst)  # OverwriteMode ALWAYS, PreserveDeletedFiles PRESERVE
    assert (dst_root / "h" / "a").read_text() == "new"
    assert (dst_root / "h" / "extra").exists()
    _, d = run(ds, src, dst, Options={"PreserveDeletedFiles": "REMOVE"})
    assert not (dst_root / "h" / "extra").exists()
    assert d["FilesDeleted"] == 1


def test_datasync_uid_gid_none_and_permissions_none(ds, two_fs):
    src_fs, dst_fs, src_root, dst_root = two_fs
    (src_root / "h").mkdir()
    (src_root / "h" / "f").write_text("x")
    os.chown(src_root / "h" / "f", 200000, 1001)
    os.chmod(src_root / "h" / "f", 0o600)
    _, d = run(
        ds,
        location(ds, src_fs, "/h"),
        location(ds, dst_fs, "/new"),
        Options={"Uid": "NONE", "Gid": "NONE", "PosixPermissions": "NONE"},
    )
    assert d["Status"] == "SUCCESS"
    st = (dst_root / "new" / "f").stat()
    assert (st.st_uid, st.st_gid) == (0, 0)  # written by DataSync, as root
    assert stat.S_IMODE(st.st_mode) == 0o644


def test_datasync_access_point_identity(ds, efs, two_fs, tmp_path):
    src_fs, dst_fs, src_root, dst_root = two_fs
    make_tree(src_root / "200000", tmp_path / "outside")
    (dst_root / "200005").mkdir()
    os.chown(dst_root / "200005", 200005, 1001)
    ap = efs.create_access_point(
        FileSystemId=dst_fs, PosixUser={"Uid": 200005, "Gid": 1001}, RootDirectory={"Path": "/200005"}
    )["AccessPointArn"]
    dst = location(ds, dst_fs, "/", AccessPointArn=ap, FileSystemAccessRoleArn=ROLE, InTransitEncryption="TLS1_2")
    assert ds.describe_location_efs(LocationArn=dst)["LocationUri"] == f"efs://us-east-1.{dst_fs}/"
    _, d = run(ds, location(ds, src_fs, "/200000"), dst, Options={"Uid": "NONE", "Gid": "NONE"})
    assert d["Status"] == "SUCCESS", d["Result"]
    home = dst_root / "200005"
    for path in [home / "secret", home / "data.csv", home / "project", home / "project/deep/nb.ipynb", home / "link-inside"]:
        st = path.lstat()
        assert (st.st_uid, st.st_gid) == (200005, 1001), path
    assert stat.S_IMODE((home / "secret").stat().st_mode) == 0o600

    # Preserving ownership through an access point cannot work: DataSync's verification fails.
    (src_root / "200000" / "data.csv").write_text("changed")
    _, d = run(ds, location(ds, src_fs, "/200000"), dst)
    assert d["Status"] == "ERROR"
    assert d["Result"]["VerifyStatus"] == "ERROR"
    assert d["Result"]["ErrorCode"] == "VerificationFailed"
    assert (home / "data.csv").lstat().st_uid == 200005


def test_datasync_excludes_and_includes(ds, two_fs):
    src_fs, dst_fs, src_root, dst_root = two_fs
    h = src_root / "h"
    (h / "project" / ".ipynb_checkpoints").mkdir(parents=True)
    (h / "project" / ".ipynb_checkpoints" / "nb-checkpoint.ipynb").write_text("c")
    (h / "project" / "nb.ipynb").write_text("n")
    (h / "skip.txt").write_text("s")
    (h / "keep.txt").write_text("k")
    src = location(ds, src_fs, "/h")
    _, d = run(
        ds,
        src,
        location(ds, dst_fs, "/ex"),
        Excludes=[{"FilterType": "SIMPLE_PATTERN", "Value": "*/.ipynb_checkpoints|/skip.txt"}],
    )
    assert d["Status"] == "SUCCESS"
    got = sorted(str(p.relative_to(dst_root / "ex")) for p in (dst_root / "ex").rglob("*"))
    assert got == ["keep.txt", "project", "project/nb.ipynb"]
    _, d = run(ds, src, location(ds, dst_fs, "/in"), Includes=[{"FilterType": "SIMPLE_PATTERN", "Value": "/project"}])
    got = sorted(str(p.relative_to(dst_root / "in")) for p in (dst_root / "in").rglob("*"))
    assert got == ["project", "project/.ipynb_checkpoints", "project/.ipynb_checkpoints/nb-checkpoint.ipynb", "project/nb.ipynb"]


def test_datasync_filter_patterns_follow_the_shared_cases():
    """The DataSync filter rules, as the guide states them, in the table of cases that the native
    engine's matcher (crates/copy/src/filter.rs) is tested against too."""
    import json
    from pathlib import Path

    from studio_emulator.datasync import matches, parse_patterns

    cases = json.loads((Path(__file__).resolve().parents[1] / "contracts" / "datasync-filter-cases.json").read_text())
    assert len(cases) >= 20
    for value, path, excluded in cases:
        patterns = parse_patterns([{"FilterType": "SIMPLE_PATTERN", "Value": value}])
        assert matches(path, patterns) == excluded, (value, path)


def test_datasync_refuses_a_filter_ending_in_a_lone_escape(ds, two_fs):
    src_fs, dst_fs, src_root, dst_root = two_fs
    with pytest.raises(ClientError) as err:
        ds.create_task(
            SourceLocationArn=location(ds, src_fs, "/h"),
            DestinationLocationArn=location(ds, dst_fs, "/t"),
            Excludes=[{"FilterType": "SIMPLE_PATTERN", "Value": "/ends\\"}],
        )
    assert "excludes.1.member.value" in str(err.value)


def test_datasync_injected_error(emulator, ds, two_fs):
    src_fs, dst_fs, src_root, dst_root = two_fs
    (src_root / "h").mkdir()
    (src_root / "h" / "f").write_text("x")
    emulator.config(datasync_execution_error="Injected failure for a test")
    statuses, d = run(ds, location(ds, src_fs, "/h"), location(ds, dst_fs, "/h"))
    assert statuses[-1] == "ERROR" and "SUCCESS" not in statuses
    assert d["Result"]["ErrorCode"] == "Injected failure for a test"
    assert d["Result"]["ErrorDetail"] == "Injected failure for a test"
    assert d["Result"]["TransferStatus"] == "ERROR"
    assert not (dst_root / "h" / "f").exists()
    # It failed before TRANSFERRING: no counter was ever calculated, so none is reported (the old
    # emulator reported zeros, which hid a workflow that reads them by JSONPath).
    counters = {"EstimatedFilesToTransfer", "EstimatedBytesToTransfer", "FilesPrepared", "FilesTransferred",
                "BytesTransferred", "BytesWritten", "FilesSkipped", "FilesVerified"}
    assert counters.isdisjoint(d), sorted(counters & set(d))


def test_datasync_hold_executions_keeps_them_transferring(emulator, ds, two_fs):
    src_fs, dst_fs, src_root, dst_root = two_fs
    (src_root / "h").mkdir()
    (src_root / "h" / "f").write_text("x")
    emulator.config(datasync_hold_executions=True)
    task = ds.create_task(SourceLocationArn=location(ds, src_fs, "/h"), DestinationLocationArn=location(ds, dst_fs, "/h"))[
        "TaskArn"
    ]
    held = ds.start_task_execution(TaskArn=task)["TaskExecutionArn"]
    wait_until(lambda: ds.describe_task_execution(TaskExecutionArn=held)["Status"] == "TRANSFERRING")
    assert ds.list_task_executions(TaskArn=task)["TaskExecutions"] == [
        {"TaskExecutionArn": held, "Status": "TRANSFERRING", "TaskMode": "BASIC"}
    ]
    assert ds.describe_task(TaskArn=task)["Status"] == "RUNNING"
    # Cancelling a held execution ends it, as any other.
    ds.cancel_task_execution(TaskExecutionArn=held)
    statuses, d = finish(ds, held)
    assert statuses[-2:] == ["CANCELLING", "ERROR"] and d["Result"]["ErrorCode"] == "Cancelled"
    # Switched off, a held execution goes on to the end.
    second = ds.start_task_execution(TaskArn=task)["TaskExecutionArn"]
    wait_until(lambda: ds.describe_task_execution(TaskExecutionArn=second)["Status"] == "TRANSFERRING")
    emulator.config(datasync_hold_executions=False)
    assert finish(ds, second)[0][-2:] == ["VERIFYING", "SUCCESS"]
    assert (dst_root / "h" / "f").read_text() == "x"
    # A reset turns it off.
    emulator.config(datasync_hold_executions=True)
    emulator.reset()
    assert emulator.config()["datasync_hold_executions"] is False


def test_datasync_real_failure_missing_source(ds, two_fs):
    src_fs, dst_fs, _, dst_root = two_fs
    task = ds.create_task(
        SourceLocationArn=location(ds, src_fs, "/missing"), DestinationLocationArn=location(ds, dst_fs, "/h")
    )["TaskArn"]
    execution = ds.start_task_execution(TaskArn=task)["TaskExecutionArn"]
    statuses, d = finish(ds, execution)
    assert statuses == ["LAUNCHING", "PREPARING", "ERROR"]
    assert d["Result"]["ErrorCode"] == "SourceNotFound"
    assert "/missing" in d["Result"]["ErrorDetail"]
    assert ds.describe_task(TaskArn=task)["Status"] == "AVAILABLE"


def test_datasync_between_homes_of_one_file_system(ds, two_fs):
    """The usual restore: /<old uid> to /<new uid> on the same file system."""
    fs, _, root, _ = two_fs
    (root / "200000" / "work").mkdir(parents=True)
    (root / "200000" / "work" / "a.py").write_text("print(1)")
    (root / "200005").mkdir()
    _, d = run(ds, location(ds, fs, "/200000"), location(ds, fs, "/200005"), Options={"Uid": "NONE", "Gid": "NONE"})
    assert d["Status"] == "SUCCESS"
    assert (root / "200005" / "work" / "a.py").read_text() == "print(1)"
    assert (root / "200000" / "work" / "a.py").read_text() == "print(1)"


def test_datasync_nested_locations_do_not_recurse(ds, two_fs):
    fs, _, root, _ = two_fs
    (root / "200000").mkdir()
    (root / "200000" / "f").write_text("x")
    (root / "copy").mkdir()
    _, d = run(ds, location(ds, fs, "/"), location(ds, fs, "/copy"))
    assert d["Status"] == "SUCCESS"
    assert (root / "copy" / "200000" / "f").read_text() == "x"
    assert not (root / "copy" / "copy").exists()
    _, d = run(ds, location(ds, fs, "/200000"), location(ds, fs, "/200000/"))
    assert d["Status"] == "ERROR"
    assert d["Result"]["ErrorCode"] == "InvalidLocation"


def test_datasync_tags(ds, two_fs):
    fs, other, _, _ = two_fs
    loc = location(ds, fs, "/h", Tags=[{"Key": "team", "Value": "ml"}])
    assert ds.list_tags_for_resource(ResourceArn=loc)["Tags"] == [{"Key": "team", "Value": "ml"}]
    ds.tag_resource(ResourceArn=loc, Tags=[{"Key": "team", "Value": "data"}, {"Key": "x", "Value": "1"}])
    ds.untag_resource(ResourceArn=loc, Keys=["x"])
    assert ds.list_tags_for_resource(ResourceArn=loc)["Tags"] == [{"Key": "team", "Value": "data"}]
    task = ds.create_task(
        SourceLocationArn=loc, DestinationLocationArn=location(ds, other, "/h"), Tags=[{"Key": "k", "Value": "v"}]
    )["TaskArn"]
    assert ds.list_tags_for_resource(ResourceArn=task)["Tags"] == [{"Key": "k", "Value": "v"}]
    ds.delete_location(LocationArn=loc)
    with pytest.raises(ClientError) as e:
        ds.list_tags_for_resource(ResourceArn=loc)
    assert error_of(e)[0] == "InvalidRequestException"


def test_datasync_task_execution_tags(ds, two_fs):
    # API Reference, StartTaskExecution (Tags: applied to "the ARN representing the task
    # execution") and TagResource ("locations, tasks, and task executions").
    src_fs, dst_fs, _, _ = two_fs
    task = ds.create_task(SourceLocationArn=location(ds, src_fs, "/a"), DestinationLocationArn=location(ds, dst_fs, "/b"),
                          Tags=[{"Key": "task", "Value": "t"}])["TaskArn"]
    execution = ds.start_task_execution(TaskArn=task, Tags=[{"Key": "restore", "Value": "r-1"}])["TaskExecutionArn"]
    assert ds.list_tags_for_resource(ResourceArn=execution)["Tags"] == [{"Key": "restore", "Value": "r-1"}]
    assert ds.list_tags_for_resource(ResourceArn=task)["Tags"] == [{"Key": "task", "Value": "t"}]  # not inherited
    ds.tag_resource(ResourceArn=execution, Tags=[{"Key": "x", "Value": "1"}])
    ds.untag_resource(ResourceArn=execution, Keys=["restore"])
    assert ds.list_tags_for_resource(ResourceArn=execution)["Tags"] == [{"Key": "x", "Value": "1"}]
    untagged = ds.start_task_execution(TaskArn=task)["TaskExecutionArn"]
    assert ds.list_tags_for_resource(ResourceArn=untagged)["Tags"] == []
    with pytest.raises(ClientError) as e:
        ds.start_task_execution(TaskArn=task, Tags=[{"Key": "bad*key", "Value": "v"}])
    assert error_of(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:  # the documented TaggableResourceArn pattern
        ds.list_tags_for_resource(ResourceArn=task + "/execution/not-an-execution")
    assert error_of(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        ds.list_tags_for_resource(ResourceArn=task + "/execution/exec-0123456789abcdef0")
    assert error_of(e)[0] == "InvalidRequestException"


def test_datasync_list_task_executions_filter_and_paging(ds, two_fs):
    # API Reference, ListTaskExecutions: TaskArn (optional) filters; MaxResults 0-100; NextToken.
    src_fs, dst_fs, _, _ = two_fs
    src, dst = location(ds, src_fs, "/a"), location(ds, dst_fs, "/b")
    one, two = (ds.create_task(SourceLocationArn=src, DestinationLocationArn=dst)["TaskArn"] for _ in range(2))
    ones = [ds.start_task_execution(TaskArn=one)["TaskExecutionArn"] for _ in range(3)]
    twos = [ds.start_task_execution(TaskArn=two)["TaskExecutionArn"]]
    page = ds.list_task_executions(TaskArn=one, MaxResults=2)
    assert [e["TaskExecutionArn"] for e in page["TaskExecutions"]] == ones[:2]
    rest = ds.list_task_executions(TaskArn=one, MaxResults=2, NextToken=page["NextToken"])
    assert [e["TaskExecutionArn"] for e in rest["TaskExecutions"]] == ones[2:]
    assert "NextToken" not in rest
    assert all(e["Status"] and e["TaskMode"] == "BASIC" for e in page["TaskExecutions"])
    listed = ds.list_task_executions(TaskArn=two)
    assert [e["TaskExecutionArn"] for e in listed["TaskExecutions"]] == twos and "NextToken" not in listed
    assert {e["TaskExecutionArn"] for e in ds.list_task_executions()["TaskExecutions"]} == set(ones + twos)
    for bad in ({"MaxResults": 101}, {"MaxResults": -1}, {"NextToken": "not a token!"}):
        with pytest.raises(ClientError) as e:
            ds.list_task_executions(TaskArn=one, **bad)
        assert error_of(e)[0] == "ValidationException", bad
    with pytest.raises(ClientError) as e:  # well-formed, never issued
        ds.list_task_executions(TaskArn=one, NextToken="abc")
    assert error_of(e)[0] == "InvalidRequestException"
    with pytest.raises(ClientError) as e:
        ds.list_task_executions(TaskArn=one[:-1] + "x")
    assert error_of(e)[0] == "ValidationException"


# --- option rules and quotas (DataSync API Reference "Options", user guide "DataSync quotas") ---


def test_datasync_atime_and_mtime_go_together(ds, two_fs):
    src_fs, dst_fs, _, _ = two_fs
    src, dst = location(ds, src_fs, "/a"), location(ds, dst_fs, "/b")
    for options in ({"Atime": "BEST_EFFORT", "Mtime": "NONE"}, {"Atime": "NONE", "Mtime": "PRESERVE"},
                    {"Atime": "NONE"}, {"Mtime": "NONE"}):
        with pytest.raises(ClientError) as e:
            ds.create_task(SourceLocationArn=src, DestinationLocationArn=dst, Options=options)
        assert error_of(e)[0] == "InvalidRequestException", options
    ds.create_task(SourceLocationArn=src, DestinationLocationArn=dst, Options={"Atime": "NONE", "Mtime": "NONE"})
    task = ds.create_task(SourceLocationArn=src, DestinationLocationArn=dst)["TaskArn"]
    with pytest.raises(ClientError) as e:
        ds.start_task_execution(TaskArn=task, OverrideOptions={"Mtime": "NONE"})
    assert error_of(e)[0] == "InvalidRequestException"


def test_datasync_preserve_devices_is_not_supported_for_efs(ds, two_fs):
    src_fs, dst_fs, _, _ = two_fs
    with pytest.raises(ClientError) as e:
        ds.create_task(SourceLocationArn=location(ds, src_fs, "/a"), DestinationLocationArn=location(ds, dst_fs, "/b"),
                       Options={"PreserveDevices": "PRESERVE"})
    assert error_of(e)[0] == "InvalidRequestException"
    assert "PreserveDevices" in error_of(e)[1]


def test_datasync_task_quota(emulator, ds, two_fs):
    src_fs, dst_fs, _, _ = two_fs
    assert emulator.config()["datasync_task_quota"] == 100  # the documented default
    emulator.config(datasync_task_quota=2)
    src, dst = location(ds, src_fs, "/a"), location(ds, dst_fs, "/b")
    first = ds.create_task(SourceLocationArn=src, DestinationLocationArn=dst)["TaskArn"]
    ds.create_task(SourceLocationArn=src, DestinationLocationArn=dst)
    with pytest.raises(ClientError) as e:
        ds.create_task(SourceLocationArn=src, DestinationLocationArn=dst)
    assert error_of(e)[0] == "InvalidRequestException"
    assert "Quota" in error_of(e)[1]
    ds.delete_task(TaskArn=first)  # a deleted task frees its place
    ds.create_task(SourceLocationArn=src, DestinationLocationArn=dst)


def test_datasync_task_peak(emulator, ds, two_fs):
    # `GET /studio-emulator/datasync`: the tasks that exist now and the most that existed at once
    # since the last reset, so a test can assert that the product never used more than N of the
    # 100 tasks the quota allows (DataSync user guide, "DataSync quotas").
    def counts():
        return emulator.request("GET", "/studio-emulator/datasync")

    assert counts() == {"tasks": 0, "tasks_peak": 0}
    src_fs, dst_fs, _, _ = two_fs
    src, dst = location(ds, src_fs, "/a"), location(ds, dst_fs, "/b")
    first = ds.create_task(SourceLocationArn=src, DestinationLocationArn=dst)["TaskArn"]
    second = ds.create_task(SourceLocationArn=src, DestinationLocationArn=dst)["TaskArn"]
    assert counts() == {"tasks": 2, "tasks_peak": 2}
    ds.delete_task(TaskArn=first)
    ds.delete_task(TaskArn=second)
    assert counts() == {"tasks": 0, "tasks_peak": 2}
    third = ds.create_task(SourceLocationArn=src, DestinationLocationArn=dst)["TaskArn"]
    assert counts() == {"tasks": 1, "tasks_peak": 2}  # one at a time never raises the peak
    # a refused CreateTask (quota) or DeleteTask (no such task) changes nothing
    emulator.config(datasync_task_quota=1)
    with pytest.raises(ClientError):
        ds.create_task(SourceLocationArn=src, DestinationLocationArn=dst)
    with pytest.raises(ClientError):
        ds.delete_task(TaskArn=first)
    assert counts() == {"tasks": 1, "tasks_peak": 2}
    # a CreateTask whose answer is lost (`fail` with `after: true`) did create a task: it counts
    emulator.config(datasync_task_quota=None,
                    fail={"CreateTask": {"code": "InternalException", "after": True}})
    with pytest.raises(ClientError):
        ds.create_task(SourceLocationArn=src, DestinationLocationArn=dst)
    assert counts() == {"tasks": 2, "tasks_peak": 2}
    ds.create_task(SourceLocationArn=src, DestinationLocationArn=dst)
    assert counts() == {"tasks": 3, "tasks_peak": 3}
    assert len(ds.list_tasks()["Tasks"]) == 3
    ds.delete_task(TaskArn=third)
    # `POST /studio-emulator/datasync` starts a new peak from what exists now
    assert counts() == {"tasks": 2, "tasks_peak": 3}
    assert emulator.request("POST", "/studio-emulator/datasync") == {"tasks": 2, "tasks_peak": 2}
    assert counts() == {"tasks": 2, "tasks_peak": 2}
    emulator.reset()
    assert counts() == {"tasks": 0, "tasks_peak": 0}


# --- the strict behaviours of issue 9 ------------------------------------------------------------

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the kernel enforces identities only for root")


def ap_location(ds, efs, fs_id, **access_point):
    ap = efs.create_access_point(FileSystemId=fs_id, **access_point)["AccessPointArn"]
    return location(ds, fs_id, "/", AccessPointArn=ap, FileSystemAccessRoleArn=ROLE, InTransitEncryption="TLS1_2")


def test_datasync_access_point_root_is_created_from_creation_info_or_fails_the_mount(ds, efs, two_fs):
    """EFS API Reference, CreationInfo: a missing root is created from it at mount; without it the
    mount fails."""
    src_fs, dst_fs, src_root, dst_root = two_fs
    (src_root / "h").mkdir()
    (src_root / "h" / "f").write_text("x")
    src = location(ds, src_fs, "/h")
    user = {"Uid": 200005, "Gid": 1001}
    bare = ap_location(ds, efs, dst_fs, PosixUser=user, RootDirectory={"Path": "/200005"})
    _, d = run(ds, src, bare, Options={"Uid": "NONE", "Gid": "NONE"})
    assert d["Status"] == "ERROR"
    assert d["Result"]["ErrorCode"] == "AccessPointRootMissing"
    assert "/200005 does not exist" in d["Result"]["ErrorDetail"]
    assert not (dst_root / "200005").exists()

    creating = ap_location(ds, efs, dst_fs, PosixUser=user, RootDirectory={
        "Path": "/200005", "CreationInfo": {"OwnerUid": 200005, "OwnerGid": 1001, "Permissions": "750"}})
    _, d = run(ds, src, creating, Options={"Uid": "NONE", "Gid": "NONE"})
    assert d["Status"] == "SUCCESS", d["Result"]
    home = (dst_root / "200005").stat()
    assert stat.S_IMODE(home.st_mode) == 0o750
    if os.geteuid() == 0:
        assert (home.st_uid, home.st_gid) == (200005, 1001)
    assert (dst_root / "200005" / "f").read_text() == "x"


@needs_root
def test_datasync_access_point_user_cannot_write_where_it_may_not(ds, efs, two_fs):
    """EFS user guide, "Enforcing a user identity using an access point": the access point's user
    is used for every permission check, not only for the owner of new files."""
    src_fs, dst_fs, src_root, dst_root = two_fs
    (src_root / "old" / "locked").mkdir(parents=True)
    (src_root / "old" / "locked" / "f").write_text("x")
    (src_root / "old" / "mine.txt").write_text("y")
    home = dst_root / "200005"
    (home / "locked").mkdir(parents=True)
    os.chown(home, 200005, 1001)
    os.chmod(home / "locked", 0o555)  # root's, read-only
    dst = ap_location(ds, efs, dst_fs, PosixUser={"Uid": 200005, "Gid": 1001}, RootDirectory={"Path": "/200005"})
    _, d = run(ds, location(ds, src_fs, "/old"), dst, Options={"Uid": "NONE", "Gid": "NONE"})
    assert d["Status"] == "ERROR"
    assert d["Result"]["ErrorCode"] == "PermissionDenied"
    assert "/locked" in d["Result"]["ErrorDetail"]
    assert list((home / "locked").iterdir()) == []

    # chmod and utime of someone else's file fail as well: a metadata-only change of a root file
    for tree in (src_root / "old" / "locked", home / "locked"):
        (tree / "f").unlink(missing_ok=True)
        tree.rmdir()
    (home / "mine.txt").write_text("y")
    os.chown(home / "mine.txt", 0, 0)
    os.utime(src_root / "old" / "mine.txt", (1_600_000_000, 1_600_000_000))
    os.utime(home / "mine.txt", (1_600_000_000, 1_600_000_000))
    os.chmod(home / "mine.txt", 0o600)
    _, d = run(ds, location(ds, src_fs, "/old"), dst, Options={"Uid": "NONE", "Gid": "NONE"})
    assert d["Status"] == "ERROR", d["Result"]
    assert "/mine.txt" in d["Result"]["ErrorDetail"]
    assert stat.S_IMODE((home / "mine.txt").stat().st_mode) == 0o600


@needs_root
def test_datasync_secondary_gids_of_the_access_point_count(ds, efs, two_fs):
    src_fs, dst_fs, src_root, dst_root = two_fs
    (src_root / "h").mkdir()
    (src_root / "h" / "f").write_text("x")
    shared = dst_root / "shared"
    shared.mkdir()
    os.chown(shared, 0, 4242)
    os.chmod(shared, 0o770)
    user = {"Uid": 200005, "Gid": 1001}
    without = ap_location(ds, efs, dst_fs, PosixUser=user, RootDirectory={"Path": "/shared"})
    assert run(ds, location(ds, src_fs, "/h"), without, Options={"Uid": "NONE", "Gid": "NONE"})[1]["Status"] == "ERROR"
    member = ap_location(ds, efs, dst_fs, PosixUser={**user, "SecondaryGids": [4242]}, RootDirectory={"Path": "/shared"})
    assert run(ds, location(ds, src_fs, "/h"), member, Options={"Uid": "NONE", "Gid": "NONE"})[1]["Status"] == "SUCCESS"
    assert (shared / "f").stat().st_uid == 200005


def test_datasync_statuses_follow_time_not_describe_calls(emulator, ds, two_fs):
    src_fs, dst_fs, src_root, _ = two_fs
    (src_root / "h").mkdir()
    (src_root / "h" / "f").write_text("x")
    task = ds.create_task(SourceLocationArn=location(ds, src_fs, "/h"), DestinationLocationArn=location(ds, dst_fs, "/h"))["TaskArn"]
    execution = ds.start_task_execution(TaskArn=task)["TaskExecutionArn"]
    # No describe while it runs: the task's status (not the execution's) tells when it is over.
    wait_until(lambda: ds.describe_task(TaskArn=task)["Status"] == "AVAILABLE")
    assert ds.describe_task_execution(TaskExecutionArn=execution)["Status"] == "SUCCESS"


def test_datasync_queues_a_second_execution_and_cancels_mid_file(emulator, ds, two_fs):
    """One execution per task at a time, the next QUEUED (API Reference, StartTaskExecution); a
    cancel goes CANCELLING -> ERROR and may leave an incomplete file (CancelTaskExecution)."""
    src_fs, dst_fs, src_root, dst_root = two_fs
    (src_root / "h").mkdir()
    data = os.urandom(60_000)
    (src_root / "h" / "big.bin").write_bytes(data)
    emulator.config(delays={"datasync_bytes_per_second": 20_000})
    task = ds.create_task(SourceLocationArn=location(ds, src_fs, "/h"), DestinationLocationArn=location(ds, dst_fs, "/h"))["TaskArn"]
    first = ds.start_task_execution(TaskArn=task)["TaskExecutionArn"]
    second = ds.start_task_execution(TaskArn=task)["TaskExecutionArn"]
    assert ds.describe_task_execution(TaskExecutionArn=second)["Status"] == "QUEUED"
    moving = wait_until(lambda: (d := ds.describe_task_execution(TaskExecutionArn=first)).get("BytesTransferred", 0) > 0 and d)
    assert moving["Status"] == "TRANSFERRING" and moving["BytesTransferred"] < len(data)
    assert ds.describe_task_execution(TaskExecutionArn=second)["Status"] == "QUEUED"
    ds.cancel_task_execution(TaskExecutionArn=first)
    statuses, d = finish(ds, first)
    assert statuses[0] == "CANCELLING" and statuses[-1] == "ERROR"
    size = (dst_root / "h" / "big.bin").stat().st_size
    assert 0 < size < len(data)  # incomplete, at its final name
    # the queued execution runs now, and a CHANGED copy repairs the incomplete file
    emulator.config(delays={"datasync_bytes_per_second": None})
    statuses, d = finish(ds, second)
    assert d["Status"] == "SUCCESS" and d["LaunchTime"] > d["StartTime"]
    assert (dst_root / "h" / "big.bin").read_bytes() == data


def test_datasync_cancel_during_the_per_file_delay(emulator, ds, two_fs):
    src_fs, dst_fs, src_root, dst_root = two_fs
    (src_root / "h").mkdir()
    (src_root / "h" / "a.txt").write_text("0123456789")
    emulator.config(delays={"datasync_file": 30})
    task = ds.create_task(SourceLocationArn=location(ds, src_fs, "/h"), DestinationLocationArn=location(ds, dst_fs, "/h"),
                          Options={"OverwriteMode": "NEVER"})["TaskArn"]
    execution = ds.start_task_execution(TaskArn=task)["TaskExecutionArn"]
    wait_until(lambda: ds.describe_task_execution(TaskExecutionArn=execution).get("BytesTransferred") == 5)
    ds.cancel_task_execution(TaskExecutionArn=execution)
    assert finish(ds, execution)[1]["Result"]["ErrorCode"] == "Cancelled"
    assert (dst_root / "h" / "a.txt").read_text() == "01234"  # half of it
    # OverwriteMode NEVER would keep the truncated file forever: a product must not rely on it
    emulator.config(delays={"datasync_file": 0})
    _, d = finish(ds, ds.start_task_execution(TaskArn=task)["TaskExecutionArn"])
    assert d["Status"] == "SUCCESS" and d["FilesSkipped"] == 1
    assert (dst_root / "h" / "a.txt").read_text() == "01234"


def test_datasync_preserves_hard_links(ds, two_fs):
    """"How DataSync handles metadata and special files": hard links are preserved between EFS
    locations."""
    src_fs, dst_fs, src_root, dst_root = two_fs
    (src_root / "h" / "d").mkdir(parents=True)
    (src_root / "h" / "a").write_text("same inode")
    os.link(src_root / "h" / "a", src_root / "h" / "d" / "b")
    src, dst = location(ds, src_fs, "/h"), location(ds, dst_fs, "/h")
    assert run(ds, src, dst)[1]["Status"] == "SUCCESS"
    a, b = (dst_root / "h" / "a").stat(), (dst_root / "h" / "d" / "b").stat()
    assert (a.st_ino, a.st_nlink) == (b.st_ino, 2)
    _, d = run(ds, src, dst)  # unchanged: nothing to do
    assert d["FilesTransferred"] == 0
    assert (dst_root / "h" / "d" / "b").stat().st_ino == (dst_root / "h" / "a").stat().st_ino


def test_datasync_overwrite_never_leaves_metadata_alone_too(ds, two_fs):
    src_fs, dst_fs, src_root, dst_root = two_fs
    (src_root / "h").mkdir()
    (src_root / "h" / "a").write_text("same")
    (dst_root / "h").mkdir()
    (dst_root / "h" / "a").write_text("same")
    os.utime(src_root / "h" / "a", (1_600_000_000, 1_600_000_000))
    os.utime(dst_root / "h" / "a", (1_600_000_000, 1_600_000_000))
    os.chmod(src_root / "h" / "a", 0o600)
    os.chmod(dst_root / "h" / "a", 0o644)
    _, d = run(ds, location(ds, src_fs, "/h"), location(ds, dst_fs, "/h"), Options={"OverwriteMode": "NEVER"})
    assert d["Status"] == "SUCCESS"
    assert stat.S_IMODE((dst_root / "h" / "a").stat().st_mode) == 0o644
