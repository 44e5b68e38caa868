"""The one way a command writes a results folder: check the target, check the cost, stage, write, manifest.

Each command says only what is its own: its inputs, its cost, the files it writes and what its manifest
records. The manifest always carries the tool's mark, the versions, the time and the command line that
makes the folder again.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.inputs.limits import Cost
from sim.outputs.destination import TOOL, check_target, staged
from sim.outputs.results import provenance, versions, write_json


@dataclass(frozen=True)
class Invocation:
    """A command as settings: its name, its positional arguments and its options by name. `command_line`
    spells it as flags: an option `max_evals` is `--max-evals`, True is a bare flag, False and None are left
    out, a list or tuple is comma-separated text, and `set` (a parameter override) repeats once per pair."""

    command: str
    arguments: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)

    def command_line(self) -> str:
        words = ["alliance-sim", self.command, *self.arguments]
        for name, value in self.options.items():
            flag = "--" + name.replace("_", "-")
            if value is None or value is False:
                continue
            if value is True:
                words.append(flag)
            elif name == "set":
                for key, number in dict(value).items():
                    words += [flag, f"{key}={float(number)!r}"]
            elif isinstance(value, list | tuple):
                words += [flag, ",".join(map(str, value)) or "none"]
            else:
                words += [flag, str(value)]
        return shlex.join(words)


@dataclass(frozen=True)
class Folder:
    """Where a command writes and what it must not replace: `inputs` are never inside it, and `label` (for a
    default folder) is the scenario whose results it may replace."""

    out: Path
    force: bool = False
    inputs: tuple[Path, ...] = ()
    label: str | None = None


def write_results(
    folder: Folder,
    cost: Cost,
    what: str,
    fix: str,
    write: Callable[[Path], dict[str, Any]],
    reproduce: Invocation | Callable[[], Invocation],
    *,
    settings: tuple[str, ...] = (),
    before: Callable[[], object] | None = None,
    after: Callable[[Path, dict[str, Any]], object] | None = None,
    checkpointed: bool = False,
) -> Path:
    """Write a results folder: refuse a folder that must not be written, refuse a cost that will not fit (`what`
    it is, the `fix` and the `settings` it is about), then call `write(stage)`, which writes the command's files
    into the staging folder and returns what its manifest records; manifest.json follows, then `after(stage,
    manifest)` (a page drawn from it), and the folder replaces `folder.out` whole. `before` runs after the
    checks and before the claim; `reproduce` may be a function, asked after `write`.

    A `checkpointed` command keeps its checkpoint in `folder.out` while `before` works (so that an interrupted
    run can resume): the folder as `before` leaves it is what the finished results replace."""
    out = Path(folder.out)
    check_target(out, folder.force, inputs=folder.inputs, label=folder.label)
    cost.check(out, what, fix, settings)
    if before is not None:
        before()
    if checkpointed:
        check_target(out, True, inputs=folder.inputs)
    with staged(out) as stage:
        details = write(stage)
        manifest = stamped(details, reproduce if isinstance(reproduce, Invocation) else reproduce())
        write_json(manifest, stage / "manifest.json")
        if after is not None:
            after(stage, manifest)
    return out


def stamped(details: Mapping[str, Any], reproduce: Invocation) -> dict[str, Any]:
    """A manifest: the tool's mark, what the command records, which alliance-sim made it (version, and the git
    commit from a checkout), the versions, the time and the command line."""
    return {
        "tool": TOOL,
        **details,
        "made_by": provenance(),
        "versions": versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "reproduce": reproduce.command_line(),
    }
