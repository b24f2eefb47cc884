"""EFS access points: CreateAccessPoint's ClientToken, and the errors for things that do not
exist (studio_emulator/efs.py).

EFS API Reference, CreateAccessPoint: ClientToken is "a string of up to 64 ASCII characters that
Amazon EFS uses to ensure idempotent creation" (required, 1-64); a token already used gives
AccessPointAlreadyExists (409) with the existing access point's id.
"""
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.handlers import generate_idempotent_uuid

POSIX = {"Uid": 200005, "Gid": 1001}
ROOT = {"Path": "/200005", "CreationInfo": {"OwnerUid": 200005, "OwnerGid": 1001, "Permissions": "750"}}


@pytest.fixture
def efs(emulator):
    return emulator.client("efs")


@pytest.fixture
def fs(efs):
    return efs.create_file_system(CreationToken=str(uuid.uuid4()))["FileSystemId"]


def access_points(efs, fs_id):
    return efs.describe_access_points(FileSystemId=fs_id)["AccessPoints"]


def already_exists(excinfo):
    e = excinfo.value.response
    assert e["Error"]["Code"] == "AccessPointAlreadyExists"
    assert e["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert e["ErrorCode"] == "AccessPointAlreadyExists"
    assert e["Message"]
    return e["AccessPointId"]


def test_efs_access_point_client_token_is_idempotent(efs, fs):
    created = efs.create_access_point(ClientToken="restore-1", FileSystemId=fs, PosixUser=POSIX,
                                      RootDirectory=ROOT)
    assert created["ClientToken"] == "restore-1"
    # the same request again: the documented 409 naming the access point the token made
    with pytest.raises(ClientError) as e:
        efs.create_access_point(ClientToken="restore-1", FileSystemId=fs, PosixUser=POSIX, RootDirectory=ROOT)
    assert already_exists(e) == created["AccessPointId"]
    # different parameters with the same token: the same answer, nothing created
    with pytest.raises(ClientError) as e:
        efs.create_access_point(ClientToken="restore-1", FileSystemId=fs, PosixUser={"Uid": 1, "Gid": 1})
    assert already_exists(e) == created["AccessPointId"]
    assert [ap["AccessPointId"] for ap in access_points(efs, fs)] == [created["AccessPointId"]]
    # another token makes another access point
    other = efs.create_access_point(ClientToken="restore-2", FileSystemId=fs, PosixUser=POSIX)
    assert other["AccessPointId"] != created["AccessPointId"]
    assert len(access_points(efs, fs)) == 2


def test_efs_access_point_retry_after_an_ambiguous_failure(emulator, efs, fs):
    # The call takes effect, then its caller gets a 500; the retry with the same token must learn
    # the access point's id from the 409 (and no second access point exists).
    emulator.config(fail={"CreateAccessPoint": {"code": "InternalServerError", "after": True}})
    with pytest.raises(ClientError) as e:
        efs.create_access_point(ClientToken="ambiguous", FileSystemId=fs, PosixUser=POSIX, RootDirectory=ROOT)
    assert e.value.response["Error"]["Code"] == "InternalServerError"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    [existing] = access_points(efs, fs)
    assert existing["ClientToken"] == "ambiguous"
    with pytest.raises(ClientError) as e:
        efs.create_access_point(ClientToken="ambiguous", FileSystemId=fs, PosixUser=POSIX, RootDirectory=ROOT)
    assert already_exists(e) == existing["AccessPointId"]
    assert [ap["AccessPointId"] for ap in access_points(efs, fs)] == [existing["AccessPointId"]]


def test_efs_access_point_tokens_are_per_account_not_per_file_system(efs, fs):
    # The documentation does not scope the token; the stricter reading (the account and Region) is
    # the emulator's: the same token on another file system is refused.
    other_fs = efs.create_file_system(CreationToken=str(uuid.uuid4()))["FileSystemId"]
    first = efs.create_access_point(ClientToken="shared", FileSystemId=fs, PosixUser=POSIX)["AccessPointId"]
    with pytest.raises(ClientError) as e:
        efs.create_access_point(ClientToken="shared", FileSystemId=other_fs, PosixUser=POSIX)
    assert already_exists(e) == first
    assert access_points(efs, other_fs) == []


def test_efs_access_point_token_stays_used_after_delete(efs, fs):
    # The documentation does not say that DeleteAccessPoint frees the token: the stricter reading.
    first = efs.create_access_point(ClientToken="once", FileSystemId=fs, PosixUser=POSIX)["AccessPointId"]
    efs.delete_access_point(AccessPointId=first)
    with pytest.raises(ClientError) as e:
        efs.create_access_point(ClientToken="once", FileSystemId=fs, PosixUser=POSIX)
    assert already_exists(e) == first
    assert access_points(efs, fs) == []


def test_efs_access_point_tokens_are_cleared_by_reset(emulator, efs, fs):
    efs.create_access_point(ClientToken="before-reset", FileSystemId=fs, PosixUser=POSIX)
    emulator.reset()
    fs2 = efs.create_file_system(CreationToken=str(uuid.uuid4()))["FileSystemId"]
    efs.create_access_point(ClientToken="before-reset", FileSystemId=fs2, PosixUser=POSIX)


def test_efs_access_point_client_token_validation(emulator, efs, fs):
    # A client that skips the SDK's checks (and its filling in of a missing token with a UUID).
    raw = emulator.client("efs", config=Config(retries={"total_max_attempts": 1}, parameter_validation=False))
    raw.meta.events.unregister("before-parameter-build", generate_idempotent_uuid)
    for token in ("x" * 65, "", "caf\u00e9", None):
        token_arg = {} if token is None else {"ClientToken": token}
        with pytest.raises(ClientError) as e:
            raw.create_access_point(FileSystemId=fs, PosixUser=POSIX, **token_arg)
        assert e.value.response["Error"]["Code"] == "BadRequest", token
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert access_points(efs, fs) == []
    efs.create_access_point(ClientToken="x" * 64, FileSystemId=fs, PosixUser=POSIX)
    assert len(access_points(efs, fs)) == 1


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_efs_access_points_of_a_missing_file_system_are_refused(efs, fs):
    # EFS API Reference, CreateAccessPoint and DescribeAccessPoints, Errors: FileSystemNotFound,
    # 404, "Returned if the specified FileSystemId value doesn't exist in the requester's account".
    missing = "fs-0123456789abcdef0"
    assert error_of(efs.create_access_point, ClientToken="t", FileSystemId=missing,
                    PosixUser=POSIX) == ("FileSystemNotFound", 404)
    assert error_of(efs.describe_access_points, FileSystemId=missing) == ("FileSystemNotFound", 404)
    assert access_points(efs, fs) == []  # an existing file system without access points: empty
    # The refused call used no token: the same token still creates on a real file system.
    assert efs.create_access_point(ClientToken="t", FileSystemId=fs, PosixUser=POSIX)["AccessPointId"]


def test_efs_delete_access_point_of_a_missing_one_is_not_found(efs, fs):
    # EFS API Reference, DeleteAccessPoint, Errors: AccessPointNotFound, 404.
    made = efs.create_access_point(ClientToken="del", FileSystemId=fs, PosixUser=POSIX)
    efs.delete_access_point(AccessPointId=made["AccessPointId"])
    assert access_points(efs, fs) == []
    assert error_of(efs.delete_access_point, AccessPointId=made["AccessPointId"]) == (
        "AccessPointNotFound", 404)
    assert error_of(efs.delete_access_point, AccessPointId="fsap-0123456789abcdef0") == (
        "AccessPointNotFound", 404)
