"""``dltflow init``: scaffold a project (the work is done by dltflow.deploy.scaffold).

Every question has a flag; ``--no-input`` takes the defaults for anything not given.
An existing ``dltflow.yml`` is never replaced silently, other existing files never.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dltflow.cli import EXIT_FAILED, error_handler, options
from dltflow.deploy.project import PROJECT_FILE, ProjectConfig, load_project
from dltflow.deploy.scaffold import (
    USER_PLACEHOLDER,
    InitOptions,
    ProfilesFound,
    default_code_path,
    next_steps,
    read_databricks_profiles,
    scaffold,
)
from dltflow.exceptions import ConfigError, DLTException


@click.command()
@click.option("--project-name", help="Project name (dltflow.name).")
@click.option("--code-path", help="Folder of the Python package. [default: from the name]")
@click.option("--launch-method", help="Method the deployed notebook calls. [default: launch]")
@click.option("--conf-path", help="Folder of pipeline configs. [default: conf]")
@click.option("--workflows-path", help="Folder of deployment files. [default: workflows]")
@click.option("--shared/--personal", "shared", default=None,
              help="Deploy under /Shared, or under your user folder. [default: shared]")
@click.option("--user", help="Databricks user name for a personal root path.")
@click.option("--profile", help="Databricks config profile of the dev target.")
@click.option("--directory", type=options.PathType(file_okay=False, path_type=Path), default=".",
              show_default=True, help="Where to create the project.")
@click.option("--build-template", is_flag=True,
              help="Also create a runnable sample pipeline, config, deployment file, tests.")
@click.option("--overwrite", is_flag=True, help="Replace an existing dltflow.yml.")
@click.option("--no-input", is_flag=True, help="Ask nothing; use flags and defaults.")
@error_handler
def init(directory: Path, build_template: bool, overwrite: bool, no_input: bool,
         **answers: Any) -> None:
    """Scaffold a dltflow project: dltflow.yml and its folders (and a sample)."""
    existing = directory / PROJECT_FILE
    if existing.exists() and not overwrite:
        if no_input:
            raise ConfigError(f"{PROJECT_FILE} already exists", source=str(existing),
                              hint="pass --overwrite to replace it.")
        if not click.confirm(f"{existing} exists. Overwrite it?", default=False):
            click.echo("Kept the existing dltflow.yml; nothing was written.")
            click.get_current_context().exit(EXIT_FAILED)
        overwrite = True
    previous = _previous(directory) if existing.exists() else None
    profiles = read_databricks_profiles()
    _report_profiles(profiles, answers["profile"])
    options = InitOptions(**_ask(answers, previous, profiles, no_input),
                          build_template=build_template)
    result = scaffold(directory, options, overwrite=overwrite)
    for path in result.written:
        click.echo(f"  created  {path}")
    for path in result.skipped:
        click.secho(f"  skipped  {path} (exists; left unchanged)", fg="yellow")
    if not options.shared and not options.user:
        click.secho(f"Warning: the root path uses {USER_PLACEHOLDER}; export it (your "
                    "Databricks user name) before deploying, or edit dltflow.yml.",
                    fg="yellow", err=True)
    click.secho(f"Project '{options.project_name}' is ready in {Path(directory).resolve()}",
                fg="green")
    click.echo("Next steps:")
    for step in next_steps(options, str(directory)):
        click.echo(f"  {step}")


def _ask(answers: dict[str, Any], previous: ProjectConfig | None, profiles: ProfilesFound,
         no_input: bool) -> dict[str, Any]:
    """Fill each unanswered question: prompt, or take the default with --no-input."""
    defaults = _defaults(previous, profiles)

    def ask(key: str, text: str, default: Any, **kwargs: Any) -> Any:
        if answers.get(key) is not None:
            return answers[key]
        return default if no_input else click.prompt(text, default=default, **kwargs)

    name = ask("project_name", "Project name", defaults["project_name"])
    code = ask("code_path", "Code path (the Python package)",
               defaults["code_path"] or default_code_path(name))
    launch = ask("launch_method", "Launch method (called by the deployed notebook)",
                 defaults["launch_method"])
    conf = ask("conf_path", "Config path", defaults["conf_path"])
    workflows = ask("workflows_path", "Workflows path", defaults["workflows_path"])
    shared = answers["shared"]
    if shared is None:
        shared = no_input or click.prompt(
            "Deployment: shared (/Shared) or personal (your user folder)", default="shared",
            type=click.Choice(["shared", "personal"])) == "shared"
    user = answers["user"]
    if not shared and user is None and not no_input:
        user = click.prompt("Databricks user name (e-mail)", default=USER_PLACEHOLDER)
    profile = answers["profile"]
    if profile is None and profiles.profiles:
        profile = ask("profile", "Databricks profile", defaults["profile"],
                      type=click.Choice(profiles.names))
    return {"project_name": name, "code_path": code, "launch_method": launch or None,
            "conf_path": conf, "workflows_path": workflows, "shared": shared,
            "user": None if user in (None, "", USER_PLACEHOLDER) else user,
            "profile": profile}


def _defaults(previous: ProjectConfig | None, profiles: ProfilesFound) -> dict[str, Any]:
    if previous is None:
        return {"project_name": "my_project", "code_path": None, "launch_method": "launch",
                "conf_path": "conf", "workflows_path": "workflows",
                "profile": profiles.suggested}
    include = previous.include
    target = previous.targets.get("dev") or next(iter(previous.targets.values()), None)
    profile = target.workspace.profile if target else None
    return {"project_name": previous.dltflow.name, "code_path": include.code.name,
            "launch_method": include.code.launch_method or "launch",
            "conf_path": include.conf.name, "workflows_path": include.workflows.name,
            "profile": profile if profile in profiles.names else profiles.suggested}


def _previous(directory: Path) -> ProjectConfig | None:
    """The existing project file's answers, as defaults; an invalid file has none."""
    try:
        return load_project(directory)
    except DLTException:
        return None


def _report_profiles(profiles: ProfilesFound, chosen: str | None) -> None:
    if not profiles.profiles:
        click.secho(f"Warning: no Databricks profiles in {profiles.path}. The project is "
                    "created anyway; before deploying, run `databricks auth login` or "
                    "`databricks configure`, or set DATABRICKS_HOST and DATABRICKS_TOKEN.",
                    fg="yellow", err=True)
        return
    listed = ", ".join(f"{p.name} ({p.host})" if p.host else p.name for p in profiles.profiles)
    click.echo(f"Databricks profiles in {profiles.path}: {listed}")
    if chosen is not None and chosen not in profiles.names:
        click.secho(f"Warning: profile '{chosen}' is not in {profiles.path}; it is written "
                    "to dltflow.yml anyway. Create it before deploying.", fg="yellow",
                    err=True)
