"""The emulator's own endpoints, and what `POST /moto-api/reset` does beyond moto.

- `GET /studio-emulator/health`: `{"status": "ok", "port": ..., "efs_root": ..., ...}`.
- `GET /studio-emulator/config`: the current switches (`SETTINGS.config`).
- `POST /studio-emulator/config`: a JSON object merged into them: a dict value (like `throttle`)
  is merged key by key, anything else replaces the old value. Unknown keys are refused (400).
- Endpoints that an extension registers with `add_endpoint` (e.g. `GET /studio-emulator/invocations`
  from `lambdas.py`, `GET /studio-emulator/datasync` from `datasync.py`).

On reset, moto clears its backends (and with them all state kept in a backend's `__dict__`); we
then restore the default switches, empty the EFS root, and run the hooks registered with
`on_reset` (in registration order; one failing hook does not stop the others).
"""
import json
import sys
import traceback
from typing import Callable

import moto
from moto.moto_api._internal.models import MotoAPIBackend
from werkzeug.wrappers import Request, Response

from . import efs
from .settings import SETTINGS

_reset_hooks: list[Callable[[], None]] = []
_extensions: list[str] = []
_endpoints: dict[tuple[str, str], Callable[[], object]] = {}


def add_endpoint(method: str, name: str, answer: Callable[[], object]) -> None:
    """Registers `METHOD /studio-emulator/<name>`, answered with `answer()` as JSON."""
    _endpoints[(method, name)] = answer


def on_reset(hook: Callable[[], None]) -> None:
    """Registers a function to run after every `POST /moto-api/reset`."""
    _reset_hooks.append(hook)


def extension_loaded(name: str) -> None:
    """Records an installed extension, for the health endpoint."""
    _extensions.append(name)


def reset_everything() -> None:
    SETTINGS.reset()
    efs.clear_root()
    for hook in list(_reset_hooks):
        try:
            hook()
        except Exception:  # a broken hook must not leave the rest un-reset
            traceback.print_exc(file=sys.stderr)


def merge_config(update: dict) -> dict:
    """Merges `update` into SETTINGS.config and returns the result; raises ValueError when invalid."""
    if not isinstance(update, dict):
        raise ValueError("the config must be a JSON object")
    with SETTINGS.lock:
        unknown = sorted(set(update) - set(SETTINGS.config))
        if unknown:
            raise ValueError(f"unknown switches {unknown}; known: {sorted(SETTINGS.config)}")
        delays = update.get("delays")
        if isinstance(delays, dict):
            unknown = sorted(set(delays) - set(SETTINGS.config["delays"]))
            if unknown:
                raise ValueError(f"unknown delays {unknown}; known: {sorted(SETTINGS.config['delays'])}")
        for key, value in update.items():
            old = SETTINGS.config[key]
            if isinstance(old, dict) and isinstance(value, dict):
                old.update(value)
            else:
                SETTINGS.config[key] = value
        return json.loads(json.dumps(SETTINGS.config))


def _json(body, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


class ControlMiddleware:
    """WSGI middleware: answers `/studio-emulator/...` and passes everything else to moto."""

    prefix = "/studio-emulator/"

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith(self.prefix):
            return self.app(environ, start_response)
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        what = request.path[len(self.prefix):].strip("/")
        if what == "health" and request.method == "GET":
            return _json({
                "status": "ok",
                "port": SETTINGS.port,
                "efs_root": str(SETTINGS.efs_root),
                "moto": moto.__version__,
                "extensions": _extensions,
            })
        if what == "config" and request.method == "GET":
            with SETTINGS.lock:
                return _json(SETTINGS.config)
        if what == "config" and request.method == "POST":
            try:
                return _json(merge_config(json.loads(request.get_data() or b"{}")))
            except ValueError as error:  # JSONDecodeError is a ValueError
                return _json({"error": str(error)}, 400)
        answer = _endpoints.get((request.method, what))
        if answer is not None:
            return _json(answer())
        return _json({"error": f"no such endpoint: {request.method} {request.path}"}, 404)


def install() -> None:
    original_reset = MotoAPIBackend.reset

    def reset(self) -> None:
        original_reset(self)
        reset_everything()

    MotoAPIBackend.reset = reset
