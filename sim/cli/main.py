"""The `alliance-sim` command line."""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import signal
import sys
import textwrap
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.cli.arguments import (
    Parser,
    add_figures,
    flags,
    positive_int,
    seed_int,
    series_names,
    uncertainty_sources,
)
from sim.inputs.documents import InputError, error_line


def cmd_run(args: argparse.Namespace) -> int:
    from sim.api import request, simulate
    from sim.outputs.results import key_numbers

    chosen = request(
        args.scenario,
        runs=args.runs,
        seed=args.seed,
        engine=args.engine,
        uncertainty=args.uncertainty,
        format=args.format,
        series=args.series,
        figures=args.figures,
        **dict(args.set),
    )
    result = simulate(chosen, out=args.out or True, force=args.force)
    print(key_numbers(result.summary, result.uncertainty))
    print(f"wrote {result.folder}")
    return 0


def override(text: str) -> tuple[str, float]:
    """A --set value, NAME=VALUE with a number (the name is checked against the parameters when the run starts)."""
    name, equals, value = text.partition("=")
    try:
        return name.strip(), float(value)
    except ValueError:
        reason = "a number" if equals else "NAME=VALUE"
        raise argparse.ArgumentTypeError(f"'{text}': expected {reason}, e.g. peer_weight=0.2") from None


