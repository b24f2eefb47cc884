"""Lambda functions that mount EFS through an access point (studio_emulator/lambda_efs.py,
lambda_mount.py, lambdas.py).

The function under test is a small Python `bootstrap` speaking the Runtime API; each event names
one file operation on its mount (`/mnt/efs`), done by the function's own process, so the kernel
checks it against the identity the sandbox runs as. Needs root (the emulator mounts in a private
mount namespace), as CI has.
"""
import io
import json
import os
import shutil
import sys
import zipfile

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
NO_RETRY = Config(retries={"total_max_attempts": 1}, read_timeout=60)
# A Python every uid can run (the venv's may live under a root-only home).
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                                reason="the emulator mounts EFS for a Lambda only as root")

BOOTSTRAP = r'''#!{python}
import errno, json, os, urllib.request

API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"


def handle(ev):
    op, path = ev["op"], ev.get("path")
    if op == "id":
        return {{"uid": os.getuid(), "gid": os.getgid(), "groups": sorted(os.getgroups())}}
    if op == "write":
        with open(path, "w") as f:
            f.write(ev["data"])
        return {{}}
    if op == "mkdir":
        os.mkdir(path)
        return {{}}
    if op == "read":
        with open(path) as f:
            return {{"data": f.read()}}
    if op == "chown":
        os.chown(path, ev["uid"], ev["gid"])
        return {{}}
    if op == "mounts":
        with open("/proc/self/mounts") as f:
            return {{"mounts": [line.split()[1] for line in f]}}
    raise ValueError(op)


while True:
    r = urllib.request.urlopen(API + "/invocation/next")
    rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
    ev = json.loads(r.read())
    try:
        out = handle(ev)
    except OSError as e:
        out = {{"errno": errno.errorcode.get(e.errno, str(e.errno))}}
    req = urllib.request.Request(API + "/invocation/" + rid + "/response", data=json.dumps(out).encode(),
                                 method="POST")
    urllib.request.urlopen(req).read()
'''


def bootstrap_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        z.writestr(info, BOOTSTRAP.format(python=PYTHON))
    return buf.getvalue()


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture
def lam(emulator):
    return emulator.client("lambda", config=NO_RETRY)


@pytest.fixture
def efs(emulator):
    return emulator.client("efs")


@pytest.fixture
def fs(efs):
    return efs.create_file_system(CreationToken="lambda-efs")["FileSystemId"]


@pytest.fixture
def subnet(emulator):
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]


@pytest.fixture
def role(emulator):
    """A role factory: role(name, *statements) with those statements as an inline policy."""
    iam = emulator.client("iam")

    def make(name="copier-role", *statements):
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        if statements:
            iam.put_role_policy(RoleName=name, PolicyName="efs", PolicyDocument=doc(*statements))
        return arn

    return make


@pytest.fixture
def access_point(efs, fs):
    def make(uid=None, gid=None, path="/", creation=None, secondary=None):
        kwargs = {"ClientToken": os.urandom(8).hex(), "FileSystemId": fs, "RootDirectory": {"Path": path}}
        if uid is not None:
            kwargs["PosixUser"] = {"Uid": uid, "Gid": gid if gid is not None else uid}
            if secondary:
                kwargs["PosixUser"]["SecondaryGids"] = secondary
        if creation:
            kwargs["RootDirectory"]["CreationInfo"] = creation
        return efs.create_access_point(**kwargs)["AccessPointArn"]

    return make


@pytest.fixture
def function(lam, role, subnet):
    def make(ap_arn, name="copier", role_arn=None, mount="/mnt/efs"):
        lam.create_function(
            FunctionName=name, Runtime="provided.al2023", Role=role_arn or role(f"{name}-role"),
            Handler="bootstrap", Code={"ZipFile": bootstrap_zip()}, Timeout=10,
            VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": []},
            FileSystemConfigs=[{"Arn": ap_arn, "LocalMountPath": mount}],
        )
        return name

    return make


