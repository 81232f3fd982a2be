"""What ``dltflow init`` writes: the project file, its folders, and the sample project.

Planning is pure (:func:`plan_files` maps relative paths to contents); :func:`scaffold`
only writes what the plan says and never overwrites an existing file, except
``dltflow.yml`` when asked to. Databricks profiles are read the way databricks-sdk reads
them (:func:`read_databricks_profiles`), so ``init`` offers exactly what the SDK accepts.
"""

from __future__ import annotations

import configparser
import keyword
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePosixPath
from string import Template

from dltflow import __version__
from dltflow.deploy.project import (
    PROJECT_FILE,
    CodeInclude,
    IncludeConfig,
    PathInclude,
    ProjectConfig,
    ProjectInfo,
    TargetConfig,
    WorkspaceConfig,
)
from dltflow.exceptions import ConfigError

USER_PLACEHOLDER = "${DATABRICKS_USER}"
_SAMPLE_METHODS = frozenset({"read", "transform", "people", "__init__"})
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class DatabricksProfile:
    """One profile of the Databricks config file: section ``name`` (``DEFAULT`` counts
    when it has keys) and its workspace ``host``, when set."""

    name: str
    host: str | None = None


@dataclass(frozen=True)
class ProfilesFound:
    """The Databricks config file and its profiles (``default``: the one the SDK picks
    when none is named)."""

    path: Path
    profiles: tuple[DatabricksProfile, ...] = ()
    default: str | None = None

    @property
    def names(self) -> list[str]:
        """The profile names, in file order."""
        return [profile.name for profile in self.profiles]

    @property
    def suggested(self) -> str | None:
        """The profile to offer first: the SDK's default, else the first one."""
        return self.default or next(iter(self.names), None)


@dataclass(frozen=True)
class InitOptions:
    """Answers to ``dltflow init``'s questions.

    Args:
        project_name: the ``dltflow.name`` of the project.
        code_path: folder of the Python package, relative to the project (``src/pkg`` ok).
        launch_method: method the deployed notebook calls on each pipeline (None: none).
        conf_path: folder of pipeline configs.
        workflows_path: folder of deployment files.
        shared: deploy under ``/Shared`` (True) or the user's home folder (False).
        profile: Databricks config profile of the ``dev`` target (None: SDK defaults).
        user: Databricks user name for a personal root path (None: ``${DATABRICKS_USER}``).
        build_template: also write the runnable sample project.
    """

    project_name: str
    code_path: str
    launch_method: str | None = "launch"
    conf_path: str = "conf"
    workflows_path: str = "workflows"
    shared: bool = True
    profile: str | None = None
    user: str | None = None
    build_template: bool = False

    def __post_init__(self) -> None:
        _validate_options(self)

    @property
    def code_module(self) -> str:
        """The importable package name: the last part of ``code_path``."""
        return PurePosixPath(self.code_path).name

    @property
    def package_root(self) -> str:
        """The folder that must be on ``sys.path`` to import the package."""
        return str(PurePosixPath(self.code_path).parent)


@dataclass(frozen=True)
class ScaffoldResult:
    """What :func:`scaffold` did: files ``written`` and existing files ``skipped``."""

    root: Path
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def default_code_path(project_name: str) -> str:
    """A package name derived from the project name (``my-project`` -> ``my_project``)."""
    name = re.sub(r"\W+", "_", project_name.strip().lower()).strip("_") or "my_project"
    return f"_{name}" if name[0].isdigit() or keyword.iskeyword(name) else name


