"""SageMaker Studio: domains, user profiles, spaces and apps, as the AWS API reference describes them.

Moto 5.2.5 has domains only (with an id derived from the name, a fake EFS id and a ListTags crash)
and lacks profiles, spaces and apps. We replace the domain actions and add the rest, patched onto
`SageMakerResponse` (moto dispatches action `X` to its snake_case method). The state lives in the
SageMaker backend's `__dict__`, so `POST /moto-api/reset` drops it with the backend.

Behaviour worth knowing (see README.md for the full list):
- CreateDomain creates a real file system in moto's EFS backend, i.e. the directory
  `<efs-root>/<fs-id>`; DeleteDomain honours `RetentionPolicy.HomeEfsFileSystem` (default Retain)
  and is refused (ResourceInUse) while the domain has user profiles or spaces.
- Every user profile and space gets `HomeEfsFileSystemUid` 200000, 200005, 200010, ... (one
  sequence per domain, never reused). The directory `/<uid>` appears only when the home is first
  mounted: when an app of the profile (or space) reaches InService.
- Domains, profiles, spaces and apps are Pending, then InService; deleted, they are Deleting, then
  gone (apps: Deleted), after the `delays` of the settings. A name stays taken until it is gone.
  User profile names are not case sensitive. A profile or space with a live app cannot be deleted
  (ResourceInUse).
- Lists are paginated (MaxResults default 10, NextToken opaque).
"""
import base64
import functools
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.models import ec2_backends
from moto.moto_api._internal import mock_random
from moto.sagemaker.responses import SageMakerResponse

from . import cloudtrail, efs
from .settings import SETTINGS

FIRST_UID = 200000
UID_STEP = 5
DEFAULT_PAGE = 10
NAME_PATTERN = "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
APP_TYPES = ["JupyterServer", "KernelGateway", "DetailedProfiler", "TensorBoard", "CodeEditor",
             "JupyterLab", "RStudioServerPro", "RSessionGateway", "Canvas"]

# One lock for all Studio state: requests arrive on many threads.
LOCK = threading.RLock()


class ResourceNotFound(ServiceException):
    code = "ResourceNotFound"


class ResourceInUse(ServiceException):
    code = "ResourceInUse"


class ValidationException(ServiceException):
    code = "ValidationException"


def now() -> datetime:
    return datetime.now(timezone.utc)


def invalid_value(value, member: str, constraint: str) -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: {constraint}")


def check_name(value, member: str, pattern: str = NAME_PATTERN) -> str:
    if not isinstance(value, str) or not re.fullmatch(pattern.lstrip("^"), value):
        raise invalid_value(value, member, f"Member must satisfy regular expression pattern: {pattern}")
    return value


def check_enum(value, member: str, allowed: list):
    if value is not None and value not in allowed:
        raise invalid_value(value, member, f"Member must satisfy enum value set: [{', '.join(allowed)}]")
    return value


def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


@dataclass
class Domain:
    id: str
    name: str
    arn: str
    auth_mode: str
    fs_id: str
    settings: dict  # the CreateDomain request, minus what has its own field
    tags: list
    seq: int
    created: datetime = field(default_factory=now)
    modified: datetime = field(default_factory=now)
    next_uid: int = FIRST_UID
    status: str = "Pending"

    def describe(self, region: str) -> dict:
        out = {
            "DomainArn": self.arn,
            "DomainId": self.id,
            "DomainName": self.name,
            "HomeEfsFileSystemId": self.fs_id,
            "Status": self.status,
            "CreationTime": self.created,
            "LastModifiedTime": self.modified,
            "AuthMode": self.auth_mode,
            "Url": self.url(region),
            **self.settings,
        }
        if self.auth_mode == "SSO":
            out["SingleSignOnManagedApplicationInstanceId"] = f"ins-{self.id[2:]}"
            out["SingleSignOnApplicationArn"] = (
                f"arn:aws:sso::{self.arn.split(':')[4]}:application/ssoins-{self.id[2:]}/apl-{self.id[2:]}")
        return out

    def summary(self, region: str) -> dict:
        return {"DomainArn": self.arn, "DomainId": self.id, "DomainName": self.name,
                "Status": self.status, "CreationTime": self.created,
                "LastModifiedTime": self.modified, "Url": self.url(region)}

    def url(self, region: str) -> str:
        return f"https://{self.id}.studio.{region}.sagemaker.aws"