def call(lam, name, **event):
    r = lam.invoke(FunctionName=name, Payload=json.dumps(event))
    assert "FunctionError" not in r, r["Payload"].read()
    return json.loads(r["Payload"].read())


def error_of(call_, **kwargs):
    with pytest.raises(ClientError) as e:
        call_(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def owner(path):
    st = os.lstat(path)
    return st.st_uid, st.st_gid


# Lambda developer guide, "Configuring file system access for Lambda functions" (the function sees
# the access point's root at LocalMountPath); EFS user guide, "Enforcing a user identity using an
# access point" (new files are owned by its PosixUser) and EFS API Reference, CreationInfo (a
# missing root directory is created with it at the first mount).
def test_lambda_efs_files_land_in_the_file_system_owned_by_the_access_point_user(emulator, lam, fs, access_point, function):
    ap = access_point(uid=1234, gid=2345, secondary=[3456], path="/homes/copier",
                      creation={"OwnerUid": 1234, "OwnerGid": 2345, "Permissions": "750"})
    name = function(ap)
    config = lam.get_function_configuration(FunctionName=name)
    assert config["FileSystemConfigs"] == [{"Arn": ap, "LocalMountPath": "/mnt/efs"}]

    assert call(lam, name, op="id") == {"uid": 1234, "gid": 2345, "groups": [3456]}
    assert call(lam, name, op="mkdir", path="/mnt/efs/200001") == {}
    assert call(lam, name, op="write", path="/mnt/efs/200001/notes.txt", data="hello") == {}

    root = emulator.efs_root / fs / "homes" / "copier"
    assert owner(root) == (1234, 2345) and (os.stat(root).st_mode & 0o777) == 0o750
    assert (root / "200001" / "notes.txt").read_text() == "hello"
    assert owner(root / "200001" / "notes.txt") == (1234, 2345)
    assert owner(root / "200001") == (1234, 2345)
    # only the access point's root is mounted; the host's /mnt is not the function's
    mounts = call(lam, name, op="mounts")["mounts"]
    assert "/mnt/efs" in mounts and "/mnt" in mounts


# EFS user guide, "Enforcing a user identity using an access point": "EFS considers the user ID,
# group ID, and secondary group IDs of the access point when evaluating file system permissions".
def test_lambda_efs_access_point_user_cannot_read_another_users_private_file(emulator, lam, fs, access_point, function):
    secret = emulator.efs_root / fs / "200002" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("private")
    os.chown(secret.parent, 200002, 1001)
    os.chown(secret, 200002, 1001)
    os.chmod(secret, 0o600)

    user = function(access_point(uid=1234), name="user")
    assert call(lam, user, op="read", path="/mnt/efs/200002/secret.txt") == {"errno": "EACCES"}
    assert call(lam, user, op="write", path="/mnt/efs/200002/new.txt", data="x") == {"errno": "EACCES"}

    # uid 0 through the access point is root on EFS ("No root squashing"): it reads and chowns
    admin = function(access_point(uid=0, gid=0), name="admin")
    assert call(lam, admin, op="read", path="/mnt/efs/200002/secret.txt") == {"data": "private"}
    assert call(lam, admin, op="chown", path="/mnt/efs/200002/secret.txt", uid=200003, gid=1001) == {}
    assert owner(secret) == (200003, 1001)
    # and a non-root access point user cannot give files away
    mine = emulator.efs_root / fs / "mine.txt"
    mine.write_text("m")
    os.chown(mine, 1234, 1234)
    assert call(lam, user, op="chown", path="/mnt/efs/mine.txt", uid=200003, gid=1001) == {"errno": "EPERM"}


# Lambda developer guide, "Configuring file system access for Lambda functions", "Execution role
# permissions": ClientWrite is "not required for read-only connections"; EFS user guide, "Using IAM
# to control access to file systems" (either the identity or the file system policy may allow).
def test_lambda_efs_without_client_write_the_mount_is_read_only(emulator, efs, lam, fs, role, access_point, function):
    (emulator.efs_root / fs / "readme.txt").write_text("read me")
    reader = role("reader-role", {"Effect": "Allow", "Action": "elasticfilesystem:ClientMount", "Resource": "*"})
    efs.put_file_system_policy(FileSystemId=fs, Policy=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/writer-role"},
         "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"], "Resource": "*"}))
    ap = access_point(uid=1234)
    name = function(ap, name="reader", role_arn=reader)
    assert call(lam, name, op="read", path="/mnt/efs/readme.txt") == {"data": "read me"}
    assert call(lam, name, op="write", path="/mnt/efs/out.txt", data="x") == {"errno": "EROFS"}
    assert not (emulator.efs_root / fs / "out.txt").exists()

    # the file system policy alone may grant ClientWrite (to the role it names)
    writer = function(ap, name="writer", role_arn=role("writer-role"))
    os.chmod(emulator.efs_root / fs, 0o777)
    assert call(lam, writer, op="write", path="/mnt/efs/out.txt", data="x") == {}


