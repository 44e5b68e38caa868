"""Where commands write: output folders chosen by the user, checked before any work, replaced atomically.

A scenario's name is only a label: the default folder is `results/<slug of the name>`. `--force` replaces
only a folder holding an alliance-sim manifest, never an input of the same command, never the working
directory or a folder holding it. A command claims its folder when it starts (creates it, or takes the lock
file inside it) and holds the claim to the end: a second writer stops at once. Everything is written into a
hidden staging folder beside the target (named with the writer's process id, carrying this tool's marker
file), synced to disk and renamed into place at the end, replacing only what the command claimed; staging
left by a killed process is removed by the next command writing into the same parent folder, and only
staging carrying the marker (or killed before it was marked: empty, or holding its marker partly written): a
user's entry of the same name is never touched.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sim.inputs.documents import InputError

RESULTS = Path("results")
#: Marks every manifest alliance-sim writes, so `--force` can tell its folders from the user's.
TOOL = "alliance-sim"
#: Folders under results/ that other commands use by default: a scenario's slug may not take them.
RESERVED = ("calibration", "sensitivity", "validation")
#: Hidden names of staging folders and temporary files: '.<name>.<kind>-<pid>-<token>'.
STAGING = re.compile(r"^\..*\.(stage|old|tmp)-(?P<pid>\d+)-[0-9a-f]{8}$")
#: The lock file inside a claimed output folder: two writers into one folder are refused, not interleaved.
LOCK = ".alliance-sim.lock"
#: Written inside every staging folder this tool makes; clean-up removes only folders carrying it.
MARKER = ".alliance-sim-staging"
#: Longest name in an output path (NAME_MAX, 255 bytes, less the staging suffix '.<name>.stage-<pid>-<token>'),
#: and longest output path (PATH_MAX less room for the files inside).
NAME_BYTES, PATH_BYTES = 255 - 40, 4096 - 256
#: Errors of the machine rather than of the request: reported as one line naming the path and the cause.
MACHINE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.ENAMETOOLONG, errno.EACCES, errno.EPERM, errno.EROFS}
#: Largest JSON file (a manifest) read back.
MAX_JSON_BYTES = 10_000_000
#: Folders check_target approved for writing, with what they held then: the claim must find them the same.
_APPROVED: dict[Path, frozenset] = {}


def slug(name: str) -> str:
    """A folder-name-safe form of a label: lower-case letters, digits, '-', '_' and '.', at most 80 characters."""
    return re.sub(r"[^a-z0-9_.]+", "-", str(name).lower()).strip("-._")[:80].strip("-._")


def default_folder(name: str, under: Path = RESULTS, suffix: str = "") -> Path:
    """`under/<slug of name><suffix>`; InputError if the name gives no usable folder name."""
    base = slug(name)
    if not base:
        raise InputError(
            f"scenario name '{name}' gives no folder name (use letters or digits, or name an output folder)", ("out",)
        )
    if under == RESULTS and base in RESERVED:
        raise InputError(
            f"scenario name '{name}' would write into {under / base}, used by another command; name an output folder",
            ("out",),
        )
    return under / f"{base}{suffix}"


def check_target(out: Path, force: bool, inputs: Iterable[Path] = (), label: str | None = None) -> None:
    """Refuse, before any work, an output folder that cannot or must not be written.

    Refused: a file, a symbolic link, the working directory or a folder holding it, a folder holding (or
    being) an input of the command, a non-empty folder without --force, and with --force a folder
    without an alliance-sim manifest. `label`, for a default folder, is the scenario whose results it
    should hold: another scenario's results there are a name collision, never replaced.
    """
    out = Path(out)
    check_name(out)
    where = out.resolve()
    if out.is_symlink():
        raise InputError(f"{out}: is a symbolic link; give the folder itself as the output folder", ("out",))
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder; choose another output folder", ("out",))
    cwd = Path.cwd().resolve()
    if where == cwd or where in cwd.parents:
        raise InputError(f"{out}: is the working directory or holds it; choose a new output folder", ("out",))
    for given in inputs:
        source = Path(given).resolve()
        if source == where or where in source.parents:
            raise InputError(f"{out}: holds {given}, an input of this command; choose another output folder", ("out",))
    _probe(out)
    _APPROVED[where] = snapshot(out)
    if not (out.is_dir() and any(p.name != LOCK for p in out.iterdir())):
        return
    if not force:
        _APPROVED.pop(where)
        raise InputError(
            f"{out}: folder is not empty; force replacing it, or choose another output folder", ("force", "out")
        )
    manifest = read_json(out / "manifest.json")
    if not is_manifest(manifest):
        _APPROVED.pop(where)
        raise InputError(
            f"{out}: not an alliance-sim results folder (no manifest.json of ours); even force will not "
            "replace it; choose another output folder",
            ("out",),
        )
    if label is not None and manifest.get("scenario") not in (None, label):
        _APPROVED.pop(where)
        raise InputError(
            f"{out}: holds results of scenario '{manifest['scenario']}', not '{label}'; name an output folder",
            ("out",),
        )


def check_name(out: Path, what: str = "output folder", setting: str = "out") -> None:
    """Refuse a path no file system takes, before any work: a NUL character, a name too long for the staging
    folder beside it (NAME_MAX less the staging suffix), or a path over PATH_MAX. `what` says what the path is
    for and `setting` names the argument."""
    text = str(out)
    if "\0" in text:
        raise InputError(f"{text!r}: holds a NUL character, which no file name may; choose another {what}", (setting,))
    longest = max((len(os.fsencode(part)) for part in Path(text).parts), default=0)
    if longest > NAME_BYTES:
        raise InputError(
            f"{out}: a name of {longest} bytes is too long (at most {NAME_BYTES}); choose a shorter {what}", (setting,)
        )
    if len(os.fsencode(os.path.abspath(text))) > PATH_BYTES:
        raise InputError(
            f"{out}: the path is too long (at most {PATH_BYTES:,} bytes); choose a shorter {what}", (setting,)
        )


def _probe(out: Path) -> None:
    """Prove, by making and removing a hidden folder, that `out` can be created where it is to go."""
    existing = next(p for p in [out.absolute(), *out.absolute().parents] if p.exists() or p.is_symlink())
    if not existing.is_dir():
        raise InputError(f"{out}: {existing} is a file, not a folder; choose another output folder", ("out",))
    try:
        shutil.rmtree(make_staging(existing, "probe", "stage"))
    except OSError as exc:
        raise InputError(
            f"{out}: cannot write into {existing} ({exc.strerror}); choose another output folder", ("out",)
        ) from None


def is_manifest(data: object) -> bool:
    """Whether parsed JSON is a manifest alliance-sim wrote (marked, or from before the mark: with our version)."""
    if not isinstance(data, dict):
        return False
    versions = data.get("versions")
    return data.get("tool") == TOOL or (isinstance(versions, dict) and TOOL in versions)


def read_json(path: Path) -> object:
    """A small JSON file's content, or None if it is missing, not a regular file, over MAX_JSON_BYTES,
    unreadable, not JSON or nested too deeply to parse."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_JSON_BYTES:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None


