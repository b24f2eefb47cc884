"""Moto's WSGI application behind our control middleware, served on one threaded HTTP server."""
import logging
import os
import signal
import sys
from pathlib import Path

from moto.core.config import default_user_config
from moto.moto_server.werkzeug_app import (DomainDispatcherApplication, MotoRequestHandler,
                                           create_backend_app)
from werkzeug.serving import make_server

from .control import ControlMiddleware
from .settings import SETTINGS


def configure_moto() -> None:
    """What the emulator needs from moto's own switches (the in-process `/moto-api/config`)."""
    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    default_user_config["lambda"] = {"use_docker": False}


def _stop(signum, frame):
    raise SystemExit(0)  # unwinds serve_forever, so atexit hooks (e.g. sandbox cleanup) run


def serve(host: str, port: int, ready_file: Path | None = None, verbose: bool = False) -> None:
    """Binds, publishes the actual port (for `--port 0`), then serves until SIGTERM/SIGINT."""
    if not verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = ControlMiddleware(DomainDispatcherApplication(create_backend_app))
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    SETTINGS.port = server.server_address[1]
    # Moto's Step Functions interpreter calls back to http://localhost:$MOTO_PORT (read per call).
    os.environ["MOTO_PORT"] = str(SETTINGS.port)
    url = f"http://{host}:{SETTINGS.port}"
    print(f"studio-emulator: listening on {url} (EFS root {SETTINGS.efs_root})", flush=True)
    if ready_file is not None:
        tmp = ready_file.with_name(ready_file.name + ".tmp")
        tmp.write_text(url + "\n")
        tmp.replace(ready_file)  # atomic: a reader never sees a half-written URL
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        print("studio-emulator: stopped", file=sys.stderr, flush=True)
