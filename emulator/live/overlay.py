"""Disks as overlayfs stacks: an instance's root is its image's read-only layers
(newest first) under a writable upper directory of its own; an image made from
an instance is its parent's layers plus a frozen copy of that upper directory.

`index=off` because the same lower layers are shared by many mounts and an upper
directory later becomes a lower layer of other mounts; the inode index would tie
it to the first mount it was used in.
"""

from __future__ import annotations

import os
import shutil

from emulator.live.host import HostError, run

COPY_TIMEOUT = 30 * 60


def mount(layers: list[str], upper: str, work: str, target: str) -> None:
    """Mounts `layers` (top first) under `upper` at `target`."""
    if not layers:
        raise HostError("an overlay needs at least one lower layer")
    for path in (upper, work, target):
        os.makedirs(path, exist_ok=True)
    options = f"lowerdir={':'.join(layers)},upperdir={upper},workdir={work},index=off"
    run(["mount", "-t", "overlay", "overlay", "-o", options, target], f"mounting the overlay at {target}")


def is_mounted(target: str) -> bool:
    return os.path.realpath(target) in mount_points()


def mount_points() -> list[str]:
    points = []
    try:
        with open("/proc/self/mounts") as mounts:
            for line in mounts:
                fields = line.split()
                if len(fields) > 1:
                    points.append(fields[1].replace("\\040", " "))
    except OSError:
        pass
    return points


def mounts_under(directory: str) -> list[str]:
    """Mount points at or below `directory`, deepest first."""
    base = os.path.realpath(directory).rstrip("/") + "/"
    found = [p for p in mount_points() if (p + "/").startswith(base)]
    return sorted(set(found), key=lambda p: p.count("/"), reverse=True)


def unmount(target: str) -> bool:
    """Unmounts (lazily when busy); True when nothing is mounted there any more."""
    if not is_mounted(target):
        return True
    if run(["umount", target], "unmounting", check=False).returncode != 0:
        run(["umount", "-l", target], "unmounting lazily", check=False)
    return not is_mounted(target)


def copy_layer(source: str, destination: str) -> None:
    """A frozen copy of an upper directory (whiteouts, xattrs and owners kept),
    written beside `destination` and renamed into place when complete."""
    partial = destination + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(os.path.dirname(partial), exist_ok=True)
    try:
        run(["cp", "-a", "--reflink=auto", source, partial], f"copying {source}", timeout=COPY_TIMEOUT)
        os.rename(partial, destination)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def remove_tree(path: str) -> bool:
    """Removes a directory tree unless something is still mounted in it."""
    if not os.path.exists(path):
        return True
    if mounts_under(path):
        return False
    shutil.rmtree(path, ignore_errors=True)
    return not os.path.exists(path)
