"""The evidence file is complete, traceable and paraphrased; the baseline stays within the documents."""

from __future__ import annotations

import re

import pytest
import yaml
from helpers import BASELINE, ROOT, cli

from sim.inputs.documents import InputError, parse_month
from sim.inputs.evidence import ASSUMPTIONS, ASSUMPTIONS_BY_ID, load_evidence
from sim.inputs.geography import STATES
from sim.inputs.scenario import load_scenario
from sim.inputs.sources import documents, documents_folder, verify
from sim.model.world import prepare
from sim.outputs.explain import explain

#: The documents' own text, where a folder of them is named (ALLIANCE_SIM_DOCUMENTS); it is not shipped.
DOCUMENTS = documents_folder()
needs_text = pytest.mark.skipif(DOCUMENTS is None, reason="no folder of source documents named")


def test_enough_entries_from_every_document():
    evidence = load_evidence()
    assert len(evidence.entries) >= 40
    cited = {e.document for e in evidence.entries}
    assert documents() <= cited


def test_every_starting_number_traces_to_entries_or_a_named_assumption():
    """No silent numbers: a level no entry gives is exactly its named assumption; the key ones rest on entries."""
    evidence = load_evidence()
    setup = prepare(load_scenario(BASELINE, evidence), evidence)
    for (attribute, state, power), derived in setup.provenance.items():
        assert derived.ids, (attribute, state, power)
        assumed = [i for i in derived.ids if i in ASSUMPTIONS_BY_ID]
        assert set(derived.ids) - set(assumed) <= set(evidence.by_id), (attribute, state, power)
        if assumed == derived.ids:
            assert assumed == [ASSUMPTIONS[attribute].id] and derived.value == ASSUMPTIONS[attribute].value
        key = attribute in ("alignment", "credibility", "capability", "free_capacity", "leverage")
        if key or (attribute in ("economic", "security") and power == "Russia"):
            assert not assumed, (attribute, state, power)


def test_baseline_reports_only_documented_events():
    """Every baseline event is dated inside the documented window and cites a document, or a structural
    (public-record) evidence entry of that window such as the April 2021 Kyrgyz-Tajik fighting."""
    evidence = load_evidence()
    scenario = load_scenario(BASELINE, evidence)
    seeds = documents()
    for event in scenario.events:
        assert parse_month(event.date) <= (2023, 3), event.label
        structural = all(evidence.by_id[i].document == "structural" for i in event.evidence)
        assert event.source in seeds or (structural and event.source.startswith("structural")), event.label
        assert event.evidence and all(evidence.by_id[i].document in seeds | {"structural"} for i in event.evidence)


@needs_text
def test_no_sentences_copied_from_the_documents():
    words = lambda text: re.findall(r"[a-z0-9']+", text.lower())  # noqa: E731
    runs = set()
    for source in verify(DOCUMENTS):
        seed = DOCUMENTS / source.file
        w = words(seed.read_text(errors="ignore"))
        runs.update(" ".join(w[i : i + 8]) for i in range(len(w) - 7))
    for path in [
        *ROOT.glob("calibration/*.yaml"),
        *ROOT.glob("scenarios/*.yaml"),
        *ROOT.glob("docs/*.md"),
        ROOT / "README.md",
    ]:
        if path.exists():
            w = words(path.read_text())
            copied = [" ".join(w[i : i + 8]) for i in range(len(w) - 7) if " ".join(w[i : i + 8]) in runs]
            assert not copied, (path.name, copied[:3])


def test_explain_prints_evidence_ids():
    result = cli("explain", "Armenia")
    assert result.returncode == 0, result.stderr
    assert "security:" in result.stdout and "<-" in result.stdout
    evidence = load_evidence()
    shown = set(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)+", result.stdout))
    assert shown & set(evidence.by_id)
    events = result.stdout.split("scenario events touching it")[1].splitlines()[1:]
    cited = [(line.split()[0], line.rsplit("[", 1)[1]) for line in events]
    assert len(cited) == len(set(cited)), "a dated event is listed once, whatever it changes"
    assert "2022-09 Azerbaijan shells towns inside Armenia (neighbour_threat, acute_threat)" in result.stdout


