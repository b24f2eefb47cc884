"""Process-wide settings of the emulator, shared by every extension module.

`SETTINGS` is filled by `__main__` before the server starts. Switches and injected faults live in
`SETTINGS.config` and are changed at run time through `POST /studio-emulator/config`; a
`POST /moto-api/reset` restores the defaults.
"""
import copy
import threading
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CONFIG = {
    # Put an "AWS API Call via CloudTrail" event on the default bus after a successful
    # CreateUserProfile or CreateSpace, as AWS does when a trail is logging.
    "cloudtrail_events": True,
    # When set to a string, the next DataSync task executions end in ERROR with this detail.
    "datasync_execution_error": None,
    # While true, DataSync task executions that reached TRANSFERRING stay there (a copy in
    # flight, for tests that interrupt it); switching it off lets them go on.
    "datasync_hold_executions": False,
    # DataSync quotas (user guide): at most this many tasks per account and Region (100 by
    # default, adjustable on AWS); null: no limit.
    "datasync_task_quota": 100,
    # {"CreateLocationEfs": 3}: the next 3 calls of that action fail with the throttling error
    # its service documents (any service; see faults.py).
    "throttle": {},
    # {"DeleteLocation": {"code": "InternalException", "count": 1}}: the next calls of that
    # action fail with that error (any service, any code; see faults.py).
    "fail": {},
}


@dataclass
class Settings:
    port: int = 4599
    efs_root: Path = Path(".emulator/efs")
    config: dict = field(default_factory=lambda: copy.deepcopy(DEFAULT_CONFIG))
    lock: threading.RLock = field(default_factory=threading.RLock)

    def efs_dir(self, file_system_id: str) -> Path:
        """The local directory that stands in for the root of an emulated EFS file system."""
        return self.efs_root / file_system_id

    def reset(self) -> None:
        with self.lock:
            self.config = copy.deepcopy(DEFAULT_CONFIG)


SETTINGS = Settings()