@dataclass
class Home:
    """A user profile (kind `user-profile`) or a space (kind `space`): both own a home directory."""
    kind: str
    domain_id: str
    name: str
    arn: str
    uid: int
    settings: dict  # UserSettings or SpaceSettings
    extra: dict  # SSO fields, or OwnershipSettings, SpaceSharingSettings, SpaceDisplayName
    tags: list
    seq: int
    created: datetime = field(default_factory=now)
    modified: datetime = field(default_factory=now)
    status: str = "Pending"

    @property
    def is_user(self) -> bool:
        return self.kind == "user-profile"

    def describe(self, region: str) -> dict:
        out = {"DomainId": self.domain_id, "HomeEfsFileSystemUid": str(self.uid),
               "Status": self.status, "CreationTime": self.created, "LastModifiedTime": self.modified,
               **self.extra}
        if self.is_user:
            out.update(UserProfileArn=self.arn, UserProfileName=self.name)
        else:
            out.update(SpaceArn=self.arn, SpaceName=self.name,
                       Url=f"https://{self.domain_id}.studio.{region}.sagemaker.aws/jupyterlab/"
                           f"{self.name}")
        if self.settings:  # as AWS: no empty settings block when none were given
            out["UserSettings" if self.is_user else "SpaceSettings"] = self.settings
        return out

    def summary(self) -> dict:
        out = {"DomainId": self.domain_id, "Status": self.status, "CreationTime": self.created,
               "LastModifiedTime": self.modified}
        if self.is_user:
            out["UserProfileName"] = self.name
            return out
        out["SpaceName"] = self.name
        space_settings = {k: self.settings[k] for k in ("AppType", "RemoteAccess")
                          if k in self.settings}
        ebs = self.settings.get("SpaceStorageSettings", {}).get("EbsStorageSettings")
        if ebs:
            space_settings["SpaceStorageSettings"] = {"EbsStorageSettings": ebs}
        out["SpaceSettingsSummary"] = space_settings
        if "SpaceSharingSettings" in self.extra:
            out["SpaceSharingSettingsSummary"] = self.extra["SpaceSharingSettings"]
        if "OwnershipSettings" in self.extra:
            out["OwnershipSettingsSummary"] = self.extra["OwnershipSettings"]
        if "SpaceDisplayName" in self.extra:
            out["SpaceDisplayName"] = self.extra["SpaceDisplayName"]
        return out


@dataclass
class App:
    domain_id: str
    owner_is_user: bool
    owner: str
    app_type: str
    name: str
    arn: str
    resource_spec: dict
    tags: list
    seq: int
    status: str = "Pending"
    created: datetime = field(default_factory=now)

    def summary(self) -> dict:
        owner = "UserProfileName" if self.owner_is_user else "SpaceName"
        return {"DomainId": self.domain_id, owner: self.owner, "AppType": self.app_type,
                "AppName": self.name, "Status": self.status, "CreationTime": self.created,
                "ResourceSpec": self.resource_spec}

    def describe(self) -> dict:
        out = self.summary()
        out["AppArn"] = self.arn
        if self.status == "InService":
            out["LastHealthCheckTimestamp"] = now()
            out["LastUserActivityTimestamp"] = now()
        return out


