"""EFS file systems as local directories.

Every file system in moto's EFS backend (created through the EFS API, by Terraform, or by
SageMaker CreateDomain) is the directory `SETTINGS.efs_dir(fs_id)`, created with it. DeleteFileSystem
removes the directory; a domain deleted with `RetentionPolicy=Retain` keeps both.
"""
import os
import shutil
from pathlib import Path

from moto.efs.models import EFSBackend, efs_backends

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


def install() -> None:
    original_create = EFSBackend.create_file_system
    original_delete = EFSBackend.delete_file_system

    def create(self, *args, **kwargs):
        fs = original_create(self, *args, **kwargs)
        SETTINGS.efs_dir(fs.file_system_id).mkdir(parents=True, exist_ok=True)
        return fs

    def delete(self, file_system_id: str) -> None:
        original_delete(self, file_system_id)
        remove_tree(SETTINGS.efs_dir(file_system_id))

    EFSBackend.create_file_system = create
    EFSBackend.delete_file_system = delete
