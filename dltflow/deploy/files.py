"""Which project files a deploy may upload: never secrets, dotfiles or ignored files.

Everything a deploy uploads lands in a workspace folder that colleagues (and the
pipeline's compute) can read, so the rule is conservative: a file is left out when

- any part of its path starts with a dot (``.env``, ``.git/``, ``.databrickscfg``,
  ``.venv/``), or is a cache folder (``__pycache__``, ``node_modules``);
- its name is a private key or a well-known secret file (:data:`SECRET_PATTERNS`);
- the project's ``.gitignore`` files (the root one and those in sub-folders, with git's
  own matching rules, via :mod:`pathspec`) ignore it.

An ``include.files`` list in ``dltflow.yml`` names files (or gitignore-style patterns)
to upload anyway; nothing else overrides the rules. A deployment file naming a left-out
file (a task's config, its ``python_file``, a wheel) is a :class:`ConfigError`, because
the deployed pipeline could never read it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pathspec

from dltflow.exceptions import ConfigError

SECRET_PATTERNS = (
    "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.kdbx", "*.ppk",
    "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*",
    ".env*", ".databrickscfg", ".netrc", ".pypirc", ".git/", ".git-credentials",
    "secrets.json", "secrets.yml", "secrets.yaml", "credentials.json",
)
_CACHE_DIRS = frozenset({"__pycache__", "node_modules", "venv"})
_CACHE_SUFFIXES = (".pyc", ".pyo")
_SECRETS = pathspec.GitIgnoreSpec.from_lines(SECRET_PATTERNS)


class UploadRules:
    """The upload rules of one project (reads and caches its ``.gitignore`` files).

    Args:
        root: the project folder.
        include: ``include.files`` of ``dltflow.yml``: paths or gitignore-style patterns
            uploaded even when a rule would leave them out.
    """

    def __init__(self, root: Path, include: Iterable[str] = ()) -> None:
        self.root = Path(root).resolve()
        self.include = tuple(include)
        self._ignores: dict[Path, pathspec.GitIgnoreSpec | None] = {}
        self._included: set[str] | None = None

    def included_files(self) -> set[str]:
        """The files ``include.files`` names (globs such as ``conf/*.pem`` allowed)."""
        if self._included is None:
            found = set()
            for pattern in self.include:
                for path in self.root.glob(pattern.lstrip("/")):
                    if path.is_file() and path.resolve().is_relative_to(self.root):
                        found.add(path.relative_to(self.root).as_posix())
            self._included = found
        return self._included

    def explicitly_included(self, relative: str) -> bool:
        """Whether ``include.files`` names the project-relative POSIX path ``relative``."""
        return bool(self.include) and relative in self.included_files()

    def excluded_by(self, relative: str) -> str | None:
        """Why ``relative`` (a project-relative POSIX path) must not be uploaded, or None.

        Args:
            relative: the path, relative to the project root, with ``/`` separators.

        Returns:
            A short reason naming the rule (a dotfile, the secret-file pattern, or the
            ``.gitignore`` and its line), or None when the file may be uploaded.
        """
        if self.explicitly_included(relative):
            return None
        parts = relative.split("/")
        if any(p.startswith(".") for p in parts):
            return "a dotfile or inside a dot-folder"
        if any(p in _CACHE_DIRS for p in parts[:-1]) or relative.endswith(_CACHE_SUFFIXES):
            return "a cache file"
        secret = _SECRETS.check_file(relative)
        if secret.include and secret.index is not None:
            return f"a private key or secret file (rule {SECRET_PATTERNS[secret.index]!r})"
        return self._gitignored(parts)

    def _gitignored(self, parts: list[str]) -> str | None:
        """Git's verdict: an ignored folder hides everything in it; otherwise the last
        matching rule wins, deeper ``.gitignore`` files after shallower ones."""
        for end in range(1, len(parts) + 1):
            verdict: tuple[bool, str] | None = None
            for depth in range(end):
                folder = self.root.joinpath(*parts[:depth])
                spec = self._spec(folder)
                if spec is None:
                    continue
                candidate = "/".join(parts[depth:end]) + ("/" if end < len(parts) else "")
                result = spec.check_file(candidate)
                if result.include is not None and result.index is not None:
                    gitignore = (folder / ".gitignore").relative_to(self.root).as_posix()
                    rule = str(spec.patterns[result.index].pattern)
                    verdict = (result.include, f"ignored by {gitignore} (rule {rule!r})")
            if verdict is not None and verdict[0]:
                return verdict[1]
        return None

    def _spec(self, folder: Path) -> pathspec.GitIgnoreSpec | None:
        if folder not in self._ignores:
            path = folder / ".gitignore"
            try:
                text = path.read_text(encoding="utf-8", errors="replace") \
                    if path.is_file() else None
            except OSError:
                text = None
            self._ignores[folder] = (None if text is None
                                     else pathspec.GitIgnoreSpec.from_lines(text.splitlines()))
        return self._ignores[folder]

    def walk(self, folder: Path) -> set[str]:
        """The uploadable files under ``folder`` (inside the project), as relative paths."""
        found: set[str] = set()
        for top, dirs, names in os.walk(folder):
            here = Path(top)
            # Never descend into what is left out anyway (.git, .venv, __pycache__).
            dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _CACHE_DIRS]
            for name in names:
                path = here / name
                if not path.is_file() or not path.resolve().is_relative_to(self.root):
                    continue  # a symlink may not leave the project
                relative = path.relative_to(self.root).as_posix()
                if self.excluded_by(relative) is None:
                    found.add(relative)
        return found

    def check_named(self, named: Iterable[tuple[str, str]], *, source: str) -> None:
        """A :class:`ConfigError` for every file a deployment names that must not go up.

        Args:
            named: ``(where, relative path)`` pairs, ``where`` naming workflow and field.
            source: the deployment file, for the message.
        """
        problems = [f"{where}: {relative!r} is {reason}; dltflow never uploads it"
                    for where, relative in named
                    if (reason := self.excluded_by(relative)) is not None]
        if problems:
            raise ConfigError(problems, source=source,
                              hint="keep secrets out of deployed files (use Databricks "
                                   "secrets or pipeline configuration); if the file really "
                                   "belongs in the deployment, list it under "
                                   "`include: {files: [...]}` in dltflow.yml.")

