"""scripts/release, checked as a platform team consumes a release.

One release of the workspace's version is built (dev profile: the same files, built fast) and
signed with a throwaway GPG key; then:
- the folder holds what the registry protocol and `terraform providers mirror` expect, each zip
  matching its SHA256SUMS line and both SHA256SUMS files verified by `gpg --verify` with nothing
  but the exported public key;
- the binaries are for the architectures their names say (arm64 built, not run) and the glibc
  floors hold;
- Terraform 1.15 and 1.0.3 install the provider from a private registry serving the folder
  (`registry.py`: signature and checksum checked by Terraform itself) and record `h1:` and `zh:`
  hashes; then from a filesystem mirror of the same zips, which the `zh:` hashes of that lock
  file accept, and which refuses a tampered zip;
- the script refuses a version without a CHANGELOG.md entry, and one that is not the workspace's.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import registry  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TERRAFORMS = {"1.15": ROOT / ".tools/bin/terraform", "1.0.3": ROOT / ".tools/bin/terraform-1.0"}
CROSS = (ROOT / "scripts/lib/cross.sh").read_text()
# The floor and the functions as the build rules state them (one authority): the test checks
# the binaries against them, and that they are what the product needs.
GLIBC_FLOOR = re.search(r"^glibc_floor=([0-9.]+)$", CROSS, re.M).group(1)
LAMBDAS = re.search(r"^lambda_functions=\(([^)]*)\)$", CROSS, re.M).group(1).split()
assert tuple(map(int, GLIBC_FLOOR.split("."))) <= (2, 17), "CentOS 7 runners have glibc 2.17"
assert {"studio-event-processor", "studio-stream-processor", "studio-reconciler"} <= set(LAMBDAS)


def workspace_version() -> str:
    text = (ROOT / "Cargo.toml").read_text()
    section = text.split("[workspace.package]", 1)[1]
    return re.search(r'^version = "([^"]+)"', section, re.M).group(1)


VERSION = workspace_version()


def run(args, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    return subprocess.run([str(a) for a in args], **kwargs)


@pytest.fixture(scope="session")
def gnupg(tmp_path_factory) -> dict:
    """A throwaway keyring with one RSA signing key (what Terraform 1.0.3's OpenPGP reads too)."""
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    env = dict(os.environ, GNUPGHOME=str(home))
    made = run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key",
                "studio-restore release test <release-test@example.invalid>", "rsa2048", "sign", "never"], env=env)
    assert made.returncode == 0, made.stderr
    return env


@pytest.fixture(scope="session")
def release(tmp_path_factory, gnupg) -> Path:
    out = tmp_path_factory.mktemp("release")
    built = run([ROOT / "scripts/release", VERSION, "--dev", "--out", out], env=gnupg, capture_output=False)
    assert built.returncode == 0, "scripts/release failed (its output is above)"
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def provider_zips(folder: Path) -> dict[str, Path]:
    return {arch: folder / f"terraform-provider-studio_{VERSION}_linux_{arch}.zip" for arch in ("amd64", "arm64")}


def test_the_folder_holds_every_artifact_with_matching_checksums(release):
    names = {p.name for p in release.iterdir()}
    expected = {f"terraform-provider-studio_{VERSION}_linux_{arch}.zip" for arch in ("amd64", "arm64")}
    expected |= {f"{f}_{VERSION}_{arch}.zip" for f in LAMBDAS for arch in ("x86_64", "arm64")}
    expected |= {f"terraform-provider-studio_{VERSION}_SHA256SUMS", f"terraform-provider-studio_{VERSION}_SHA256SUMS.sig",
                 f"terraform-provider-studio_{VERSION}_manifest.json", f"studio-lambdas_{VERSION}_SHA256SUMS",
                 f"studio-lambdas_{VERSION}_SHA256SUMS.sig", "signing-key.asc"}
    assert names == expected
    provider_files = {n for n in names if n.startswith("terraform-provider-studio_") and n.endswith((".zip", ".json"))}
    lambda_zips = {n for n in names if n.startswith("studio-") and n.endswith(".zip")}
    for sums, covered in ((f"terraform-provider-studio_{VERSION}_SHA256SUMS", provider_files),
                          (f"studio-lambdas_{VERSION}_SHA256SUMS", lambda_zips)):
        listed = dict(reversed(line.split()) for line in (release / sums).read_text().splitlines())
        assert set(listed) == covered, f"{sums} lists {sorted(listed)}"
        for name, digest in listed.items():
            assert sha256(release / name) == digest, f"{name} does not match {sums}"
    manifest = json.loads((release / f"terraform-provider-studio_{VERSION}_manifest.json").read_text())
    assert manifest == {"version": 1, "metadata": {"protocol_versions": ["6.0"]}}


