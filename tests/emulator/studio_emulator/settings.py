"""Process-wide settings of the emulator, shared by every extension module.

`SETTINGS` is filled by `__main__` before the server starts. Switches and injected faults live in
`SETTINGS.config` and are changed at run time through `POST /studio-emulator/config`; a
`POST /moto-api/reset` restores the defaults.
"""
import copy
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CONFIG = {
    # How long things take, in seconds: short so the suite stays fast, but never zero, so that
    # every wait loop of the product really waits. Set per test, e.g. {"delays": {"datasync_file": 1}}.
    "delays": {
        # SageMaker domains, user profiles, spaces and apps stay Pending this long before
        # InService, and Deleting this long before they are gone (apps: Deleted).
        "sagemaker_pending": 0.3,
        "sagemaker_deleting": 0.3,
        # DataSync executions: the phases before and after the data moves, and the cancel.
        "datasync_launching": 0.2,
        "datasync_preparing": 0.2,
        "datasync_verifying": 0.2,
        "datasync_cancelling": 0.2,
        # The data moves during TRANSFERRING: at most this many bytes per second (null: as fast
        # as the disk goes), and this many seconds per file, so a test can cancel mid-file.
        "datasync_bytes_per_second": None,
        "datasync_file": 0.0,
    },
    # Studio creates `/<uid>` when the home is first mounted (the first app); true: at
    # CreateUserProfile/CreateSpace, as the emulator did before (kinder than AWS).
    "home_directory_at_create": False,
    # Put an "AWS API Call via CloudTrail" event on the default bus after a successful
    # CreateUserProfile or CreateSpace, as AWS does when a trail is logging; false: never (the
    # event is lost: delivery is best effort).
    "cloudtrail_events": True,
    # EventBridge receives CloudTrail events only while a trail logs them (cloudtrail.py); true:
    # without any trail too (the emulator's old, kinder behaviour).
    "cloudtrail_events_without_trail": False,
    # When set to a string, the next DataSync task executions end in ERROR with this detail.
    "datasync_execution_error": None,
    # While true, DataSync task executions that reached TRANSFERRING stay there (a copy in
    # flight, for tests that interrupt it); switching it off lets them go on.
    "datasync_hold_executions": False,
    # While true, SageMaker domains, profiles, spaces and apps stay Pending or Deleting after
    # their delay, until it is switched off (a test that looks at the intermediate status, on a
    # machine of any speed); switching it off lets them go on.
    "sagemaker_hold": False,
    # DataSync quotas (user guide): at most this many tasks per account and Region (100 by
    # default, adjustable on AWS); null: no limit.
    "datasync_task_quota": 100,
    # {"CreateLocationEfs": 3}: the next 3 calls of that action fail with the throttling error
    # its service documents (any service; see faults.py).
    "throttle": {},
    # {"DeleteLocation": {"code": "InternalException", "count": 1}}: the next calls of that
    # action fail with that error (any service, any code; see faults.py).
    "fail": {},
    # {"CreateLocationEfs": 2.0}: every call of that action is answered this many seconds later
    # (any service; see faults.py).
    "latency": {},
}


@dataclass
class Settings:
    port: int = 4599
    efs_root: Path = Path(".emulator/efs")
    config: dict = field(default_factory=lambda: copy.deepcopy(DEFAULT_CONFIG))
    lock: threading.RLock = field(default_factory=threading.RLock)
    generation: int = 0  # bumped by every reset, so timers of the old world do nothing

    def efs_dir(self, file_system_id: str) -> Path:
        """The local directory that stands in for the root of an emulated EFS file system."""
        return self.efs_root / file_system_id

    def reset(self) -> None:
        with self.lock:
            self.config = copy.deepcopy(DEFAULT_CONFIG)
            self.generation += 1

    def delay(self, name: str) -> float:
        with self.lock:
            return float(self.config["delays"].get(name) or 0)

    def later(self, name: str, fn) -> None:
        """Runs `fn` after the delay `name` on a timer thread, unless a reset came in between."""
        generation = self.generation

        def run() -> None:
            while (name.startswith("sagemaker_") and self.config.get("sagemaker_hold")
                   and self.generation == generation):
                time.sleep(0.02)
            if self.generation == generation:
                fn()

        timer = threading.Timer(self.delay(name), run)
        timer.daemon = True
        timer.start()


SETTINGS = Settings()
