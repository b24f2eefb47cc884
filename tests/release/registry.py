"""A private Terraform provider registry over HTTPS that serves one `scripts/release` folder.

It speaks the provider registry protocol as Terraform's documentation describes it
(https://developer.hashicorp.com/terraform/internals/provider-registry-protocol): service
discovery at `/.well-known/terraform.json`, then `versions` and `download/OS/ARCH` for the
namespace `studio-restore`, type `studio`, and the files themselves. Everything it answers is read
from the folder: the versions and platforms from the zip names, the protocols from the manifest,
`shasum` from the SHA256SUMS file, the signing key from `signing-key.asc`. So Terraform checks the
folder exactly as it would check the public registry's copy: the signature of SHA256SUMS against
the key, then the zip against SHA256SUMS.

    python tests/release/registry.py FOLDER --port 8443 --cert cert.pem --key key.pem
"""

from __future__ import annotations

import argparse
import json
import re
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

NAMESPACE = "studio-restore"
TYPE = "studio"
ZIP = re.compile(rf"^terraform-provider-{TYPE}_(?P<version>[^_]+)_(?P<os>[a-z]+)_(?P<arch>[a-z0-9]+)\.zip$")


class Release:
    """What one release folder holds, as the registry protocol presents it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.zips = {}
        for path in folder.iterdir():
            match = ZIP.match(path.name)
            if match:
                self.zips[(match["version"], match["os"], match["arch"])] = path.name

    def versions(self) -> dict:
        by_version: dict[str, list] = {}
        for version, os_name, arch in sorted(self.zips):
            by_version.setdefault(version, []).append({"os": os_name, "arch": arch})
        return {
            "versions": [
                {"version": v, "protocols": self.protocols(v), "platforms": platforms}
                for v, platforms in by_version.items()
            ]
        }

    def protocols(self, version: str) -> list[str]:
        manifest = json.loads((self.folder / f"terraform-provider-{TYPE}_{version}_manifest.json").read_text())
        return manifest["metadata"]["protocol_versions"]

    def shasum(self, version: str, filename: str) -> str:
        sums = (self.folder / f"terraform-provider-{TYPE}_{version}_SHA256SUMS").read_text()
        for line in sums.splitlines():
            digest, name = line.split(maxsplit=1)
            if name.lstrip("*") == filename:
                return digest
        raise KeyError(filename)

    def signing_key(self) -> dict:
        armor = (self.folder / "signing-key.asc").read_text()
        listing = subprocess.run(
            ["gpg", "--batch", "--with-colons", "--show-keys"],
            input=armor, capture_output=True, text=True, check=True,
        ).stdout
        key_id = next(line.split(":")[4] for line in listing.splitlines() if line.startswith("pub:"))
        return {"key_id": key_id, "ascii_armor": armor}

    def download(self, base: str, version: str, os_name: str, arch: str) -> dict | None:
        filename = self.zips.get((version, os_name, arch))
        if filename is None:
            return None
        sums = f"terraform-provider-{TYPE}_{version}_SHA256SUMS"
        return {
            "protocols": self.protocols(version),
            "os": os_name,
            "arch": arch,
            "filename": filename,
            "download_url": f"{base}/files/{filename}",
            "shasums_url": f"{base}/files/{sums}",
            "shasums_signature_url": f"{base}/files/{sums}.sig",
            "shasum": self.shasum(version, filename),
            "signing_keys": {"gpg_public_keys": [self.signing_key()]},
        }


def serve(folder: Path, port: int, cert: str, key: str) -> ThreadingHTTPServer:
    """Starts the registry on 127.0.0.1:port in a thread and returns the server (shutdown() stops it)."""
    release = Release(folder)
    prefix = f"/v1/providers/{NAMESPACE}/{TYPE}/"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet: the test reads Terraform's output, not ours
            pass

        def send_json(self, body) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802 (the name http.server calls)
            base = f"https://{self.headers['Host']}"
            path = self.path.split("?")[0]
            if path == "/.well-known/terraform.json":
                return self.send_json({"providers.v1": "/v1/providers/"})
            if path == prefix + "versions":
                return self.send_json(release.versions())
            match = re.fullmatch(re.escape(prefix) + r"([^/]+)/download/([^/]+)/([^/]+)", path)
            if match:
                body = release.download(base, *match.groups())
                if body is not None:
                    return self.send_json(body)
            if path.startswith("/files/"):
                file = folder / path.removeprefix("/files/")
                if file.parent == folder and file.is_file():
                    data = file.read_bytes()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return None
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    server = serve(args.folder.resolve(), args.port, args.cert, args.key)
    print(f"serving {args.folder} as https://localhost:{server.server_port}/ (Ctrl-C stops)")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
