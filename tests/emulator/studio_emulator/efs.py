"""EFS file systems as local directories.

Every file system in moto's EFS backend (created through the EFS API, by Terraform, or by
SageMaker CreateDomain) is the directory `SETTINGS.efs_dir(fs_id)`, created with it. DeleteFileSystem
removes the directory; a domain deleted with `RetentionPolicy=Retain` keeps both.

CreateAccessPoint honours its `ClientToken` (moto ignores it): see `create_access_point` below.
Access points answer for missing things as the EFS API Reference says: CreateAccessPoint and
DescribeAccessPoints with an unknown FileSystemId fail with FileSystemNotFound, DeleteAccessPoint
of an unknown access point with AccessPointNotFound (moto succeeds in all three).
"""
import errno
import json
import os
import shutil
import threading
import uuid
from pathlib import Path

from moto.efs.exceptions import AccessPointNotFound, BadRequest, EFSError, FileSystemNotFound
from moto.efs.models import AccessPoint, EFSBackend, efs_backends

from .settings import SETTINGS

# The group SageMaker Studio gives every home directory.
HOME_GID = 1001


def create_file_system(account_id: str, region: str, creation_token: str, tags: list) -> str:
    """Creates a file system in moto's EFS backend (and so its directory) and returns its id."""
    fs = efs_backends[account_id][region].create_file_system(
        creation_token=creation_token,
        performance_mode="generalPurpose",
        encrypted=True,
        kms_key_id=None,
        throughput_mode="bursting",
        provisioned_throughput_in_mibps=None,
        availability_zone_name=None,
        backup=False,
        tags=tags,
    )
    return fs.file_system_id


def delete_file_system(account_id: str, region: str, fs_id: str) -> None:
    backend = efs_backends[account_id][region]
    if fs_id in backend.file_systems_by_id:
        backend.delete_file_system(fs_id)
    else:
        remove_tree(SETTINGS.efs_dir(fs_id))


def make_home(fs_id: str, uid: int) -> Path:
    """Creates `/<uid>` on the file system when it does not exist yet, owned by uid:1001 when we
    can chown (running as root). An existing entry is left as it is, as an access point's
    CreationInfo only applies to a missing root directory (EFS API Reference, CreationInfo)."""
    home = SETTINGS.efs_dir(fs_id) / str(uid)
    try:
        os.mkdir(home, 0o755)
    except FileExistsError:
        return home
    if os.geteuid() == 0:
        os.chown(home, uid, HOME_GID, follow_symlinks=False)
    return home