class Studio:
    """The Studio resources of one account and region."""

    def __init__(self, account_id: str, region: str):
        self.account_id = account_id
        self.region = region
        self.domains: dict[str, Domain] = {}
        self.homes: dict[tuple, Home] = {}  # (kind, domain id, name)
        self.apps: dict[tuple, App] = {}  # (domain id, owner is user, owner, app type, app name)
        self.seq = itertools.count()

    def arn(self, resource: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account_id}:{resource}"

    def domain(self, domain_id) -> Domain:
        if domain_id not in self.domains:
            raise ResourceNotFound(f"Domain {self.arn(f'domain/{domain_id}')} not found.")
        return self.domains[domain_id]

    def home(self, kind: str, domain_id, name) -> Home:
        home = self.homes.get(home_key(kind, domain_id, name))
        if home is None:
            what = "User profile" if kind == "user-profile" else "Space"
            raise ResourceNotFound(f"{what} {self.arn(f'{kind}/{domain_id}/{name}')} does not exist.")
        return home

    def mount_home(self, home: Home) -> None:
        """The home is mounted (an app started): Studio creates `/<uid>` the first time, owned by
        the profile's uid and Studio's group ("Amazon EFS auto-mounting in Studio")."""
        domain = self.domains.get(home.domain_id)
        if domain is not None:
            efs.make_home(domain.fs_id, home.uid)

    def live_apps(self, home: Home) -> list:
        return [a for a in self.apps.values()
                if (a.domain_id, a.owner_is_user, a.owner) == (home.domain_id, home.is_user, home.name)
                and a.status != "Deleted"]

    def tagged(self, arn):
        """The resource an ARN names (domain, user profile, space or app), or None when the ARN
        is not a Studio one; raises ValidationException when it names a missing resource."""
        prefix = self.arn("")
        if not isinstance(arn, str) or not arn.startswith(prefix):
            return None
        kind, _, path = arn[len(prefix):].partition("/")
        if kind == "domain":
            found = self.domains.get(path)
        elif kind in ("user-profile", "space") and "/" in path:
            found = self.homes.get(home_key(kind, *path.split("/", 1)))
        elif kind == "app":
            found = next((a for a in self.apps.values() if a.arn == arn and a.status != "Deleted"),
                         None)
        else:
            return None
        if found is None:
            raise ValidationException(f"Resource {arn} does not exist.")
        return found


def home_key(kind: str, domain_id, name) -> tuple:
    """User profile names are not case sensitive (API Reference, DescribeUserProfile:
    UserProfileName); space names are matched as given."""
    if kind == "user-profile" and isinstance(name, str):
        name = name.lower()
    return kind, domain_id, name


def in_service(resource) -> None:
    """Pending -> InService, unless something else happened to it meanwhile."""
    with LOCK:
        if resource.status == "Pending":
            resource.status = "InService"


def studio_of(resp) -> Studio:
    backend = resp.sagemaker_backend
    return backend.__dict__.setdefault("studio_emulator",
                                       Studio(backend.account_id, backend.region_name))


def required(resp, name: str):
    value = resp._get_param(name)
    if value is None:
        raise ValidationException(
            f"1 validation error detected: Value null at '{lower_first(name)}' failed to satisfy "
            f"constraint: Member must not be null")
    return value


def paginate(resp, items: list, key: str, default: int = DEFAULT_PAGE) -> dict:
    """One page of `items` as `{key: page, "NextToken": ...}`; the token is an opaque offset."""
    token = resp._get_param("NextToken")
    size = resp._get_param("MaxResults") or default
    if not isinstance(size, int) or not 1 <= size <= 100:
        raise invalid_value(size, "maxResults", "Member must have value between 1 and 100")
    start = 0
    if token:
        try:
            start = int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
        except (ValueError, KeyError, TypeError):
            raise ValidationException("Invalid pagination token.") from None
    end = start + size
    out = {key: items[start:end]}
    if end < len(items):
        out["NextToken"] = base64.urlsafe_b64encode(json.dumps({"offset": end}).encode()).decode()
    return out


def sort(resp, items: list, by_allowed: list) -> list:
    by = check_enum(resp._get_param("SortBy"), "sortBy", by_allowed) or "CreationTime"
    order = check_enum(resp._get_param("SortOrder"), "sortOrder", ["Ascending", "Descending"])
    attr = "created" if by == "CreationTime" else "modified"
    return sorted(items, key=lambda x: (getattr(x, attr), x.seq), reverse=order == "Descending")


