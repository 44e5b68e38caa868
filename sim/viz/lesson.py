"""The 15-minute lesson, every number in it computed from the model (seed 0).

The classroom's handout prints it; `docs/regenerate.py --lesson` writes it to docs/teaching.md, and
tests/test_viz.py fails while that file differs from what the model gives now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.inputs.geography import REGIONS
from sim.inputs.packaged import SCENARIOS
from sim.inputs.scenario import Change
from sim.model.events import APPEAL
from sim.viz.teaching import LEVERS, Lever, TeachingModel, china_investment_surge, crisis, us_exercises

SEED = 0
#: The horizon every what-if is compared at, and the month the live events are triggered.
HORIZON, LIVE = "2025-01", "2022-10"
Action = Callable[[TeachingModel], list[Change]]


@dataclass
class Run:
    """One run of the teaching model, read back by date."""

    model: TeachingModel

    def shares(self, date: str) -> np.ndarray:
        """(states, powers) in per cent at `date`."""
        return 100 * self.model.history["alignment"][self.month(date)]

    def month(self, date: str) -> int:
        """Steps from the start to `date`."""
        return self.model.setup.scenario.dates.index(date)

    def share(self, state: str, power: str, date: str) -> float:
        return float(self.shares(date)[self.model.states.index(state), self.model.powers.index(power)])

    def dominant(self, state: str, date: str) -> str:
        return self.model.powers[int(self.shares(date)[self.model.states.index(state)].argmax())]

    def leaning(self, date: str) -> dict[str, list[str]]:
        """The states leaning to each power at `date`, largest share first."""
        shares = self.shares(date)
        found: dict[str, list[str]] = {p: [] for p in self.model.powers}
        for s in np.argsort(-shares.max(axis=1)):
            found[self.model.powers[int(shares[s].argmax())]].append(self.model.states[s])
        return found

    def appeal(self, state: str, after: str = "") -> tuple[str, str, float] | None:
        """The first appeal `state` makes from `after` on: (date, patron, share answered)."""
        for event in self.model.event_log:
            if event.kind == APPEAL and event.states == state and event.date >= after:
                return event.date, event.power, float(event.answered or 0.0)
        return None


def simulate(
    until: str = HORIZON,
    scenario: str = "baseline.yaml",
    seed: int = SEED,
    levers: dict[str, float] | None = None,
    actions: tuple[tuple[str, Action], ...] = (),
) -> Run:
    """Run the page's model to `until`, pressing the event buttons in `actions` at their months."""
    model = TeachingModel(scenario, seed, SCENARIOS, levers)
    while True:
        for date, action in actions:
            if model.date == date:
                for change in action(model):
                    model.trigger(change)
        if model.date >= until:
            return Run(model)
        model.step()


def pct(value: float) -> str:
    return f"{value:.0f} %"


def than(count: int, plain: int, cause: str) -> str:
    """How a count compares with the plain run's, in words."""
    return f"as many as without {cause}" if count == plain else f"without {cause}: {plain}"


def month_name(date: str) -> str:
    year, month = date.split("-")
    names = "January February March April May June July August September October November December".split()
    return f"{names[int(month) - 1]} {year}"


