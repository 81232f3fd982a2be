"""The wheels a deployed pipeline installs: dltflow itself, and the project's own.

dltflow is not on a package index a workspace can be assumed to reach, so a deploy ships
the dltflow that is running it. Its wheel is packed straight from the imported
``dltflow`` package folder (an editable install, a checkout on ``PYTHONPATH`` and a normal
install all work alike, offline, with no build backend) plus the installed distribution's
metadata. Every byte is fixed (sorted entries, a constant timestamp), so unchanged code
gives an identical wheel and an unchanged artifact digest.

A project with ``pyproject.toml`` or ``setup.py`` is built with the ``build`` package in
an isolated environment (its backend may need an index; when that fails the build is
retried without isolation, with whatever backend is installed), from a clean copy of the
project (the files a deploy may upload: no secrets) so no ``build/`` or ``*.egg-info``
lands in it. Built wheels are cached by the
digest of the project's sources: re-deploying unchanged code builds and uploads nothing.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path

from dltflow.exceptions import DeployError

_SKIP_DIRS = frozenset({"__pycache__", ".git", ".dltflow", ".venv", "venv", "node_modules",
                        "build", "dist", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
_SKIP_SUFFIXES = (".pyc", ".pyo")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_EPOCH = "315532800"  # 1980-01-01, the earliest time a zip can hold
_PACKAGING_FILES = ("pyproject.toml", "setup.py")
_BUILD_TIMEOUT = 900
#: Requirements of dltflow left out of the wheel a pipeline installs: its runtime has them.
RUNTIME_PROVIDED = frozenset({"pyspark"})


@dataclass(frozen=True)
class BuiltWheel:
    """A wheel ready to upload.

    Args:
        filename: the wheel's file name (``dltflow-0.2.0-py3-none-any.whl``).
        data: its bytes.
        modules: top-level import names it provides.
    """

    filename: str
    data: bytes
    modules: tuple[str, ...] = ()

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def names(self) -> list[str]:
        """Paths inside the wheel."""
        with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
            return archive.namelist()


@dataclass(frozen=True)
class ShippedWheels:
    """What a deploy uploads for the pipeline to install.

    Args:
        dltflow: dltflow's own wheel (empty when ``--dltflow-requirement`` overrides it).
        project: the project's wheel (None for a project without packaging).
    """

    dltflow: tuple[BuiltWheel, ...]
    project: BuiltWheel | None

    @property
    def all(self) -> tuple[BuiltWheel, ...]:
        return self.dltflow + ((self.project,) if self.project is not None else ())


def ship_wheels(root: Path, *, dltflow_requirement: str | None = None) -> ShippedWheels:
    """dltflow's wheel (unless overridden) and the project's (when it has packaging)."""
    own = () if dltflow_requirement else (dltflow_wheel(),)
    return ShippedWheels(own, project_wheel(root) if is_packaged(root) else None)


def is_packaged(root: Path) -> bool:
    """Whether the project has packaging (``pyproject.toml`` or ``setup.py``)."""
    return any((root / name).is_file() for name in _PACKAGING_FILES)


def dltflow_wheel() -> BuiltWheel:
    """A wheel of the dltflow that is running, packed from its imported package folder.

    Raises:
        DeployError: dltflow's distribution metadata cannot be found (then
            ``--dltflow-requirement`` says where the pipeline gets dltflow instead).
    """
    import dltflow

    package_dir = Path(dltflow.__file__).resolve().parent
    version = dltflow.__version__
    headers = _metadata_headers(package_dir, version)
    dist_info = f"dltflow-{version}.dist-info"
    files = {f"dltflow/{p.relative_to(package_dir).as_posix()}": p.read_bytes()
             for p in sorted(_package_files(package_dir))}
    files[f"{dist_info}/METADATA"] = headers.encode()
    files[f"{dist_info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: dltflow\n"
                                   b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    files[f"{dist_info}/entry_points.txt"] = _entry_points().encode()
    files[f"{dist_info}/top_level.txt"] = b"dltflow\n"
    return BuiltWheel(f"dltflow-{version}-py3-none-any.whl", _zip(files, dist_info),
                      ("dltflow",))


def _package_files(package_dir: Path) -> list[Path]:
    found = []
    for path in package_dir.rglob("*"):
        rel = path.relative_to(package_dir).parts
        if any(part in _SKIP_DIRS for part in rel) or not path.is_file():
            continue
        if not path.name.endswith(_SKIP_SUFFIXES):
            found.append(path)
    return found


def _metadata_headers(package_dir: Path, version: str) -> str:
    """Core metadata: name, version, Python and the runtime requirements (no extras, and
    not what every pipeline runtime already provides)."""
    from importlib import metadata

    requires: list[str] = _source_requirements(package_dir.parent) or []
    python = ">=3.10"
    summary = "dltflow"
    try:
        dist = metadata.distribution("dltflow")
    except metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        meta = Parser().parsestr(dist.read_text("METADATA") or "", headersonly=True)
        python = meta.get("Requires-Python") or python
        summary = meta.get("Summary") or summary
        if not requires:
            requires = [r for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r]
    elif not requires:
        raise DeployError("cannot build a wheel of the running dltflow: no installed "
                          "distribution metadata and no pyproject.toml beside it.\nHint: "
                          "install dltflow (pip install -e .), or pass "
                          "--dltflow-requirement with a wheel path the pipeline can reach.")
    lines = ["Metadata-Version: 2.1", "Name: dltflow", f"Version: {version}",
             f"Summary: {summary}", f"Requires-Python: {python}"]
    lines += [f"Requires-Dist: {r}" for r in requires if not _runtime_provided(r)]
    return "\n".join(lines) + "\n"


def _runtime_provided(requirement: str) -> bool:
    """pyspark comes with every pipeline's runtime (Databricks Runtime, or Spark Connect on
    serverless); a pyspark pip-installed from an index would shadow it."""
    name = re.split(r"[\s<>=!~;\[(]", requirement.strip(), maxsplit=1)[0]
    return name.lower() in RUNTIME_PROVIDED


def _source_requirements(source_root: Path) -> list[str] | None:
    """``project.dependencies`` of the checkout dltflow runs from, when it is one."""
    pyproject = source_root / "pyproject.toml"
    if sys.version_info < (3, 11) or not pyproject.is_file():
        return None
    import tomllib

    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return None
    if project.get("name") != "dltflow":
        return None
    return [str(d) for d in project.get("dependencies", [])]


def _entry_points() -> str:
    return ("[console_scripts]\ndltflow = dltflow.cli.interface:cli\n\n"
            "[pytest11]\ndltflow = dltflow.testing.plugin\n")


def _zip(files: dict[str, bytes], dist_info: str) -> bytes:
    record = [f"{name},sha256={_b64_digest(data)},{len(data)}" for name, data in
              sorted(files.items())]
    files = {**files, f"{dist_info}/RECORD": ("\n".join([*record, f"{dist_info}/RECORD,,"])
                                              + "\n").encode()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files, key=lambda n: (n.startswith(dist_info), n)):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return buffer.getvalue()


def _b64_digest(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def source_digest(root: Path) -> str:
    """A digest of every file a build of the project could read."""
    sha = hashlib.sha256(b"dltflow-project-wheel-v1\0")
    root = root.resolve()
    for path in sorted(_project_files(root)):
        rel = path.relative_to(root).as_posix()
        data = path.read_bytes()
        sha.update(rel.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return sha.hexdigest()[:24]


def _project_files(root: Path) -> list[Path]:
    """What a build may read: the files a deploy may upload (no secrets, dotfiles or
    git-ignored files), without earlier build output."""
    from dltflow.deploy.files import UploadRules

    root = root.resolve()
    found = []
    for rel in UploadRules(root).walk(root):
        parts = rel.split("/")
        if parts[0] in ("build", "dist") or any(p.endswith(".egg-info") for p in parts):
            continue
        found.append(root / rel)
    return found


def cache_dir(root: Path) -> Path:
    """Where built project wheels are kept: ``$DLTFLOW_CACHE_DIR`` or ``.dltflow/wheels``."""
    configured = os.environ.get("DLTFLOW_CACHE_DIR")
    return Path(configured) / "wheels" if configured else root / ".dltflow" / "wheels"


def project_wheel(root: Path, *, cache: Path | None = None) -> BuiltWheel:
    """The project's wheel, from the cache when its sources are unchanged.

    Raises:
        DeployError: the build failed; the message ends with the build's own output.
    """
    folder = (cache or cache_dir(root)) / source_digest(root)
    cached = sorted(folder.glob("*.whl")) if folder.is_dir() else []
    if len(cached) == 1:
        return _wheel_from_file(cached[0])
    with tempfile.TemporaryDirectory(prefix="dltflow-build-") as tmp:
        source, out = Path(tmp) / "src", Path(tmp) / "dist"
        for path in _project_files(root):
            target = source / path.relative_to(root.resolve())
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        built = _build(source, out)
        folder.mkdir(parents=True, exist_ok=True)
        kept = folder / built.name
        shutil.copyfile(built, kept.with_suffix(".part"))
        os.replace(kept.with_suffix(".part"), kept)  # a half-written wheel is never cached
    return _wheel_from_file(kept)


def _build(source: Path, out: Path) -> Path:
    env = {**os.environ, "SOURCE_DATE_EPOCH": _EPOCH, "PYTHONHASHSEED": "0"}
    env.pop("PYTHONPATH", None)  # the build sees the project, not the caller's checkout
    attempts = [["--wheel"], ["--wheel", "--no-isolation", "--skip-dependency-check"]]
    outputs = []
    for flags in attempts:
        command = [sys.executable, "-m", "build", *flags, "--outdir", str(out), str(source)]
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True,
                                  timeout=_BUILD_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            outputs.append(f"{' '.join(flags)}: timed out after {_BUILD_TIMEOUT}s")
            continue
        wheels = sorted(out.glob("*.whl"))
        if done.returncode == 0 and len(wheels) == 1:
            return wheels[0]
        outputs.append(f"{' '.join(flags)}: " + _tail(done.stdout + done.stderr))
    raise DeployError("building the project's wheel failed (python -m build):\n"
                      + "\n".join(outputs) + "\nHint: run `python -m build --wheel` in the "
                      "project to see the whole error; the build backend named in "
                      "pyproject.toml must be installable (or installed, offline).")


def _tail(text: str, lines: int = 15) -> str:
    return "\n    ".join(text.strip().splitlines()[-lines:])


def _wheel_from_file(path: Path) -> BuiltWheel:
    data = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        tops = {n.split("/", 1)[0] for n in archive.namelist()}
    modules = tuple(sorted(re.sub(r"\.py$", "", t) for t in tops
                           if not t.endswith((".dist-info", ".data"))))
    return BuiltWheel(path.name, data, modules)
