"""Optional parts of alliance-sim and the extra that installs each: a clear error instead of an ImportError."""

from __future__ import annotations

import importlib.util

from sim.inputs.documents import InputError

#: What each extra adds, by the module it needs.
EXTRAS = {
    "viz": ("solara", "the classroom visualizer"),
    "dask": ("dask.distributed", "the Dask cluster executor"),
    "xarray": ("xarray", "Result.to_xarray"),
    "ema": ("ema_workbench", "sim.ema, the EMA Workbench model"),
}


def require(extra: str) -> None:
    """InputError naming the install command if the extra's module is not installed."""
    module, what = EXTRAS[extra]
    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package (dask) is missing
        found = False
    if not found:
        raise InputError(f"{what} needs the '{extra}' extra: pip install 'alliance-sim[{extra}]'")
