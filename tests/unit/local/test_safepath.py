"""``child``: a plain name under a resolved folder costs one lstat, and is refused
exactly where ``inside`` refuses it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dltflow.exceptions import UnsafePathError
from dltflow.local.storage.safepath import child, inside


def test_a_plain_name_is_the_path_itself(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    folder = root / "default"
    folder.mkdir()
    assert child(root, folder, "orders") == folder / "orders" == inside(root, folder / "orders")


@pytest.mark.parametrize("name", ["..", "../../etc", "a/../../../x", "."])
def test_names_that_are_not_one_component_are_resolved_and_refused(tmp_path: Path,
                                                                   name: str) -> None:
    root = tmp_path.resolve() / "wh"
    (root / "default").mkdir(parents=True)
    with pytest.raises(UnsafePathError):
        child(root, root / "default", f"{name}/../.." if name == "." else name)


def test_a_symlink_leading_out_is_refused(tmp_path: Path) -> None:
    root = tmp_path.resolve() / "wh"
    (root / "default").mkdir(parents=True)
    (tmp_path / "victim").mkdir()
    os.symlink(tmp_path / "victim", root / "default" / "t")
    with pytest.raises(UnsafePathError):
        child(root, root / "default", "t")
    os.symlink(root / "default" / "elsewhere", root / "default" / "inner")
    assert child(root, root / "default", "inner") == root / "default" / "elsewhere"