# ---------------------------------------------------------------------------------------------
# Actions. Each takes the SageMakerResponse (`resp`) and the Studio state, and returns the
# response dict (or None for an empty response).

ACTIONS = {}


def action(fn):
    ACTIONS[fn.__name__] = fn
    return fn


def nfs_security_groups(studio: Studio, domain_id: str, vpc_id: str) -> None:
    """The two security groups SageMaker creates with a domain, in the domain's VPC.

    SageMaker Developer Guide, "(Optional) Migrate data from Studio Classic to Studio"
    (https://docs.aws.amazon.com/sagemaker/latest/dg/studio-updated-migrate-data.html): "When a
    new domain is created, SageMaker AI creates 2 security groups": `security-group-for-inbound-
    nfs-<domain-id>`, "NFS inbound security group with only inbound traffic", and `security-
    group-for-outbound-nfs-<domain-id>`, "NFS outbound security group with only outbound
    traffic"; CreateDomain (API Reference) adds that NFS needs TCP 2049. So the inbound group
    lets 2049 in from the outbound group and has no egress rule, the outbound group lets 2049 out
    to the inbound group and has no ingress rule. DeleteDomain leaves both behind: its API Reference
    says of RetentionPolicy "By default, all resources are retained (not automatically deleted)"
    and offers deletion for the home file system only; no page found says SageMaker deletes
    these groups (the stricter reading: the VPC keeps them until the user deletes them).
    """
    ec2 = ec2_backends[studio.account_id][studio.region]
    inbound = ec2.create_security_group(
        f"security-group-for-inbound-nfs-{domain_id}",
        f"[DO NOT DELETE] Security Group that allows inbound NFS traffic for SageMaker Notebooks "
        f"Domain [{domain_id}]", vpc_id=vpc_id)
    outbound = ec2.create_security_group(
        f"security-group-for-outbound-nfs-{domain_id}",
        f"[DO NOT DELETE] Security Group that allows outbound NFS traffic for SageMaker Notebooks "
        f"Domain [{domain_id}]", vpc_id=vpc_id)
    # Moto gives every new group an allow-all egress rule; these two have only NFS.
    inbound.egress_rules = []
    outbound.egress_rules = []
    ec2.authorize_security_group_ingress(inbound.id, "tcp", "2049", "2049", [],
                                         source_groups=[{"GroupId": outbound.id}], vpc_id=vpc_id)
    ec2.authorize_security_group_egress(outbound.id, "tcp", "2049", "2049", [],
                                        source_groups=[{"GroupId": inbound.id}], vpc_id=vpc_id)


@action
def create_domain(resp, studio: Studio):
    name = check_name(required(resp, "DomainName"), "domainName")
    auth_mode = check_enum(required(resp, "AuthMode"), "authMode", ["SSO", "IAM"])
    user_settings = dict(required(resp, "DefaultUserSettings"))
    with LOCK:
        if any(d.name == name for d in studio.domains.values()):
            raise ResourceInUse(f"Resource Already Exists: Domain with name {name} already exists. "
                                f"Choose a different name.")
        domain_id = "d-" + mock_random.get_random_string(12, lower_case=True)
        arn = studio.arn(f"domain/{domain_id}")
        settings = {"DefaultUserSettings": user_settings,
                    "AppNetworkAccessType": resp._get_param("AppNetworkAccessType")
                    or "PublicInternetOnly"}
        for key in ("DomainSettings", "SubnetIds", "VpcId", "HomeEfsFileSystemKmsKeyId", "KmsKeyId",
                    "AppSecurityGroupManagement", "TagPropagation", "DefaultSpaceSettings"):
            if resp._get_param(key) is not None:
                settings[key] = resp._get_param(key)
        fs_id = efs.create_file_system(studio.account_id, studio.region, creation_token=domain_id,
                                       tags=[{"Key": "ManagedByAmazonSageMakerResource",
                                              "Value": arn}])
        if settings.get("VpcId"):
            nfs_security_groups(studio, domain_id, settings["VpcId"])
        domain = Domain(id=domain_id, name=name, arn=arn, auth_mode=auth_mode, fs_id=fs_id,
                        settings=settings, tags=list(resp._get_param("Tags") or []),
                        seq=next(studio.seq))
        studio.domains[domain_id] = domain
        # API Reference, DescribeDomain: Status Pending -> InService.
        SETTINGS.later("sagemaker_pending", lambda: in_service(domain))
        return {"DomainArn": arn, "DomainId": domain_id, "Url": domain.url(studio.region)}


