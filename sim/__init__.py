"""alliance-sim: how post-Soviet states shift alignment between Russia, the US, China and Turkey.

The Python API (`sim.api`): `load` a scenario, `simulate` it (or build a checked `request` first), run an
`experiment`, run a table of parameter points (`simulate_points`), `compare` results folders, list the
`params`; `Result` is what `simulate` returns;
`sim.plot` draws the figures as matplotlib Figures in the colours of `PALETTE`.
They load on first use, so `import sim` stays light.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version


def _own_version() -> str:
    """The version pyproject.toml gives, the one place it is written: from the installed package's metadata, or
    read from pyproject.toml itself in a source checkout that was never installed."""
    try:
        return _version("alliance-sim")
    except PackageNotFoundError:
        import tomllib
        from pathlib import Path

        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        try:
            return str(tomllib.loads(pyproject.read_text())["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "0+unknown"


__version__ = _own_version()
__all__ = [
    "PALETTE",
    "InputError",
    "Result",
    "compare",
    "experiment",
    "load",
    "params",
    "request",
    "simulate",
    "simulate_points",
]


def __getattr__(name: str):
    if name == "PALETTE":
        from sim.plot import PALETTE

        return PALETTE
    if name == "InputError":
        from sim.inputs.documents import InputError

        return InputError
    if name in __all__:
        from sim import api

        return getattr(api, name)
    raise AttributeError(f"module 'sim' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
