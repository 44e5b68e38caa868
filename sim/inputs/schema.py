"""The structure of the user-written YAML files as pydantic models.

The models hold what a file may contain: keys (unknown ones refused), types, ranges and choices.
What needs context (a state among the scenario's states, a date inside the run, a cited entry)
is checked by each loader afterwards. `sim.inputs.problems.check` reads a file through a model and
says its first problem in the project's words.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, create_model
from pydantic_core import PydanticCustomError

from sim.inputs.documents import MAX_TEXT, parse_month
from sim.inputs.geography import BLOCS, POWERS, STATES
from sim.inputs.parameters import PARAMETERS, Parameter
from sim.inputs.vocabulary import (
    ATTRIBUTES,
    CHUNK_RUNS,
    EVENT_ATTRIBUTES,
    FORECAST_QUANTILES,
    KNOWN_POWERS,
    MAX_OUTREACH,
    METHODS,
    OPERATIONS,
    POLICIES,
    STORES,
)


def _problem(message: str) -> PydanticCustomError:
    """A validation error whose message is given whole (user text in it is never read as a template)."""
    return PydanticCustomError("input", "{message}", {"message": message})


def _as_text(value: Any) -> Any:
    """YAML reads `name: 2030` as a number: a plain number stands for its text."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _as_list(value: Any) -> Any:
    """A single value where a list is expected is a list of one."""
    return value if isinstance(value, list) or value is None else [value]


def _as_mapping(value: Any) -> Any:
    """A key left empty (`China:`) stands for an empty mapping: every setting at its default."""
    return {} if value is None else value


def _month(value: str) -> str:
    """The month as written (YYYY-MM), or an error saying how to write it."""
    month = parse_month(value)
    if month is None:
        raise _problem(f"'{value}' is not a month; write it as YYYY-MM, e.g. 2022-09 (quote it if needed)")
    return f"{month[0]:04d}-{month[1]:02d}"


def text(what: str, longest: int = MAX_TEXT) -> Any:
    """Text of at most `longest` characters without control characters (a plain number is read as text)."""
    return Annotated[
        str, BeforeValidator(_as_text), Field(max_length=longest, pattern=r"^[^\x00-\x08\x0b-\x1f]*$", description=what)
    ]


def number(what: str, low: float, high: float) -> Any:
    """A number (not true/false) from `low` to `high`."""
    return Annotated[float, Field(ge=low, le=high, description=what)]


def whole(what: str, low: int) -> Any:
    """A whole number (not true/false, not 2.0) of at least `low`."""
    return Annotated[int, Field(ge=low, description=what)]


def listed(item: Any, what: str, least: int = 0) -> Any:
    """A list of `item`s; a single one stands for a list of one."""
    return Annotated[list[item], BeforeValidator(_as_list), Field(min_length=least, description=what)]


Month = Annotated[str, BeforeValidator(_as_text), AfterValidator(_month), Field(description="a month (YYYY-MM)")]
Share = number("a share", 0.0, 1.0)
Outreach = number("an amount of outreach", 0.0, MAX_OUTREACH)


class Strict(BaseModel):
    """A mapping with known keys of known types; what it calls an unknown key and what it needs."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, defer_build=True)
    #: How an unknown key is named ("unknown strategy key 'x'") and what follows the suggestion.
    unknown: ClassVar[str] = "key"
    unknown_hint: ClassVar[str] = ""
    #: Said after "missing 'x:'".
    needs: ClassVar[str] = ""
    #: What the mapping is, for "expected ..., got a list".
    what: ClassVar[str] = "a mapping of keys to values"


# --- scenarios ----------------------------------------------------------------------------------------


class Instruments(Strict):
    """Shares of a power's outreach per dependence component (normalised to sum to 1)."""

    unknown: ClassVar[str] = "instrument"
    economic: Share = 0.0
    security: Share = 0.0
    regime: Share = 0.0


class Strategy(Strict):
    what: ClassVar[str] = "a strategy: policy, budget, instruments, priorities, coercion"
    unknown: ClassVar[str] = "strategy key"
    policy: Annotated[Literal[POLICIES], Field(description="policy")] = "adaptive"
    budget: number("a budget", 0.0, MAX_OUTREACH) = 0.0
    instruments: Annotated[Instruments, Field(description="a mapping of instrument: share")] | None = None
    priorities: (
        Annotated[dict[text("a target"), Outreach], Field(description="a mapping of state to priority")] | None
    ) = None
    coercion: Share = 0.0
    note: text("a note") = ""


class Initial(Strict):
    """A change to the starting situation."""

    what: ClassVar[str] = "a change: a mapping with target, attribute, operation, value, source"
    id: text("an event id", 200) | None = None
    label: text("a label (text)") = ""
    target: listed(text("a target (a state, a region, a bloc or 'all')"), "a target or a list of targets", 1)
    power: text("a power") | None = None
    attribute: Annotated[Literal[EVENT_ATTRIBUTES], Field(description="attribute")]
    operation: Annotated[Literal[OPERATIONS], Field(description="operation")]
    value: Annotated[float, Field(description="a number")] | None = None
    source: text("a source (a document's file name or text)")
    evidence: listed(text("an evidence id", 200), "evidence ids") | None = None