def remove_tree(path: Path) -> None:
    """Removes a file, a link (never its target) or a whole tree."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def clear_root() -> None:
    """Deletes everything under the EFS root (the root itself stays)."""
    root = SETTINGS.efs_root
    if root.is_dir():
        for entry in root.iterdir():
            remove_tree(entry)


class AccessPointRootMissing(Exception):
    """A mount through an access point whose root directory is missing and cannot be created."""

    def __init__(self, access_point_id: str, root: str):
        super().__init__(f"the root directory {root} of access point {access_point_id} does not exist and "
                         f"the access point has no CreationInfo to create it")
        self.access_point_id = access_point_id
        self.root = root


def open_access_point_root(file_system_id: str, access_point) -> int:
    """Mounts an access point as EFS does: a directory fd of its `RootDirectory.Path` inside the
    file system, every component opened without following a symlink. EFS itself (as root)
    creates missing components from `CreationInfo` (owner uid/gid, permissions); without
    CreationInfo a missing root fails the mount (EFS API Reference, CreationInfo: "If you do not
    provide CreationInfo and the specified RootDirectory > Path does not exist, attempts to mount
    the file system using the access point will fail"). Raises FileNotFoundError when the file
    system's directory is gone, AccessPointRootMissing, or OSError (ELOOP/ENOTDIR: a component
    is a symlink or not a directory)."""
    root = access_point.root_directory or {}
    parts = [p for p in (root.get("Path") or "/").split("/") if p]
    creation = root.get("CreationInfo")
    fd = os.open(SETTINGS.efs_dir(file_system_id), os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for name in parts:
            if name == "..":
                raise OSError(errno.EINVAL, "an access point root cannot leave the file system")
            try:
                nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except FileNotFoundError:
                if not creation:
                    raise AccessPointRootMissing(access_point.access_point_id, "/" + "/".join(parts))
                os.mkdir(name, 0o700, dir_fd=fd)
                nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                try:
                    os.fchown(nfd, int(creation["OwnerUid"]), int(creation["OwnerGid"]))
                except PermissionError:
                    if os.geteuid() == 0:
                        raise  # only root may give a directory away: as non-root, best effort
                os.fchmod(nfd, int(str(creation["Permissions"]), 8))
            os.close(fd)
            fd = nfd
        return fd
    except BaseException:
        os.close(fd)
        raise


class AccessPointAlreadyExists(EFSError):
    """EFS API Reference, CreateAccessPoint, Errors: AccessPointAlreadyExists, HTTP 409, "Returned
    if the access point that you are trying to create already exists, with the creation token you
    provided in the request"; its shape carries `ErrorCode`, `Message` and `AccessPointId`."""

    code = 409

    def __init__(self, client_token: str, access_point_id: str):
        message = f"Access point {access_point_id} already exists with client token {client_token}."
        super().__init__("AccessPointAlreadyExists", message)
        self.description = json.dumps({
            "__type": "AccessPointAlreadyExists", "message": message,
            "ErrorCode": "AccessPointAlreadyExists", "Message": message,
            "AccessPointId": access_point_id,
        })


# One lock for every backend: the check of a token and the creation it guards are one step, so two
# concurrent requests with one token make one access point.
_TOKENS_LOCK = threading.Lock()


def _validate_client_token(token) -> None:
    """EFS API Reference, CreateAccessPoint, Request Body, ClientToken: "A string of up to 64 ASCII
    characters that Amazon EFS uses to ensure idempotent creation"; Required: Yes; length 1-64,
    pattern `.+`. A violation is `BadRequest` (400), "Returned if the request is malformed or
    contains an error such as an invalid parameter value or a missing required parameter". (SDKs
    fill a missing token in with a UUID, so only a raw request can omit it.)"""
    if token is None:
        raise BadRequest("ClientToken is a required parameter.")
    if not isinstance(token, str) or not 1 <= len(token) <= 64:
        raise BadRequest("ClientToken must be a string of 1 to 64 ASCII characters.")
    if not token.isascii() or "\n" in token or "\r" in token:
        raise BadRequest("ClientToken must be a string of 1 to 64 ASCII characters.")


_original_access_point_init = AccessPoint.__init__


def _access_point_init(self, *args, **kwargs) -> None:
    """Access point ids as EFS makes them, `fsap-` and 17 hex digits (moto makes 8): the Lambda API
    Reference's FileSystemConfig.Arn pattern accepts only `access-point/fsap-[a-f0-9]{17}`, so a
    function could not mount a moto-made access point."""
    _original_access_point_init(self, *args, **kwargs)
    old = self.access_point_id
    self.access_point_id = "fsap-" + uuid.uuid4().hex[:17]
    self.access_point_arn = self.access_point_arn[: -len(old)] + self.access_point_id


def delete_file_system_policy(self):
    """DeleteFileSystemPolicy (moto lacks it; EFS API Reference, DeleteFileSystemPolicy): "The
    default FileSystemPolicy goes into effect once the existing policy is deleted"; HTTP 200 with
    an empty body; FileSystemNotFound (404) for an unknown file system. Lambda functions that mount
    the file system see the default policy at their next mount (lambda_efs.py)."""
    file_system_id = self._get_param("FileSystemId")
    fs = self.efs_backend.file_systems_by_id.get(file_system_id)
    if fs is None:
        raise FileSystemNotFound(file_system_id)
    fs.file_system_policy = None
    return 200, {"Content-Type": "application/json"}, ""


