"""The fit's checkpoint: every batch of points the fit has evaluated, and its best point so far, kept in its output
folder, so that an interrupted fit run again with `--resume` replays what it had done instead of simulating it
again, and ends exactly as the same fit run without interruption (the search and the posterior are deterministic
for a seed, so replaying the same evaluations retraces the same path)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.inputs.documents import InputError
from sim.outputs.destination import read_json, replacing
from sim.outputs.results import write_json

#: The evaluations so far: a folder of one file per batch, each written atomically when the batch is done.
CHECKPOINT = "checkpoint"
#: The fit's settings, in the checkpoint: a resumed fit must have the same.
SETTINGS = "settings.json"
#: The best point of the search so far, readable while the fit runs.
BEST = "best_so_far.json"
Evaluation = tuple[np.ndarray, np.ndarray]


@dataclass
class Journal:
    """The evaluations of one fit in the order it asked for them; `settings` say which fit (they must match to
    resume); `manifest` marks the folder as this tool's while the fit is unfinished."""

    folder: Path
    settings: dict[str, Any]
    manifest: dict[str, Any]
    done: int = 0  # batches in the checkpoint
    calls: int = 0

    @classmethod
    def resume(cls, folder: Path, settings: dict[str, Any], manifest: dict[str, Any]) -> Journal:
        """The journal an interrupted fit left in `folder`; InputError if there is none or it is another fit's."""
        found = read_json(folder / CHECKPOINT / SETTINGS)
        if not isinstance(found, dict):
            absent = f"{folder}: holds no interrupted fit to resume (no {CHECKPOINT}/{SETTINGS}); run without resuming"
            raise InputError(absent, ("resume",))
        differ = [name for name in settings if found.get(name) != settings[name]]
        if differ:
            name = differ[0]
            what = f"another {name}" if name.endswith("file") else f"{name} {found.get(name)}, not {settings[name]}"
            raise InputError(
                f"{folder / CHECKPOINT}: the fit was started with {what}; resume with the same settings and files, "
                "or start again, replacing the folder, instead of resuming",
                ("force", "resume"),
            )
        done = 0
        while (folder / CHECKPOINT / _batch(done)).is_file():
            done += 1
        return cls(folder, settings, manifest, done)

    def evaluate(self, key: str, points: np.ndarray, compute: Callable[[np.ndarray], Evaluation]) -> Evaluation:
        """`compute(points)`, or what it gave when the interrupted fit asked for the same batch at this turn."""
        turn, self.calls = self.calls, self.calls + 1
        path = self.folder / CHECKPOINT / _batch(turn)
        if turn < self.done:
            try:
                with np.load(path, allow_pickle=False) as stored:
                    same = str(stored["key"]) == key and np.array_equal(stored["points"], points)
                    medians, margins = stored["medians"], stored["margins"]
            except (OSError, ValueError, KeyError) as exc:
                again = "start again, replacing the folder, instead of resuming"
                raise InputError(f"{path}: unreadable ({exc}); {again}", ("force", "resume")) from None
            if not same:
                raise InputError(
                    f"{path}: the fit asked for other points than its checkpoint holds; start again, replacing the "
                    "folder, instead of resuming",
                    ("force", "resume"),
                )
            return medians, margins
        medians, margins = compute(points)
        if turn == 0:
            self._start()
        with replacing(path) as temporary, temporary.open("wb") as stream:
            np.savez(stream, key=np.array(key), points=points, medians=medians, margins=margins)
        return medians, margins

    def best(self, values: dict[str, float], loss: float, met: int, evaluations: int) -> None:
        """Write the search's best point so far."""
        record = {"evaluations": evaluations, "loss": round(loss, 4), "targets_met": met, "parameters": values}
        with replacing(self.folder / BEST) as path:
            write_json(record, path)

    def _start(self) -> None:
        """Mark the folder as this tool's (unless it is already) and write the settings into a new checkpoint."""
        if read_json(self.folder / "manifest.json") is None:
            with replacing(self.folder / "manifest.json") as path:
                write_json(self.manifest, path)
        if (self.folder / CHECKPOINT).is_dir():
            shutil.rmtree(self.folder / CHECKPOINT)  # a fit started again (--force) drops the old checkpoint
        with replacing(self.folder / CHECKPOINT / SETTINGS) as path:
            write_json(self.settings, path)


def _batch(turn: int) -> str:
    return f"batch-{turn:06d}.npz"
