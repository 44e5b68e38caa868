"""Reading user-written YAML safely and reporting mistakes as one line: file, place, what to fix."""

from __future__ import annotations

import difflib
import functools
import math
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
#: Largest input file read (the evidence, the biggest shipped file, is under 100 kB).
MAX_FILE_BYTES = 4_000_000
#: Most values a document may expand to once aliases are followed, and deepest nesting:
#: a few aliases are fine, an alias bomb is refused before anything is built from it.
MAX_NODES, MAX_DEPTH = 200_000, 40
#: Longest text accepted for a name, a label or a description.
MAX_TEXT = 10_000
#: Longest scenario (months from start to end) and longest chain of scenarios extending one another.
MAX_MONTHS, MAX_EXTENDS = 1200, 8
#: Characters an error line shows escaped: controls and line breaks (which would split it), bidi controls
#: (which would show the rest of it reversed).
HIDDEN = {
    code: repr(chr(code))[1:-1] if code < 0x7F else f"\\u{code:04x}"
    for code in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
}
#: Longest word (a value quoted in a message) an error line shows whole, and longest error line.
LONGEST_WORD, LONGEST_LINE = 200, 2000
QUOTES = "'\"()[],;:"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The safe loader (tags never build objects, in C where PyYAML has it) refusing duplicate keys."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key, _ in node.value:
                if key.tag == "tag:yaml.org,2002:merge" or not isinstance(key, yaml.ScalarNode):
                    continue
                if key.value in seen:
                    problem = f"duplicate key '{key.value}' (first on line {seen[key.value]}); keep one"
                    raise yaml.constructor.ConstructorError(None, None, problem, key.start_mark)
                seen[key.value] = key.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


SAFE_LOADER = _Loader


class InputError(Exception):
    """A user's file or argument is wrong; the message says where and how to fix it, on one line (error_line),
    in words that hold for the API and the command line alike. `settings` names the arguments the fix is about
    (as the API spells them: runs, out, force); the command line adds its flags for them."""

    def __init__(self, message: object = "", settings: tuple[str, ...] = ()) -> None:
        super().__init__(error_line(str(message)))
        self.settings = settings


def error_line(text: str) -> str:
    """A message as one safe line for a terminal or a log: control characters, line breaks and bidi controls
    escaped, a word longer than LONGEST_WORD shortened (its length said), the whole at most LONGEST_LINE long."""
    words = []
    for word in text.translate(HIDDEN).split(" "):
        if len(word) > LONGEST_WORD:  # the length said is the value's, without the quotes around it
            word = f"{word[: LONGEST_WORD // 2]}...({len(word.strip(QUOTES)):,} characters)"
        words.append(word)
    line = " ".join(words)
    if len(line) > LONGEST_LINE:
        line = f"{line[: LONGEST_LINE // 2]} ...({len(line):,} characters)... {line[-LONGEST_LINE // 4 :]}"
    return line


class Document:
    """A parsed YAML file that can name the line of any place in it."""

    def __init__(self, path: Path, data: Any, root: yaml.Node | None) -> None:
        self.path, self.data, self._root = path, data, root
        #: For a file that extends another: how many items of each list come first from the parent, so that a
        #: place in the merged lists is said as the place in this file (its own line and index).
        self.inherited: dict[str, int] = {}

    def where(self, place: tuple) -> str:
        """'file:line: a.b[2]' for a place given as a tuple of keys and indexes (in a file that extends another,
        the index within this file's own list)."""
        if len(place) > 1 and isinstance(place[1], int) and place[0] in self.inherited:
            own = place[1] - self.inherited[place[0]]
            if own < 0:  # an item the parent gives, wrong only in this file's context (e.g. its shorter run)
                return f"{self.path}: {place[0]} (item {place[1] + 1} of those inherited from the file it extends)"
            place = (place[0], own, *place[2:])
        line = self._line(place)
        dotted = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(place))
        return f"{self.path}:{line}: {dotted}" if line else f"{self.path}: {dotted}"

    def present(self, place: tuple) -> tuple:
        """The longest start of `place` that exists in the data (a single value read as a list has no index)."""
        data = self.data
        for i, key in enumerate(place):
            if isinstance(data, dict) and key in data:
                data = data[key]
            elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
                data = data[key]
            else:
                return place[:i]
        return place

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


def read_once[R](load: Callable[[Path], R]) -> Callable[[Path | str], R]:
    """`load(path)` remembered per version of the file (modification time and size): a command, and the API
    calls it serves, read a shipped file once; a file that changes is read again. Errors are never remembered."""
    remembered = functools.lru_cache(maxsize=8)(lambda path, version: load(path))

    @functools.wraps(load)
    def reader(path: Path | str) -> R:
        path = Path(path)
        try:
            status = path.stat()
            version = (status.st_mtime_ns, status.st_size)
        except OSError:
            version = None  # the loader reports the missing file
        return remembered(path, version)

    return reader


def load_yaml(path: Path | str, what: str) -> Document:
    """Parse a YAML file with the safe loader; InputError on any problem.

    Only a regular file up to MAX_FILE_BYTES is read (a FIFO or a device never blocks or floods),
    duplicate keys and alias bombs are refused, and so is any non-finite number.
    """
    path = Path(path)
    text = read_text(path, what)
    loader = SAFE_LOADER(text)
    try:
        root = loader.get_single_node()
        if root is not None:
            _check_nodes(path, root)
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{path}{where}: not valid YAML ({problem}); fix the syntax there") from None
    except ValueError as exc:  # e.g. a date such as 2022-02-30, or a number of thousands of digits
        raise InputError(f"{path}: a value cannot be read ({_first_line(exc)}); quote it or correct it") from None
    finally:
        loader.dispose()
    if data is None:
        raise InputError(f"{path}: the file is empty; a {what} needs at least a name")
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a YAML mapping of keys (a {what}), found {type(data).__name__}")
    doc = Document(path, data, root)
    place = _non_finite(data)
    if place is not None:
        raise doc.error(place, "not a finite number (.nan and .inf are refused); write a number")
    return doc


