"""Lambda functions that mount an EFS file system through an access point (`FileSystemConfigs`).

moto 5.2.5 neither validates nor stores a function's FileSystemConfigs. Here:

- CreateFunction and UpdateFunctionConfiguration validate them as the Lambda API Reference
  documents (FileSystemConfig; CreateFunction) and the developer guide requires ("Configuring file
  system access for Lambda functions"), and GetFunction/GetFunctionConfiguration return them.
- `plan_mount` decides, at every invoke, what the function's sandbox mounts: the access point's
  root directory inside the emulated file system (efs.py), at LocalMountPath, read-only or not,
  as which POSIX identity. It fails with the documented Invoke error when the mount cannot be made.
  lambdas.py starts the bootstrap accordingly (lambda_mount.py, in a private mount namespace).

IAM authorization of the mount follows the EFS user guide ("Using IAM to control access to file
systems") and the Lambda developer guide (page above, "Execution role and user permissions"):
without a file system policy EFS's default policy grants full access to any client; with one,
an action (`elasticfilesystem:ClientMount`, `ClientWrite`, `ClientRootAccess`) is allowed when the
execution role's identity policies or the file system policy allow it and neither denies it.
Statements are matched with moto's IAM policy code (moto.iam.access_control.IAMPolicyStatement:
Action/NotAction, Resource); only what moto lacks is added here: the Principal of a resource
policy, and the condition operators a policy on EFS client access uses (moto evaluates only
StringEquals and treats failed conditions of an Allow as a Deny).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException, LambdaClientError
from moto.awslambda.models import LambdaBackend, LambdaFunction

CLIENT_MOUNT = "elasticfilesystem:ClientMount"
CLIENT_WRITE = "elasticfilesystem:ClientWrite"
CLIENT_ROOT_ACCESS = "elasticfilesystem:ClientRootAccess"

# The NFS anonymous user a squashed root becomes (the Linux NFS server's default anonuid/anongid;
# EFS's page "Network File System (NFS) level users, groups, and permissions", "No root
# squashing", says a squashed root "is converted to a user with limited permissions" without
# naming the id).
SQUASHED_ID = 65534

# Lambda API Reference, FileSystemConfig: Arn (max 200) and LocalMountPath (max 160) patterns.
ARN_PATTERN = (r"arn:aws[a-zA-Z-]*:elasticfilesystem:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:"
               r"access-point/fsap-[a-f0-9]{17}")
MOUNT_PATH_PATTERN = r"^/mnt/[a-zA-Z0-9-_.]+$"
_ARN_RE = re.compile(rf"^{ARN_PATTERN}$")
_MOUNT_PATH_RE = re.compile(r"^/mnt/[a-zA-Z0-9\-_.]+$")


class EFSMountFailureException(LambdaClientError):
    """Lambda API Reference, Invoke, Errors: EFSMountFailureException, HTTP 403, "The Lambda
    function couldn't mount the configured file system due to a permission or configuration
    issue"."""

    code = 403

    def __init__(self, message: str):
        super().__init__("EFSMountFailureException", message)


class FrameworkValidation(LambdaClientError):
    """AWS's request validation error (ValidationException, 400) naming every violated constraint."""

    def __init__(self, errors: list[str]):
        n = len(errors)
        super().__init__("ValidationException",
                         f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(errors))


# ---------------------------------------------------------------------------------------------
# CreateFunction / UpdateFunctionConfiguration


def _constraint(value: Any, member: str, text: str) -> str:
    return f"Value '{value}' at '{member}' failed to satisfy constraint: {text}"


