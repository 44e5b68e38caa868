"""The model's agents: the ten states and the powers courting them.

Attributes live in the model's `World` arrays so that every state moves from the same
snapshot each month (a simultaneous update); the agents are views onto their row or column.
"""

from __future__ import annotations

import mesa
import numpy as np
from mesa.discrete_space import FixedAgent

from .trajectories import hedging_index


class StateAgent(FixedAgent):
    """A post-Soviet state choosing how to spread its orientation over the powers."""

    def __init__(self, model: mesa.Model, name: str, index: int) -> None:
        super().__init__(model)
        self.name, self.index = name, index

    def _row(self, attribute: str) -> np.ndarray:
        return getattr(self.model.world, attribute)[0, self.index]

    @property
    def alignment(self) -> dict[str, float]:
        """Share of orientation toward each power (sums to 1)."""
        return dict(zip(self.model.powers, self._row("alignment").tolist(), strict=True))

    @property
    def dominant_partner(self) -> str:
        return self.model.powers[int(self._row("alignment").argmax())]

    @property
    def hedging(self) -> float:
        """Normalised entropy of the orientation: 0 = one patron, 1 = even split."""
        return float(hedging_index(self._row("alignment")))

    @property
    def dependence(self) -> dict[str, float]:
        """Economic + security + regime dependence on each power."""
        total = self._row("economic") + self._row("security") + self._row("regime")
        return dict(zip(self.model.powers, total.tolist(), strict=True))

    @property
    def threat(self) -> float:
        """Threat from neighbours and insurgents (the demand for a protector)."""
        return float(self._row("neighbour_threat") + self._row("insurgent_threat"))

    @property
    def credibility(self) -> dict[str, float]:
        """How credible each power is to this state as a security guarantor."""
        return dict(zip(self.model.powers, self._row("credibility").tolist(), strict=True))


class PowerAgent(mesa.Agent):
    """A power (Russia, US, China, Turkey, ...) with capability, free capacity and outreach."""

    def __init__(self, model: mesa.Model, name: str, index: int) -> None:
        super().__init__(model)
        self.name, self.index = name, index

    def _column(self, attribute: str) -> np.ndarray:
        return getattr(self.model.world, attribute)[0, ..., self.index]

    @property
    def capability(self) -> float:
        return float(self._column("capability"))

    @property
    def free_capacity(self) -> float:
        """Share of capability not absorbed elsewhere (e.g. by a war)."""
        return float(self._column("free_capacity"))

    @property
    def credibility(self) -> float:
        """Mean credibility as a guarantor across the states."""
        return float(self._column("credibility").mean())

    @property
    def outreach(self) -> float:
        """Total engagement effort across the states this month."""
        return float(self._column("outreach").sum())

    @property
    def clients(self) -> int:
        """Number of states whose largest share is with this power."""
        return int((self.model.world.alignment[0].argmax(axis=1) == self.index).sum())