def prepare_parent(out: Path) -> Path:
    """Create the folder `out` goes in and drop staging that killed commands left there; InputError if it
    cannot be written (read-only, a file on the way, a system folder)."""
    parent = Path(out).resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise InputError(
            f"{out}: a file stands where a folder on its path should be; choose another output folder", ("out",)
        ) from None
    except OSError as exc:
        raise InputError(
            f"{out}: cannot create its folder ({exc.strerror}); choose another output folder", ("out",)
        ) from None
    remove_stale(parent)
    return parent


def snapshot(folder: Path) -> frozenset:
    """What a folder holds, to tell whether anyone changed it: every entry's path, kind, size and modification
    time, links not followed, the claim's lock file left out; empty for a missing folder."""
    seen = []
    try:
        for root, folders, files in os.walk(folder):
            for name in folders + files:
                path = os.path.join(root, name)
                if path == os.path.join(folder, LOCK):
                    continue
                info = os.lstat(path)
                kind = "folder" if name in folders and not os.path.islink(path) else "file"
                size = 0 if kind == "folder" else info.st_size
                seen.append((os.path.relpath(path, folder), kind, size, 0 if kind == "folder" else info.st_mtime_ns))
    except OSError:
        pass
    return frozenset(seen)


@dataclass
class Claim:
    """An output folder this process holds: the lock file inside it is locked until the claim ends."""

    folder: Path
    created: bool  # the claim made the folder
    handle: int