@action
def describe_domain(resp, studio: Studio):
    with LOCK:
        return studio.domain(required(resp, "DomainId")).describe(studio.region)


@action
def list_domains(resp, studio: Studio):
    with LOCK:
        domains = sorted(studio.domains.values(), key=lambda d: d.seq)
        return paginate(resp, [d.summary(studio.region) for d in domains], "Domains")


@action
def update_domain(resp, studio: Studio):
    with LOCK:
        domain = studio.domain(required(resp, "DomainId"))
        for key in ("DefaultUserSettings", "DefaultSpaceSettings", "SubnetIds", "VpcId",
                    "AppSecurityGroupManagement", "AppNetworkAccessType", "TagPropagation"):
            value = resp._get_param(key)
            if isinstance(value, dict):
                domain.settings[key] = {**domain.settings.get(key, {}), **value}
            elif value is not None:
                domain.settings[key] = value
        for_update = resp._get_param("DomainSettingsForUpdate")
        if for_update:
            domain.settings["DomainSettings"] = {**domain.settings.get("DomainSettings", {}),
                                                 **for_update}
        domain.modified = now()
        return {"DomainArn": domain.arn}


@action
def delete_domain(resp, studio: Studio):
    retention = (resp._get_param("RetentionPolicy") or {}).get("HomeEfsFileSystem", "Retain")
    check_enum(retention, "retentionPolicy.homeEfsFileSystem", ["Retain", "Delete"])
    with LOCK:
        domain = studio.domain(required(resp, "DomainId"))
        members = sorted(f"{kind} {name}" for kind, d, name in studio.homes if d == domain.id)
        if members:
            raise ResourceInUse(f"Domain {domain.arn} cannot be deleted while it has user profiles "
                                f"or spaces: {', '.join(members)}.")
        if domain.status == "Deleting":
            return
        domain.status = "Deleting"

    def gone() -> None:
        with LOCK:
            studio.domains.pop(domain.id, None)
            for key in [k for k in studio.apps if k[0] == domain.id]:
                del studio.apps[key]
            if retention == "Delete":
                efs.delete_file_system(studio.account_id, studio.region, domain.fs_id)

    # API Reference, DescribeDomain: Status Deleting until the domain is gone.
    SETTINGS.later("sagemaker_deleting", gone)