class Event(Initial):
    """A change at a month of the run."""

    date: Month


def _parameters(cls_name: str, field: Callable[[Parameter], Any]) -> type[Strict]:
    """A mapping of parameter name to `field(parameter)`; unknown names refused with the list of parameters."""

    class Parameters(Strict):
        unknown: ClassVar[str] = "parameter"
        unknown_hint: ClassVar[str] = "; see 'alliance-sim params'"

    return create_model(cls_name, __base__=Parameters, **{p.name: field(p) for p in PARAMETERS})


def _bounded(p: Parameter) -> Any:
    """A parameter's value: a number within its plausible range."""
    return Annotated[float, Field(ge=p.low, le=p.high, description=p.description)]


#: A scenario's overrides: parameter -> value (unset ones keep the fitted defaults).
ParameterValues = _parameters("ParameterValues", lambda p: (_bounded(p), p.default))


class ScenarioFile(Strict):
    needs: ClassVar[str] = " (a scenario needs name, start and end)"
    name: text("a name (text)", 200)
    description: text("a description (text)") | None = None
    extends: text("a scenario file name") | None = None
    without: listed(text("an event id", 200), "a list of event ids from the parent scenario") | None = None
    start: Month
    end: Month
    states: Annotated[
        list[Annotated[Literal[STATES], Field(description="state")]],
        Field(min_length=1, description="a non-empty list of state names"),
    ] = list(STATES)
    powers: Annotated[
        list[text("a power's name", 40)], Field(min_length=1, description="a non-empty list of power names")
    ] = list(POWERS)
    parameters: Annotated[ParameterValues, Field(description="a mapping of parameter name to value")] | None = None
    strategies: (
        Annotated[
            dict[text("a power"), Annotated[Strategy, BeforeValidator(_as_mapping)]],
            Field(description="a mapping of power name to strategy"),
        ]
        | None
    ) = None
    initial: Annotated[list[Initial], Field(description="a list of changes (each starting with '- ')")] | None = None
    events: Annotated[list[Event], Field(description="a list of changes (each starting with '- ')")] | None = None


class Extension(ScenarioFile):
    """A scenario that extends another: name, start and end may come from the parent."""

    name: text("a name (text)", 200) | None = None
    start: Month | None = None
    end: Month | None = None


# --- experiments ---------------------------------------------------------------------------------------

#: A grid: parameter -> its values (a single value is a list of one).
Grid = _parameters("Grid", lambda p: (listed(_bounded(p), "a list of values", 1), None))
#: Sampled ranges: parameter -> [low, high], or nothing for its full range.
Ranges = _parameters(
    "Ranges",
    lambda p: (Annotated[list[_bounded(p)], Field(min_length=2, max_length=2, description="[low, high]")] | None, None),
)


class Sample(Strict):
    method: Annotated[Literal[METHODS], Field(description="sampling method")]
    n: whole("a base count", 1)
    ranges: Annotated[
        Ranges, Field(description="a mapping of parameter name to [low, high] (empty for its full range)")
    ]


class ExperimentFile(Strict):
    needs: ClassVar[str] = " (an experiment needs name, scenario and runs)"
    name: text("a name (text)", 200)
    description: text("a description (text)") | None = None
    scenario: listed(text("a scenario file path"), "a scenario file path or a list of them", 1)
    runs: whole("runs", 1)
    seed: whole("a seed", 0) = 0
    parameters: Annotated[Grid, Field(description="a mapping of parameter name to a list of values")] | None = None
    sample: Annotated[Sample, Field(description="method, n and ranges")] | None = None
    store: Annotated[Literal[STORES], Field(description="store")] = "trajectories"
    chunk_runs: whole("runs per chunk", 1) = CHUNK_RUNS


# --- evidence, targets, sources -----------------------------------------------------------------------

State = Annotated[Literal[STATES], Field(description="state")]


class EvidenceEntry(Strict):
    unknown: ClassVar[str] = "field"
    what: ClassVar[str] = "an entry: a mapping with id, document, claim, kind, attribute, confidence"
    id: text("an id", 200)
    document: text("a document's file name, or structural", 200)
    source: text("a source") | None = None
    claim: text("a claim")
    kind: Annotated[Literal["level", "change"], Field(description="kind")]
    date: Month | None = None
    states: listed(State, "a state or a list of states") | None = None
    power: Annotated[Literal[KNOWN_POWERS], Field(description="power")] | None = None
    attribute: Annotated[Literal[ATTRIBUTES], Field(description="attribute")]
    value: number("a value", 0.0, 1.0) | None = None
    direction: Annotated[Literal["up", "down"], Field(description="direction")] | None = None
    confidence: number("a confidence", 0.0, 1.0)
    bloc: Annotated[Literal[BLOCS], Field(description="bloc")] | None = None
    neighbours: listed(State, "a state or a list of states") | None = None


