"""YAML reading that refuses duplicate keys, naming the key and both lines.

PyYAML (and so Snakemake's ``configfile:``) silently keeps the last of two equal keys:
an experiment written twice in params.yaml would quietly be one experiment. DVC's
parser refuses them; this module makes the CLI and the Snakefile refuse them too.
Torch-free: the Snakefile imports it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from cifarlab.errors import DuplicateKeyError


def _key_text(node: yaml.Node) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else f"<{node.tag}>"


def _find_duplicate(node: yaml.Node, path: tuple[str, ...]) -> tuple[str, int, int] | None:
    """(dotted key, line, first line) of the first duplicate under ``node``, else None."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            ident = (key_node.tag, _key_text(key_node))
            line = key_node.start_mark.line + 1
            dotted = ".".join((*path, _key_text(key_node)))
            if ident in seen and ident[1] != "<<":
                return dotted, line, seen[ident]
            seen[ident] = line
            found = _find_duplicate(value_node, (*path, _key_text(key_node)))
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found = _find_duplicate(item, (*path, str(i)))
            if found:
                return found
    return None


def check_no_duplicates(text: str, source: str = "<yaml>") -> None:
    """Raise DuplicateKeyError "<source>:<line>: duplicate key <dotted> (first at line N)".

    YAML syntax errors propagate as ``yaml.YAMLError`` for the caller to report.
    """
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    found = _find_duplicate(root, ()) if root is not None else None
    if found:
        dotted, line, first = found
        raise DuplicateKeyError(f"{source}:{line}: duplicate key {dotted} (first at line {first})")


def load_yaml(path: str | os.PathLike) -> Any:
    """``yaml.safe_load`` of ``path`` after refusing duplicate keys."""
    text = Path(path).read_text()
    check_no_duplicates(text, os.fspath(path))
    return yaml.safe_load(text)


def params_file_problem(path: str | os.PathLike) -> str | None:
    """One line saying why ``path`` cannot be read as params (missing, not YAML,
    duplicate keys), or None: for front ends that report and exit themselves."""
    path = Path(path)
    if not path.is_file():
        return f"{path}: parameter file not found"
    try:
        check_no_duplicates(path.read_text(), os.fspath(path))
    except DuplicateKeyError as exc:
        return str(exc)
    except yaml.YAMLError as exc:
        return f"{path}: not valid YAML: {' '.join(str(exc).split())}"
    return None