def test_the_signatures_verify_with_the_exported_key_alone(release, tmp_path):
    home = tmp_path / "verifier"
    home.mkdir(mode=0o700)
    env = dict(os.environ, GNUPGHOME=str(home))
    imported = run(["gpg", "--batch", "--import", release / "signing-key.asc"], env=env)
    assert imported.returncode == 0, imported.stderr
    for sums in (f"terraform-provider-studio_{VERSION}_SHA256SUMS", f"studio-lambdas_{VERSION}_SHA256SUMS"):
        verified = run(["gpg", "--batch", "--verify", release / f"{sums}.sig", release / sums], env=env)
        assert verified.returncode == 0, verified.stderr
        # A changed checksum file no longer verifies.
        forged = tmp_path / sums
        forged.write_text((release / sums).read_text().replace("0", "1", 1))
        refused = run(["gpg", "--batch", "--verify", release / f"{sums}.sig", forged], env=env)
        assert refused.returncode != 0


def unzip_one(zip_path: Path, into: Path) -> Path:
    with zipfile.ZipFile(zip_path) as z:
        [info] = z.infolist()
        assert (info.external_attr >> 16) & 0o777 == 0o755, f"{zip_path.name}: {info.filename} is not executable"
        path = Path(z.extract(info, into))
        path.chmod(0o755)  # zipfile does not restore modes; Terraform and Lambda do
        return path


def elf(binary: Path) -> tuple[str, str]:
    """The ELF machine and the newest GLIBC_ version a binary needs."""
    header = run(["readelf", "--file-header", binary]).stdout
    machine = re.search(r"Machine:\s+(.+)", header).group(1).strip()
    symbols = run(["readelf", "--dyn-syms", "--wide", binary]).stdout
    versions = {tuple(int(p) for p in v.split(".")) for v in re.findall(r"GLIBC_([0-9.]+[0-9])", symbols)}
    return machine, ".".join(map(str, max(versions))) if versions else ""


def floor_holds(needed: str, floor: str) -> bool:
    return not needed or tuple(map(int, needed.split("."))) <= tuple(map(int, floor.split(".")))


def test_binaries_are_for_their_architecture_with_the_glibc_floor(release, tmp_path):
    machines = {"amd64": "X86-64", "x86_64": "X86-64", "arm64": "AArch64"}
    for arch, path in provider_zips(release).items():
        binary = unzip_one(path, tmp_path / path.stem)
        assert binary.name == f"terraform-provider-studio_v{VERSION}"
        machine, needed = elf(binary)
        assert machines[arch] in machine, f"{path.name}: {machine}"
        assert floor_holds(needed, GLIBC_FLOOR), f"{path.name} needs glibc {needed}"
    for function in LAMBDAS:
        for arch in ("x86_64", "arm64"):
            path = release / f"{function}_{VERSION}_{arch}.zip"
            binary = unzip_one(path, tmp_path / path.stem)
            assert binary.name == "bootstrap"
            machine, needed = elf(binary)
            assert machines[arch] in machine, f"{path.name}: {machine}"
            assert floor_holds(needed, GLIBC_FLOOR), f"{path.name} needs glibc {needed}"
    # The host's own binary runs (its answer when not started by Terraform, not a loader error).
    binary = tmp_path / provider_zips(release)["amd64"].stem / f"terraform-provider-studio_v{VERSION}"
    started = run([binary], timeout=30)
    assert "is a plugin for Terraform" in started.stderr, started.stderr


@pytest.fixture(scope="session")
def tls(tmp_path_factory) -> dict:
    """A self-signed certificate for localhost, and the bundle Terraform trusts (SSL_CERT_FILE)."""
    folder = tmp_path_factory.mktemp("tls")
    made = run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                "-keyout", folder / "key.pem", "-out", folder / "cert.pem"])
    assert made.returncode == 0, made.stderr
    return {"cert": str(folder / "cert.pem"), "key": str(folder / "key.pem")}


@pytest.fixture(scope="session")
def served(release, tls):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = registry.serve(release, port, tls["cert"], tls["key"])
    yield f"localhost:{port}"
    server.shutdown()


def terraform(version: str, workdir: Path, args, cli_config: Path, extra_env=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(cli_config), TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
    env.pop("TF_PLUGIN_CACHE_DIR", None)
    env.update(extra_env or {})
    return run([TERRAFORMS[version], *args, "-no-color"], cwd=workdir, env=env)


def configuration(workdir: Path, source: str) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "main.tf").write_text(
        'terraform {\n  required_providers {\n'
        f'    studio = {{ source = "{source}", version = "{VERSION}" }}\n'
        '  }\n}\n'
    )


