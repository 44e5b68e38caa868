"""The model's agents: the ten states and the powers courting them.

Attributes live in the model's `World` arrays so that every state moves from the same snapshot
each month (a simultaneous update). Powers decide how to spend their effort and whom to press;
states decide whether to call for help and whether to stay in their blocs. Each agent takes part in
the phases of `sim.model.dynamics.MONTH` that are its kind's, calling the phase's rule for itself
alone; the ensemble engine calls the same rules for every agent at once.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.inputs.geography import BLOCS
from sim.model import dynamics
from sim.model.trajectories import hedging_index

#: How a bloc standing code reads.
STANDING = {dynamics.NOT_MEMBER: "-", dynamics.MEMBER: "member", dynamics.FROZEN: "frozen", dynamics.LEFT: "left"}


class StateAgent(mesa.Agent):  # type: ignore[misc]  # mesa has no type information
    """A post-Soviet state spreading its orientation over the powers, calling for help in a crisis
    and freezing or leaving a bloc whose leader it no longer trusts."""

    def __init__(self, model: mesa.Model, name: str, index: int) -> None:
        super().__init__(model)
        self.name, self.index = name, index

    def act(self, phase: dynamics.Phase) -> None:
        """Take part in a states' phase of the month: if a crisis has just flared up, call on the security
        patron, whose answer moves its reputation (`dynamics.appeal`); freeze, leave or return to each bloc
        by how credible its leader has been for months (`dynamics.review`)."""
        phase.act(self.model.month, np.array([self.index]))

    def _row(self, attribute: str) -> np.ndarray:
        return getattr(self.model.world, attribute)[0, self.index]

    def level(self, series: str, power: int) -> float:
        """This month's value of a per-power series (alignment, credibility, economic, ...) toward one power."""
        return float(self._row(series)[power])

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
        """Threat from neighbours, insurgents and any crisis now (the demand for a protector)."""
        w, i = self.model.world, self.index
        return float(dynamics.total_threat(w.neighbour_threat[0, i], w.insurgent_threat[0, i], w.acute_threat[0, i]))

    @property
    def blocs(self) -> dict[str, str]:
        """Standing in each bloc it belongs or belonged to: member, frozen or left."""
        standing = self.model.world.participation[0, :, self.index]
        return {bloc: STANDING[int(code)] for bloc, code in zip(BLOCS, standing, strict=True) if code}


class PowerAgent(mesa.Agent):  # type: ignore[misc]  # mesa has no type information
    """A power (Russia, US, China, Turkey, ...) spending an outreach budget across the states by its
    strategy, and pressing clients that drift away if its strategy allows coercion."""

    def __init__(self, model: mesa.Model, name: str, index: int) -> None:
        super().__init__(model)
        self.name, self.index = name, index

    def act(self, phase: dynamics.Phase) -> None:
        """Take part in the powers' phase of the month (`dynamics.decide`): reallocate effort toward the
        states where it gains or defends most; press drifting clients.

        Every power judges last month's situation (the model's snapshot), so the order powers act in
        does not matter.
        """
        phase.act(self.model.month, np.array([self.index]))

    def _column(self, attribute: str) -> np.ndarray:
        return getattr(self.model.world, attribute)[0, ..., self.index]

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