def read_text(path: Path, what: str, limit: int = MAX_FILE_BYTES, within: Path | None = None) -> str:
    """A regular file's text, at most `limit` bytes (see `read_bytes`); InputError if it is not UTF-8 text."""
    raw = read_bytes(path, what, limit, within)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: cannot read it as text ({exc.__class__.__name__}); expected a {what} file") from None


def read_bytes(path: Path, what: str, limit: int = MAX_FILE_BYTES, within: Path | None = None) -> bytes:
    """A regular file's content, at most `limit` bytes; InputError for folders, FIFOs, devices and huge files,
    and with `within` (a folder received from someone) for a link or a file outside that folder.

    The file is checked before it is opened and opened without blocking, so a FIFO never hangs the command.
    """
    try:
        info = os.lstat(path) if within is not None else os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such {what} file (check the path)") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc.__class__.__name__}); check the path") from None
    if within is not None and (stat.S_ISLNK(info.st_mode) or not _inside(Path(path), Path(within))):
        raise InputError(f"{path}: a link or a file outside {within}; only the folder's own files are read")
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path}: is a folder, expected a {what} file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{path}: not a regular file (a device, FIFO or socket); give a {what} file")
    if info.st_size > limit:
        raise InputError(f"{path}: {info.st_size:,} bytes is too large for a {what} file (at most {limit:,})")
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | (os.O_NOFOLLOW if within is not None else 0))
        try:
            if not stat.S_ISREG(os.fstat(handle).st_mode):
                raise InputError(f"{path}: not a regular file; give a {what} file")
            with os.fdopen(handle, "rb", closefd=False) as stream:
                raw = stream.read(limit + 1)
        finally:
            os.close(handle)
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc.__class__.__name__}); check the path") from None
    if len(raw) > limit:
        raise InputError(f"{path}: too large for a {what} file (at most {limit:,} bytes)")
    return raw


def regular_file(path: Path, what: str, limit: int, within: Path) -> Path:
    """`path` if it is a regular file of at most `limit` bytes inside the folder `within`, reached without links
    (for readers that open it themselves: Parquet, CSV in chunks); else InputError."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc.__class__.__name__}); check the path") from None
    if stat.S_ISLNK(info.st_mode) or not _inside(Path(path), Path(within)):
        raise InputError(f"{path}: a link or a file outside {within}; only the folder's own files are read")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{path}: not a regular file (a folder, device, FIFO or socket); expected a {what} file")
    if info.st_size > limit:
        raise InputError(f"{path}: {info.st_size:,} bytes is too large for a {what} file (at most {limit:,})")
    return Path(path)


def _inside(path: Path, folder: Path) -> bool:
    """Whether `path`, its links followed, lies inside `folder` (its links followed too)."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


def _check_nodes(path: Path, root: yaml.Node) -> None:
    """Refuse documents whose aliases expand to more than MAX_NODES values, nest deeper than MAX_DEPTH,
    or refer to themselves; counted on the parsed nodes, before any value is built."""
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    open_nodes: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            open_nodes.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in children)
            if size[key] > MAX_NODES:
                raise InputError(
                    f"{path}:{node.start_mark.line + 1}: aliases expand to more than {MAX_NODES:,} values; "
                    "write the values out instead of nesting aliases"
                )
            continue
        if key in size:
            continue
        if key in open_nodes:
            raise InputError(f"{path}:{node.start_mark.line + 1}: an alias refers to the value that contains it")
        if depth > MAX_DEPTH:
            raise InputError(f"{path}:{node.start_mark.line + 1}: nested more than {MAX_DEPTH} levels deep")
        open_nodes.add(key)
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in children if id(child) not in size)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _non_finite(data: Any, place: tuple = ()) -> tuple | None:
    """The place of the first NaN or infinite number in parsed YAML, or None."""
    stack = [(data, place)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return where
        if isinstance(value, dict):
            stack.extend((v, where + (k,)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, where + (i,)) for i, v in enumerate(value))
    return None


def number(doc: Document, place: tuple, value: Any, low: float = -math.inf, high: float = math.inf) -> float:
    """`value` as a float if it is a finite number (not a bool) within [low, high]; else a one-line InputError."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise doc.error(place, f"expected a number from {low:g} to {high:g}, got {shown(value)}")
    if not (math.isfinite(value) and low <= value <= high):
        raise doc.error(place, f"{shown(value)} is outside {low:g} to {high:g}")
    return float(value)


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:200] if lines else error.__class__.__name__


def kind_of(value: Any) -> str:
    """What a value is, in words: a mapping, a list, text, a number..."""
    kinds = {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
        type(None): "nothing",
    }
    return kinds.get(type(value), f"a {type(value).__name__}")


def shown(value: Any) -> str:
    """A value as the message shows it: short, on one line."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**30:
        return "a number of more than 30 digits"
    written = repr(value) if isinstance(value, str | int | float) else kind_of(value)
    return written if len(written) <= 40 else written[:37] + "..."


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