class EvidenceFile(Strict):
    entries: Annotated[
        list[EvidenceEntry], Field(min_length=1, description="a list of evidence entries under 'entries:'")
    ]


class TargetEntry(Strict):
    unknown: ClassVar[str] = "field"
    what: ClassVar[str] = "a target: a mapping with id, claim, source, kind, states and dates"
    id: text("an id", 200)
    claim: text("a claim")
    source: listed(text("a document's file name, structural or record", 200), "a source or a list of them", 1)
    evidence: listed(text("an evidence id", 200), "evidence ids") | None = None
    kind: Annotated[Literal["order", "change", "level"], Field(description="kind")]
    measure: Annotated[
        Literal["alignment", "credibility", "economic", "security", "hedging", "outside"], Field(description="measure")
    ] = "alignment"
    states: listed(text("a state or a region", 200), "a state, a region or a list of them", 1)
    power: text("a power", 200) | None = None
    over: listed(text("a power", 200), "a power or a list of powers") | None = None
    date: Month | None = None
    start: Month | None = Field(None, alias="from")
    end: Month | None = Field(None, alias="to")
    direction: text("a direction", 200) | None = None
    by: number("a least change", 0.0, 1.0) | None = None
    above: number("a bound", 0.0, 1.0) | None = None
    below: number("a bound", 0.0, 1.0) | None = None
    record: text("a public record (outlet or body, date)") | None = None
    bloc: text("a bloc", 200) | None = None
    observed: number("the measured value of the target's quantity", -1.0, 1.0) | None = None


class TargetsFile(Strict):
    targets: Annotated[list[TargetEntry], Field(min_length=1, description="a list of targets under 'targets:'")]


def _as_date_text(value: Any) -> Any:
    """YAML reads `date: 2022-08-01` as a date: it stands for its ISO text."""
    return value.isoformat() if isinstance(value, datetime.date) else value


class SourceEntry(Strict):
    needs: ClassVar[str] = "; each document needs file, title, outlet, date, language, sha256"
    what: ClassVar[str] = "a document: a mapping with file, title, outlet, date, language, sha256"
    file: text("a file name", 200)
    title: text("a title")
    outlet: text("an outlet")
    date: Annotated[text("a date (YYYY-MM or YYYY-MM-DD)", 200), BeforeValidator(_as_date_text)]
    language: text("a language", 200)
    sha256: text("a SHA-256", 200)


class SourcesFile(Strict):
    sources: Annotated[list[SourceEntry], Field(description="a list of documents")] = []


# --- forecasts and the facts that score them -------------------------------------------------------------


class Question(Strict):
    unknown: ClassVar[str] = "question key"
    what: ClassVar[str] = "a question: a mapping with id, question, date, kind and its probability or quantiles"
    id: text("a question id", 200)
    question: text("a question")
    date: Month
    kind: Annotated[Literal["probability", "quantiles"], Field(description="question kind")]
    probability: Share | None = None
    quantiles: Annotated[dict[Literal[tuple(FORECAST_QUANTILES)], Share], Field(description="quantiles")] | None = None


class ForecastFile(Strict):
    unknown: ClassVar[str] = "forecast key"
    needs: ClassVar[str] = "; a forecast file is written by 'alliance-sim forecast', not by hand"
    tool: Annotated[Literal["alliance-sim"], Field(description="tool")]
    kind: Annotated[Literal["forecast"], Field(description="file kind")]
    format: whole("a format version", 1)
    made: text("the date made (UTC)", 200)
    model_version: text("a version", 200) | None
    git_commit: text("a git commit", 200) | None
    scenario: text("a scenario name", 200)
    scenario_file: text("a scenario file")
    seed: whole("a seed", 0)
    runs: whole("a number of runs", 1)
    uncertainty: listed(text("a source of uncertainty", 200), "the sources of uncertainty")
    reproduce: text("a command line") | None = None  # absent in forecasts made before it was recorded
    sha256: Annotated[dict[text("a file", 200), text("a SHA-256", 200)], Field(description="the inputs' SHA-256")]
    questions: Annotated[list[Question], Field(min_length=1, description="a list of questions")]
    file_sha256: text("the file's SHA-256", 200)


class FactsFile(Strict):
    unknown: ClassVar[str] = "facts key"
    what: ClassVar[str] = "facts: a mapping with `facts:` (question id: outcome) and an optional `source:`"
    source: text("where the facts come from") | None = None
    facts: Annotated[
        dict[text("a question id", 200), bool | float],
        Field(min_length=1, description="a mapping of question id to true/false or a share"),
    ]
