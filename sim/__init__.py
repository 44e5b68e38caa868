"""alliance-sim: how post-Soviet states shift alignment between Russia, the US, China and Turkey.

The Python API (`sim.api`): `load` a scenario, `simulate` it, run an `experiment`, `compare` results folders.
They load on first use, so `import sim` stays light.
"""

__version__ = "0.1.0"
__all__ = ["InputError", "compare", "experiment", "load", "simulate"]


def __getattr__(name: str):
    if name == "InputError":
        from sim.inputs.documents import InputError

        return InputError
    if name in __all__:
        from sim import api

        return getattr(api, name)
    raise AttributeError(f"module 'sim' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