@contextmanager
def claimed(out: Path, what: str = "command") -> Iterator[Claim]:
    """Claim `out` for this process: create it (atomic: of two writers one wins), or take an exclusive lock
    inside an existing folder; a second claimant stops at once with one line. On failure a lock file the
    claim made is removed again, and so is the folder if it made it and nothing is in it."""
    out = Path(out)
    created = False
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            out.mkdir()
            created = True
        except FileExistsError:
            if out.is_symlink() or not out.is_dir():
                raise InputError(
                    f"{out}: appeared as a file or link after the command started; choose another output folder",
                    ("out",),
                ) from None
        lock_made = not (out / LOCK).exists()
        handle = os.open(out / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise machine_error(exc, out) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(
                f"{out}: another alliance-sim {what} is writing into this folder; wait for it to finish or choose "
                "another output folder",
                ("out",),
            ) from None
        yield Claim(out, created, handle)
    except BaseException:
        try:  # stopped before writing: leave nothing of the claim's own
            if lock_made:
                (out / LOCK).unlink(missing_ok=True)
            if created and not os.listdir(out):
                out.rmdir()
        except OSError:
            pass
        raise
    finally:
        os.close(handle)


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """Claim `out`, then yield a hidden staging folder to write into: on success it is synced to disk and
    replaces `out`, on any failure (an error, Ctrl-C, SIGTERM) it is removed. Only what the command claimed is
    replaced: the folder as check_target saw it (absent, empty, or an alliance-sim folder named with --force).
    Anything else found at the claim or at the end is kept, and the command stops with one line. Entering it
    proves the folder writable, so do it before long work."""
    out = Path(out)
    approved = _APPROVED.pop(out.resolve(), None)
    if approved is None:  # nobody looked before: look now, replacing nothing
        check_target(out, False)
        approved = _APPROVED.pop(out.resolve())
    parent = prepare_parent(out)
    with claimed(out) as claim:
        held = frozenset() if claim.created else snapshot(out)
        if held != approved:
            raise InputError(
                f"{out}: {_changes(approved, held)} after the command started; kept as it is and nothing written; "
                "choose another output folder",
                ("out",),
            )
        try:
            stage = make_staging(parent, out.resolve().name, "stage")
        except OSError as exc:
            raise machine_error(exc, parent) from None
        try:
            result = stage / "result"
            result.mkdir(mode=0o755)
            yield result
            sync(result)
            _swap(out, result, stage / "old", held)
            sync(parent, files=False)
        except OSError as exc:
            raise machine_error(exc, out) from None
        finally:
            shutil.rmtree(stage, ignore_errors=True)


def _swap(out: Path, result: Path, aside: Path, held: frozenset) -> None:
    """Put `result` in the place of `out`, if `out` still holds what the claim found; else keep it and stop."""
    try:
        out.rename(aside)
    except FileNotFoundError:
        aside = None
    if aside is not None and snapshot(aside) != held:
        changes = _changes(held, snapshot(aside))
        aside.rename(out)
        raise InputError(
            f"{out}: {changes} while the command ran; kept as it is and nothing written; choose another output folder",
            ("out",),
        )
    try:
        result.rename(out)
    except OSError:
        if aside is None:
            raise
        kept = out.with_name(f"{out.name}.previous-{secrets.token_hex(4)}")
        aside.rename(kept)  # out of the staging folder, which is removed next
        raise InputError(
            f"{out}: taken by another writer at the last moment; its previous content is in {kept}"
        ) from None


def _changes(before: frozenset, after: frozenset) -> str:
    """What differs between two snapshots, in words: the first entry that appeared, changed or went."""
    names = {entry[0] for entry in before ^ after}
    added = sorted(names - {entry[0] for entry in before})
    if added:
        return f"{added[0]} appeared in it" + (f" (and {len(added) - 1} more)" if len(added) > 1 else "")
    gone = sorted(names - {entry[0] for entry in after})
    return f"{gone[0]} went from it" if gone else f"{sorted(names)[0]} changed in it"


def sync(folder: Path, files: bool = True) -> None:
    """Flush a folder's files (with `files`) and the folder entries themselves to disk, so a rename that
    follows never publishes data a crash could still lose."""
    for root, _, names in os.walk(folder) if files else [(str(folder), [], [])]:
        for name in names:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                _fsync(path, os.O_RDONLY)
        _fsync(root, os.O_RDONLY | os.O_DIRECTORY)


def _fsync(path: str, flags: int) -> None:
    handle = os.open(path, flags | os.O_CLOEXEC)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yield a temporary path in a hidden staging folder beside `path`; on success it is synced and renamed
    over `path`, so readers never see a half-written file; on failure it is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stage = make_staging(path.parent, path.name, "tmp")
    temporary = stage / path.name
    try:
        yield temporary
        if temporary.exists():
            temporary.chmod(0o644)
        sync(stage)
        os.replace(temporary, path)
        sync(path.parent, files=False)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def make_staging(parent: Path, name: str, kind: str) -> Path:
    """A new hidden staging folder in `parent`, '.<name>.<kind>-<pid>-<token>', carrying this tool's marker."""
    folder = parent / hidden(name, kind)
    folder.mkdir(mode=0o755)
    mark(folder)
    return folder


def mark(folder: Path) -> None:
    """Write this tool's marker into a staging folder: its name under the tool's, so no user file matches."""
    (folder / MARKER).write_text(_mark(folder.name), encoding="utf-8")


def _mark(name: str) -> str:
    return f"{TOOL} staging {name}\n"


def is_staging(entry: Path) -> bool:
    """Whether `entry` is a staging folder this tool made: named so, a real folder, with its own marker inside."""
    if STAGING.match(entry.name) is None or entry.is_symlink() or not entry.is_dir():
        return False
    marker = entry / MARKER
    try:
        return marker.is_file() and not marker.is_symlink() and marker.read_text(encoding="utf-8") == _mark(entry.name)
    except (OSError, UnicodeDecodeError):
        return False


def machine_error(exc: OSError, where: Path | None = None) -> InputError:
    """An error of the machine (no space, name too long, permission, read-only disk...) as one line naming the
    path and the cause."""
    path = exc.filename or where or "the output"
    cause = exc.strerror or (os.strerror(exc.errno) if exc.errno else str(exc) or exc.__class__.__name__)
    fix = {
        errno.ENOSPC: "free some space or choose another output folder",
        errno.EDQUOT: "free some space or choose another output folder",
        errno.ENAMETOOLONG: "choose a shorter output folder",
        errno.EACCES: "choose a folder you may write into",
        errno.EPERM: "choose a folder you may write into",
        errno.EROFS: "choose a folder on a writable disk",
    }.get(exc.errno, "choose another output folder")
    return InputError(f"{path}: {cause}; whatever was there is kept; {fix}", ("out",))


def hidden(name: str, kind: str) -> str:
    """'.<name>.<kind>-<pid>-<token>': hidden, and traceable to the process writing it."""
    return f".{name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def remove_stale(folder: Path, any_process: bool = False) -> list[Path]:
    """Remove this tool's staging folders in `folder` whose writing process is gone (with `any_process`, every
    one: the caller holds the folder's lock). Entries merely named like staging are never touched."""
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = STAGING.match(entry.name)
        if match is None or (not any_process and _alive(int(match["pid"]))):
            continue
        if not (is_staging(entry) or _unmarked(entry)):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _unmarked(entry: Path) -> bool:
    """Whether `entry`, named as staging, is one a command was killed in the middle of making: a real folder
    holding nothing, or nothing but its marker partly written. Removing it loses nothing."""
    if entry.is_symlink():
        return False
    marker = entry / MARKER
    try:
        inside = list(entry.iterdir())  # a file raises: it is not a folder
        if not inside:
            return True
        only_marker = inside == [marker] and marker.is_file() and not marker.is_symlink()
        return only_marker and _mark(entry.name).startswith(marker.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return False


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