#: An assumption as explain prints it: `assumption ID (REASON)`.
SHOWN_ASSUMPTION = re.compile(r"assumption ([a-z0-9-]+) \(([^)]*)\)")


@pytest.mark.parametrize("scenario", ["baseline", "eu_partnership"])
def test_every_number_explain_shows_names_an_entry_or_an_assumption(scenario):
    """Each `<-` of every state's explanation lists entry ids and assumptions with their reasons, nothing else."""
    evidence = load_evidence()
    for state in STATES:
        text = explain(state, ROOT / "scenarios" / f"{scenario}.yaml")
        sources = [line.split("<- ", 1)[1] for line in text.splitlines() if "<- " in line]
        powers = 5 if scenario == "eu_partnership" else 4
        assert len(sources) == 9 * powers + 3  # six pair and three power attributes per power, three state ones
        for shown in sources:
            for found, reason in SHOWN_ASSUMPTION.findall(shown):
                assert ASSUMPTIONS_BY_ID[found].reason == reason
            rest = [i for i in SHOWN_ASSUMPTION.sub("", shown).split(", ") if i]
            assert rest or SHOWN_ASSUMPTION.search(shown), (state, shown)
            assert set(rest) <= set(evidence.by_id), (state, shown)  # an entry id, nothing anonymous
        assert "prior" not in text


def test_the_eu_starts_from_evidence_not_from_scenario_settings():
    """The EU counterfactual sets no starting value by hand: its means and its partners' ties come from entries."""
    evidence = load_evidence()
    scenario = load_scenario(ROOT / "scenarios" / "eu_partnership.yaml", evidence)
    assert not scenario.initial
    setup = prepare(scenario, evidence)
    for key in [(a, None, "EU") for a in ("capability", "free_capacity", "leverage")] + [
        (a, s, "EU") for a in ("alignment", "economic", "credibility") for s in ("Moldova", "Georgia", "Armenia")
    ]:
        assert set(setup.provenance[key].ids) <= set(evidence.by_id), key
    assert all(evidence.by_id[i].power == "EU" for e in scenario.events if e.power == 4 for i in e.evidence)


def test_an_entry_for_an_unknown_power_is_refused(tmp_path):
    path = tmp_path / "evidence.yaml"
    entry = {"id": "x", "document": "structural", "source": "s", "claim": "c", "kind": "level", "power": "Atlantis"}
    path.write_text(yaml.safe_dump({"entries": [{**entry, "attribute": "capability", "value": 0.5, "confidence": 1}]}))
    with pytest.raises(InputError, match="unknown power 'Atlantis'"):
        load_evidence(path)


def test_entries_read_from_the_opinion_column_carry_an_opinions_confidence():
    """Document 001 is a partisan author's column: whatever it reports counts as opinion (0.6 at most)."""
    column = [e for e in load_evidence().entries if e.document == "001_5e764275289dc6a3.txt"]
    assert column and max(e.confidence for e in column) <= 0.6


def test_baseline_events_cite_a_change_of_their_month():
    """An event rests on a dated change entry of the same month (plus, at most, levels that size it)."""
    evidence = load_evidence()
    for event in load_scenario(BASELINE, evidence).events:
        cited = [evidence.by_id[i] for i in event.evidence]
        assert any(e.kind == "change" and e.date == event.date for e in cited), event.label