# Lambda API Reference, Invoke, Errors: EFSMountFailureException (403), "couldn't mount the
# configured file system due to a permission or configuration issue"; the developer guide: with a
# file system policy the execution role needs ClientMount.
def test_lambda_efs_without_client_mount_invoke_fails(emulator, efs, lam, fs, role, access_point, function):
    efs.put_file_system_policy(FileSystemId=fs, Policy=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/someone-else"},
         "Action": "elasticfilesystem:ClientMount", "Resource": "*"}))
    name = function(access_point(uid=1234), name="nomount")
    before = emulator.request("GET", "/studio-emulator/invocations")["total"]
    assert error_of(lam.invoke, FunctionName=name, Payload=json.dumps({"op": "id"})) == ("EFSMountFailureException", 403)
    assert emulator.request("GET", "/studio-emulator/invocations")["total"] == before  # no code ran

    # an explicit Deny wins over every Allow, the role's and the policy's own
    efs.put_file_system_policy(FileSystemId=fs, Policy=doc(
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:ClientMount", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:ClientMount", "Resource": "*"}))
    allowed = role("allowed-role", {"Effect": "Allow", "Action": "elasticfilesystem:*", "Resource": "*"})
    denied = function(access_point(uid=1234), name="denied", role_arn=allowed)
    assert error_of(lam.invoke, FunctionName=denied, Payload="{}") == ("EFSMountFailureException", 403)

    # without a file system policy EFS's default policy lets any client mount and write
    efs.delete_file_system_policy(FileSystemId=fs)
    assert call(lam, name, op="id")["uid"] == 1234


