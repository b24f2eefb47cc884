"""Starts a Lambda function's bootstrap with its EFS file system mounted (run by lambdas.py).

Runs as root inside the private mount namespace that `unshare --mount --propagation private`
made for this sandbox alone, so nothing here is visible to the host or to other sandboxes:

1. a tmpfs over /mnt (the function sees only its own mounts there, as in Lambda's environment),
2. LocalMountPath as a bind mount of the access point's root directory, which the emulator opened
   without following symlinks and hands over as a file descriptor (so no path is resolved again),
3. remounted read-only when the execution role may not write (no `elasticfilesystem:ClientWrite`),
4. the descriptor closed, then the process takes the identity EFS enforces (uid, gid, secondary
   gids) and execs the bootstrap, so the kernel checks every file operation against it.

Usage: python -I lambda_mount.py SPEC_JSON BOOTSTRAP; SPEC_JSON has fd, target, read_only, uid,
gid, groups (uid null: keep root's identity, an access point without PosixUser). Standalone: it
imports nothing of the emulator.
"""
import json
import os
import subprocess
import sys


def run(*argv: str) -> None:
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(f"studio-emulator: mounting the file system failed: {' '.join(argv)}: "
                         f"{done.stderr.strip()}\n")
        sys.exit(126)


def main() -> None:
    spec = json.loads(sys.argv[1])
    boot = sys.argv[2]
    target = spec["target"]
    run("mount", "-t", "tmpfs", "-o", "mode=0755", "none", "/mnt")
    os.makedirs(target, mode=0o755, exist_ok=True)
    # this process's descriptor, named through its pid: `mount` is another process
    run("mount", "--bind", f"/proc/{os.getpid()}/fd/{spec['fd']}", target)
    if spec["read_only"]:
        run("mount", "-o", "remount,bind,ro", target)
    os.close(spec["fd"])
    if spec.get("uid") is not None:
        os.setgroups(spec["groups"])
        os.setgid(spec["gid"])
        os.setuid(spec["uid"])
    os.execv(boot, [boot])


if __name__ == "__main__":
    main()