def read_databricks_profiles() -> ProfilesFound:
    """The profiles of the Databricks config file, found and parsed as databricks-sdk does.

    The file is ``$DATABRICKS_CONFIG_FILE`` (the SDK's ``config_file`` attribute), else
    ``~/.databrickscfg``. A missing or unreadable file means no profiles.
    """
    # Imported here: the SDK is only needed by `init` and `deploy`, never by `--help`.
    from databricks.sdk.config import Config

    env = next((a.env for a in Config.attributes() if a.name == "config_file"), None)
    path = Path(os.environ.get(env or "", "") or "~/.databrickscfg").expanduser()
    ini = configparser.ConfigParser()
    try:
        ini.read(path)
    except configparser.Error:
        return ProfilesFound(path)
    # The SDK reads `_sections` too: `ini[name]` would mix DEFAULT's keys into every profile.
    sections = {name: dict(values) for name, values in ini._sections.items()}  # type: ignore[attr-defined]
    sections.pop("__settings__", None)
    if ini.defaults():
        sections = {"DEFAULT": dict(ini.defaults()), **sections}
    profiles = tuple(DatabricksProfile(name, values.get("host"))
                     for name, values in sections.items())
    try:
        default, _ = Config._resolve_profile(None, ini)  # type: ignore[no-untyped-call]
    except (AttributeError, ValueError):
        default = "DEFAULT" if "DEFAULT" in sections else None
    return ProfilesFound(path, profiles, default if default in sections else None)


def project_config(options: InitOptions) -> ProjectConfig:
    """The ``dltflow.yml`` for these answers: one ``dev`` target, the default."""
    name = options.project_name
    if options.shared:
        root = f"/Shared/.dltflow/{name}"
        artifacts = f"/Workspace/Shared/.dltflow/{name}/artifacts"
    else:
        user = options.user or USER_PLACEHOLDER
        root = f"/Users/{user}/.dltflow/{name}"
        artifacts = f"/Workspace/Users/{user}/.dltflow/{name}/artifacts"
    workspace = WorkspaceConfig(profile=options.profile, root_path=root, artifact_path=artifacts)
    return ProjectConfig(
        dltflow=ProjectInfo(name=name),
        include=IncludeConfig(
            code=CodeInclude(name=options.code_path, launch_method=options.launch_method),
            conf=PathInclude(name=options.conf_path),
            workflows=PathInclude(name=options.workflows_path)),
        targets={"dev": TargetConfig(mode="development", default=True, workspace=workspace)},
    )


def plan_files(options: InitOptions) -> dict[str, str]:
    """Every file ``init`` would write, relative path -> content (pure)."""
    header = ("# dltflow project file: folders and deployment targets.\n"
              "# Auth is databricks-sdk's: the profile below, or DATABRICKS_* variables.\n")
    files = {PROJECT_FILE: header + project_config(options).dump()}
    if not options.build_template:
        for folder in (options.code_path, options.conf_path, options.workflows_path):
            files[f"{folder}/.gitkeep"] = ""
        return files
    values = _template_values(options)
    code, conf, flows = options.code_path, options.conf_path, options.workflows_path
    for path, template in (
        (f"{code}/__init__.py", "package_init.py"),
        (f"{code}/pipelines/__init__.py", "pipelines_init.py"),
        (f"{code}/pipelines/sample.py", "sample_pipeline.py"),
        (f"{conf}/sample.yml", "sample_conf.yml"),
        (f"{flows}/sample.yml", "sample_workflow.yml"),
        ("tests/test_sample.py", "test_sample.py"),
        ("setup.py", "setup.py"),
        ("pyproject.toml", "pyproject.toml"),
        ("README.md", "README.md"),
        (".gitignore", "gitignore"),
    ):
        files[path] = _render(template, values)
    return files


def scaffold(root: Path, options: InitOptions, *, overwrite: bool = False) -> ScaffoldResult:
    """Write the planned files under ``root``; existing files are skipped and reported.

    Args:
        root: the project folder (created when missing).
        options: the answers.
        overwrite: replace an existing ``dltflow.yml`` (never any other file).

    Raises:
        ConfigError: ``dltflow.yml`` exists and ``overwrite`` is False.
    """
    root = Path(root)
    if (root / PROJECT_FILE).exists() and not overwrite:
        raise ConfigError(f"{PROJECT_FILE} already exists", source=str(root / PROJECT_FILE),
                          hint="pass --overwrite to replace it (other files are never "
                               "overwritten), or run init in another --directory.")
    result = ScaffoldResult(root)
    for relative, content in plan_files(options).items():
        target = root / relative
        if target.exists() and relative != PROJECT_FILE:
            result.skipped.append(relative)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        result.written.append(relative)
    return result