def _create_home(resp, studio: Studio, kind: str) -> Home:
    is_user = kind == "user-profile"
    member = "UserProfileName" if is_user else "SpaceName"
    domain_id = required(resp, "DomainId")
    name = check_name(required(resp, member), lower_first(member))
    extra = {}
    if is_user:
        for key in ("SingleSignOnUserIdentifier", "SingleSignOnUserValue"):
            if resp._get_param(key) is not None:
                extra[key] = resp._get_param(key)
    else:
        for key in ("OwnershipSettings", "SpaceSharingSettings", "SpaceDisplayName"):
            if resp._get_param(key) is not None:
                extra[key] = resp._get_param(key)
    with LOCK:
        domain = studio.domain(domain_id)
        if is_user:
            _check_sso(domain, extra)
        elif "OwnershipSettings" in extra:
            studio.home("user-profile", domain_id, extra["OwnershipSettings"].get("OwnerUserProfileName"))
        existing = studio.homes.get(home_key(kind, domain_id, name))
        if existing is not None:  # a name being deleted is still taken until it is gone
            what = "UserProfile" if is_user else "Space"
            raise ResourceInUse(f"Resource Already Exists: {what} with name {existing.name} already "
                                f"exists (Status {existing.status}). Choose a different name.")
        uid = domain.next_uid
        domain.next_uid += UID_STEP
        if SETTINGS.config.get("home_directory_at_create"):
            efs.make_home(domain.fs_id, uid)
        home = Home(kind=kind, domain_id=domain_id, name=name,
                    arn=studio.arn(f"{kind}/{domain_id}/{name}"), uid=uid,
                    settings=resp._get_param("UserSettings" if is_user else "SpaceSettings") or {},
                    extra=extra, tags=list(resp._get_param("Tags") or []), seq=next(studio.seq))
        studio.homes[home_key(kind, domain_id, name)] = home
        # API Reference, DescribeUserProfile/DescribeSpace: Status Pending -> InService.
        SETTINGS.later("sagemaker_pending", lambda: in_service(home))
        return home


def _check_sso(domain: Domain, extra: dict) -> None:
    """As documented for CreateUserProfile: required for SSO domains, refused otherwise."""
    for key in ("SingleSignOnUserIdentifier", "SingleSignOnUserValue"):
        if domain.auth_mode == "SSO" and key not in extra:
            raise ValidationException(f"{key} is required for a domain with AuthMode SSO.")
        if domain.auth_mode != "SSO" and key in extra:
            raise ValidationException(f"{key} cannot be specified for a domain with AuthMode "
                                      f"{domain.auth_mode}.")
    if "SingleSignOnUserIdentifier" in extra:
        check_enum(extra["SingleSignOnUserIdentifier"], "singleSignOnUserIdentifier", ["UserName"])


def _delete_home(resp, studio: Studio, kind: str) -> None:
    member = "UserProfileName" if kind == "user-profile" else "SpaceName"
    with LOCK:
        home = studio.home(kind, required(resp, "DomainId"), required(resp, member))
        live = studio.live_apps(home)
        if live:
            raise ResourceInUse(f"{home.arn} has apps that are not deleted: "
                                f"{', '.join(f'{a.app_type}/{a.name}' for a in live)}.")
        if home.is_user:
            owned = [h.name for h in studio.homes.values() if not h.is_user
                     and h.domain_id == home.domain_id
                     and str(h.extra.get("OwnershipSettings", {}).get("OwnerUserProfileName")).lower() == home.name.lower()]
            if owned:
                raise ResourceInUse(f"{home.arn} owns spaces that must be deleted first: "
                                    f"{', '.join(sorted(owned))}.")
        if home.status == "Deleting":
            return
        home.status = "Deleting"

    def gone() -> None:
        with LOCK:
            key = home_key(kind, home.domain_id, home.name)
            if studio.homes.get(key) is home:
                del studio.homes[key]
            for app_key in [k for k, a in studio.apps.items()
                            if (a.domain_id, a.owner_is_user, a.owner) == (home.domain_id, home.is_user, home.name)]:
                del studio.apps[app_key]

    # API Reference, DescribeUserProfile/DescribeSpace: Status Deleting until it is gone.
    SETTINGS.later("sagemaker_deleting", gone)


def _update_home(resp, studio: Studio, kind: str) -> Home:
    is_user = kind == "user-profile"
    with LOCK:
        home = studio.home(kind, required(resp, "DomainId"),
                           required(resp, "UserProfileName" if is_user else "SpaceName"))
        settings = resp._get_param("UserSettings" if is_user else "SpaceSettings")
        if settings:
            home.settings = {**home.settings, **settings}
        if not is_user and resp._get_param("SpaceDisplayName") is not None:
            home.extra["SpaceDisplayName"] = resp._get_param("SpaceDisplayName")
        home.modified = now()
        return home


