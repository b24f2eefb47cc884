"""`python -m studio_emulator --port N --efs-root DIR`: moto server plus the Studio extension.

Run with `tests/emulator` as the working directory or on PYTHONPATH. `--port 0` picks a free
port; `--ready-file F` writes the server's URL to F once it listens (for launchers and fixtures).
"""
import argparse
import importlib
import importlib.util
import os
import sys
from pathlib import Path

from .settings import SETTINGS

# Extensions written alongside this package; each has `install()`. The optional ones may be absent.
EXTENSIONS = ["control", "efs", "sagemaker", "cloudtrail", "stepfunctions", "sdk_tasks"]
OPTIONAL_EXTENSIONS = ["datasync", "lambdas"]


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m studio_emulator", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("STUDIO_EMULATOR_PORT", 4599)))
    parser.add_argument("--efs-root", type=Path, default=Path(".emulator/efs"),
                        help="directory under which each emulated EFS file system fs-... lives")
    parser.add_argument("--ready-file", type=Path, help="write the URL here once listening")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser.parse_args(argv)


def install_extensions() -> None:
    from . import control

    for name in EXTENSIONS + OPTIONAL_EXTENSIONS:
        qualified = f"{__package__}.{name}"
        if name in OPTIONAL_EXTENSIONS and importlib.util.find_spec(qualified) is None:
            print(f"studio-emulator: extension {name} not present, skipped", file=sys.stderr)
            continue
        importlib.import_module(qualified).install()
        control.extension_loaded(name)


def main(argv=None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.port:
        os.environ["MOTO_PORT"] = str(args.port)  # before moto (and its SFN interpreter) loads
    SETTINGS.port = args.port
    SETTINGS.efs_root = args.efs_root.resolve()
    SETTINGS.efs_root.mkdir(parents=True, exist_ok=True)
    # A reset empties the EFS root: refuse a directory that holds anything but file systems.
    foreign = sorted(p.name for p in SETTINGS.efs_root.iterdir() if not p.name.startswith("fs-"))
    if foreign:
        sys.exit(f"studio-emulator: {SETTINGS.efs_root} is not an EFS root (it holds {foreign[:5]}); "
                 f"give --efs-root an empty directory")

    from . import server

    server.configure_moto()
    install_extensions()
    server.serve(args.host, args.port, args.ready_file, args.verbose)


if __name__ == "__main__":
    main()
