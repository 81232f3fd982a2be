"""A local ``dbutils``: the parts DLT pipelines use, on local paths.

Pipelines published by Databricks call ``dbutils.fs.ls`` / ``head`` / ``mkdirs`` /
``cp`` / ``rm`` to look at or prepare their landing folders, and
``dbutils.widgets.get(KEY)`` to read pipeline parameters. During a local run the name
``dbutils`` resolves to :data:`dbutils` (a builtin for the run's duration, unless the
user's code defines its own): the file system calls work on local paths (``file:``
prefixes are accepted), widgets read the run's configuration, and anything that needs
a workspace (``dbfs:/`` paths, secrets, notebooks) fails with a clear error.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, NamedTuple

from dltflow.exceptions import ConfigError, DLTException

__all__ = ["FileInfo", "LocalDbutils", "dbutils"]


class FileInfo(NamedTuple):
    """One entry of :meth:`LocalFs.ls`, shaped like Databricks' ``FileInfo``."""

    path: str
    name: str
    size: int
    modificationTime: int  # noqa: N815 - Databricks' own field name


class DatabricksOnly(DLTException):
    """A ``dbutils`` feature that needs a Databricks workspace.

    Args:
        feature: the call, e.g. ``dbutils.secrets.get``.
    """

    def __init__(self, feature: str, hint: str) -> None:
        self.feature = feature
        super().__init__(f"{feature} is only available on Databricks\nHint: {hint}")


def _local(path: str) -> Path:
    text = str(path)
    if text.startswith(("dbfs:", "/dbfs/", "/Volumes/", "s3:", "s3a:", "abfss:", "gs:")):
        raise DatabricksOnly(f"dbutils.fs on {text}",
                             "use a local folder for local runs (e.g. from --configuration).")
    if text.startswith("file:"):
        text = text[len("file:"):]
        while text.startswith("//"):
            text = text[1:]
    return Path(text)


def _info(path: Path) -> FileInfo:
    stat = path.stat()
    suffix = "/" if path.is_dir() else ""
    return FileInfo(f"file:{path.resolve()}{suffix}", path.name + suffix,
                    0 if path.is_dir() else stat.st_size, int(stat.st_mtime * 1000))


class LocalFs:
    """``dbutils.fs`` on the local file system."""

    def ls(self, path: str) -> list[FileInfo]:
        """The entries of a folder (or the file itself), sorted by name."""
        target = _local(path)
        if not target.exists():
            raise FileNotFoundError(f"dbutils.fs.ls: {path} does not exist")
        if target.is_file():
            return [_info(target)]
        return [_info(p) for p in sorted(target.iterdir())]

    def head(self, file: str, maxBytes: int = 65536) -> str:  # noqa: N803 - DBR's name
        """The first ``maxBytes`` bytes of a file, as text."""
        with _local(file).open("rb") as handle:
            return handle.read(maxBytes).decode("utf-8", errors="replace")

    def mkdirs(self, dir: str) -> bool:  # noqa: A002 - DBR's name
        """Create a folder and its parents."""
        _local(dir).mkdir(parents=True, exist_ok=True)
        return True

    def put(self, file: str, contents: str, overwrite: bool = False) -> bool:
        """Write ``contents`` to a file."""
        target = _local(file)
        if target.exists() and not overwrite:
            raise FileExistsError(f"dbutils.fs.put: {file} exists (pass overwrite=True)")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(contents, encoding="utf-8")
        return True

    def cp(self, from_: str, to: str, recurse: bool = False) -> bool:
        """Copy a file, or a folder with ``recurse=True``."""
        source, target = _local(from_), _local(to)
        if source.is_dir():
            if not recurse:
                raise IsADirectoryError(f"dbutils.fs.cp: {from_} is a folder (recurse=True)")
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        return True

    def mv(self, from_: str, to: str, recurse: bool = False) -> bool:
        """Move a file or folder."""
        target = _local(to)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(_local(from_)), str(target))
        return True

    def rm(self, dir: str, recurse: bool = False) -> bool:  # noqa: A002 - DBR's name
        """Remove a file, or a folder with ``recurse=True``; False when nothing was there."""
        target = _local(dir)
        if not target.exists():
            return False
        if target.is_dir():
            if not recurse:
                raise IsADirectoryError(f"dbutils.fs.rm: {dir} is a folder (recurse=True)")
            shutil.rmtree(target)
        else:
            target.unlink()
        return True


class LocalWidgets:
    """``dbutils.widgets``: a pipeline's parameters are its configuration."""

    def get(self, name: str) -> str:
        """The configuration value ``name``.

        Raises:
            ConfigError: the run has no such configuration key.
        """
        from dltflow.local.databricks.configuration import current_configuration

        values = current_configuration()
        if name not in values:
            raise ConfigError(f"dbutils.widgets.get('{name}'): the run has no configuration "
                              f"'{name}'",
                              hint=f"pass it: dltflow run ... --configuration {name}=VALUE.")
        return values[name]

    getArgument = get  # noqa: N815 - DBR's name

    def text(self, name: str, defaultValue: str = "", label: str | None = None) -> None:  # noqa: N803
        """Declaring a widget has no effect locally: values come from the configuration."""

    dropdown = combobox = multiselect = text

    def removeAll(self) -> None:  # noqa: N802 - DBR's name
        """No widgets exist locally."""


class _Unavailable:
    def __init__(self, name: str, hint: str) -> None:
        self._name = name
        self._hint = hint

    def __getattr__(self, attr: str) -> Any:
        raise DatabricksOnly(f"dbutils.{self._name}.{attr}", self._hint)


class LocalDbutils:
    """What ``dbutils`` is during a local run."""

    def __init__(self) -> None:
        self.fs = LocalFs()
        self.widgets = LocalWidgets()
        self.secrets = _Unavailable("secrets", "pass the value as --configuration KEY=VALUE "
                                               "(never commit secrets), or run on Databricks.")
        self.notebook = _Unavailable("notebook", "a pipeline cannot run notebooks locally.")
        self.jobs = _Unavailable("jobs", "task values exist only inside a Databricks job.")


dbutils = LocalDbutils()
