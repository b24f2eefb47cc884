"""SageMaker Studio in the emulator answers as the AWS API reference documents it."""
import io
import json
import os
import re
import sys
import time
import urllib.request
import zipfile

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/studio"
FIRST_UID = 200000


def wait_until(predicate, timeout: float = 10.0):
    """Polls an observable condition (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)
    return value


def status_is(describe, status: str, **kwargs):
    return wait_until(lambda: (d := describe(**kwargs))["Status"] == status and d)


def gone(describe, **kwargs) -> None:
    """Waits until `describe` answers ResourceNotFound (a deletion has finished)."""
    def missing():
        try:
            describe(**kwargs)
        except ClientError as error:
            return error.response["Error"]["Code"] == "ResourceNotFound"
        return False
    wait_until(missing)


def start_app(sm, domain, **owner):
    """Creates an app and waits for InService: Studio has mounted the owner's home by then."""
    sm.create_app(DomainId=domain, AppType="JupyterLab", AppName="default", **owner)
    return status_is(sm.describe_app, "InService", DomainId=domain, AppType="JupyterLab",
                     AppName="default", **owner)


def stop_app(sm, domain, **owner):
    sm.delete_app(DomainId=domain, AppType="JupyterLab", AppName="default", **owner)
    status_is(sm.describe_app, "Deleted", DomainId=domain, AppType="JupyterLab", AppName="default", **owner)


def error_of(call, *args, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value


def code_of(call, *args, **kwargs) -> str:
    return error_of(call, *args, **kwargs).response["Error"]["Code"]


@pytest.fixture
def sm(emulator):
    return emulator.client("sagemaker")


def make_domain(sm, name="studio", auth_mode="IAM", **kwargs) -> str:
    kwargs.setdefault("DefaultUserSettings", {"ExecutionRole": ROLE})
    return sm.create_domain(DomainName=name, AuthMode=auth_mode, SubnetIds=["subnet-0a1b2c3d"],
                            VpcId="vpc-0a1b2c3d", **kwargs)["DomainId"]


@pytest.fixture
def domain(sm) -> str:
    return make_domain(sm)


# ---- domains ------------------------------------------------------------------------------------

def test_create_domain_makes_the_two_nfs_security_groups_and_delete_leaves_them(emulator, sm):
    """SageMaker Developer Guide, "(Optional) Migrate data from Studio Classic to Studio": a new
    domain gets `security-group-for-inbound-nfs-<domain id>` (only inbound traffic) and
    `security-group-for-outbound-nfs-<domain id>` (only outbound), NFS on TCP 2049 (CreateDomain);
    deleting the domain leaves them (DeleteDomain, RetentionPolicy: "By default, all resources are
    retained")."""
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    other = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    domain = sm.create_domain(DomainName="nfs", AuthMode="IAM", SubnetIds=["subnet-1"], VpcId=vpc,
                              DefaultUserSettings={"ExecutionRole": ROLE})["DomainId"]

    def group(name: str, vpc_id: str) -> list:
        return ec2.describe_security_groups(Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "group-name", "Values": [name]}])["SecurityGroups"]

    [inbound] = group(f"security-group-for-inbound-nfs-{domain}", vpc)
    [outbound] = group(f"security-group-for-outbound-nfs-{domain}", vpc)
    assert group(f"security-group-for-inbound-nfs-{domain}", other) == []
    nfs = {"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049}
    assert [{k: r[k] for k in nfs} for r in inbound["IpPermissions"]] == [nfs]
    assert [p["GroupId"] for p in inbound["IpPermissions"][0]["UserIdGroupPairs"]] == [outbound["GroupId"]]
    assert inbound["IpPermissionsEgress"] == []
    assert outbound["IpPermissions"] == []
    assert [{k: r[k] for k in nfs} for r in outbound["IpPermissionsEgress"]] == [nfs]
    assert [p["GroupId"] for p in outbound["IpPermissionsEgress"][0]["UserIdGroupPairs"]] == [inbound["GroupId"]]

    sm.delete_domain(DomainId=domain)
    gone(sm.describe_domain, DomainId=domain)
    assert len(group(f"security-group-for-inbound-nfs-{domain}", vpc)) == 1
    assert len(group(f"security-group-for-outbound-nfs-{domain}", vpc)) == 1



def test_create_domain_makes_a_real_efs_file_system_and_directory(emulator, sm):
    # Held Pending until released, so that the intermediate status is seen on a machine of any speed.
    emulator.config(sagemaker_hold=True)
    created = sm.create_domain(DomainName="studio", AuthMode="IAM",
                               DefaultUserSettings={"ExecutionRole": ROLE,
                                                    "SecurityGroups": ["sg-0123456789abcdef0"]},
                               SubnetIds=["subnet-1", "subnet-2"], VpcId="vpc-1",
                               Tags=[{"Key": "team", "Value": "ml"}])
    domain_id = created["DomainId"]
    assert re.fullmatch(r"d-[a-z0-9]{12}", domain_id)
    assert created["DomainArn"] == f"arn:aws:sagemaker:us-east-1:123456789012:domain/{domain_id}"
    assert created["Url"] == f"https://{domain_id}.studio.us-east-1.sagemaker.aws"

    assert sm.describe_domain(DomainId=domain_id)["Status"] == "Pending"
    emulator.config(sagemaker_hold=False)
    described = status_is(sm.describe_domain, "InService", DomainId=domain_id)
    assert described["DomainId"] == domain_id
    assert described["DomainName"] == "studio"
    assert described["AuthMode"] == "IAM"
    assert described["SubnetIds"] == ["subnet-1", "subnet-2"]
    assert described["VpcId"] == "vpc-1"
    assert described["DefaultUserSettings"] == {"ExecutionRole": ROLE,
                                                "SecurityGroups": ["sg-0123456789abcdef0"]}
    assert described["Url"] == created["Url"]
    assert described["AppNetworkAccessType"] == "PublicInternetOnly"
    assert described["CreationTime"] <= described["LastModifiedTime"]

    fs_id = described["HomeEfsFileSystemId"]
    file_system = emulator.client("efs").describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]
    assert {"Key": "ManagedByAmazonSageMakerResource", "Value": created["DomainArn"]} in file_system["Tags"]
    assert (emulator.efs_root / fs_id).is_dir()