def install() -> None:
    from moto.efs.responses import EFSResponse

    EFSResponse.delete_file_system_policy = delete_file_system_policy
    AccessPoint.__init__ = _access_point_init
    original_create = EFSBackend.create_file_system
    original_delete = EFSBackend.delete_file_system
    original_create_access_point = EFSBackend.create_access_point
    original_describe_access_points = EFSBackend.describe_access_points
    original_delete_access_point = EFSBackend.delete_access_point

    def create(self, *args, **kwargs):
        fs = original_create(self, *args, **kwargs)
        SETTINGS.efs_dir(fs.file_system_id).mkdir(parents=True, exist_ok=True)
        return fs

    def delete(self, file_system_id: str) -> None:
        original_delete(self, file_system_id)
        remove_tree(SETTINGS.efs_dir(file_system_id))

    def create_access_point(self, client_token, *args, **kwargs):
        """CreateAccessPoint with its ClientToken honoured (EFS API Reference, CreateAccessPoint).

        - The documentation defines one answer to a token that was used before: the error
          AccessPointAlreadyExists (409) with the existing access point's id, "Returned if the
          access point that you are trying to create already exists, with the creation token you
          provided in the request". It does not distinguish a repeat with the same parameters from
          one with different parameters, and never says that a repeat returns the description
          again, so both get the 409 (a client retrying after an ambiguous failure, e.g. a 500 from
          the `fail` switch with `after: true`, learns the id from the error, as CreateFileSystem
          documents for FileSystemAlreadyExists).
        - Scope: the documentation does not say whether tokens are per file system or per account.
          The stricter reading is taken: per account and Region (moto's backend), so one token used
          on two file systems is refused the second time.
        - Deletion: the documentation does not say whether DeleteAccessPoint frees the token. The
          stricter reading is taken: a token stays used after its access point is deleted (the 409
          then names the deleted access point), so a client must not count on reusing a token.
        """
        _validate_client_token(client_token)
        file_system_id = kwargs.get("file_system_id", args[1] if len(args) > 1 else None)
        # Errors: FileSystemNotFound (404), "Returned if the specified FileSystemId value doesn't
        # exist in the requester's AWS account" (moto creates the access point anyway).
        if file_system_id not in self.file_systems_by_id:
            raise FileSystemNotFound(file_system_id)
        with _TOKENS_LOCK:
            used = self.__dict__.setdefault("_studio_access_point_tokens", {})
            if client_token in used:
                raise AccessPointAlreadyExists(client_token, used[client_token])
            access_point = original_create_access_point(self, client_token, *args, **kwargs)
            used[client_token] = access_point.access_point_id
            return access_point

    def describe_access_points(self, access_point_id, file_system_id):
        """EFS API Reference, DescribeAccessPoints, Errors: FileSystemNotFound (404) for a
        FileSystemId that does not exist (moto lists nothing instead)."""
        if file_system_id and not access_point_id and file_system_id not in self.file_systems_by_id:
            raise FileSystemNotFound(file_system_id)
        return original_describe_access_points(self, access_point_id, file_system_id)

    def delete_access_point(self, access_point_id: str) -> None:
        """EFS API Reference, DeleteAccessPoint, Errors: AccessPointNotFound (404), "Returned if
        the specified AccessPointId value doesn't exist in the requester's AWS account" (moto
        answers 204 for any id), so a repeated delete is an error the caller must expect."""
        if access_point_id not in self.access_points:
            raise AccessPointNotFound(access_point_id)
        original_delete_access_point(self, access_point_id)

    EFSBackend.create_file_system = create
    EFSBackend.describe_access_points = describe_access_points
    EFSBackend.delete_access_point = delete_access_point
    EFSBackend.delete_file_system = delete
    EFSBackend.create_access_point = create_access_point