def listing(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


def named(power: str) -> str:
    """A power as a sentence names it: 'the US', 'the EU', 'Russia'."""
    return f"the {power}" if power in ("US", "EU") else power


def spelled(n: int) -> str:
    words = "no one two three four five six seven eight nine ten".split()
    return words[n] if n < len(words) else str(n)


def leaning_sentence(run: Run, date: str) -> str:
    """Who leans to whom: the power most states lean to with each state's share, then the others."""
    leaning = {p: states for p, states in run.leaning(date).items() if states}
    first, *others = sorted(leaning, key=lambda p: -len(leaning[p]))
    shown = ", ".join(f"{s} {pct(run.share(s, first, date))}" for s in leaning[first])
    rest = [f"{listing(leaning[p])} to {named(p)}" for p in others]
    count = len(leaning[first])
    return (
        f"{spelled(count).capitalize()} state{'s' if count > 1 else ''} lean{'' if count > 1 else 's'} to {first} "
        f"({shown})" + (f"; {listing(rest)}" if rest else "") + "."
    )


def counts(run: Run, date: str) -> str:
    return ", ".join(f"{p} {len(states)}" for p, states in run.leaning(date).items())


def pie(run: Run, state: str, date: str) -> str:
    """A state's shares as 'a/b/c/d' in the order of the powers."""
    return "/".join(f"{v:.0f}" for v in run.shares(date)[run.model.states.index(state)])


def compare(run: Run, base: Run, date: str = HORIZON) -> str:
    """The largest change a what-if makes against the plain run, and any state whose main partner changes."""
    change = run.shares(date) - base.shares(date)
    s, p = np.unravel_index(int(np.abs(change).argmax()), change.shape)
    state, power = run.model.states[s], run.model.powers[p]
    text = f"{state} {pct(run.share(state, power, date))} {power} instead of {pct(base.share(state, power, date))}"
    flips = [
        f"{name} leans to {named(run.dominant(name, date))} instead of {named(base.dominant(name, date))}"
        for name in run.model.states
        if run.dominant(name, date) != base.dominant(name, date)
    ]
    more = [f"{len(flips) - 2} more state{'s' if len(flips) > 3 else ''} change partner"] if len(flips) > 2 else []
    return "; ".join([text, *flips[:2], *more])


def lever_row(lever: Lever, base: Run) -> str:
    """One line of the sliders' table: what each end of the slider does by the horizon."""
    ends = [f"× {f:g}: {compare(simulate(levers={lever.name: f}), base)}" for f in (lever.low, lever.high)]
    return f"  | {lever.label} | {lever.tip} | {'; '.join(ends)} |"


def armenia(base: Run) -> str:
    """Segment 2's answer: Armenia's appeal and its shares through the war."""
    appeal = base.appeal("Armenia", "2022-01")
    asked = (
        f"the log's `{appeal[0]}  Armenia appeals to {appeal[1]} for help (answered {appeal[2]:.0%})`"
        if appeal
        else "that in this run Armenia makes no appeal"
    )
    russia = [pct(base.share("Armenia", "Russia", d)) for d in ("2022-01", "2022-08", "2022-10", "2024-01")]
    us = [pct(base.share("Armenia", "US", d)) for d in ("2022-01", "2024-01")]
    partner = base.dominant("Armenia", "2024-01")
    if partner == "Russia":
        close = (
            "Russia stays its main partner. *Follow up:* why does Armenia not leave? (The Russian base, arms "
            "and treaty ties anchor it, and states move only part of the way each month.)"
        )
    else:
        close = (
            f"By January 2024 its main partner is {named(partner)}. *Follow up:* "
            "what held Armenia to Russia for so long? (The Russian base, arms and treaty ties.)"
        )
    return (
        f"*Students should see:* {asked}. Armenia's Russian share goes from {russia[0]} in January 2022 to "
        f"{russia[1]} in August, {russia[2]} in October and {russia[3]} in January 2024, while its US share "
        f"goes from {us[0]} to {us[1]}. {close}"
    )


def central_asia(base: Run) -> str:
    """Segment 3's answer: which Central Asian states stop leaning to Russia, when, and how even their pies are."""
    model = base.model
    months = range(1, base.month(HORIZON) + 1)
    moves = []
    for state in REGIONS["Central Asia"]:
        if state in model.states and base.dominant(state, model.setup.scenario.date(0)) == "Russia":
            for m in months:
                date = model.setup.scenario.date(m)
                if base.dominant(state, date) != "Russia":
                    moves.append((date, f"{state} ({date}, to {named(base.dominant(state, date))})"))
                    break
    moves = [text for _, text in sorted(moves)]
    if moves:
        moved = f"{'this state stops' if len(moves) == 1 else 'these states stop'} leaning to Russia: {listing(moves)}"
    else:
        moved = "no Central Asian state stops leaning to Russia"
    kazakh = pie(base, "Kazakhstan", HORIZON)
    top = max(base.shares(HORIZON)[model.states.index(s)].max() for s in REGIONS["Central Asia"] if s in model.states)
    if top < 60:
        close = (
            f"and no Central Asian state gives any power more than {pct(top)}. These states are not switching "
            "camps. They hedge, keeping several partners so that none can dictate to them."
        )
    else:
        close = (
            f"while one Central Asian state gives a single power {pct(top)}. *Ask:* which states hedge, and which "
            "have picked a side?"
        )
    return (
        f"*Students should see:* by {month_name(HORIZON)} {moved}. The count of states leaning to each power goes "
        f"from {counts(base, '2021-01')} in January 2021 to {counts(base, HORIZON)}. But look at Kazakhstan: its "
        f"pie is {kazakh} ({'/'.join(model.powers)}), {close}"
    )


def live_events(base: Run) -> str:
    """Segment 4's live events, pressed in LIVE and compared at the horizon."""
    us = simulate(actions=((LIVE, us_exercises),))
    china = simulate(actions=((LIVE, china_investment_surge),))
    plain = {p: len(s) for p, s in base.leaning(HORIZON).items()}
    us_leads, china_leads = len(us.leaning(HORIZON)["US"]), len(china.leaning(HORIZON)["China"])
    china_index = base.model.powers.index("China")
    gains = base.model.states[int((china.shares(HORIZON) - base.shares(HORIZON))[:, china_index].argmax())]
    return (
        f"- **A live event.** Play to `{LIVE}` at 1 s per month and pause (**Back** if you pass it: the month "
        "matters), press **US exercises in Central Asia** (more security ties and a push of engagement"
        f" in the five Central Asian states) and play on to {month_name(HORIZON)}. "
        f"The US is the main partner of {us_leads} states ({than(us_leads, plain['US'], 'the exercises')}), and "
        f"Kazakhstan's US share is {pct(us.share('Kazakhstan', 'US', HORIZON))} instead of "
        f"{pct(base.share('Kazakhstan', 'US', HORIZON))}. **China: investment surge** (Central Asia matters 1.5 "
        f"times as much to China) at the same moment instead gives China {china_leads} states "
        f"({than(china_leads, plain['China'], 'it')}); the largest gain is {gains}'s, "
        f"{pct(china.share(gains, 'China', HORIZON))} China instead of {pct(base.share(gains, 'China', HORIZON))}."
    )


def attack(base: Run) -> str:
    """Segment 4's attack on Kyrgyzstan, during the war and before it."""
    during = simulate(actions=((LIVE, lambda m: crisis(m, "Kyrgyzstan")),))
    before = simulate("2021-12", actions=(("2021-06", lambda m: crisis(m, "Kyrgyzstan")),))
    now, then = during.appeal("Kyrgyzstan", LIVE), before.appeal("Kyrgyzstan", "2021-06")
    if now is None or then is None:
        return (
            "- **An attack.** In this version of the model an attack on Kyrgyzstan does not make it appeal; "
            "choose another state under *Attack on* and watch the log."
        )
    return (
        f"- **An attack and an appeal.** After the invasion, choose *Attack on* Kyrgyzstan and press **Attack: it "
        f"calls for help** in `{LIVE}` (play there at 1 s per month and pause, or Step). The next month the log "
        f"shows Kyrgyzstan appealing to {now[1]}, answered "
        f"{pct(100 * now[2])} (the patron meets only what its free forces allow; pressed in `2021-06`, before the "
        f"war, the same appeal is answered {pct(100 * then[2])}). By {month_name(HORIZON)} Kyrgyzstan's Russian "
        f"share is {pct(during.share('Kyrgyzstan', 'Russia', HORIZON))} instead of "
        f"{pct(base.share('Kyrgyzstan', 'Russia', HORIZON))}. *Ask:* why does one more failure change so little, "
        "or so much?"
    )


def no_war(base: Run) -> str:
    """Segment 4's other scenario: no invasion."""
    other = simulate(scenario="no_invasion.yaml")
    appeal = other.appeal("Armenia", "2022-01")
    asked = f"Armenia's appeal is answered {pct(100 * appeal[2])}, " if appeal else "Armenia makes no appeal, "
    russia = len(other.leaning("2024-01")["Russia"])
    return (
        f"- **Another scenario.** Pick `no_invasion.yaml` and Reset: without the war, {asked}Armenia is at "
        f"{pct(other.share('Armenia', 'Russia', '2024-01'))} Russia in January 2024 (with the war: "
        f"{pct(base.share('Armenia', 'Russia', '2024-01'))}), and {russia} states lean to Russia (with the war: "
        f'{len(base.leaning("2024-01")["Russia"])}). This is the model\'s cleanest "what did the war change?" '
        "contrast."
    )


def seeds() -> str:
    """How far other seeds move the rehearsal numbers."""
    runs = [simulate("2024-01", seed=s) for s in range(5)]
    armenia_russia = [r.share("Armenia", "Russia", "2024-01") for r in runs]
    same = len({counts(r, "2024-01") for r in runs}) == 1
    return (
        f"with seeds 0 to 4, Armenia's Russian share in January 2024 lies between {pct(min(armenia_russia))} and "
        f"{pct(max(armenia_russia))}, and the count of states leaning to each power "
        + ("is the same." if same else "differs between seeds.")
    )


def render() -> str:
    """The lesson, its numbers computed now."""
    base = simulate()
    start = "2021-01"
    even = base.model.states[int(np.argmin(base.shares(start).max(axis=1)))]
    rows = "\n".join(lever_row(lever, base) for lever in LEVERS)
    return TEMPLATE.format(
        seed=SEED,
        seeds=seeds(),
        start_leaning=leaning_sentence(base, start),
        even=even,
        even_pie=pie(base, even, start),
        powers="/".join(base.model.powers),
        armenia=armenia(base),
        central_asia=central_asia(base),
        live_events=live_events(base),
        attack=attack(base),
        horizon=month_name(HORIZON),
        horizon_date=HORIZON,
        lever_rows=rows,
        no_war=no_war(base),
    )


TEMPLATE = """\
# Teaching with the visualizer: a 15-minute lesson

<!-- Generated by `python docs/regenerate.py --lesson` from the model (seed {seed}); edit the template
in sim/viz/lesson.py, not this file. -->

The visualizer shows ten post-Soviet states choosing how to spread their orientation between
Russia, the US, China and Turkey, month by month from January 2021. Students see the war in
Ukraine tie down Russia's forces, Armenia call on Russia for help and get what Russia can spare,
and whether Central Asia spreads its bets; then what happens when *you* trigger an event or move
a lever.

![At 1280×720 in October 2022, a Chinese investment surge triggered at the start](img/visualizer_1280x720.png)

## Before class (5 minutes, once)

1. Start it on the classroom computer (no internet needed; everything is served from this machine):

   ```
   alliance-sim viz
   ```

   A few seconds later it prints `ready: open http://127.0.0.1:8765/ in a browser`. Open that
   address; the page shows in two or three seconds. Stop it with Ctrl-C after class. `--port 8766` picks another port if
   8765 is taken. The page is only reachable from this computer; `--host 0.0.0.0` would let
   students open it on their own devices, but then anyone on the network can reach it, and the
   command warns you about that. Every browser tab gets its own run: students can follow along on
   their own devices without disturbing yours, and reloading the page starts afresh (a closed
   tab stops playing at once, and its run is freed five minutes later). Measured on a two-core
   laptop that also ran the tabs: three tabs playing at once keep a 0.3 s pace, ten about
   0.35 s, and thirty show a month every one to two seconds.
2. What is on the page, top to bottom:
   - **the bar on top** (it stays in view when you scroll): the month in large type, **Reset**,
     **▶ Play** (it becomes **❚❚ Pause**), **Step** (one month), **Back** (one month back, to the
     same numbers), the *Play pace* (0.3 to 2 seconds a month), **Presenter** (large type for a
     projector: the map beside one chart on a 1280×720 screen, event marks labelled in words, the
     settings folded away; the page's address keeps it, so a bookmark opens that way) and a sun/moon
     button for a light or dark page. On the keyboard, Space plays and pauses, → steps and ← goes
     back. Under the bar, one line says what moved most this month and why;
   - **the map**: each state is a pie of its orientation, with its name and its main partner
     under it, and a thin ring around it: the same state in the run *as written* (same seed,
     nothing you changed), so a pie that no longer matches its ring shows your doing. The powers
     sit around the edge in their colours (Russia crimson, US blue, China gold, Turkey plum; the
     same colours as the `alliance-sim run` plots). Grey lines are shared borders. Point at a pie
     to see all its shares; click it to follow that state and see, under the map, **why it moved**
     this month and since the start: each event's part in points, measured as
     `alliance-sim explain --moves` does (the run replayed without that event), worked out once
     the run is paused;
   - **State to follow** with that state's shares over time, and **States leaning to each power**.
     Faint dashed lines are the same run *as written* (same seed, nothing you changed), so any gap
     between bold and dashed is your doing. Marks on top of the charts are events: grey for the
     scenario's, red for a state's own decision (an appeal), orange for yours; point at one to
     read it;
   - **Trigger an event now**: three buttons, and the event log below them (newest first; `by`
     says whether the scenario, a state or you made it happen, and an appeal shows how much of it
     was answered); an attack makes the chart and *why it moved* follow the state attacked. The
     downloads (*Take it to class*) wait for a pause;
   - **What really happened**: once the run is past 2023-03, where the documents end, this switch
     lists the public record since then (`calibration/hindcast.yaml`), each fact *met* or *missed*
     by this run, and marks the followed state's facts on its chart;
   - **the table** of current shares in per cent, with each state's largest change from the run as
     written in points, and **the settings**: scenario, seed and the sliders, each with its value
     beside it.

   ![Scrolled down at 1280×720: charts with event marks, buttons and log](img/visualizer_1280x720_charts.png)

   On a 1920×1080 projector the map fills the first screen and the charts follow below it:

   ![The same month at 1920×1080](img/visualizer_1920x1080.png)
3. Choose `baseline.yaml`, seed `{seed}`, leave all sliders at 1 and press **Reset**. A scenario or
   seed you change shows *changed: press Reset to apply* until you press **Reset**; a slider acts
   at once, from the month shown on (the log says so, and Back undoes it), and Reset starts again
   with it from the first month. Reset also writes the settings into the page's address, so
   reloading the page (or opening a bookmark of it) starts afresh from them.
4. Rehearse once. The numbers below are what seed {seed} of the baseline shows with the model in
   this repository (`python docs/regenerate.py --lesson` computes them). Other seeds differ a
   little: {seeds}

## Segment 1: the starting picture, January 2021 (3 minutes)

Leave the run at the first month and read the map together.

*Ask:* Which states lean to Russia? Which do not, and to whom? Which pies look most evenly cut?

*Students should see:* {start_leaning} {even} has the most even pie ({even_pie}, in the order
{powers}). That is the "multi-vector" policy: a main partner, but never only one.

## Segment 2: the war and Armenia's call for help, 2022 (4 minutes)

Pick **Armenia** under *State to follow* and set *Play pace* to 1 s per month. Press **▶ Play**
and pause on `2022-08` (the page stops on the month it shows; **Back** if you pass it), then press
**Step** month by month through September and October 2022, reading the event log aloud.

*Ask:* Russia invaded Ukraine in February 2022, and that ties down its forces. In September,
Azerbaijan shells Armenian towns and Armenia calls on Russia for help. How much help can Moscow
send? What does that do to Armenia's trust in Russia?

{armenia}

## Segment 3: Central Asia spreads its bets, 2023 and 2024 (4 minutes)

Press **▶ Play** again, still at 1 s per month, and pause in `{horizon_date}`. Watch the *States
leaning to each power* chart and the Central Asian pies.

*Ask:* Has Central Asia "gone over" to China or to the US?

{central_asia}

## Segment 4: what if? (4 minutes)

Pick one or two of these, depending on time. Each starts with **Reset**, and the numbers compare
{horizon} with the plain baseline.

{live_events}
{attack}
- **A slider.** Move a slider, press Reset and play to {horizon} (at any pace: only the end counts).
  The sliders multiply what the scenario says (1 = as written). A power's slider changes what it
  does from the first month; the last two say how strongly states answer what happens (the 2021
  picture stays as it was):

  | slider | what it changes | what you see in {horizon} (seed {seed}) |
  | --- | --- | --- |
{lever_rows}

{no_war}

*Close with:* the model is a set of assumptions (the 2021 picture is where states would stay if
nothing happened; dependence anchors; threat creates demand for a protector; failing an ally costs
trust, and a bloc whose leader fails loses members), calibrated on reports up to early 2023. After
that it is a projection, not a forecast.
"""