def cmd_explain(args: argparse.Namespace) -> int:
    if args.moves:
        from sim.experiments.attribution import explain_moves

        print(explain_moves(args.name, Path(args.scenario), args.runs, args.seed))
        return 0
    from sim.outputs.explain import explain

    print(explain(args.name, Path(args.scenario), args.month, args.seed))
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    from sim.outputs.explain import parameter_table

    print(parameter_table(Path(args.scenario) if args.scenario else None, args.format), end="")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    from sim.inputs.scenario import shipped_scenarios

    for name, description, extends in shipped_scenarios():
        print(f"{name}" + (f" (extends {extends})" if extends else ""))
        print(textwrap.fill(description, width=100, initial_indent="    ", subsequent_indent="    "))
    print("\nRun one by name, e.g. 'alliance-sim run no_invasion'; copy its file to write your own.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="alliance-sim",
        description="Simulate how post-Soviet states shift alignment between Russia, the US, China and Turkey.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="simulate a scenario as a Monte Carlo ensemble and write results and plots")
    run.add_argument("scenario", help="scenario YAML, e.g. scenarios/baseline.yaml, or a shipped one's name (baseline)")
    run.add_argument("--runs", type=positive_int, default=200, help="number of Monte Carlo runs (default 200)")
    run.add_argument("--seed", type=seed_int, default=0, help="seed fixing every random number (default 0)")
    run.add_argument("--out", type=Path, help="output folder (default results/<scenario name>/)")
    run.add_argument(
        "--engine",
        choices=["ensemble", "mesa"],
        default="ensemble",
        help="ensemble: all runs at once (fast); mesa: one Mesa model per run (same numbers)",
    )
    run.add_argument("--format", choices=["parquet", "csv"], default="parquet", help="trajectories file format")
    run.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    run.add_argument(
        "--uncertainty",
        type=uncertainty_sources,
        metavar="SOURCES",
        help="comma-separated sources each run carries: shocks, parameters (a draw from the calibration "
        "posterior), evidence (a draw of the starting levels); default all three",
    )
    add_figures(run)
    run.add_argument(
        "--series",
        type=series_names,
        metavar="SERIES",
        help="comma-separated series the trajectories file keeps: alignment (always), credibility, economic, "
        "security, outreach; default all",
    )
    run.add_argument(
        "--set",
        type=override,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="hold a parameter at this value in every run, over the fit and the scenario (repeatable; "
        "'alliance-sim params' lists them)",
    )
    run.set_defaults(func=cmd_run)

    explain = sub.add_parser(
        "explain",
        help="a state's starting attributes and the evidence behind each, or a power's allocation and its reasons",
    )
    explain.add_argument("name", help="a state (e.g. Kazakhstan) or a power (e.g. Russia)")
    explain.add_argument("--scenario", default=str(_baseline()), help="scenario whose powers to use (default baseline)")
    explain.add_argument("--month", help="for a power: the month to explain, YYYY-MM (default: the scenario's end)")
    explain.add_argument(
        "--seed", type=seed_int, default=0, help="seed of the run (or, with --moves, the runs) explained (default 0)"
    )
    explain.add_argument(
        "--moves",
        action="store_true",
        help="for a state, or 'all': its largest 12-month move in the scenario's runs and the events behind it "
        "(each event removed in turn from the same runs)",
    )
    explain.add_argument("--runs", type=positive_int, default=100, help="with --moves: runs simulated (default 100)")
    explain.set_defaults(func=cmd_explain)

    scenarios = sub.add_parser("scenarios", help="list the shipped scenarios, each with the question it asks")
    scenarios.set_defaults(func=cmd_scenarios)

    params = sub.add_parser("params", help="list every tunable parameter with default, range and meaning")
    params.add_argument(
        "scenario", nargs="?", help="show the values this scenario uses (default: the model's defaults)"
    )
    params.add_argument("--format", choices=["table", "csv"], default="table")
    params.set_defaults(func=cmd_params)

    for module in EXTENSIONS:
        importlib.import_module(f"sim.cli.{module}").register(sub)
    return parser


#: Modules adding their own subcommands through `register(subparsers)`.
EXTENSIONS = ("batch", "viz", "calibrate", "sensitivity", "compare", "sources", "forecast")


def _baseline() -> Path:
    from sim.inputs.packaged import BASELINE

    return BASELINE


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that staging folders and partial files are cleaned up on the way out."""


def _terminate(signum, frame) -> None:
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handled = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if handled else None
    try:
        with _notices():
            return args.func(args)
    except InputError as exc:
        print(f"alliance-sim: error: {error_line(str(exc) + flags(exc.settings))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader (e.g. `| head`) stopped reading: stop quietly, as Python's docs advise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:  # no space, permission, read-only disk met outside a staged write: still one line
        from sim.outputs.destination import MACHINE_ERRORS, machine_error

        if exc.errno not in MACHINE_ERRORS:
            raise
        print(f"alliance-sim: error: {machine_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as stop:
        print("alliance-sim: interrupted; nothing was written", file=sys.stderr)
        return 143 if isinstance(stop, Terminated) else 130
    finally:
        if handled:
            signal.signal(signal.SIGTERM, previous)


@contextmanager
def _notices() -> Iterator[None]:
    """While a command runs, the package's own warnings are each a line on standard error ("alliance-sim: warning:
    ..."), not Python's report of a source line; on a terminal, so is what the package logs at INFO or above (a
    first compile's wait): a log or a pipe gets only the command's own output, its progress lines and warnings."""
    with warnings.catch_warnings():
        warnings.showwarning = _as_lines(warnings.showwarning)
        if not sys.stderr.isatty():
            yield
            return
        with _logged():
            yield


#: The package's own folder: a warning raised from a file in it is one of its own.
PACKAGE = Path(__file__).resolve().parents[1]


def _as_lines(show: Callable[..., None]) -> Callable[..., None]:
    """`warnings.showwarning` that writes the package's own warnings as one escaped line and leaves others to `show`."""

    def shown(message: Warning | str, category: type[Warning], filename: str, lineno: int, *rest: object) -> None:
        if issubclass(category, UserWarning) and Path(filename).resolve().is_relative_to(PACKAGE):
            print(f"alliance-sim: warning: {error_line(str(message))}", file=sys.stderr)
        else:
            show(message, category, filename, lineno, *rest)

    return shown


@contextmanager
def _logged() -> Iterator[None]:
    """What the package logs at INFO or above, as lines on standard error."""
    package = logging.getLogger("sim")
    handler, level = logging.StreamHandler(sys.stderr), package.level
    handler.setFormatter(logging.Formatter("alliance-sim: %(message)s"))
    package.setLevel(logging.INFO)
    package.addHandler(handler)
    try:
        yield
    finally:
        package.removeHandler(handler)
        package.setLevel(level)


def command_line() -> int:
    """`alliance-sim` as a program: `main`, then the interpreter's teardown skips tracing every object it still
    holds for cycles (0.3-0.4 s with numba, pandas and matplotlib loaded), memory the process's end frees anyway."""
    status = main()
    gc.freeze()
    return status


if __name__ == "__main__":
    sys.exit(command_line())
