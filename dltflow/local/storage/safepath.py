"""Every path the local engine writes, renames or deletes lies inside its warehouse.

Names are validated where they are declared (:mod:`dltflow.graph.names`); this is the
second, independent line: whatever a path was built from, it is resolved (symlinks
followed) and checked against the warehouse folder *before* the operation, so a bad
name, an edited pointer file or a planted symlink can never reach files elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from dltflow.exceptions import UnsafePathError

__all__ = ["child", "inside"]


def inside(root: Path, path: Path, *, action: str = "write") -> Path:
    """Return ``path`` resolved, when it lies inside ``root`` (itself resolved).

    Args:
        root: the warehouse folder.
        path: the path about to be written, renamed or deleted.
        action: what is about to happen, for the message.

    Raises:
        UnsafePathError: ``path`` resolves to ``root`` itself or to a place outside it.
    """
    if "\x00" in str(path):
        raise UnsafePathError(str(path).replace("\x00", "\\x00"), str(root), action=action)
    resolved = path.resolve()
    if root not in resolved.parents:
        raise UnsafePathError(str(resolved), str(root), action=action)
    return resolved


def child(root: Path, folder: Path, name: str, *, action: str = "write") -> Path:
    """``folder / name`` checked as :func:`inside` would, for ``folder`` already resolved
    inside ``root`` and ``name`` one plain path component.

    Such a path is its own resolution unless it is a symlink, so one ``lstat`` settles
    it; resolving it costs a system call per component of the path (and Python code
    for each), many times per table in a run of hundreds. Anything else (a symlink, a
    name that is not one plain component) is resolved and checked by :func:`inside`.
    """
    path = folder / name
    if name in ("", ".", "..") or "/" in name or "\\" in name or "\x00" in name \
            or path.is_symlink():
        return inside(root, path, action=action)
    return path
