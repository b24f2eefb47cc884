"""The emulator's DataSync model as a copy tool, for scripts/bench-copy (a benchmark, not a test).

    python scripts/lib/bench_datasync.py SOURCE_TREE RUNS

Starts an emulator (tests/emulator) with DataSync's phase delays at zero, so that what is timed
is the model's copy itself: one EFS file system holding SOURCE_TREE as /home, an EFS location for
it and one for a fresh /copy-<n> on the same file system, a task, and an execution timed from
StartTaskExecution to SUCCESS, RUNS times. Prints one line per run: seconds, then 0 (the copy
runs inside the emulator's process: no peak memory of its own to report).
"""
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "emulator"))
from conftest import launch  # noqa: E402  (the emulator suite's own launcher)

ACCOUNT = "123456789012"
EC2 = {
    "SubnetArn": f"arn:aws:ec2:us-east-1:{ACCOUNT}:subnet/subnet-0123456789abcdef0",
    "SecurityGroupArns": [f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-0123456789abcdef0"],
}


def main(source: str, runs: int) -> None:
    state = Path(tempfile.mkdtemp(prefix="bench-datasync."))
    emulator = launch(state)
    try:
        emulator.config(delays={"datasync_launching": 0, "datasync_preparing": 0,
                                "datasync_verifying": 0, "datasync_file": 0})
        efs, ds = emulator.client("efs"), emulator.client("datasync")
        fs = efs.create_file_system(CreationToken="bench-copy")["FileSystemId"]
        root = emulator.efs_root / fs
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cp", "-a", source, str(root / "home")], check=True)
        arn = f"arn:aws:elasticfilesystem:us-east-1:{ACCOUNT}:file-system/{fs}"
        src = ds.create_location_efs(EfsFilesystemArn=arn, Subdirectory="/home", Ec2Config=EC2)["LocationArn"]
        for n in range(runs):
            dst = ds.create_location_efs(EfsFilesystemArn=arn, Subdirectory=f"/copy-{n}",
                                         Ec2Config=EC2)["LocationArn"]
            task = ds.create_task(SourceLocationArn=src, DestinationLocationArn=dst)["TaskArn"]
            start = time.perf_counter()
            execution = ds.start_task_execution(TaskArn=task)["TaskExecutionArn"]
            while True:
                status = ds.describe_task_execution(TaskExecutionArn=execution)["Status"]
                if status in ("SUCCESS", "ERROR"):
                    break
                time.sleep(0.01)
            elapsed = time.perf_counter() - start
            if status != "SUCCESS":
                sys.exit(f"bench_datasync: the execution ended {status}; the emulator's log: {emulator.log_path}")
            print(f"{elapsed:.3f} 0", flush=True)
            shutil.rmtree(root / f"copy-{n}", ignore_errors=True)
    finally:
        emulator.stop()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
