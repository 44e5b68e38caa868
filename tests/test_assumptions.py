"""Every fitted parameter has a prior that the documents justify, inside its plausible range; the fit and its
posterior stay inside the priors, and the committed fit records them."""

from __future__ import annotations

import pandas as pd
import yaml

from sim.experiments.assumptions import FITTED, HELD, PRIORS, prior_bounds
from sim.inputs.packaged import FITTED as FITTED_FILE
from sim.inputs.parameters import BY_NAME


def test_each_fitted_parameter_has_a_prior_inside_its_range_that_cites_a_document() -> None:
    assert set(PRIORS) == set(FITTED) and not set(FITTED) & set(HELD)
    for name, prior in PRIORS.items():
        spec = BY_NAME[name]
        assert spec.low <= prior.low < prior.high <= spec.high, name
        assert prior.low <= spec.default <= prior.high, f"{name}: the search starts outside its prior"
        assert any(f"00{k}" in prior.reason for k in range(5)), f"{name}: the reason cites no document"


def test_the_committed_fit_and_its_posterior_lie_inside_the_priors() -> None:
    fit = yaml.safe_load(FITTED_FILE.read_text())
    assert set(fit["priors"]) == set(fit["parameters"])
    for name, value in fit["parameters"].items():
        recorded = fit["priors"][name]
        assert (recorded["low"], recorded["high"]) == (PRIORS[name].low, PRIORS[name].high), name
        assert recorded["low"] <= value <= recorded["high"], name
    points = pd.read_csv(FITTED_FILE.parent / "posterior.csv")
    names = tuple(n for n in points.columns if n in PRIORS)
    assert names, "the posterior names no fitted parameter"
    low, high = prior_bounds(names).T
    values = points[list(names)].to_numpy()
    assert ((values >= low - 1e-9) & (values <= high + 1e-9)).all()
