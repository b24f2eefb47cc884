"""Pytest fixtures for tests that talk to the emulator.

- `emulator`: a running emulator, reset (moto state, switches, EFS root) before each test. One
  process serves the whole session (startup takes about two seconds).
- `emulator_server`: that session-wide process, without the reset.
- `start_emulator`: a factory, `start_emulator(**env)`, for a test that needs a process of its
  own (stopped at the end of the test).

An `Emulator` has `.url`, `.port`, `.efs_root`, `.session()`, `.client(service)`,
`.config(**switches)`, `.reset()`, `.env()` (variables for a subprocess) and `.log()`.
"""
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
REGION = "us-east-1"
START_TIMEOUT = 30


class Emulator:
    def __init__(self, process: subprocess.Popen, url: str, efs_root: Path, log_path: Path):
        self.process = process
        self.url = url
        self.port = int(url.rsplit(":", 1)[1])
        self.efs_root = efs_root
        self.log_path = log_path

    def session(self) -> boto3.Session:
        return boto3.Session(aws_access_key_id="test", aws_secret_access_key="test",
                             region_name=REGION)

    def client(self, service: str, **kwargs):
        """A boto3 client on the emulator that never retries, so errors show up at once.
        (`max_attempts: 1` would still allow one retry: it counts retries, not attempts.)"""
        kwargs.setdefault("config", Config(retries={"total_max_attempts": 1}))
        return self.session().client(service, endpoint_url=self.url, **kwargs)

    def request(self, method: str, path: str, body=None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(req, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def config(self, **switches) -> dict:
        """Changes switches (see README.md) and returns all of them; no arguments: just read."""
        if not switches:
            return self.request("GET", "/studio-emulator/config")
        return self.request("POST", "/studio-emulator/config", switches)

    def reset(self) -> None:
        self.request("POST", "/moto-api/reset")

    def env(self) -> dict:
        """Environment variables that point a subprocess (AWS SDK, Terraform, ...) here."""
        return {"AWS_ENDPOINT_URL": self.url, "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION, "STUDIO_EFS_ROOT": str(self.efs_root),
                "STUDIO_EMULATOR_URL": self.url}

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def launch(state_dir: Path, port: int = 0, env: dict | None = None) -> Emulator:
    """Starts `python -m studio_emulator` with its state under `state_dir`; waits until it listens."""
    state_dir.mkdir(parents=True, exist_ok=True)
    efs_root, ready, log_path = state_dir / "efs", state_dir / "ready", state_dir / "emulator.log"
    ready.unlink(missing_ok=True)
    child_env = {**os.environ, **(env or {})}
    child_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), child_env.get("PYTHONPATH")]))
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "studio_emulator", "--port", str(port), "--efs-root",
             str(efs_root), "--ready-file", str(ready)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=child_env)
    deadline = time.monotonic() + START_TIMEOUT
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the emulator did not start; its log:\n{log_path.read_text()}")
        time.sleep(0.05)
    return Emulator(process, ready.read_text().strip(), efs_root, log_path)


@pytest.fixture(scope="session")
def emulator_server(tmp_path_factory):
    emulator = launch(tmp_path_factory.mktemp("emulator"))
    yield emulator
    emulator.stop()


@pytest.fixture
def emulator(emulator_server):
    if emulator_server.process.poll() is not None:
        pytest.fail(f"the emulator died; its log:\n{emulator_server.log()}")
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def start_emulator(tmp_path):
    started = []

    def start(port: int = 0, **env) -> Emulator:
        emulator = launch(tmp_path / f"emulator-{len(started)}", port, env)
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()