def test_hindcast_facts_parse_with_the_target_schema():
    """Out-of-sample facts: after the baseline window, each with its public record, kinds mixed, every state covered;
    a measured value only where it is on the model's scale (a bloc standing, 0 or 1)."""
    facts = yaml.safe_load((ROOT / "calibration" / "hindcast.yaml").read_text())["targets"]
    assert len(facts) >= 30 and len({f["id"] for f in facts}) == len(facts)
    regions = {"Central Asia": ["Kazakhstan", "Kyrgyzstan", "Tajikistan", "Turkmenistan", "Uzbekistan"]}
    covered = set()
    for fact in facts:
        assert {"id", "claim", "source", "record", "kind", "measure", "states"} <= set(fact), fact["id"]
        assert fact["source"] == "record" and fact["record"].strip(), fact["id"]
        assert fact["kind"] in ("order", "change", "level"), fact["id"]
        months = [parse_month(fact[k]) for k in ("date", "from", "to") if k in fact]
        assert months and all((2023, 4) <= m <= (2030, 12) for m in months), fact["id"]
        if fact["kind"] == "change":
            assert fact["direction"] in ("up", "down") and "from" in fact and "to" in fact, fact["id"]
        if fact["kind"] == "level":
            assert ("above" in fact) != ("below" in fact), fact["id"]
        if fact["measure"] == "outside":
            assert fact["bloc"] in ("CSTO", "EAEU", "SCO", "OTS", "EaP") and "power" not in fact, fact["id"]
        elif fact["measure"] == "hedging":
            assert "power" not in fact, fact["id"]
        else:
            assert fact["power"] in ("Russia", "US", "China", "Turkey"), fact["id"]
        if "observed" in fact:
            assert fact["measure"] == "outside" and fact["observed"] in (0, 1), fact["id"]
        names = fact["states"] if isinstance(fact["states"], list) else [fact["states"]]
        covered |= {s for name in names for s in regions.get(name, [name])}
    assert covered == set(STATES)
    assert {f["kind"] for f in facts} == {"order", "change", "level"}


def test_params_csv_header():
    result = cli("params", "--format", "csv")
    assert result.stdout.splitlines()[0] == "name,default,low,high,description"


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_scenario_loads_and_runs(path):
    from sim.model.ensemble import simulate

    scenario = load_scenario(path)
    assert scenario.description, "a scenario states its question"
    traj = simulate(prepare(scenario), 2, 0)
    assert traj.alignment.shape[1] == scenario.months + 1


#: Word stems (matched at the start of a word of the claim, `|` between them) that show what each attribute is
#: about: an entry whose claim names none of its attribute's family is coded on something its text does not report.
ATTRIBUTE_WORDS: dict[str, str] = {
    "alignment": "ally|allie|allian|partner|lean|backer|sphere|side|camp|tie|treaty|union|court|turn|friend|cooperat"
    "|neutral|recogni|strategic|western|bloc|patron|closest|nearest|diversif|deal|agreement|relations|association"
    "|join|warm|distance|bind|bound|commit",
    "economic": "trade|commerce|pipeline|oil|gas|energy|invest|capital|remittan|migrant|export|import|market|econom"
    "|debt|loan|credit|corridor|route|transit|sales",
    "security": "base|arms|armament|weapon|treaty|exercise|drill|militar|troop|train|defen|forces|garrison|army|armies"
    "|units|assistance|border|frontier|guarantee|mutual|alliance|soldier|officer|equipment|drone|peacekeep|grouping",
    "regime": "ruling|regime|government|leader|elite|presiden|autocra|extradit|opposition|unrest|protest|legitima"
    "|survival|circle|shored",
    "coercion": "threat|press|troops|forces|warn|caution|annex|occup|sanction|artificial|sovereignty|coerc"
    "|intimidat|invasion|attack|bases|depot|blockade|protest|alarm|worr|fear|objects",
    "credibility": "protect|defend|defence|defense|guarant|shield|reliab|rely|relying|trust|commitment|reputation"
    "|standing|credib|promis|help|support|security|abandon|mediat|peacekeep|guardian|held back|believ|competence"
    "|counts on|adversar|hostile|monitor",
    "neighbour_threat": "neighbour|border|frontier|dispute|conflict|clash|fighting|war|separat|breakaway|shelling"
    "|attack|territor|troubl|incident|enclave",
    "insurgent_threat": "afghan|taliban|militant|terror|insurg|islamist|islamic|extremis|raid",
    "acute_threat": "protest|unrest|clash|attack|fighting|shell|crisis|riot|war|killed",
    "capability": "means|power|forces|military|army|capab|reach|sway|influence|project|econom|industry|budget|money"
    "|drone|arms|strength|resources",
    "free_capacity": "tied|overstretch|stretch|concentrat|withdraw|free|commit|absorb|overwhelm|out of|capacity|deploy"
    "|at home",
    "leverage": "need|depend|aim|primacy|client|conduit|channel|bargain|valuable|seeking|replace",
    "membership": "member|bloc|union|organisation|treaty|charter|council|observer|partnership|participation",
    "border": "border|frontier|neighbour",
    "rivalry": "conflict|war|fighting|clash|dispute|hostil|rival",
}