def test_domain_and_profile_settings_are_returned_as_given(sm, domain):
    assert sm.describe_domain(DomainId=domain)["DefaultUserSettings"] == {"ExecutionRole": ROLE}
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    assert "UserSettings" not in sm.describe_user_profile(DomainId=domain, UserProfileName="alice")


def test_missing_domain_is_resource_not_found_with_http_400(emulator, sm):
    error = error_of(sm.describe_domain, DomainId="d-000000000000")
    assert error.response["Error"]["Code"] == "ResourceNotFound"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The wire format: a JSON 1.1 error body with `__type`, as the AWS SDKs and Terraform read it.
    request = urllib.request.Request(
        emulator.url + "/", data=json.dumps({"DomainId": "d-000000000000"}).encode(), method="POST",
        headers={"X-Amz-Target": "SageMaker.DescribeDomain",
                 "Content-Type": "application/x-amz-json-1.1",
                 "Authorization": "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/sagemaker/"
                                  "aws4_request, SignedHeaders=host, Signature=x"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 400
    assert json.loads(info.value.read())["__type"] == "ResourceNotFound"


def test_list_domains_is_paginated(sm):
    ids = [make_domain(sm, f"dom{i}") for i in range(3)]
    first = sm.list_domains(MaxResults=2)
    assert [d["DomainId"] for d in first["Domains"]] == ids[:2]
    second = sm.list_domains(MaxResults=2, NextToken=first["NextToken"])
    assert [d["DomainId"] for d in second["Domains"]] == ids[2:]
    assert "NextToken" not in second
    assert set(first["Domains"][0]) >= {"DomainArn", "DomainId", "DomainName", "Status",
                                        "CreationTime", "LastModifiedTime", "Url"}
    assert code_of(sm.list_domains, NextToken="garbage") == "ValidationException"


def test_duplicate_domain_name_is_refused(sm, domain):
    assert code_of(make_domain, sm) == "ResourceInUse"


def test_update_domain(sm, domain):
    sm.update_domain(DomainId=domain, DefaultUserSettings={"SecurityGroups": ["sg-1"]})
    settings = sm.describe_domain(DomainId=domain)["DefaultUserSettings"]
    assert settings == {"ExecutionRole": ROLE, "SecurityGroups": ["sg-1"]}


def test_delete_domain_is_refused_while_it_has_profiles_or_spaces(emulator, sm, domain):
    # Transitions held until released: the intermediate statuses are seen on a machine of any speed.
    emulator.config(sagemaker_hold=True)
    sm.create_space(DomainId=domain, SpaceName="shared")
    assert code_of(sm.delete_domain, DomainId=domain) == "ResourceInUse"
    sm.delete_space(DomainId=domain, SpaceName="shared")
    assert code_of(sm.delete_domain, DomainId=domain) == "ResourceInUse"  # still Deleting
    emulator.config(sagemaker_hold=False)
    gone(sm.describe_space, DomainId=domain, SpaceName="shared")
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    assert code_of(sm.delete_domain, DomainId=domain) == "ResourceInUse"
    sm.delete_user_profile(DomainId=domain, UserProfileName="alice")
    gone(sm.describe_user_profile, DomainId=domain, UserProfileName="alice")
    emulator.config(sagemaker_hold=True)
    sm.delete_domain(DomainId=domain)
    assert sm.describe_domain(DomainId=domain)["Status"] == "Deleting"
    assert code_of(make_domain, sm) == "ResourceInUse"  # the name is taken until it is gone
    emulator.config(sagemaker_hold=False)
    gone(sm.describe_domain, DomainId=domain)
    assert code_of(sm.delete_domain, DomainId=domain) == "ResourceNotFound"


@pytest.mark.parametrize("policy", [None, {"HomeEfsFileSystem": "Retain"}])
def test_delete_domain_retains_the_home_file_system_by_default(emulator, sm, domain, policy):
    fs_id = sm.describe_domain(DomainId=domain)["HomeEfsFileSystemId"]
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    start_app(sm, domain, UserProfileName="alice")
    (emulator.efs_root / fs_id / str(FIRST_UID) / "notes.txt").write_text("keep me")
    stop_app(sm, domain, UserProfileName="alice")
    sm.delete_user_profile(DomainId=domain, UserProfileName="alice")
    gone(sm.describe_user_profile, DomainId=domain, UserProfileName="alice")
    sm.delete_domain(DomainId=domain, **({"RetentionPolicy": policy} if policy else {}))
    gone(sm.describe_domain, DomainId=domain)
    assert emulator.client("efs").describe_file_systems(FileSystemId=fs_id)["FileSystems"]
    assert (emulator.efs_root / fs_id / str(FIRST_UID) / "notes.txt").read_text() == "keep me"


def test_delete_domain_with_retention_delete_removes_the_file_system(emulator, sm, domain):
    fs_id = sm.describe_domain(DomainId=domain)["HomeEfsFileSystemId"]
    sm.delete_domain(DomainId=domain, RetentionPolicy={"HomeEfsFileSystem": "Delete"})
    gone(sm.describe_domain, DomainId=domain)
    efs = emulator.client("efs")
    assert code_of(efs.describe_file_systems, FileSystemId=fs_id) == "FileSystemNotFound"
    assert not (emulator.efs_root / fs_id).exists()


# ---- user profiles and spaces -------------------------------------------------------------------

def test_uids_go_up_in_fives_per_domain_and_are_never_reused(emulator, sm, domain):
    fs_id = sm.describe_domain(DomainId=domain)["HomeEfsFileSystemId"]
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    sm.create_space(DomainId=domain, SpaceName="shared")
    sm.create_user_profile(DomainId=domain, UserProfileName="bob")
    uid = lambda: sm.describe_user_profile(DomainId=domain, UserProfileName="alice")["HomeEfsFileSystemUid"]
    assert uid() == "200000"
    assert sm.describe_space(DomainId=domain, SpaceName="shared")["HomeEfsFileSystemUid"] == "200005"
    assert sm.describe_user_profile(DomainId=domain, UserProfileName="bob")["HomeEfsFileSystemUid"] == "200010"

    sm.delete_user_profile(DomainId=domain, UserProfileName="alice")
    gone(sm.describe_user_profile, DomainId=domain, UserProfileName="alice")
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    assert uid() == "200015"
    assert list((emulator.efs_root / fs_id).iterdir()) == []  # no home before the first app
    start_app(sm, domain, UserProfileName="alice")
    assert [p.name for p in (emulator.efs_root / fs_id).iterdir()] == ["200015"]
    if os.geteuid() == 0:
        home = (emulator.efs_root / fs_id / "200015").stat()
        assert (home.st_uid, home.st_gid) == (200015, 1001)

    other = make_domain(sm, "other")
    sm.create_user_profile(DomainId=other, UserProfileName="alice")
    assert sm.describe_user_profile(DomainId=other, UserProfileName="alice")["HomeEfsFileSystemUid"] == "200000"


def test_concurrent_creates_get_distinct_uids(emulator, domain):
    from concurrent.futures import ThreadPoolExecutor

    def create(i):
        client = emulator.client("sagemaker")
        client.create_user_profile(DomainId=domain, UserProfileName=f"user{i}")
        return client.describe_user_profile(DomainId=domain, UserProfileName=f"user{i}")["HomeEfsFileSystemUid"]

    with ThreadPoolExecutor(8) as pool:
        uids = list(pool.map(create, range(16)))
    assert sorted(map(int, uids)) == list(range(FIRST_UID, FIRST_UID + 16 * 5, 5))


def test_describe_user_profile(emulator, sm, domain):
    # Held Pending until released, so that the intermediate status is seen on a machine of any speed.
    emulator.config(sagemaker_hold=True)
    arn = sm.create_user_profile(DomainId=domain, UserProfileName="alice",
                                 UserSettings={"ExecutionRole": ROLE})["UserProfileArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:123456789012:user-profile/{domain}/alice"
    assert sm.describe_user_profile(DomainId=domain, UserProfileName="alice")["Status"] == "Pending"
    emulator.config(sagemaker_hold=False)
    profile = status_is(sm.describe_user_profile, "InService", DomainId=domain, UserProfileName="alice")
    assert profile["DomainId"] == domain
    assert profile["UserProfileArn"] == arn
    assert profile["UserProfileName"] == "alice"
    assert profile["UserSettings"] == {"ExecutionRole": ROLE}
    assert profile["CreationTime"] <= profile["LastModifiedTime"]
    assert "SingleSignOnUserValue" not in profile


def test_sso_fields_are_stored_and_checked_as_documented(sm):
    sso = make_domain(sm, "sso", auth_mode="SSO")
    sm.create_user_profile(DomainId=sso, UserProfileName="alice",
                           SingleSignOnUserIdentifier="UserName", SingleSignOnUserValue="alice@example.com")
    profile = sm.describe_user_profile(DomainId=sso, UserProfileName="alice")
    assert profile["SingleSignOnUserIdentifier"] == "UserName"
    assert profile["SingleSignOnUserValue"] == "alice@example.com"
    assert sm.describe_domain(DomainId=sso)["AuthMode"] == "SSO"
    # Required on an SSO domain, refused on an IAM one.
    assert code_of(sm.create_user_profile, DomainId=sso, UserProfileName="bob") == "ValidationException"
    iam = make_domain(sm, "iam")
    assert code_of(sm.create_user_profile, DomainId=iam, UserProfileName="bob",
                   SingleSignOnUserIdentifier="UserName",
                   SingleSignOnUserValue="bob") == "ValidationException"


def test_profile_errors(sm, domain):
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    assert code_of(sm.create_user_profile, DomainId=domain, UserProfileName="alice") == "ResourceInUse"
    assert code_of(sm.create_user_profile, DomainId="d-000000000000", UserProfileName="x") == "ResourceNotFound"
    assert code_of(sm.create_user_profile, DomainId=domain, UserProfileName="bad_name") == "ValidationException"
    assert code_of(sm.describe_user_profile, DomainId=domain, UserProfileName="bob") == "ResourceNotFound"
    assert code_of(sm.delete_user_profile, DomainId=domain, UserProfileName="bob") == "ResourceNotFound"
    assert code_of(sm.update_user_profile, DomainId=domain, UserProfileName="bob") == "ResourceNotFound"


def test_update_user_profile(sm, domain):
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    before = sm.describe_user_profile(DomainId=domain, UserProfileName="alice")
    time.sleep(0.01)
    arn = sm.update_user_profile(DomainId=domain, UserProfileName="alice",
                                 UserSettings={"ExecutionRole": ROLE})["UserProfileArn"]
    after = sm.describe_user_profile(DomainId=domain, UserProfileName="alice")
    assert arn == before["UserProfileArn"]
    assert after["UserSettings"] == {"ExecutionRole": ROLE}
    assert after["HomeEfsFileSystemUid"] == before["HomeEfsFileSystemUid"]
    assert after["LastModifiedTime"] > before["LastModifiedTime"]


def test_list_user_profiles_filters_sorts_and_paginates(sm, domain):
    other = make_domain(sm, "other")
    for name in ["carol", "alice", "bob"]:
        sm.create_user_profile(DomainId=domain, UserProfileName=name)
    sm.create_user_profile(DomainId=other, UserProfileName="dave")
    names = lambda **kw: [p["UserProfileName"] for p in sm.list_user_profiles(**kw)["UserProfiles"]]
    assert names(DomainIdEquals=domain) == ["carol", "alice", "bob"]
    assert names(DomainIdEquals=domain, SortOrder="Descending") == ["bob", "alice", "carol"]
    assert names(UserProfileNameContains="o") == ["carol", "bob"]
    assert names() == ["carol", "alice", "bob", "dave"]
    page = sm.list_user_profiles(MaxResults=3)
    assert len(page["UserProfiles"]) == 3
    rest = sm.list_user_profiles(MaxResults=3, NextToken=page["NextToken"])
    assert [p["UserProfileName"] for p in rest["UserProfiles"]] == ["dave"]
    summary = sm.list_user_profiles(DomainIdEquals=other)["UserProfiles"][0]
    assert set(summary) == {"DomainId", "UserProfileName", "Status", "CreationTime", "LastModifiedTime"}
    assert code_of(sm.list_user_profiles, SortBy="Name") == "ValidationException"


def test_spaces(emulator, sm, domain):
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    arn = sm.create_space(DomainId=domain, SpaceName="private", SpaceDisplayName="Alice's",
                          SpaceSettings={"AppType": "JupyterLab"},
                          OwnershipSettings={"OwnerUserProfileName": "alice"},
                          SpaceSharingSettings={"SharingType": "Private"})["SpaceArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:123456789012:space/{domain}/private"
    space = status_is(sm.describe_space, "InService", DomainId=domain, SpaceName="private")
    assert space["SpaceArn"] == arn
    assert space["HomeEfsFileSystemUid"] == "200005"
    assert space["OwnershipSettings"] == {"OwnerUserProfileName": "alice"}
    assert space["SpaceDisplayName"] == "Alice's"

    sm.update_space(DomainId=domain, SpaceName="private", SpaceDisplayName="Mine",
                    SpaceSettings={"AppType": "CodeEditor"})
    summary = sm.list_spaces(DomainIdEquals=domain)["Spaces"][0]
    assert summary["SpaceName"] == "private" and summary["SpaceDisplayName"] == "Mine"
    assert summary["SpaceSettingsSummary"] == {"AppType": "CodeEditor"}
    assert summary["OwnershipSettingsSummary"] == {"OwnerUserProfileName": "alice"}
    assert summary["SpaceSharingSettingsSummary"] == {"SharingType": "Private"}
    assert sm.list_spaces(SpaceNameContains="zzz")["Spaces"] == []

    # The owner cannot go before the space; a space needs an existing owner.
    assert code_of(sm.delete_user_profile, DomainId=domain, UserProfileName="alice") == "ResourceInUse"
    assert code_of(sm.create_space, DomainId=domain, SpaceName="x",
                   OwnershipSettings={"OwnerUserProfileName": "nobody"}) == "ResourceNotFound"
    assert code_of(sm.create_space, DomainId=domain, SpaceName="private") == "ResourceInUse"
    emulator.config(sagemaker_hold=True)  # Deleting until released, on a machine of any speed
    sm.delete_space(DomainId=domain, SpaceName="private")
    assert sm.describe_space(DomainId=domain, SpaceName="private")["Status"] == "Deleting"
    emulator.config(sagemaker_hold=False)
    gone(sm.describe_space, DomainId=domain, SpaceName="private")
    sm.delete_user_profile(DomainId=domain, UserProfileName="alice")


# ---- apps ---------------------------------------------------------------------------------------

def test_apps_lifecycle_and_delete_refused_while_live(emulator, sm, domain):
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    sm.create_space(DomainId=domain, SpaceName="shared")
    arn = sm.create_app(DomainId=domain, UserProfileName="alice", AppType="JupyterServer",
                        AppName="default")["AppArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:123456789012:app/{domain}/alice/jupyterserver/default"
    sm.create_app(DomainId=domain, SpaceName="shared", AppType="JupyterLab", AppName="default",
                  ResourceSpec={"InstanceType": "ml.t3.large"})

    app = status_is(sm.describe_app, "InService", DomainId=domain, UserProfileName="alice",
                    AppType="JupyterServer", AppName="default")
    assert app["AppArn"] == arn
    assert app["ResourceSpec"] == {"InstanceType": "system"}
    assert code_of(sm.create_app, DomainId=domain, UserProfileName="alice",
                   AppType="JupyterServer", AppName="default") == "ResourceInUse"

    for kind, key in [("user", {"UserProfileName": "alice"}), ("space", {"SpaceName": "shared"})]:
        delete = sm.delete_user_profile if kind == "user" else sm.delete_space
        assert code_of(delete, DomainId=domain, **key) == "ResourceInUse"

    emulator.config(sagemaker_hold=True)  # Deleting until released, on a machine of any speed
    sm.delete_app(DomainId=domain, UserProfileName="alice", AppType="JupyterServer", AppName="default")
    assert code_of(sm.delete_user_profile, DomainId=domain, UserProfileName="alice") == "ResourceInUse"
    emulator.config(sagemaker_hold=False)
    status_is(sm.describe_app, "Deleted", DomainId=domain, UserProfileName="alice",
              AppType="JupyterServer", AppName="default")
    status_is(sm.describe_app, "InService", DomainId=domain, SpaceName="shared",
              AppType="JupyterLab", AppName="default")
    statuses = {(a.get("UserProfileName"), a["Status"]) for a in sm.list_apps(DomainIdEquals=domain)["Apps"]}
    assert statuses == {("alice", "Deleted"), (None, "InService")}
    assert code_of(sm.delete_app, DomainId=domain, UserProfileName="alice",
                   AppType="JupyterServer", AppName="default") == "ResourceNotFound"
    sm.delete_user_profile(DomainId=domain, UserProfileName="alice")

    sm.delete_app(DomainId=domain, SpaceName="shared", AppType="JupyterLab", AppName="default")
    status_is(sm.describe_app, "Deleted", DomainId=domain, SpaceName="shared", AppType="JupyterLab",
              AppName="default")
    sm.delete_space(DomainId=domain, SpaceName="shared")


def test_list_apps_filters_sorts_and_paginates(sm, domain):
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    sm.create_user_profile(DomainId=domain, UserProfileName="bob")
    sm.create_space(DomainId=domain, SpaceName="shared")
    sm.create_app(DomainId=domain, UserProfileName="alice", AppType="JupyterServer", AppName="default")
    sm.create_app(DomainId=domain, UserProfileName="alice", AppType="KernelGateway", AppName="k1")
    sm.create_app(DomainId=domain, UserProfileName="bob", AppType="JupyterServer", AppName="default")
    sm.create_app(DomainId=domain, SpaceName="shared", AppType="JupyterLab", AppName="default")

    def apps(**kw):
        return [(a.get("UserProfileName") or a.get("SpaceName"), a["AppName"])
                for a in sm.list_apps(**kw)["Apps"]]

    assert apps(DomainIdEquals=domain, UserProfileNameEquals="alice") == [("alice", "default"), ("alice", "k1")]
    assert apps(DomainIdEquals=domain, UserProfileNameEquals="alice", SortOrder="Descending") == [
        ("alice", "k1"), ("alice", "default")]
    assert apps(DomainIdEquals=domain, SpaceNameEquals="shared") == [("shared", "default")]
    assert apps(DomainIdEquals="d-000000000000") == []
    first = sm.list_apps(DomainIdEquals=domain, MaxResults=3, SortBy="CreationTime")
    second = sm.list_apps(DomainIdEquals=domain, MaxResults=3, NextToken=first["NextToken"])
    assert len(first["Apps"]) == 3 and len(second["Apps"]) == 1 and "NextToken" not in second
    assert set(first["Apps"][0]) == {"DomainId", "UserProfileName", "AppType", "AppName", "Status",
                                     "CreationTime", "ResourceSpec"}
    assert code_of(sm.list_apps, UserProfileNameEquals="alice", SpaceNameEquals="shared") == "ValidationException"
    assert code_of(sm.list_apps, SortBy="LastModifiedTime") == "ValidationException"


def test_app_errors(sm, domain):
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    base = {"DomainId": domain, "AppType": "JupyterServer", "AppName": "default"}
    assert code_of(sm.create_app, UserProfileName="bob", **base) == "ResourceNotFound"
    assert code_of(sm.create_app, **base) == "ValidationException"
    assert code_of(sm.create_app, UserProfileName="alice", SpaceName="s", **base) == "ValidationException"
    assert code_of(sm.create_app, DomainId=domain, UserProfileName="alice", AppType="Notebook",
                   AppName="default") == "ValidationException"
    assert code_of(sm.describe_app, UserProfileName="alice", **base) == "ResourceNotFound"


# ---- tags ---------------------------------------------------------------------------------------

def test_tags_on_domains_profiles_and_spaces(sm, domain):
    domain_arn = sm.describe_domain(DomainId=domain)["DomainArn"]
    assert sm.list_tags(ResourceArn=domain_arn)["Tags"] == []  # moto 5.2.5 crashes here
    profile_arn = sm.create_user_profile(DomainId=domain, UserProfileName="alice",
                                         Tags=[{"Key": "a", "Value": "1"}])["UserProfileArn"]
    space_arn = sm.create_space(DomainId=domain, SpaceName="shared")["SpaceArn"]
    assert sm.list_tags(ResourceArn=profile_arn)["Tags"] == [{"Key": "a", "Value": "1"}]
    for arn in (domain_arn, profile_arn, space_arn):
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "a", "Value": "2"}, {"Key": "b", "Value": "3"}])
        assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "a", "Value": "2"}, {"Key": "b", "Value": "3"}]
        sm.delete_tags(ResourceArn=arn, TagKeys=["a"])
        assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "3"}]
    page = sm.list_tags(ResourceArn=domain_arn, MaxResults=50)
    assert page["Tags"] == [{"Key": "b", "Value": "3"}] and "NextToken" not in page
    missing = f"arn:aws:sagemaker:us-east-1:123456789012:user-profile/{domain}/nobody"
    assert code_of(sm.list_tags, ResourceArn=missing) == "ValidationException"


