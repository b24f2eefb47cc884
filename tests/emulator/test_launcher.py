"""`scripts/emulator start|stop|status|env|run`: the launcher the README, the demo and CI use."""
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "emulator"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def launcher(tmp_path):
    """Runs the script with its own port and state dir; stops the emulator afterwards."""
    env = {**os.environ, "STUDIO_EMULATOR_PORT": str(free_port()),
           "STUDIO_EMULATOR_DIR": str(tmp_path / "state")}

    def run(command: str, timeout: float = 40, **overrides) -> subprocess.CompletedProcess:
        return subprocess.run([str(SCRIPT), command], env={**env, **overrides}, capture_output=True,
                              text=True, timeout=timeout)

    run.env = env
    run.state = tmp_path / "state"
    yield run
    run("stop")


def test_start_status_env_stop(launcher):
    leftover = launcher.state / "efs" / "fs-0123abcd" / "200000"
    leftover.mkdir(parents=True)  # a file system of an earlier process: gone with that process
    result = launcher("start")
    assert result.returncode == 0, result.stderr
    pid = int((launcher.state / "emulator.pid").read_text())
    assert list((launcher.state / "efs").iterdir()) == []

    assert launcher("status").returncode == 0
    again = launcher("start")
    assert again.returncode == 0 and "already running" in again.stderr
    assert int((launcher.state / "emulator.pid").read_text()) == pid

    env = launcher("env")
    assert env.returncode == 0
    port = launcher.env["STUDIO_EMULATOR_PORT"]
    url = f"http://127.0.0.1:{port}"
    exported = subprocess.run(["bash", "-c", f'eval "$({SCRIPT} env)"; env'], env=launcher.env,
                              capture_output=True, text=True, check=True).stdout.splitlines()
    for line in [f"AWS_ENDPOINT_URL={url}", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
                 "AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
                 f"STUDIO_EFS_ROOT={launcher.state / 'efs'}", f"STUDIO_EMULATOR_URL={url}"]:
        assert line in exported

    # It serves AWS calls, keeps EFS file systems in its state dir, and reset empties that.
    sm = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test",
                      config=Config(retries={"total_max_attempts": 1}))
    domain = sm.create_domain(DomainName="demo", AuthMode="IAM", DefaultUserSettings={},
                              SubnetIds=["subnet-1"], VpcId="vpc-1")["DomainId"]
    fs_id = sm.describe_domain(DomainId=domain)["HomeEfsFileSystemId"]
    assert (launcher.state / "efs" / fs_id).is_dir()
    urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset", method="POST"), timeout=10)
    assert list((launcher.state / "efs").iterdir()) == []

    stopped = launcher("stop")
    assert stopped.returncode == 0, stopped.stderr
    assert not (launcher.state / "emulator.pid").exists()
    assert not Path(f"/proc/{pid}").exists()
    status = launcher("status")
    assert status.returncode == 3 and "not running" in status.stdout


def test_start_fails_clearly_when_the_port_is_taken(launcher):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", int(launcher.env["STUDIO_EMULATOR_PORT"])))
        squatter.listen()
        # It must notice the squatter, not wait out its start timeout: that is made far longer
        # than the call may take (subprocess.TimeoutExpired otherwise).
        result = launcher("start", timeout=60, STUDIO_EMULATOR_START_TIMEOUT="600")
        assert result.returncode == 1
        assert "already in use" in result.stderr and launcher.env["STUDIO_EMULATOR_PORT"] in result.stderr
    assert not (launcher.state / "emulator.pid").exists()


def test_start_fails_clearly_without_the_virtualenv(launcher, tmp_path):
    result = launcher("start", timeout=15, STUDIO_VENV=str(tmp_path / "no-venv"))
    assert result.returncode == 1
    assert "run scripts/setup" in result.stderr
    assert launcher("status").returncode == 3


def test_start_reports_an_emulator_that_dies_during_startup(launcher, tmp_path):
    venv = tmp_path / "broken-venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("#!/bin/sh\necho 'ImportError: moto is broken' >&2\nexit 1\n")
    (venv / "bin" / "python").chmod(0o755)
    # Noticed when the process exits, not when the start timeout (made far longer) runs out.
    result = launcher("start", timeout=60, STUDIO_VENV=str(venv), STUDIO_EMULATOR_START_TIMEOUT="600")
    assert result.returncode == 1
    assert "exited during startup" in result.stderr and "moto is broken" in result.stderr
    assert not (launcher.state / "emulator.pid").exists()


def test_stop_and_status_without_an_emulator(launcher):
    launcher.state.mkdir(parents=True)
    (launcher.state / "emulator.pid").write_text("999999\n")  # stale
    assert launcher("status").returncode == 3
    assert launcher("stop").returncode == 0
    assert not (launcher.state / "emulator.pid").exists()


def test_usage(launcher):
    result = launcher("frobnicate")
    assert result.returncode == 2 and "usage" in result.stderr


def test_the_emulator_refuses_an_efs_root_with_other_data(tmp_path):
    """A reset empties the EFS root, so it must not be a directory with anything else in it."""
    (tmp_path / "precious.txt").write_text("x")
    result = subprocess.run(
        [sys.executable, "-m", "studio_emulator", "--port", "0",
         "--efs-root", str(tmp_path)], cwd=Path(__file__).parent, capture_output=True, text=True,
        timeout=60)
    assert result.returncode == 1 and "not an EFS root" in result.stderr
    assert (tmp_path / "precious.txt").exists()


def test_run_gives_a_command_a_private_emulator_and_stops_it(tmp_path):
    """`scripts/emulator run CMD`: the demo's and the benchmarks' way to leave nothing running."""
    probe = ('curl -fsS "$STUDIO_EMULATOR_URL/studio-emulator/health" > /dev/null && '
             'echo "$STUDIO_EMULATOR_PORT $STUDIO_EMULATOR_DIR $AWS_ENDPOINT_URL"; exit 7')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STUDIO_", "AWS_"))}
    env["TMPDIR"] = str(tmp_path)
    result = subprocess.run([str(SCRIPT), "run", "bash", "-c", probe], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 7, result.stderr  # the command's own status comes back
    assert "the end of the emulator log" in result.stderr  # a failure shows what the emulator saw
    port, state, endpoint = result.stdout.split()
    assert endpoint == f"http://127.0.0.1:{port}"
    with socket.socket() as s:  # nothing listens there any more
        assert s.connect_ex(("127.0.0.1", int(port))) != 0, f"port {port} still answers"
    assert not Path(state).exists(), f"{state} was left behind"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("studio-emulator.")]