def _list_homes(resp, studio: Studio, kind: str, contains_param: str, key: str) -> dict:
    domain_id = resp._get_param("DomainIdEquals")
    contains = resp._get_param(contains_param)
    with LOCK:
        homes = [h for h in studio.homes.values() if h.kind == kind
                 and (domain_id is None or h.domain_id == domain_id)
                 and (contains is None or contains in h.name)]
        homes = sort(resp, homes, ["CreationTime", "LastModifiedTime"])
        return paginate(resp, [h.summary() for h in homes], key)


@action
def create_user_profile(resp, studio: Studio):
    home = _create_home(resp, studio, "user-profile")
    cloudtrail.api_call(resp, "CreateUserProfile", {"userProfileArn": home.arn})
    return {"UserProfileArn": home.arn}


@action
def describe_user_profile(resp, studio: Studio):
    with LOCK:
        return studio.home("user-profile", required(resp, "DomainId"),
                           required(resp, "UserProfileName")).describe(studio.region)


@action
def update_user_profile(resp, studio: Studio):
    return {"UserProfileArn": _update_home(resp, studio, "user-profile").arn}


@action
def delete_user_profile(resp, studio: Studio):
    _delete_home(resp, studio, "user-profile")


@action
def list_user_profiles(resp, studio: Studio):
    return _list_homes(resp, studio, "user-profile", "UserProfileNameContains", "UserProfiles")


@action
def create_space(resp, studio: Studio):
    home = _create_home(resp, studio, "space")
    cloudtrail.api_call(resp, "CreateSpace", {"spaceArn": home.arn})
    return {"SpaceArn": home.arn}


@action
def describe_space(resp, studio: Studio):
    with LOCK:
        return studio.home("space", required(resp, "DomainId"),
                           required(resp, "SpaceName")).describe(studio.region)


@action
def update_space(resp, studio: Studio):
    return {"SpaceArn": _update_home(resp, studio, "space").arn}


@action
def delete_space(resp, studio: Studio):
    _delete_home(resp, studio, "space")


@action
def list_spaces(resp, studio: Studio):
    return _list_homes(resp, studio, "space", "SpaceNameContains", "Spaces")


def _app_key(resp, studio: Studio) -> tuple:
    """(domain id, owner is user, owner, app type, app name) of the app a request names; the
    owner must exist."""
    domain_id = required(resp, "DomainId")
    user, space = resp._get_param("UserProfileName"), resp._get_param("SpaceName")
    if (user is None) == (space is None):
        raise ValidationException("Exactly one of UserProfileName and SpaceName must be specified.")
    app_type = check_enum(required(resp, "AppType"), "appType", APP_TYPES)
    name = check_name(required(resp, "AppName"), "appName")
    studio.domain(domain_id)
    owner = studio.home("user-profile" if user is not None else "space", domain_id, user or space)
    return domain_id, user is not None, owner.name, app_type, name


def _app_arn(studio: Studio, key: tuple) -> str:
    domain_id, _, owner, app_type, name = key
    return studio.arn(f"app/{domain_id}/{owner}/{app_type.lower()}/{name}")


def _app(studio: Studio, key: tuple) -> App:
    app = studio.apps.get(key)
    if app is None:
        raise ResourceNotFound(f"App {_app_arn(studio, key)} does not exist.")
    return app


