"""The one name pattern, and the check that a path stays inside the project's folders.

Dataset, recipe, experiment, profile and study names become folder names
(``data/raw/<dataset>``, ``results/runs/<experiment>``), DVC stage names
(``train@<experiment>``), Snakemake wildcards and dotted params keys
(``experiments.<name>.recipe``). A dot breaks the keys, ``/`` or ``..`` escapes the
project, so every such name must match :data:`NAME_PATTERN` (the schema's
``$defs.name`` says the same; tests/reliability checks the two agree). Torch-free.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
NAME_RULE = "lowercase letters, digits and _, starting with a letter, at most 64 characters"
# The only folders a step may write into (relative to the project root).
PROJECT_FOLDERS = ("data", "results", "report", "logs")

_NAME = re.compile(NAME_PATTERN)


def is_valid_name(name: object) -> bool:
    """True when ``name`` is a string matching :data:`NAME_PATTERN`."""
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


def check_name(key: str, name: object) -> str:
    """Return ``name``; raise UnsafeNameError naming the dotted ``key`` if it is unsafe."""
    from cifarlab.errors import UnsafeNameError

    if not is_valid_name(name):
        raise UnsafeNameError(f"{key}: invalid name {name!r}: use {NAME_RULE}")
    return name  # type: ignore[return-value]


def project_root() -> Path:
    """The checkout the steps run in: both front ends start every step from its root,
    and cifarlab.dag's paths are relative to it."""
    return Path.cwd()


def _lexical(path: str | os.PathLike) -> Path:
    # Lexical, not Path.resolve(): a data/ that is a symlink to a bigger disk is a normal
    # setup and stays allowed; what must never pass is a name climbing out with '..'.
    return Path(os.path.normpath(os.path.join(project_root(), os.fspath(path))))


def _folder_of(path: Path) -> str | None:
    """The project folder ``path`` (absolute, normalised) lies in, else None."""
    root = _lexical(".")
    for folder in PROJECT_FOLDERS:
        base = root / folder
        if path == base or base in path.parents:
            return folder
    return None


def inside(path: str | os.PathLike) -> Path:
    """``path`` made absolute; UnsafeNameError unless it lies in data/, results/, report/
    or logs/ of the project."""
    from cifarlab.errors import UnsafeNameError

    full = _lexical(path)
    if _folder_of(full) is None:
        raise UnsafeNameError(f"refusing to write {os.fspath(path)}: it resolves to {full}, "
                              f"outside the project's {', '.join(f + '/' for f in PROJECT_FOLDERS)} folders")
    return full


def check_write_target(path: str | os.PathLike) -> None:
    """Refuse a write whose path climbs with '..' out of the project's folders.

    Paths come from cifarlab.dag joined with names; a '..' in them is a name escaping the
    project (the names are checked first, this is the second line). Paths without '..'
    are the caller's explicit choice (docs/models.md, a test's scratch folder) and pass.
    """
    if ".." in Path(path).parts:
        inside(path)


def project_path(root_kind: str, *parts: str) -> Path:
    """``root_kind/part/...`` (relative, as cifarlab.dag spells paths), refusing parts that
    are empty, absolute, '.'/'..' or hold a separator, and any result outside ``root_kind``."""
    from cifarlab.errors import UnsafeNameError

    if root_kind not in PROJECT_FOLDERS:
        raise UnsafeNameError(f"{root_kind!r} is not a project folder; known: {', '.join(PROJECT_FOLDERS)}")
    for part in parts:
        if part in ("", ".", "..") or "/" in part or "\\" in part or os.path.isabs(part):
            raise UnsafeNameError(f"{root_kind}/{'/'.join(parts)}: unsafe path part {part!r}")
    path = Path(root_kind, *parts)
    if _folder_of(_lexical(path)) != root_kind:
        raise UnsafeNameError(f"{path}: resolves outside {root_kind}/")
    return path


# The params maps whose keys become paths, keys or wildcards, and the fields naming them.
NAMED_MAPS = ("datasets", "recipes", "experiments", "ensembles", "profiles", "studies")
REFERENCES = {"experiments": ("study", "recipe", "dataset"), "profiles": ("dataset",)}


def check_param_names(raw: object, source: str = "params.yaml") -> None:
    """Every key of NAMED_MAPS and every name in REFERENCES (and ``profile``) must match
    NAME_PATTERN; the UnsafeNameError names ``source`` and the dotted key."""
    if not isinstance(raw, dict):
        return  # the schema reports the shape
    if isinstance(raw.get("profile"), str):
        check_name(f"{source}: profile", raw["profile"])
    for table in NAMED_MAPS:
        entries = raw.get(table)
        if not isinstance(entries, dict):
            continue
        for name, entry in entries.items():
            check_name(f"{source}: {table}", name)  # not "table.<name>": the name may hold dots
            for field in REFERENCES.get(table, ()):
                if isinstance(entry, dict) and isinstance(entry.get(field), str):
                    check_name(f"{source}: {table}.{name}.{field}", entry[field])