def validate(account: str, region: str, fs_configs: Any, vpc_config: Any, function_name: str) -> None:
    """FileSystemConfigs as the Lambda API Reference (CreateFunction, FileSystemConfig) and the
    developer guide ("Configuring file system access for Lambda functions") state them."""
    if not fs_configs:
        return
    errors: list[str] = []
    if not isinstance(fs_configs, list):
        raise FrameworkValidation([_constraint(fs_configs, "fileSystemConfigs", "Member must be a list")])
    # CreateFunction, FileSystemConfigs: "Array Members: Maximum number of 1 item."
    if len(fs_configs) > 1:
        errors.append(_constraint(fs_configs, "fileSystemConfigs", "Member must have length less than or equal to 1"))
    for i, cfg in enumerate(fs_configs, start=1):
        cfg = cfg if isinstance(cfg, dict) else {}
        arn, path = cfg.get("Arn"), cfg.get("LocalMountPath")
        base = f"fileSystemConfigs.{i}.member"
        if arn is None:
            errors.append(_constraint(None, f"{base}.arn", "Member must not be null"))
        elif not isinstance(arn, str) or len(arn) > 200:
            errors.append(_constraint(arn, f"{base}.arn", "Member must have length less than or equal to 200"))
        elif not _ARN_RE.match(arn):
            errors.append(_constraint(arn, f"{base}.arn", f"Member must satisfy regular expression pattern: {ARN_PATTERN}"))
        if path is None:
            errors.append(_constraint(None, f"{base}.localMountPath", "Member must not be null"))
        elif not isinstance(path, str) or len(path) > 160:
            errors.append(_constraint(path, f"{base}.localMountPath", "Member must have length less than or equal to 160"))
        elif not _MOUNT_PATH_RE.match(path):
            errors.append(_constraint(path, f"{base}.localMountPath",
                                      f"Member must satisfy regular expression pattern: {MOUNT_PATH_PATTERN}"))
    if errors:
        raise FrameworkValidation(errors)
    # Developer guide, "Configuring file system access for Lambda functions": the function
    # connects to the file system through its mount targets, which live in a VPC, so "to connect
    # to a file system, your function must be connected to a VPC" (Lambda refuses a function
    # with a file system but no VPC: InvalidParameterValueException, "One of the parameters in
    # the request is not valid").
    subnets = (vpc_config or {}).get("SubnetIds") if isinstance(vpc_config, dict) else None
    if not subnets:
        raise InvalidParameterValueException(
            f"Function {function_name}: a function with a file system configuration (FileSystemConfigs) must be "
            f"connected to a VPC: set VpcConfig with the SubnetIds (and SecurityGroupIds) that reach the file "
            f"system's mount targets")
    # "Lambda uses your permissions to verify mount targets" when a file system is configured: an
    # access point that does not exist is refused at configuration time.
    arn = fs_configs[0]["Arn"]
    if _access_point(arn) is None:
        raise InvalidParameterValueException(
            f"Function {function_name}: FileSystemConfigs Arn {arn}: the EFS access point does not exist "
            f"(create it, or check the account and Region in its ARN)")


def _access_point(arn: str):
    from moto.efs.models import efs_backends

    parts = arn.split(":")
    if len(parts) < 6:
        return None
    region, account, ap_id = parts[3], parts[4], parts[5].rsplit("/", 1)[-1]
    if account not in efs_backends or region not in efs_backends[account]:
        return None
    return efs_backends[account][region].access_points.get(ap_id)


_original_function_init = LambdaFunction.__init__
_original_get_configuration = LambdaFunction.get_configuration
_original_update_configuration = LambdaFunction.update_configuration
_original_create_function = LambdaBackend.create_function
_original_update_function_configuration = LambdaBackend.update_function_configuration