def unsupported(entries) -> list[str]:
    """The entries whose claim mentions no word of their attribute's family."""
    pattern = {a: re.compile(rf"\b(?:{words})") for a, words in ATTRIBUTE_WORDS.items()}
    return [f"{e.id} ({e.attribute}): {e.claim}" for e in entries if not pattern[e.attribute].search(e.claim.lower())]


def test_every_attribute_has_a_family_of_words():
    from sim.inputs.vocabulary import ATTRIBUTES

    assert set(ATTRIBUTE_WORDS) == set(ATTRIBUTES)


def test_each_entry_is_coded_on_an_attribute_its_claim_supports():
    """A claim that speaks of a peacekeeping force, not of a threat, cannot set a coercion level."""
    assert not unsupported(load_evidence().entries)


def test_a_mis_coded_entry_is_caught():
    """The coding of `ru-peacekeepers-azerbaijan` before its re-reading: a truce's peacekeepers read as coercion."""
    from sim.inputs.evidence import Entry

    claim = (
        "Under the 2020 truce, a Russian peacekeeping contingent is posted in the Karabakh area, "
        "which Azerbaijan regards as its land."
    )
    old = Entry("ru-peacekeepers-azerbaijan", "002_d2b80962dc7b4d43.txt", claim, "level", "coercion", 0.6)
    assert unsupported([old]) and not unsupported([Entry(**{**old.__dict__, "attribute": "security"})])


def test_audit_md_shows_what_its_counting_command_prints():
    """calibration/AUDIT.md's command runs, and the tables it prints are those AUDIT.md shows: they cannot go stale."""
    import subprocess
    import sys

    text = (ROOT / "calibration" / "AUDIT.md").read_text()
    commands = re.findall(r"```sh\n(.*?)\n```", text, re.S)
    assert commands == [".venv/bin/python -m sim.inputs.audit"]
    argv = [sys.executable, *commands[0].split()[1:]]  # the interpreter running the tests stands for the venv's
    out = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    tables = out.stdout.strip()
    assert tables.count("| state |") == 2 and tables in text


def test_audit_counts_the_numbers_the_model_starts_from():
    """The audit's grid is `prepare`'s: the same starting numbers, resting on the same entries."""
    from sim.inputs.audit import audit, starting_numbers
    from sim.inputs.vocabulary import PAIR_ATTRIBUTES, STATE_ATTRIBUTES

    evidence = load_evidence()
    scenario = load_scenario(BASELINE, evidence)
    setup = prepare(scenario, evidence)
    numbers = starting_numbers(evidence, scenario.states, scenario.powers)
    assert {k: d.ids for k, d in numbers.items()} == {k: d.ids for k, d in setup.provenance.items()}
    result = audit()
    assert result.row("all")[-1] == len(numbers)
    for state in scenario.states:  # per state: every number from a document, from structural coding or assumed
        assert result.row(state)[-1] == len(PAIR_ATTRIBUTES) * len(scenario.powers) + len(STATE_ATTRIBUTES)
        assert result.counts[state, "assumption"] == sum(
            setup.provenance[k].ids == [ASSUMPTIONS[k[0]].id] for k in setup.provenance if k[1] == state
        )
