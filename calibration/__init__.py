"""Evidence, targets, the fit and its sources, shipped inside the package as `sim.calibration`."""