def lock_hashes(workdir: Path) -> list[str]:
    text = (workdir / ".terraform.lock.hcl").read_text()
    return re.findall(r'"((?:h1|zh):[^"]+)"', text)


@pytest.mark.parametrize("version", ["1.15", "1.0.3"])
def test_terraform_installs_from_the_registry_and_then_from_a_filesystem_mirror(version, release, served, tls, tmp_path):
    # 1. From the registry: Terraform verifies the signature and the checksum itself.
    cli = tmp_path / "direct.tfrc"
    cli.write_text("disable_checkpoint = true\n")
    workdir = tmp_path / "registry"
    configuration(workdir, f"{served}/studio-restore/studio")
    init = terraform(version, workdir, ["init"], cli, {"SSL_CERT_FILE": tls["cert"]})
    assert init.returncode == 0, init.stdout + init.stderr
    assert "Installed" in init.stdout and "signed" in init.stdout, init.stdout
    hashes = lock_hashes(workdir)
    zh = {h.removeprefix("zh:") for h in hashes if h.startswith("zh:")}
    # Terraform records a zh: hash for every line of the signed SHA256SUMS: both platforms' zips
    # (and the manifest's line), so a lock file made on amd64 also vouches for arm64.
    listed = {line.split()[0] for line in (release / f"terraform-provider-studio_{VERSION}_SHA256SUMS").read_text().splitlines()}
    assert {sha256(p) for p in provider_zips(release).values()} <= zh <= listed, hashes
    h1 = [h for h in hashes if h.startswith("h1:")]
    assert h1, hashes

    # 2. The same zips as a filesystem mirror (packed layout, as `terraform providers mirror`
    #    writes it), with the registry's lock file: the zh: hashes vouch for the zip.
    mirror = tmp_path / "mirror"
    packed = mirror / served / "studio-restore/studio"
    packed.mkdir(parents=True)
    for path in provider_zips(release).values():
        shutil.copy(path, packed / path.name)
    mirror_cli = tmp_path / "mirror.tfrc"
    mirror_cli.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n')
    again = tmp_path / "from-mirror"
    configuration(again, f"{served}/studio-restore/studio")
    shutil.copy(workdir / ".terraform.lock.hcl", again / ".terraform.lock.hcl")
    init = terraform(version, again, ["init"], mirror_cli)
    assert init.returncode == 0, init.stdout + init.stderr
    assert lock_hashes(again) == hashes, "the mirror's install changed the lock file"
    schema = terraform(version, again, ["providers", "schema", "-json"], mirror_cli)
    assert schema.returncode == 0, schema.stderr
    [provider] = json.loads(schema.stdout)["provider_schemas"].values()
    assert "studio_profile_restore" in provider["resource_schemas"]
    assert f"Version {VERSION}:" in provider["provider"]["block"]["description"], "the binary reports another version"

    # 3. A tampered zip in the mirror is refused against that lock file.
    amd64 = packed / provider_zips(release)["amd64"].name
    with zipfile.ZipFile(amd64, "a") as z:
        z.writestr("extra", "not part of the release")
    shutil.rmtree(again / ".terraform")
    refused = terraform(version, again, ["init"], mirror_cli)
    assert refused.returncode != 0
    assert "checksum" in (refused.stdout + refused.stderr).lower(), refused.stdout + refused.stderr


def test_release_refuses_a_version_without_a_changelog_entry_or_not_the_workspaces(tmp_path):
    # A copy of just what the script reads before it builds anything.
    (tmp_path / "scripts/lib").mkdir(parents=True)
    shutil.copy(ROOT / "scripts/release", tmp_path / "scripts/release")
    shutil.copy(ROOT / "scripts/lib/cross.sh", tmp_path / "scripts/lib/cross.sh")
    shutil.copy(ROOT / "Cargo.toml", tmp_path / "Cargo.toml")
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{VERSION}]" in changelog, "CHANGELOG.md has no entry for the workspace's version"
    (tmp_path / "CHANGELOG.md").write_text(changelog.replace(f"## [{VERSION}]", "## [0.0.0-other]"))
    refused = run([tmp_path / "scripts/release", VERSION, "--no-sign"])
    assert refused.returncode != 0
    assert f"CHANGELOG.md has no entry '## [{VERSION}]'" in refused.stderr, refused.stderr

    other = run([tmp_path / "scripts/release", "9.9.9", "--no-sign"])
    assert other.returncode != 0
    assert f"the workspace's version is {VERSION}, not 9.9.9" in other.stderr, other.stderr
    not_a_version = run([tmp_path / "scripts/release", "v1", "--no-sign"])
    assert not_a_version.returncode != 0 and "is not a version" in not_a_version.stderr
    assert not (tmp_path / "target").exists(), "a refused release built or wrote something"