def test_tags_on_other_resources_still_go_to_moto(sm):
    sm.create_experiment(ExperimentName="exp")
    arn = sm.describe_experiment(ExperimentName="exp")["ExperimentArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]


# ---- CloudTrail events --------------------------------------------------------------------------
# EventBridge User Guide, "AWS service events delivered via AWS CloudTrail": "To record events with
# one of the CloudTrail detail-type values, you must enable a CloudTrail trail with logging"
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html).

def make_trail(emulator, name="trail", region="us-east-1", start=True, **kwargs) -> str:
    """A trail (and its bucket) in `region`, logging unless `start=False`; returns its name."""
    s3 = emulator.session().client("s3", region_name=region, endpoint_url=emulator.url)
    bucket = f"{name}-logs"
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    arn = f"arn:aws:cloudtrail:{region}:123456789012:trail/{name}"
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(trail_bucket_policy(bucket, arn)))
    ct = emulator.session().client("cloudtrail", region_name=region, endpoint_url=emulator.url)
    ct.create_trail(Name=name, S3BucketName=bucket, **kwargs)
    if start:
        ct.start_logging(Name=name)
    return name


def trail_bucket_policy(bucket: str, trail_arn: str, account: str = "123456789012") -> dict:
    """The bucket policy the CloudTrail User Guide gives ("Amazon S3 bucket policy for CloudTrail")."""
    cloudtrail = {"Service": "cloudtrail.amazonaws.com"}
    source = {"aws:SourceArn": trail_arn}
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": cloudtrail,
         "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"StringEquals": source}},
        {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": cloudtrail,
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{account}/*",
         "Condition": {"StringEquals": {**source, "s3:x-amz-acl": "bucket-owner-full-control"}}},
    ]}


def test_create_trail_needs_the_bucket_policy_cloudtrail_documents(emulator):
    """CloudTrail API Reference, CreateTrail: InsufficientS3BucketPolicyException; User Guide,
    "Amazon S3 bucket policy for CloudTrail"."""
    s3, ct = emulator.client("s3"), emulator.client("cloudtrail")
    s3.create_bucket(Bucket="logs")
    arn = "arn:aws:cloudtrail:us-east-1:123456789012:trail/audit"

    def refused() -> str:
        return code_of(ct.create_trail, Name="audit", S3BucketName="logs")

    assert refused() == "InsufficientS3BucketPolicyException"  # no policy at all
    policy = trail_bucket_policy("logs", arn.replace("trail/audit", "trail/other"))
    s3.put_bucket_policy(Bucket="logs", Policy=json.dumps(policy))
    assert refused() == "InsufficientS3BucketPolicyException"  # for another trail
    policy = trail_bucket_policy("logs", arn)
    policy["Statement"] = policy["Statement"][:1]
    s3.put_bucket_policy(Bucket="logs", Policy=json.dumps(policy))
    assert refused() == "InsufficientS3BucketPolicyException"  # no s3:PutObject
    policy = trail_bucket_policy("logs", arn, account="999999999999")
    s3.put_bucket_policy(Bucket="logs", Policy=json.dumps(policy))
    assert refused() == "InsufficientS3BucketPolicyException"  # another account's prefix
    policy = trail_bucket_policy("logs", arn)
    policy["Statement"].append({"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"],
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    s3.put_bucket_policy(Bucket="logs", Policy=json.dumps(policy))
    assert ct.create_trail(Name="audit", S3BucketName="logs")["TrailARN"] == arn
    policy["Statement"].append({"Effect": "Deny", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                                "Action": "s3:PutObject", "Resource": "arn:aws:s3:::logs/*"})
    s3.put_bucket_policy(Bucket="logs", Policy=json.dumps(policy))
    assert code_of(ct.create_trail, Name="audit2", S3BucketName="logs") == \
        "InsufficientS3BucketPolicyException"  # an explicit deny wins


@pytest.fixture
def trail(emulator) -> str:
    """A single-Region trail logging every management event of us-east-1 (no event selectors)."""
    return make_trail(emulator)


@pytest.fixture
def trail_queue(emulator):
    """An SQS queue that receives the SageMaker CloudTrail events, as an EventBridge rule would
    route them to the event processor."""
    sqs, events = emulator.client("sqs"), emulator.client("events")
    url = sqs.create_queue(QueueName="trail")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="studio-homes", EventPattern=json.dumps({
        "source": ["aws.sagemaker"], "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["sagemaker.amazonaws.com"],
                   "eventName": ["CreateUserProfile", "CreateSpace"]}}))
    events.put_targets(Rule="studio-homes", Targets=[{"Id": "q", "Arn": arn}])

    def receive() -> list:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                       WaitTimeSeconds=0).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    return receive


def test_create_user_profile_puts_a_cloudtrail_event_on_the_default_bus(sm, domain, trail, trail_queue):
    arn = sm.create_user_profile(DomainId=domain, UserProfileName="alice",
                                 UserSettings={"ExecutionRole": ROLE},
                                 Tags=[{"Key": "team", "Value": "ml"}])["UserProfileArn"]
    [event] = trail_queue()
    assert event["source"] == "aws.sagemaker"
    assert event["detail-type"] == "AWS API Call via CloudTrail"
    assert event["account"] == "123456789012" and event["region"] == "us-east-1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
    detail = event["detail"]
    assert detail["eventSource"] == "sagemaker.amazonaws.com"
    assert detail["eventName"] == "CreateUserProfile"
    assert detail["eventType"] == "AwsApiCall"
    assert detail["awsRegion"] == "us-east-1"
    assert detail["recipientAccountId"] == "123456789012"
    assert detail["userIdentity"]["accountId"] == "123456789012"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", detail["eventTime"])
    assert detail["eventVersion"] and detail["requestID"] and detail["eventID"]
    assert detail["requestParameters"] == {"domainId": domain, "userProfileName": "alice",
                                           "userSettings": {"executionRole": ROLE},
                                           "tags": [{"key": "team", "value": "ml"}]}
    assert detail["responseElements"] == {"userProfileArn": arn}


def test_create_space_and_sso_profile_events(sm, trail, trail_queue):
    sso = make_domain(sm, "sso", auth_mode="SSO")
    sm.create_user_profile(DomainId=sso, UserProfileName="alice", SingleSignOnUserIdentifier="UserName",
                           SingleSignOnUserValue="alice@example.com")
    arn = sm.create_space(DomainId=sso, SpaceName="shared",
                          SpaceSettings={"AppType": "JupyterLab"})["SpaceArn"]
    profile, space = (e["detail"] for e in trail_queue())
    assert profile["requestParameters"]["singleSignOnUserValue"] == "alice@example.com"
    assert profile["requestParameters"]["singleSignOnUserIdentifier"] == "UserName"
    assert space["eventName"] == "CreateSpace"
    assert space["requestParameters"] == {"domainId": sso, "spaceName": "shared",
                                          "spaceSettings": {"appType": "JupyterLab"}}
    assert space["responseElements"] == {"spaceArn": arn}


def test_no_event_for_a_failed_call_or_other_calls(sm, domain, trail, trail_queue):
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    assert len(trail_queue()) == 1
    error_of(sm.create_user_profile, DomainId=domain, UserProfileName="alice")
    sm.update_user_profile(DomainId=domain, UserProfileName="alice", UserSettings={})
    sm.delete_user_profile(DomainId=domain, UserProfileName="alice")
    assert trail_queue() == []


def test_no_event_when_switched_off(emulator, sm, domain, trail, trail_queue):
    assert emulator.config(cloudtrail_events=False)["cloudtrail_events"] is False
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    sm.create_space(DomainId=domain, SpaceName="shared")
    assert trail_queue() == []
    emulator.config(cloudtrail_events=True)
    sm.create_user_profile(DomainId=domain, UserProfileName="bob")
    assert [e["detail"]["requestParameters"]["userProfileName"] for e in trail_queue()] == ["bob"]


def test_no_trail_no_event(emulator, sm, domain, trail_queue):
    """Event history alone (every account has it) delivers nothing to EventBridge."""
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    sm.create_space(DomainId=domain, SpaceName="shared")
    assert trail_queue() == []


def test_only_a_logging_trail_delivers(emulator, sm, domain, trail_queue):
    ct = emulator.client("cloudtrail")
    make_trail(emulator, start=False)
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    assert trail_queue() == []
    ct.start_logging(Name="trail")
    assert ct.get_trail_status(Name="trail")["IsLogging"] is True
    sm.create_user_profile(DomainId=domain, UserProfileName="bob")
    assert [e["detail"]["requestParameters"]["userProfileName"] for e in trail_queue()] == ["bob"]
    ct.stop_logging(Name="trail")
    sm.create_user_profile(DomainId=domain, UserProfileName="carol")
    assert trail_queue() == []
    ct.start_logging(Name="trail")
    ct.delete_trail(Name="trail")
    sm.create_user_profile(DomainId=domain, UserProfileName="dan")
    assert trail_queue() == []


def test_two_trails_deliver_one_event(emulator, sm, domain, trail_queue):
    make_trail(emulator, "one")
    make_trail(emulator, "two")
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    assert len(trail_queue()) == 1


def test_a_trail_covers_its_region_or_every_region_when_multi_region(emulator, sm, domain, trail_queue):
    """CloudTrail User Guide, "Working with CloudTrail trails": a single-Region trail logs its own
    Region's events; a multi-Region trail every Region's of its partition."""
    make_trail(emulator, "elsewhere", region="eu-west-1")
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    assert trail_queue() == []
    make_trail(emulator, "everywhere", region="eu-west-1", IsMultiRegionTrail=True)
    sm.create_user_profile(DomainId=domain, UserProfileName="bob")
    assert [e["detail"]["requestParameters"]["userProfileName"] for e in trail_queue()] == ["bob"]


@pytest.mark.parametrize("selectors, delivered", [
    # CloudTrail API Reference, EventSelector: ReadWriteType (default All), IncludeManagementEvents
    # (default true), ExcludeManagementEventSources; CreateUserProfile is a write (readOnly false).
    ({"EventSelectors": [{"ReadWriteType": "WriteOnly"}]}, True),
    ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}, True),
    ({"EventSelectors": [{"ReadWriteType": "ReadOnly"}]}, False),
    ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": False,
                          "DataResources": [{"Type": "AWS::S3::Object",
                                             "Values": ["arn:aws:s3"]}]}]}, False),
    ({"EventSelectors": [{"ReadWriteType": "ReadOnly"}, {"ReadWriteType": "WriteOnly"}]}, True),
    ({"EventSelectors": [{"ExcludeManagementEventSources": ["sagemaker.amazonaws.com"]}]}, False),
    # AdvancedEventSelector: every field selector must match.
    ({"AdvancedEventSelectors": [{"FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]}]}]}, True),
    ({"AdvancedEventSelectors": [{"FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]},
        {"Field": "readOnly", "Equals": ["false"]}]}]}, True),
    ({"AdvancedEventSelectors": [{"FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]},
        {"Field": "readOnly", "Equals": ["true"]}]}]}, False),
    ({"AdvancedEventSelectors": [{"FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}]}]}, False),
])
def test_event_selectors_decide(emulator, sm, domain, trail, trail_queue, selectors, delivered):
    emulator.client("cloudtrail").put_event_selectors(TrailName=trail, **selectors)
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    assert len(trail_queue()) == (1 if delivered else 0)


def test_kinder_switch_delivers_without_a_trail(emulator, sm, domain, trail_queue):
    assert emulator.config()["cloudtrail_events_without_trail"] is False
    emulator.config(cloudtrail_events_without_trail=True)
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    assert len(trail_queue()) == 1


# ---- switches, reset, and moto's own machinery --------------------------------------------------

def test_throttle_switch(emulator, sm, domain):
    emulator.config(throttle={"DescribeDomain": 2})
    for _ in range(2):
        error = error_of(sm.describe_domain, DomainId=domain)
        assert error.response["Error"]["Code"] == "ThrottlingException"
    assert sm.describe_domain(DomainId=domain)["DomainId"] == domain
    assert emulator.config()["throttle"] == {"DescribeDomain": 0}


def test_control_endpoints(emulator):
    health = emulator.request("GET", "/studio-emulator/health")
    assert health["status"] == "ok" and health["port"] == emulator.port
    assert health["efs_root"] == str(emulator.efs_root.resolve())
    assert {"control", "efs", "sagemaker"} <= set(health["extensions"])
    config = emulator.config()
    assert config["cloudtrail_events"] is True
    assert config["datasync_execution_error"] is None and config["throttle"] == {}
    emulator.config(throttle={"A": 1})
    assert emulator.config(throttle={"B": 2})["throttle"] == {"A": 1, "B": 2}
    with pytest.raises(urllib.error.HTTPError) as info:
        emulator.config(no_such_switch=True)
    assert info.value.code == 400


def test_reset_clears_everything(emulator, sm, domain):
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    emulator.config(cloudtrail_events=False, throttle={"ListApps": 5})
    (emulator.efs_root / "stray").write_text("x")
    emulator.reset()
    assert sm.list_domains()["Domains"] == []
    assert sm.list_user_profiles()["UserProfiles"] == []
    assert emulator.client("efs").describe_file_systems()["FileSystems"] == []
    assert list(emulator.efs_root.iterdir()) == []
    assert emulator.config()["cloudtrail_events"] is True
    assert emulator.config()["throttle"] == {}
    # And the uid sequence starts over in a new domain.
    again = make_domain(sm)
    sm.create_user_profile(DomainId=again, UserProfileName="alice")
    assert sm.describe_user_profile(DomainId=again, UserProfileName="alice")["HomeEfsFileSystemUid"] == "200000"


def test_step_functions_interpreter_calls_back_into_the_emulator(emulator, sm, domain):
    """The SFN interpreter is on, MOTO_PORT points at this server (even with `--port 0`), and
    SDK-task errors carry AWS's names."""
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    sfn = emulator.client("stepfunctions")
    definition = {"StartAt": "Describe", "States": {"Describe": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sagemaker:describeUserProfile",
        "Parameters": {"DomainId": domain, "UserProfileName": "alice"},
        "ResultSelector": {"uid.$": "$.HomeEfsFileSystemUid"}, "Next": "Apps"},
        "Apps": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sagemaker:listApps",
                 "Parameters": {"DomainIdEquals": domain, "UserProfileNameEquals": "alice"},
                 "ResultPath": "$.apps", "Next": "Missing"},
        # AWS names SDK-task errors <Service>.<Error>Exception, the service in PascalCase.
        "Missing": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sagemaker:describeUserProfile",
                    "Parameters": {"DomainId": domain, "UserProfileName": "nobody"},
                    "Catch": [{"ErrorEquals": ["SageMaker.ResourceNotFoundException"],
                               "ResultPath": "$.caught", "Next": "Done"}], "Next": "Done"},
        "Done": {"Type": "Succeed"}}}
    machine = sfn.create_state_machine(name="probe", definition=json.dumps(definition),
                                       roleArn="arn:aws:iam::123456789012:role/sfn")["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    for _ in range(100):
        result = sfn.describe_execution(executionArn=execution)
        if result["status"] != "RUNNING":
            break
        time.sleep(0.1)
    assert result["status"] == "SUCCEEDED", result
    output = json.loads(result["output"])
    assert output["uid"] == "200000" and output["apps"]["Apps"] == []
    assert output["caught"]["Error"] == "SageMaker.ResourceNotFoundException"


RECORDER = """#!{python}
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        rid, event = r.headers["Lambda-Runtime-Aws-Request-Id"], r.read()
    with open(os.environ["OUT"], "ab") as f:
        f.write(event + b"\\n")
    urllib.request.urlopen(urllib.request.Request(api + rid + "/response", data=b"{{}}", method="POST"))
"""


def test_cloudtrail_event_reaches_a_lambda_target(emulator, sm, domain, tmp_path):
    """The event processor's path: CreateUserProfile -> EventBridge rule -> provided.* Lambda."""
    if "lambdas" not in emulator.request("GET", "/studio-emulator/health")["extensions"]:
        pytest.skip("studio_emulator/lambdas.py is not installed")
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        z.writestr(info, RECORDER.format(python=sys.executable))
    out = tmp_path / "events.jsonl"
    role = emulator.client("iam").create_role(RoleName="processor", AssumeRolePolicyDocument="{}")
    function = emulator.client("lambda").create_function(
        FunctionName="processor", Runtime="provided.al2023", Role=role["Role"]["Arn"],
        Handler="bootstrap", Code={"ZipFile": code.getvalue()},
        Environment={"Variables": {"OUT": str(out)}})["FunctionArn"]
    events = emulator.client("events")
    events.put_rule(Name="homes", EventPattern=json.dumps({
        "source": ["aws.sagemaker"], "detail": {"eventName": ["CreateUserProfile"]}}))
    events.put_targets(Rule="homes", Targets=[{"Id": "processor", "Arn": function}])

    make_trail(emulator)
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    deadline = time.monotonic() + 20
    while not (out.exists() and out.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    event = json.loads(out.read_text().splitlines()[0])
    assert event["account"] == "123456789012"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
    assert event["detail"]["requestParameters"] == {"domainId": domain, "userProfileName": "alice"}


def test_sdk_tasks_speak_pascal_case_for_camel_case_services(emulator):
    # "Parameters in Step Functions are expressed in PascalCase, even if the native service API
    # is in camelCase" (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html).
    sfn = emulator.client("stepfunctions")
    role = "arn:aws:iam::123456789012:role/sfn"
    target = sfn.create_state_machine(name="target", roleArn=role, definition=json.dumps(
        {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}))["stateMachineArn"]
    done = sfn.start_execution(stateMachineArn=target)["executionArn"]
    definition = {"StartAt": "Describe", "States": {"Describe": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:describeExecution",
        "Parameters": {"ExecutionArn": done},
        "ResultSelector": {"status.$": "$.Status", "arn.$": "$.ExecutionArn"}, "Next": "Missing"},
        "Missing": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:describeExecution",
                    "Parameters": {"ExecutionArn": done + "-nope"},
                    "Catch": [{"ErrorEquals": ["Sfn.ExecutionDoesNotExistException"],
                               "ResultPath": "$.caught", "Next": "Done"}], "Next": "Done"},
        "Done": {"Type": "Succeed"}}}
    for _ in range(100):
        if sfn.describe_execution(executionArn=done)["status"] != "RUNNING":
            break
        time.sleep(0.1)
    machine = sfn.create_state_machine(name="probe", roleArn=role,
                                       definition=json.dumps(definition))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    for _ in range(100):
        result = sfn.describe_execution(executionArn=execution)
        if result["status"] != "RUNNING":
            break
        time.sleep(0.1)
    assert result["status"] == "SUCCEEDED", result
    output = json.loads(result["output"])
    assert output["status"] == "SUCCEEDED" and output["arn"] == done
    assert output["caught"]["Error"] == "Sfn.ExecutionDoesNotExistException"
# ---- the strict lifecycle (issue 9) ---------------------------------------------------------------

def test_home_directory_appears_when_the_first_app_mounts_it(emulator, sm, domain):
    """Developer guide, "Amazon EFS auto-mounting in Studio": the home is created on first mount."""
    fs = emulator.efs_root / sm.describe_domain(DomainId=domain)["HomeEfsFileSystemId"]
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    sm.create_space(DomainId=domain, SpaceName="shared")
    status_is(sm.describe_user_profile, "InService", DomainId=domain, UserProfileName="alice")
    assert list(fs.iterdir()) == []  # InService, but never opened: nothing at /<uid>
    start_app(sm, domain, UserProfileName="alice")
    home = fs / "200000"
    assert home.is_dir()
    if os.geteuid() == 0:
        assert (home.stat().st_uid, home.stat().st_gid) == (200000, 1001)
    start_app(sm, domain, SpaceName="shared")
    assert sorted(p.name for p in fs.iterdir()) == ["200000", "200005"]


def test_an_existing_home_is_left_as_it_is_when_mounted(emulator, sm, domain):
    fs = emulator.efs_root / sm.describe_domain(DomainId=domain)["HomeEfsFileSystemId"]
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    (fs / "200000").mkdir()
    (fs / "200000" / "restored.txt").write_text("x")
    start_app(sm, domain, UserProfileName="alice")
    assert (fs / "200000" / "restored.txt").read_text() == "x"
    assert (fs / "200000").stat().st_uid == os.geteuid()  # not given away again


def test_home_directory_at_create_switch(emulator, sm, domain):
    emulator.config(home_directory_at_create=True)
    fs = emulator.efs_root / sm.describe_domain(DomainId=domain)["HomeEfsFileSystemId"]
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    assert (fs / "200000").is_dir()


def test_user_profile_names_are_not_case_sensitive(sm, domain):
    """API Reference, DescribeUserProfile: UserProfileName "is not case sensitive"."""
    sm.create_user_profile(DomainId=domain, UserProfileName="Alice")
    assert sm.describe_user_profile(DomainId=domain, UserProfileName="ALICE")["UserProfileName"] == "Alice"
    assert code_of(sm.create_user_profile, DomainId=domain, UserProfileName="alice") == "ResourceInUse"
    sm.create_app(DomainId=domain, UserProfileName="alice", AppType="JupyterLab", AppName="default")
    assert [a["UserProfileName"] for a in sm.list_apps(UserProfileNameEquals="aLiCe")["Apps"]] == ["Alice"]


def test_a_name_being_deleted_cannot_be_reused_until_gone(emulator, sm, domain):
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    first = sm.describe_user_profile(DomainId=domain, UserProfileName="alice")["HomeEfsFileSystemUid"]
    emulator.config(sagemaker_hold=True)  # Deleting until released, on a machine of any speed
    sm.delete_user_profile(DomainId=domain, UserProfileName="alice")
    assert sm.describe_user_profile(DomainId=domain, UserProfileName="alice")["Status"] == "Deleting"
    assert [p["Status"] for p in sm.list_user_profiles()["UserProfiles"]] == ["Deleting"]
    assert code_of(sm.create_user_profile, DomainId=domain, UserProfileName="alice") == "ResourceInUse"
    emulator.config(sagemaker_hold=False)
    gone(sm.describe_user_profile, DomainId=domain, UserProfileName="alice")
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    again = sm.describe_user_profile(DomainId=domain, UserProfileName="alice")["HomeEfsFileSystemUid"]
    assert again != first


def test_delays_are_switches_and_unknown_ones_are_refused(emulator):
    delays = emulator.config()["delays"]
    assert all(v is None or v >= 0 for v in delays.values())
    assert delays["sagemaker_pending"] > 0 and delays["datasync_launching"] > 0  # never zero by default
    with pytest.raises(urllib.error.HTTPError) as info:
        emulator.config(delays={"no_such_delay": 1})
    assert info.value.code == 400