def _function_init(self: LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
    _original_function_init(self, account_id, spec, *args, **kwargs)
    self.file_system_configs = list(spec.get("FileSystemConfigs") or [])


def fs_configs_of(fn: Any) -> list[dict[str, str]]:
    return list(getattr(fn, "file_system_configs", None) or [])


def _get_configuration(self: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
    config = _original_get_configuration(self, *args, **kwargs)
    configs = fs_configs_of(self)
    if configs:  # FunctionConfiguration.FileSystemConfigs, as GetFunctionConfiguration answers it
        config["FileSystemConfigs"] = [{"Arn": c["Arn"], "LocalMountPath": c["LocalMountPath"]} for c in configs]
    return config


def _update_configuration(self: LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
    if "FileSystemConfigs" in config_updates:
        self.file_system_configs = list(config_updates.get("FileSystemConfigs") or [])
    return _original_update_configuration(self, config_updates)


def _create_function(self: LambdaBackend, spec: dict[str, Any]) -> LambdaFunction:
    validate(self.account_id, self.region_name, spec.get("FileSystemConfigs"), spec.get("VpcConfig"),
             str(spec.get("FunctionName")))
    return _original_create_function(self, spec)


def _update_function_configuration(self: LambdaBackend, function_name: str, qualifier: str, body: dict[str, Any]):
    fn = self.get_function(function_name, qualifier)
    configs = body["FileSystemConfigs"] if "FileSystemConfigs" in body else fs_configs_of(fn)
    vpc = body["VpcConfig"] if "VpcConfig" in body else getattr(fn, "_vpc_config", None)
    validate(self.account_id, self.region_name, configs, vpc, fn.function_name)
    return _original_update_function_configuration(self, function_name, qualifier, body)


# ---------------------------------------------------------------------------------------------
# IAM authorization of the mount


def _identity_policies(role_arn: str) -> list[dict[str, Any]]:
    """The execution role's inline and attached policies, collected as moto collects an assumed
    role's (moto.iam.access_control.AssumedRoleAccessKey.collect_policies)."""
    from moto.iam.access_control import IAMPolicy
    from moto.iam.models import iam_backends

    try:
        account = role_arn.split(":")[4]
        backend = iam_backends[account]["aws"]
        name = role_arn.rsplit("/", 1)[-1]
        backend.get_role(name)
    except Exception:
        return []  # a role that does not exist grants nothing
    documents: list[Any] = [backend.get_role_policy(name, p)[1] for p in backend.list_role_policies(name)]
    attached, _ = backend.list_attached_role_policies(name)
    documents += list(attached)
    return [IAMPolicy(d)._policy_json for d in documents]


def _principal_matches(principal: Any, role_arn: str) -> bool:
    account = role_arn.split(":")[4]
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    values = principal.get("AWS")
    values = values if isinstance(values, list) else [values]
    return any(v in ("*", role_arn, account, f"arn:aws:iam::{account}:root") for v in values)


def _condition_holds(operator: str, key: str, expected: Any, context: dict[str, str]) -> bool | None:
    """One condition of a statement; None for an operator this emulator does not evaluate."""
    if_exists = operator.endswith("IfExists")
    op = operator[: -len("IfExists")] if if_exists else operator
    expected_values = [str(v) for v in (expected if isinstance(expected, list) else [expected])]
    actual = context.get(key)
    if actual is None:
        return if_exists or op.startswith(("StringNot", "ArnNot"))
    negate = "Not" in op
    if op in ("StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals"):
        hit = actual in expected_values
    elif op in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike"):
        hit = any(fnmatchcase(actual, v) for v in expected_values)
    elif op == "Bool":
        hit = actual.lower() in [v.lower() for v in expected_values]
        negate = False
    else:
        return None
    return not hit if negate else hit


def _statement_effect(statement: dict[str, Any], action: str, resource: str, context: dict[str, str],
                      role_arn: str | None) -> str | None:
    """"Allow", "Deny" or None (the statement does not apply). `role_arn`: the statement is part of
    a resource policy, whose Principal must name the role."""
    from moto.iam.access_control import IAMPolicyStatement

    stmt = IAMPolicyStatement(statement)
    if "NotAction" in statement:
        if stmt._check_element_matches("NotAction", action):
            return None
    elif "Action" not in statement or not stmt._check_element_matches("Action", action):
        return None
    if "NotResource" in statement:
        if stmt._check_element_matches("NotResource", resource):
            return None
    elif "Resource" in statement and not stmt._check_element_matches("Resource", resource):
        return None
    effect = statement.get("Effect")
    if role_arn is not None:
        if "NotPrincipal" in statement:
            if _principal_matches(statement["NotPrincipal"], role_arn):
                return None
        elif not _principal_matches(statement.get("Principal"), role_arn):
            return None
    for operator, pairs in (statement.get("Condition") or {}).items():
        for key, expected in (pairs or {}).items():
            holds = _condition_holds(operator, key, expected, context)
            if holds is None:
                # not evaluated here: the stricter reading (a Deny applies, an Allow does not)
                return "Deny" if effect == "Deny" else None
            if not holds:
                return None
    return effect if effect in ("Allow", "Deny") else None


def _verdict(documents: list[dict[str, Any]], action: str, resource: str, context: dict[str, str],
             role_arn: str | None) -> str | None:
    verdict = None
    for doc in documents:
        statements = doc.get("Statement") or []
        for statement in statements if isinstance(statements, list) else [statements]:
            effect = _statement_effect(statement, action, resource, context, role_arn)
            if effect == "Deny":
                return "Deny"
            verdict = effect or verdict
    return verdict


def client_permissions(role_arn: str, fs, access_point_arn: str) -> dict[str, bool]:
    """Which of ClientMount, ClientWrite, ClientRootAccess the function's connection gets."""
    fs_arn = fs.file_system_arn
    # The condition keys EFS evaluates for NFS clients (EFS user guide, "Using IAM to control
    # access to file systems", "EFS condition keys for clients"): Lambda connects through a mount
    # target of the function's VPC, with TLS, through the configured access point.
    context = {
        "aws:SecureTransport": "true",
        "elasticfilesystem:AccessedViaMountTarget": "true",
        "elasticfilesystem:AccessPointArn": access_point_arn,
    }
    identity = _identity_policies(role_arn)
    raw = getattr(fs, "file_system_policy", None)
    resource_policy = json.loads(raw) if raw else None
    out = {}
    for action in (CLIENT_MOUNT, CLIENT_WRITE, CLIENT_ROOT_ACCESS):
        by_identity = _verdict(identity, action, fs_arn, context, None)
        if resource_policy is None:
            # "If the file system doesn't have a user-configured IAM policy, EFS uses a default
            # policy that grants full access to any client that can connect to the file system
            # using a file system mount target" (an explicit Deny of the role still denies).
            out[action] = by_identity != "Deny"
        else:
            by_resource = _verdict([resource_policy], action, fs_arn, context, role_arn)
            # "An allow permission on an action in either an IAM identity policy or a file
            # system resource policy allows access for that action."
            out[action] = "Deny" not in (by_identity, by_resource) and "Allow" in (by_identity, by_resource)
    return out


# ---------------------------------------------------------------------------------------------
# the mount a sandbox gets


@dataclass(frozen=True)
class MountPlan:
    file_system_id: str
    access_point_id: str
    target: str
    read_only: bool
    uid: int | None  # None: no PosixUser, the process keeps its own identity
    gid: int | None
    groups: tuple[int, ...]

    def key(self) -> tuple:
        return (self.file_system_id, self.access_point_id, self.target, self.read_only, self.uid, self.gid,
                self.groups)


def plan_mount(fn: Any) -> MountPlan | None:
    """What the function mounts, decided again at every invoke (so that a deleted access point or
    file system, or a changed policy, is seen by the next invoke); None without FileSystemConfigs.
    Raises EFSMountFailureException when the mount cannot be made."""
    configs = fs_configs_of(fn)
    if not configs:
        return None
    from moto.efs.models import efs_backends

    from .settings import SETTINGS

    cfg = configs[0]
    arn, target = cfg["Arn"], cfg["LocalMountPath"]
    where = f"function {fn.function_name} cannot mount {arn} at {target}"
    ap = _access_point(arn)
    if ap is None:
        raise EFSMountFailureException(f"{where}: the access point does not exist (deleted?); "
                                       f"update the function's FileSystemConfigs")
    backend = efs_backends[ap.account_id][arn.split(":")[3]]
    fs = backend.file_systems_by_id.get(ap.file_system_id)
    if fs is None or not SETTINGS.efs_dir(ap.file_system_id).is_dir():
        raise EFSMountFailureException(f"{where}: its file system {ap.file_system_id} does not exist (deleted?)")
    allowed = client_permissions(fn.role, fs, arn)
    if not allowed[CLIENT_MOUNT]:
        raise EFSMountFailureException(
            f"{where}: the execution role {fn.role} is not allowed {CLIENT_MOUNT} on file system "
            f"{ap.file_system_id} (its file system policy, or the role's policies, must allow it)")
    user = ap.posix_user or {}
    uid = int(user["Uid"]) if "Uid" in user else None
    gid = int(user.get("Gid", uid)) if uid is not None else None
    groups = tuple(int(g) for g in user.get("SecondaryGids") or [])
    if not allowed[CLIENT_ROOT_ACCESS]:
        # EFS user guide, "Network File System (NFS) level users, groups, and permissions", "No
        # root squashing": root squashing applies to a client connection whose IAM identity or
        # resource policy does not allow ClientRootAccess; and "Enforcing a user identity using an
        # access point": an access point whose user or group is 0 needs ClientRootAccess.
        squash = lambda i: SQUASHED_ID if i == 0 else i  # noqa: E731
        if uid is None:
            uid, gid = SQUASHED_ID, SQUASHED_ID  # the emulator's processes run as root
        else:
            uid, gid, groups = squash(uid), squash(gid), tuple(squash(g) for g in groups)
    return MountPlan(ap.file_system_id, ap.access_point_id, target, not allowed[CLIENT_WRITE], uid, gid,
                     tuple(groups))


def install() -> None:
    LambdaFunction.__init__ = _function_init
    LambdaFunction.get_configuration = _get_configuration
    LambdaFunction.update_configuration = _update_configuration
    LambdaBackend.create_function = _create_function
    LambdaBackend.update_function_configuration = _update_function_configuration
