"""Scenario YAMLs that ship inside the package as `sim.scenarios` (read through importlib.resources)."""
