"""The base image's disk: a Debian bookworm rootfs made with `debootstrap
--variant=minbase`, cached between runs.

The cache is shared with the Rust real-host test (tests/src/realhost/rootfs.rs):
the same package list, mirror and layout give the same key (FNV-1a, 64 bits,
over one description string), the same directory under the same cache root,
and the same tree (the same `prepare` step after debootstrap). A tree is built
in a scratch directory renamed into place only when complete, so an interrupted
build never leaves a half tree under the key.

    python3 -m emulator.live.rootfs      # builds if missing, prints the path
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

CACHE_ENV = "ROUNDROBIN_REALHOST_CACHE"
MIRROR_ENV = "ROUNDROBIN_REALHOST_MIRROR"
DEFAULT_CACHE = "/var/cache/roundrobin-realhost"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"
DEBOOTSTRAP_TIMEOUT = 20 * 60
# Must equal LAYOUT in rootfs.rs: bumped whenever `prepare` changes the tree.
LAYOUT = 2
MARKER = ".roundrobin-rootfs"

PACKAGES = (
    "systemd",
    "systemd-sysv",
    "dbus",
    "openssh-server",
    "nodejs",
    "iproute2",
    "curl",
)


class RootfsError(RuntimeError):
    pass


@dataclass
class Rootfs:
    path: str
    key: str
    built: bool


def fnv1a(data: bytes) -> int:
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


def cache_key(packages: tuple[str, ...] | list[str] = PACKAGES, mirror: str = DEFAULT_MIRROR) -> str:
    listed = ",".join(sorted(set(packages)))
    description = f"layout={LAYOUT};suite={SUITE};variant=minbase;mirror={mirror};packages={listed}"
    return f"{SUITE}-minbase-{fnv1a(description.encode()):016x}"


def cache_dir() -> str:
    return os.environ.get(CACHE_ENV, DEFAULT_CACHE)


def mirror() -> str:
    return os.environ.get(MIRROR_ENV, DEFAULT_MIRROR)


def is_complete(path: str) -> bool:
    return os.path.isfile(os.path.join(path, MARKER)) and os.path.exists(
        os.path.join(path, "usr/lib/systemd/systemd")
    )


def cached_path() -> str:
    """Where the tree for PACKAGES lives (whether or not it is built yet)."""
    return os.path.join(cache_dir(), cache_key(PACKAGES, mirror()))


def prepare(root: str) -> None:
    """As rootfs.rs: no fixed host name, no machine id (an empty
    /etc/machine-id, as an official AMI has, so each machine makes its own at
    first boot: machine-id(5)), no package caches, then the marker."""
    hostname = os.path.join(root, "etc/hostname")
    if os.path.lexists(hostname):
        os.remove(hostname)
    with open(os.path.join(root, "etc/machine-id"), "w"):
        pass
    dbus_id = os.path.join(root, "var/lib/dbus/machine-id")
    if os.path.lexists(dbus_id):
        os.remove(dbus_id)
    archives = os.path.join(root, "var/cache/apt/archives")
    if os.path.isdir(archives):
        for name in os.listdir(archives):
            if name.endswith(".deb"):
                try:
                    os.remove(os.path.join(archives, name))
                except OSError:
                    pass
    with open(os.path.join(root, MARKER), "w") as marker:
        marker.write(f"layout {LAYOUT}\n")


def ensure_rootfs(log: object = None) -> Rootfs:
    """The cached rootfs for PACKAGES, built first when it is not there yet.
    debootstrap's output goes to `log` (a file with a descriptor), else it is
    kept for the error message."""
    source = mirror()
    key = cache_key(PACKAGES, source)
    directory = cache_dir()
    path = os.path.join(directory, key)
    if is_complete(path):
        return Rootfs(path, key, False)
    if shutil.which("debootstrap") is None:
        raise RootfsError("debootstrap is not on the PATH: apt-get install debootstrap")
    os.makedirs(directory, exist_ok=True)
    scratch = os.path.join(directory, f".{key}.{os.getpid()}.partial")
    shutil.rmtree(scratch, ignore_errors=True)
    argv = [
        "debootstrap",
        "--variant=minbase",
        "--include=" + ",".join(PACKAGES),
        SUITE,
        scratch,
        source,
    ]
    sink = subprocess.PIPE
    try:
        log.fileno()  # type: ignore[union-attr]
        sink = log  # type: ignore[assignment]
    except (AttributeError, OSError, ValueError):
        pass
    try:
        try:
            done = subprocess.run(
                argv,
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                timeout=DEBOOTSTRAP_TIMEOUT,
                text=True,
            )
        except subprocess.TimeoutExpired:
            raise RootfsError(f"debootstrap of Debian {SUITE} from {source} took over {DEBOOTSTRAP_TIMEOUT} s") from None
        if done.returncode != 0:
            tail = (done.stdout or "")[-4000:]
            raise RootfsError(
                f"debootstrap of Debian {SUITE} from {source} (is the mirror reachable?) "
                f"exited with {done.returncode}:\n{tail}"
            )
        prepare(scratch)
        try:
            os.rename(scratch, path)
        except OSError:
            # Another run finished the same tree first: use theirs.
            if not is_complete(path):
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return Rootfs(path, key, True)


if __name__ == "__main__":
    result = ensure_rootfs(log=sys.stderr)
    print(result.path)
