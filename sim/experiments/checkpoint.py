"""The fit's checkpoint: every batch of points the fit has evaluated, and its best point so far, kept in its output
folder, so that an interrupted fit run again with `--resume` replays what it had done instead of simulating it
again, and ends exactly as the same fit run without interruption (the search and the posterior are deterministic
for a seed, so replaying the same evaluations retraces the same path)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.inputs.documents import InputError
from sim.outputs.destination import read_json, replacing
from sim.outputs.results import write_json

#: The evaluations so far, rewritten (atomically) after every batch.
CHECKPOINT = "checkpoint.npz"
#: The best point of the search so far, readable while the fit runs.
BEST = "best_so_far.json"
#: One evaluation: the batch's key (parameters, replicates, seed), its points, medians and margins.
Entry = tuple[str, np.ndarray, np.ndarray, np.ndarray]
Evaluation = tuple[np.ndarray, np.ndarray]


@dataclass
class Journal:
    """The evaluations of one fit in the order it asked for them; `settings` say which fit (they must match to
    resume); `manifest` marks the folder as this tool's while the fit is unfinished."""

    folder: Path
    settings: dict[str, Any]
    manifest: dict[str, Any]
    entries: list[Entry] = field(default_factory=list)
    calls: int = 0

    @classmethod
    def resume(cls, folder: Path, settings: dict[str, Any], manifest: dict[str, Any]) -> Journal:
        """The journal an interrupted fit left in `folder`; InputError if there is none or it is another fit's."""
        path = folder / CHECKPOINT
        try:
            with np.load(path, allow_pickle=False) as stored:
                found = json.loads(str(stored["settings"]))
                keys = [str(key) for key in stored["keys"]]
                entries = [
                    (key, stored[f"points_{i}"], stored[f"medians_{i}"], stored[f"margins_{i}"])
                    for i, key in enumerate(keys)
                ]
        except FileNotFoundError:
            absent = f"{folder}: holds no interrupted fit to resume (no {CHECKPOINT}); run without --resume"
            raise InputError(absent) from None
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(
                f"{path}: unreadable checkpoint ({exc}); start again with --force instead of --resume"
            ) from None
        differ = [name for name in settings if found.get(name) != settings[name]]
        if differ:
            name = differ[0]
            what = f"another {name}" if name.endswith("file") else f"{name} {found.get(name)}, not {settings[name]}"
            raise InputError(
                f"{path}: the fit was started with {what}; resume with the same settings and files, or start again "
                "with --force instead of --resume"
            )
        return cls(folder, settings, manifest, entries)

    def evaluate(self, key: str, points: np.ndarray, compute: Callable[[np.ndarray], Evaluation]) -> Evaluation:
        """`compute(points)`, or what it gave when the interrupted fit asked for the same batch at this turn."""
        turn, self.calls = self.calls, self.calls + 1
        if turn < len(self.entries):
            stored, stored_points, medians, margins = self.entries[turn]
            if stored != key or not np.array_equal(stored_points, points):
                raise InputError(
                    f"{self.folder / CHECKPOINT}: the fit asked for other points than its checkpoint holds (batch "
                    f"{turn}); start again with --force instead of --resume"
                )
            return medians, margins
        medians, margins = compute(points)
        self.entries.append((key, points.copy(), medians, margins))
        self._save()
        return medians, margins

    def best(self, values: dict[str, float], loss: float, met: int, evaluations: int) -> None:
        """Write the search's best point so far."""
        record = {"evaluations": evaluations, "loss": round(loss, 4), "targets_met": met, "parameters": values}
        with replacing(self.folder / BEST) as path:
            write_json(record, path)

    def _save(self) -> None:
        if read_json(self.folder / "manifest.json") is None:
            with replacing(self.folder / "manifest.json") as path:
                write_json(self.manifest, path)
        arrays: dict[str, np.ndarray] = {
            "settings": np.array(json.dumps(self.settings)),
            "keys": np.array([key for key, *_ in self.entries]),
        }
        for i, (_, points, medians, margins) in enumerate(self.entries):
            arrays |= {f"points_{i}": points, f"medians_{i}": medians, f"margins_{i}": margins}
        with replacing(self.folder / CHECKPOINT) as path, path.open("wb") as stream:
            np.savez(stream, **arrays)  # type: ignore[arg-type]
