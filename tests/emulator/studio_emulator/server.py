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

from . import iam
from .control import ControlMiddleware
from .faults import FaultMiddleware
from .settings import SETTINGS


# AWS names the errors of `aws-sdk:<service>:...` tasks `<Service>.<Error>Exception`, the service
# in the PascalCase of the SDK clients ("SageMaker.ResourceNotFoundException"); moto's interpreter
# knows only dynamodb and sfn and otherwise keeps the lower-case name, which no Catch would match.
SFN_SERVICE_ERROR_NAMES = {
    "sagemaker": "SageMaker", "datasync": "DataSync", "efs": "Efs", "lambda": "Lambda",
    "dynamodb": "DynamoDb", "sfn": "Sfn", "sqs": "Sqs", "sns": "Sns", "s3": "S3", "iam": "Iam",
    "eventbridge": "EventBridge", "cloudtrail": "CloudTrail", "ec2": "Ec2", "sts": "Sts",
}


def configure_moto() -> None:
    """What the emulator needs from moto's own switches (the in-process `/moto-api/config`)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as aws_sdk)

    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    default_user_config["lambda"] = {"use_docker": False}
    # AWS-managed policies (AmazonSageMakerFullAccess, ...) exist in every account, and modules
    # attach them.
    default_user_config["iam"] = {"load_aws_managed_policies": True}
    iam.install()  # built once per account, not at every reset
    aws_sdk._SERVICE_ERROR_NAMES.update(SFN_SERVICE_ERROR_NAMES)


def _stop(signum, frame):
    raise SystemExit(0)  # unwinds serve_forever, so atexit hooks (e.g. sandbox cleanup) run


def serve(host: str, port: int, ready_file: Path | None = None, verbose: bool = False) -> None:
    """Binds, publishes the actual port (for `--port 0`), then serves until SIGTERM/SIGINT."""
    if not verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = ControlMiddleware(FaultMiddleware(DomainDispatcherApplication(create_backend_app)))
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