def next_steps(options: InitOptions, directory: str = ".") -> list[str]:
    """The commands to run after ``init``, in order."""
    steps = [] if directory in ("", ".") else [f"cd {directory}"]
    flow = f"{options.workflows_path}/sample.yml"
    if options.build_template:
        return steps + [
            'pip install -e ".[dev]"',
            "pytest",
            f"dltflow run --deployment-file {flow} --environment dev",
            f"dltflow deploy-py-dlt --deployment-file {flow} --environment dev --dry-run",
            f"dltflow deploy-py-dlt --deployment-file {flow} --environment dev",
        ]
    flow = f"{options.workflows_path}/<pipeline>.yml"
    return steps + [
        f"# add a DLTMetaMixin class under {options.code_path}/, its config under "
        f"{options.conf_path}/, and a deployment file {flow}",
        f"dltflow run --deployment-file {flow} --environment dev",
        f"dltflow deploy-py-dlt --deployment-file {flow} --environment dev",
    ]


def _template_values(options: InitOptions) -> dict[str, str]:
    slug = re.sub(r"[^a-z0-9]+", "-", options.project_name.lower()).strip("-") or "project"
    launch = options.launch_method
    block = "" if launch in (None, "register_datasets") else (
        f"\n\n    def {launch}(self) -> None:\n"
        f'        """Called by the deployed notebook (``launch_method`` in dltflow.yml):\n'
        f'        registers every configured dataset with the running pipeline."""\n'
        f"        self.register_datasets()")
    return {
        "project_name": options.project_name,
        "code_path": options.code_path,
        "code_module": options.code_module,
        "package_root": options.package_root,
        "conf_path": options.conf_path,
        "workflows_path": options.workflows_path,
        "launch_method_block": block,
        "launch_call": f"{launch or 'register_datasets'}()",
        "pipeline_name": f"{slug}-sample",
        "schema_name": default_code_path(options.project_name),
        "distribution_name": slug,
        "dltflow_version": ".".join(__version__.split(".")[:2]),
    }


def _render(name: str, values: dict[str, str]) -> str:
    text = (resources.files("dltflow.deploy") / "templates" / f"{name}.tmpl").read_text(
        encoding="utf-8")
    return Template(text).substitute(values)


def _validate_options(options: InitOptions) -> None:
    problems = []
    if not _NAME.match(options.project_name):
        problems.append(f"project name {options.project_name!r}: use letters, digits, "
                        "'_', '-', '.'")
    for label, value in (("code path", options.code_path), ("conf path", options.conf_path),
                         ("workflows path", options.workflows_path)):
        problems += _path_problems(label, value)
    parts = PurePosixPath(options.code_path).parts
    if parts and not all(p.isidentifier() and not keyword.iskeyword(p) for p in parts[-1:]):
        problems.append(f"code path {options.code_path!r}: its last folder must be a "
                        "Python package name (letters, digits, '_')")
    launch = options.launch_method
    if launch is not None and (not launch.isidentifier() or launch in _SAMPLE_METHODS):
        problems.append(f"launch method {launch!r}: use a Python identifier other than "
                        f"{', '.join(sorted(_SAMPLE_METHODS))}")
    if problems:
        raise ConfigError(problems, source="dltflow init",
                          hint="fix the answers above (or the matching --options).")


def _path_problems(label: str, value: str) -> list[str]:
    path = PurePosixPath(value)
    if not value or path.is_absolute() or ".." in path.parts or "\\" in value:
        return [f"{label} {value!r}: use a folder inside the project, like 'conf'"]
    return []
