"""Argument types shared by the subcommands: one-line errors, whole numbers, lists checked against names."""

from __future__ import annotations

import argparse


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump), exit status 2."""

    def error(self, message: str):
        from sim.inputs.documents import error_line

        self.exit(2, f"{self.prog}: error: {error_line(message)} (see '{self.prog} --help')\n")


def whole_number(minimum: int):
    """An argparse type: a whole number no smaller than `minimum`, with a clear message otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def uncertainty_sources(text: str) -> tuple[str, ...]:
    """The --uncertainty list: any of shocks, parameters, evidence (or 'none')."""
    from sim.experiments.uncertainty import SOURCES, chosen_sources
    from sim.inputs.documents import InputError

    try:
        chosen = chosen_sources(text)
    except InputError:
        chosen = None
    if chosen is None or (not chosen and text.strip() != "none"):
        raise argparse.ArgumentTypeError(f"'{text}': choose from {', '.join(SOURCES)} (comma-separated) or none")
    return chosen


def series_names(text: str) -> tuple[str, ...]:
    """The --series list: series kept in the trajectories file besides alignment (or 'alignment' alone)."""
    from sim.experiments.request import chosen_series
    from sim.inputs.documents import InputError

    try:
        return chosen_series(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(f"'{text}': {exc}") from None


def figure_formats(text: str) -> tuple[str, ...]:
    """The --figures list: the files each figure is written as, any of png, svg, pdf."""
    from sim.experiments.request import chosen_figures
    from sim.inputs.documents import InputError

    try:
        return chosen_figures(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(f"'{text}': {str(exc).split(': ', 1)[-1]}") from None


def add_figures(parser: argparse.ArgumentParser, besides: str = "") -> None:
    """The --figures option: the files each figure is written as (`besides` says what is written anyway)."""
    parser.add_argument(
        "--figures",
        type=figure_formats,
        default=("png",),
        metavar="FORMATS",
        help=f"comma-separated files each figure is written as{besides}: png, svg, pdf (default png); each carries "
        "its caption and source line",
    )


#: Settings whose flag is not '--' and the setting's name with hyphens.
FLAG_OF = {"overrides": "--set"}


def flags(settings: tuple[str, ...]) -> str:
    """The command line's flags for the settings an error's fix is about, as ' (--runs)', or nothing."""
    if not settings:
        return ""
    return f" ({', '.join(FLAG_OF.get(name, '--' + name.replace('_', '-')) for name in settings)})"


positive_int = whole_number(1)


seed_int = whole_number(0)
