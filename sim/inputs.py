"""Reading user-written YAML safely and reporting mistakes as one line: file, place, what to fix."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import yaml

#: The safe loader (tags never build objects), in C where the PyYAML build has it.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class InputError(Exception):
    """A user's file or argument is wrong; the message says where and how to fix it."""


class Document:
    """A parsed YAML file that can name the line of any place in it."""

    def __init__(self, path: Path, data: Any, root: yaml.Node | None) -> None:
        self.path, self.data, self._root = path, data, root

    def where(self, place: tuple) -> str:
        """'file:line: a.b[2]' for a place given as a tuple of keys and indexes."""
        line = self._line(place)
        dotted = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(place))
        return f"{self.path}:{line}: {dotted}" if line else f"{self.path}: {dotted}"

    def error(self, place: tuple, message: str) -> InputError:
        return InputError(f"{self.where(place)}: {message}" if place else f"{self.path}: {message}")

    def _line(self, place: tuple) -> int | None:
        node, line = self._root, None
        for key in place:
            if isinstance(node, yaml.MappingNode):
                match = [(k, v) for k, v in node.value if k.value == str(key)]
                if not match:
                    break
                node = match[0][1]
                line = match[0][0].start_mark.line + 1
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                break
        return line


def load_yaml(path: Path | str, what: str) -> Document:
    """Parse a YAML file with the safe loader (tags never build objects); InputError on any problem."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such {what} file (check the path)")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected a {what} YAML file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path}: cannot read it as text ({exc.__class__.__name__}); expected a {what} YAML file"
        ) from None
    loader = SAFE_LOADER(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{path}{where}: not valid YAML ({problem}); fix the syntax there") from None
    finally:
        loader.dispose()
    if data is None:
        raise InputError(f"{path}: the file is empty; a {what} needs at least a name")
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a YAML mapping of keys (a {what}), found {type(data).__name__}")
    return Document(path, data, root)


def suggest(word: str, choices) -> str:
    """' (did you mean X?)' for the nearest name, or a list of the valid names."""
    choices = list(choices)
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else f" (choose from: {', '.join(choices)})"


def parse_month(value: Any) -> tuple[int, int] | None:
    """'2022-09' -> (2022, 9); None if malformed."""
    match = MONTH.match(str(value).strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def month_index(month: tuple[int, int], start: tuple[int, int]) -> int:
    """Months from start to month."""
    return (month[0] - start[0]) * 12 + month[1] - start[1]


def month_label(start: tuple[int, int], offset: int) -> str:
    total = start[0] * 12 + start[1] - 1 + offset
    return f"{total // 12:04d}-{total % 12 + 1:02d}"
