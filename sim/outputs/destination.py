"""Where commands write: output folders chosen by the user, checked before any work, replaced atomically.

A scenario's name is only a label: the default folder is `results/<slug of the name>`. `--force` replaces
only a folder holding an alliance-sim manifest, never an input of the same command, never the working
directory or a folder holding it. Everything is written into a hidden staging folder beside the target
(named with the writer's process id) and renamed into place at the end; staging left by a killed process
is removed by the next command writing into the same parent folder.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.inputs.documents import InputError

RESULTS = Path("results")
#: Marks every manifest alliance-sim writes, so `--force` can tell its folders from the user's.
TOOL = "alliance-sim"
#: Folders under results/ that other commands use by default: a scenario's slug may not take them.
RESERVED = ("calibration", "sensitivity", "validation")
#: Hidden names of staging folders and temporary files: '.<name>.<kind>-<pid>-<token>'.
STAGING = re.compile(r"^\..*\.(stage|old|tmp)-(?P<pid>\d+)-[0-9a-f]{8}$")
#: A batch folder's lock file: two writers into one folder are refused, not interleaved.
LOCK = ".alliance-sim.lock"


def slug(name: str) -> str:
    """A folder-name-safe form of a label: lower-case letters, digits, '-', '_' and '.', at most 80 characters."""
    return re.sub(r"[^a-z0-9_.]+", "-", str(name).lower()).strip("-._")[:80].strip("-._")


def default_folder(name: str, under: Path = RESULTS, suffix: str = "") -> Path:
    """`under/<slug of name><suffix>`; InputError if the name gives no usable folder name."""
    base = slug(name)
    if not base:
        raise InputError(f"scenario name '{name}' gives no folder name (use letters or digits, or pass --out)")
    if under == RESULTS and base in RESERVED:
        raise InputError(f"scenario name '{name}' would write into {under / base}, used by another command; pass --out")
    return under / f"{base}{suffix}"


def check_target(out: Path, force: bool, inputs: Iterable[Path] = (), label: str | None = None) -> None:
    """Refuse, before any work, an output folder that cannot or must not be written.

    Refused: a file, a symbolic link, the working directory or a folder holding it, a folder holding (or
    being) an input of the command, a non-empty folder without --force, and with --force a folder
    without an alliance-sim manifest. `label`, for a default folder, is the scenario whose results it
    should hold: another scenario's results there are a name collision, never replaced.
    """
    out = Path(out)
    where = out.resolve()
    if out.is_symlink():
        raise InputError(f"{out}: is a symbolic link; give the folder itself as --out")
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder; choose another --out")
    cwd = Path.cwd().resolve()
    if where == cwd or where in cwd.parents:
        raise InputError(f"{out}: is the working directory or holds it; choose a new folder as --out")
    for given in inputs:
        source = Path(given).resolve()
        if source == where or where in source.parents:
            raise InputError(f"{out}: holds {given}, an input of this command; choose another --out")
    _probe(out)
    if not (out.is_dir() and any(p.name != LOCK for p in out.iterdir())):
        return
    if not force:
        raise InputError(f"{out}: folder is not empty; pass --force to replace it or choose another --out")
    manifest = read_json(out / "manifest.json")
    if not is_manifest(manifest):
        raise InputError(
            f"{out}: not an alliance-sim results folder (no manifest.json of ours); --force will not "
            "replace it; choose another --out"
        )
    if label is not None and manifest.get("scenario") not in (None, label):
        raise InputError(f"{out}: holds results of scenario '{manifest['scenario']}', not '{label}'; pass --out")


def _probe(out: Path) -> None:
    """Prove, by making and removing a hidden folder, that `out` can be created where it is to go."""
    existing = next(p for p in [out.absolute(), *out.absolute().parents] if p.exists() or p.is_symlink())
    if not existing.is_dir():
        raise InputError(f"{out}: {existing} is a file, not a folder; choose another --out")
    probe = existing / hidden("probe", "stage")
    try:
        probe.mkdir()
    except OSError as exc:
        raise InputError(f"{out}: cannot write into {existing} ({exc.strerror}); choose another --out") from None
    probe.rmdir()


def is_manifest(data: object) -> bool:
    """Whether parsed JSON is a manifest alliance-sim wrote (marked, or from before the mark: with our version)."""
    if not isinstance(data, dict):
        return False
    versions = data.get("versions")
    return data.get("tool") == TOOL or (isinstance(versions, dict) and TOOL in versions)


def read_json(path: Path) -> object:
    """A small JSON file's content, or None if it is missing, unreadable or not JSON."""
    try:
        if not path.is_file() or path.stat().st_size > 10_000_000:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def prepare_parent(out: Path) -> Path:
    """Create the folder `out` goes in and drop staging that killed commands left there; InputError if it
    cannot be written (read-only, a file on the way, a system folder)."""
    parent = Path(out).resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise InputError(f"{out}: a file stands where a folder on its path should be; choose another --out") from None
    except OSError as exc:
        raise InputError(f"{out}: cannot create its folder ({exc.strerror}); choose another --out") from None
    remove_stale(parent)
    return parent


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """Yield a hidden staging folder beside `out`: on success it replaces `out`, on any failure (an error,
    Ctrl-C, SIGTERM) it is removed. Entering it proves the folder writable, so do it before long work."""
    out = Path(out)
    parent = prepare_parent(out)
    name = out.resolve().name
    stage = parent / hidden(name, "stage")
    try:
        stage.mkdir(mode=0o755)
    except OSError as exc:
        raise InputError(f"{out}: cannot write into {parent} ({exc.strerror}); choose another --out") from None
    try:
        yield stage
        if out.exists():
            old = parent / hidden(name, "old")
            out.rename(old)
            stage.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            stage.rename(out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yield a hidden temporary path beside `path`; on success it is renamed over `path`, so readers
    never see a half-written file; on failure it is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / hidden(path.name, "tmp")
    try:
        yield temporary
        if temporary.exists():
            temporary.chmod(0o644)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def hidden(name: str, kind: str) -> str:
    """'.<name>.<kind>-<pid>-<token>': hidden, and traceable to the process writing it."""
    return f".{name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def remove_stale(folder: Path) -> list[Path]:
    """Remove staging folders and temporary files in `folder` whose writing process is gone."""
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = STAGING.match(entry.name)
        if match is None or _alive(int(match["pid"])):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True