@action
def create_app(resp, studio: Studio):
    with LOCK:
        key = _app_key(resp, studio)
        domain_id, is_user, owner, app_type, name = key
        existing = studio.apps.get(key)
        if existing is not None and existing.status != "Deleted":
            raise ResourceInUse(f"Resource Already Exists: App {existing.arn} already exists.")
        spec = resp._get_param("ResourceSpec") or {
            "InstanceType": "system" if app_type == "JupyterServer" else "ml.t3.medium"}
        app = App(domain_id=domain_id, owner_is_user=is_user, owner=owner, app_type=app_type,
                  name=name, arn=_app_arn(studio, key),
                  resource_spec=spec, tags=list(resp._get_param("Tags") or []),
                  seq=next(studio.seq))
        studio.apps[key] = app
        owners = [studio.home("user-profile" if is_user else "space", domain_id, owner)]
        if not is_user:  # a private space mounts its owner's home too (EFS auto-mounting)
            owner_name = owners[0].extra.get("OwnershipSettings", {}).get("OwnerUserProfileName")
            if owner_name and home_key("user-profile", domain_id, owner_name) in studio.homes:
                owners.append(studio.home("user-profile", domain_id, owner_name))

        def started() -> None:
            with LOCK:
                if app.status != "Pending":
                    return
                for home in owners:
                    studio.mount_home(home)
                app.status = "InService"

        # API Reference, DescribeApp: Status Pending -> InService; the home is mounted then.
        SETTINGS.later("sagemaker_pending", started)
        return {"AppArn": app.arn}


@action
def describe_app(resp, studio: Studio):
    with LOCK:
        return _app(studio, _app_key(resp, studio)).describe()


@action
def delete_app(resp, studio: Studio):
    with LOCK:
        app = _app(studio, _app_key(resp, studio))
        if app.status in ("Deleted", "Deleting"):
            raise ResourceNotFound(f"App {app.arn} has already been deleted.")
        app.status = "Deleting"

    def deleted() -> None:
        with LOCK:
            if app.status == "Deleting":
                app.status = "Deleted"

    # API Reference, DescribeApp: Status Deleting -> Deleted.
    SETTINGS.later("sagemaker_deleting", deleted)


@action
def list_apps(resp, studio: Studio):
    domain_id = resp._get_param("DomainIdEquals")
    user = resp._get_param("UserProfileNameEquals")
    space = resp._get_param("SpaceNameEquals")
    if user is not None and space is not None:
        raise ValidationException("UserProfileNameEquals and SpaceNameEquals cannot both be set.")
    with LOCK:
        apps = [a for a in studio.apps.values()
                if (domain_id is None or a.domain_id == domain_id)
                and (user is None or (a.owner_is_user and a.owner.lower() == user.lower()))
                and (space is None or (not a.owner_is_user and a.owner == space))]
        apps = sort(resp, apps, ["CreationTime"])
        return paginate(resp, [a.summary() for a in apps], "Apps")


# Tags: Studio ARNs are ours; any other ARN goes to moto's own implementation.
MOTO_TAGS = {name: getattr(SageMakerResponse, name) for name in ("add_tags", "list_tags", "delete_tags")}


@action
def add_tags(resp, studio: Studio):
    with LOCK:
        resource = studio.tagged(required(resp, "ResourceArn"))
        if resource is None:
            return MOTO_TAGS["add_tags"](resp)
        tags = required(resp, "Tags")
        keys = {t["Key"] for t in tags}
        resource.tags = [t for t in resource.tags if t["Key"] not in keys] + list(tags)
        if len(resource.tags) > 50:
            raise ValidationException("A resource can have at most 50 tags.")
        return {"Tags": tags}


@action
def list_tags(resp, studio: Studio):
    with LOCK:
        resource = studio.tagged(required(resp, "ResourceArn"))
        if resource is None:
            return MOTO_TAGS["list_tags"](resp)
        return paginate(resp, list(resource.tags), "Tags", default=50)


@action
def delete_tags(resp, studio: Studio):
    with LOCK:
        resource = studio.tagged(required(resp, "ResourceArn"))
        if resource is None:
            return MOTO_TAGS["delete_tags"](resp)
        keys = set(required(resp, "TagKeys"))
        resource.tags = [t for t in resource.tags if t["Key"] not in keys]


def _method(name: str, fn):
    @functools.wraps(fn)
    def method(self):
        result = fn(self, studio_of(self))
        if isinstance(result, ActionResult):  # moto's own answer (tags on a non-Studio ARN)
            return result
        return EmptyResult() if result is None else ActionResult(result)

    return method


def install() -> None:
    for name, fn in ACTIONS.items():
        setattr(SageMakerResponse, name, _method(name, fn))
