"""Follow one `--set NAME=VALUE` from the command line to the equations, and print the path it takes.

    python benchmarks/trace_parameter.py peer_weight

Runs `alliance-sim run baseline --set NAME=VALUE` (two runs, into a temporary folder) in this process
and prints the project's call stack at two places: where the override is merged into the scenario, and
where its value enters a parameter record (`dynamics.rates`), which every equation reads; each distinct
path is printed once.
A hop is one call between project functions on that stack; files are the distinct modules it passes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.cli.main import main
from sim.experiments import request
from sim.model import dynamics

PACKAGE = str(Path(request.__file__).resolve().parents[1])


def project_stack() -> list[traceback.FrameSummary]:
    """The frames of the current stack that lie in the package, outermost first (this tool's own left out)."""
    return [frame for frame in traceback.extract_stack()[:-2] if frame.filename.startswith(PACKAGE)]


def watch(module: Any, name: str, seen: list[tuple[str, list[traceback.FrameSummary]]]) -> Callable[[], None]:
    """Wrap `module.name` so that each call records the project stack; returns the undo."""
    original = getattr(module, name)

    def watched(*args: Any, **kwargs: Any) -> Any:
        seen.append((f"{module.__name__}.{name}", project_stack()))
        return original(*args, **kwargs)

    setattr(module, name, watched)
    return lambda: setattr(module, name, original)


def report(where: str, stack: list[traceback.FrameSummary]) -> None:
    files = {frame.filename for frame in stack}
    print(f"\n{where}: {len(stack)} project frames ({len(stack) - 1} hops), {len(files)} files")
    for frame in stack:
        print(f"  {Path(frame.filename).relative_to(PACKAGE).as_posix()}:{frame.lineno} {frame.name}")


def main_(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", default="peer_weight", help="a parameter name (default peer_weight)")
    parser.add_argument("--value", type=float, default=0.3141, help="the value to set (default 0.3141)")
    args = parser.parse_args(argv)
    seen: list[tuple[str, list[traceback.FrameSummary]]] = []
    undo = [watch(request, "with_overrides", seen), watch(dynamics, "rates", seen)]
    try:
        with tempfile.TemporaryDirectory() as folder:
            command = ["run", "baseline", "--runs", "2", "--seed", "0"]
            command += ["--set", f"{args.name}={args.value}", "--out", f"{folder}/out"]
            status = main(command)
    finally:
        for step in undo:
            step()
    if status:
        return int(status)
    merges = [stack for where, stack in seen if where.endswith("with_overrides")]
    print(f"\nthe override is merged {len(merges)} time(s)")
    distinct = {tuple((f.filename, f.lineno) for f in stack): (where, stack) for where, stack in reversed(seen)}
    for where, stack in reversed(distinct.values()):
        report(where, stack)
    return 0


if __name__ == "__main__":
    sys.exit(main_())