# EFS user guide, "No root squashing" (root is squashed on a connection whose policies do not allow
# ClientRootAccess) and "Enforcing a user identity using an access point" (a root access point
# user needs ClientRootAccess).
def test_lambda_efs_root_is_squashed_without_client_root_access(emulator, efs, lam, fs, access_point, function):
    secret = emulator.efs_root / fs / "root-only.txt"
    secret.write_text("root")
    os.chmod(secret, 0o600)
    efs.put_file_system_policy(FileSystemId=fs, Policy=doc(
        {"Effect": "Allow", "Principal": {"AWS": "*"},
         "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"], "Resource": "*",
         "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}}))
    name = function(access_point(uid=0, gid=0), name="squashed")
    who = call(lam, name, op="id")
    assert (who["uid"], who["gid"]) == (65534, 65534)
    assert call(lam, name, op="read", path="/mnt/efs/root-only.txt") == {"errno": "EACCES"}


# Lambda API Reference, FileSystemConfig (LocalMountPath pattern ^/mnt/[a-zA-Z0-9-_.]+$, Arn
# pattern), CreateFunction (FileSystemConfigs: at most 1 item); developer guide: a function with a
# file system must be connected to a VPC and the access point must exist.
def test_lambda_efs_function_configuration_is_validated(emulator, lam, efs, fs, role, subnet, access_point):
    ap = access_point(uid=1234)
    arn = role("r")
    base = dict(Runtime="provided.al2023", Role=arn, Handler="bootstrap", Code={"ZipFile": bootstrap_zip()},
                VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": []})

    def create(name, configs, **over):
        return error_of(lam.create_function, **{**base, "FunctionName": name, "FileSystemConfigs": configs, **over})

    assert create("a", [{"Arn": ap, "LocalMountPath": "/tmp/efs"}]) == ("ValidationException", 400)
    assert create("b", [{"Arn": ap, "LocalMountPath": "/mnt/a/b"}]) == ("ValidationException", 400)
    assert create("c", [{"Arn": ap, "LocalMountPath": "/mnt/a"}, {"Arn": ap, "LocalMountPath": "/mnt/b"}]) == \
        ("ValidationException", 400)
    bad_arn = ap.rsplit("/", 1)[0] + "/fsap-1234"
    assert create("d", [{"Arn": bad_arn, "LocalMountPath": "/mnt/a"}]) == ("ValidationException", 400)
    assert create("e", [{"Arn": ap, "LocalMountPath": "/mnt/a"}], VpcConfig={"SubnetIds": [], "SecurityGroupIds": []}) == \
        ("InvalidParameterValueException", 400)
    no_vpc = {k: v for k, v in base.items() if k != "VpcConfig"}
    assert error_of(lam.create_function, FunctionName="f", FileSystemConfigs=[{"Arn": ap, "LocalMountPath": "/mnt/a"}],
                    **no_vpc) == ("InvalidParameterValueException", 400)
    missing = ap.rsplit("/", 1)[0] + "/fsap-0123456789abcdef0"
    assert create("g", [{"Arn": missing, "LocalMountPath": "/mnt/a"}]) == ("InvalidParameterValueException", 400)
    assert "Functions" in lam.list_functions() and lam.list_functions()["Functions"] == []

    # a valid one; then UpdateFunctionConfiguration is held to the same rules
    lam.create_function(**{**base, "FunctionName": "ok", "FileSystemConfigs": [{"Arn": ap, "LocalMountPath": "/mnt/x.y-z_1"}]})
    assert error_of(lam.update_function_configuration, FunctionName="ok",
                    VpcConfig={"SubnetIds": [], "SecurityGroupIds": []}) == ("InvalidParameterValueException", 400)
    assert error_of(lam.update_function_configuration, FunctionName="ok",
                    FileSystemConfigs=[{"Arn": ap, "LocalMountPath": "/data"}]) == ("ValidationException", 400)
    lam.update_function_configuration(FunctionName="ok", FileSystemConfigs=[])
    assert "FileSystemConfigs" not in lam.get_function_configuration(FunctionName="ok")


# Lambda API Reference, Invoke, Errors: EFSMountFailureException for a configuration issue (the
# access point, or its root directory without CreationInfo, is gone: EFS API Reference, CreationInfo).
def test_lambda_efs_deleted_access_point_fails_the_next_invoke(emulator, efs, lam, fs, access_point, function):
    ap = access_point(uid=1234)
    name = function(ap)
    assert call(lam, name, op="id")["uid"] == 1234
    efs.delete_access_point(AccessPointId=ap.rsplit("/", 1)[1])
    assert error_of(lam.invoke, FunctionName=name, Payload="{}") == ("EFSMountFailureException", 403)

    no_root = function(access_point(uid=1234, path="/missing"), name="noroot")
    assert error_of(lam.invoke, FunctionName=no_root, Payload="{}") == ("EFSMountFailureException", 403)
    assert not (emulator.efs_root / fs / "missing").exists()
