"""Citations are checked against calibration/sources.yaml; documents at hand are checked by SHA-256; the fit
is required."""

from __future__ import annotations

import hashlib

import pytest
from helpers import cli_in_process

from sim.inputs.documents import InputError
from sim.inputs.parameters import PARAMETERS, defaults
from sim.inputs.sources import DOCUMENTS_ENV, load_sources, verify


def _listing(tmp_path, text: str) -> tuple:
    """A sources file listing one document whose text is `text`, and the folder holding it."""
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "doc.txt").write_text(text)
    digest = hashlib.sha256(text.encode()).hexdigest()
    listing = tmp_path / "sources.yaml"
    listing.write_text(
        "sources:\n  - file: doc.txt\n    title: A report\n    outlet: A paper\n    date: 2022-05-01\n"
        f"    language: en\n    sha256: {digest}\n"
    )
    return listing, folder


def test_every_shipped_source_is_complete():
    sources = load_sources()
    assert len(sources) == 5
    for source in sources.values():
        assert source.title and source.outlet and len(source.sha256) == 64


def test_documents_at_hand_are_verified_by_hash(tmp_path):
    listing, folder = _listing(tmp_path, "the text the evidence was read from\n")
    assert [s.file for s in verify(folder, load_sources(listing))] == ["doc.txt"]
    (folder / "doc.txt").write_text("an edited text\n")
    with pytest.raises(InputError, match="doc.txt: SHA-256 .* differs"):
        verify(folder, load_sources(listing))
    (folder / "doc.txt").unlink()
    with pytest.raises(InputError, match="cannot read a cited document"):
        verify(folder, load_sources(listing))


def test_a_bad_sources_entry_names_its_place(tmp_path):
    listing, _ = _listing(tmp_path, "text\n")
    listing.write_text(listing.read_text().replace("sha256: ", "sha256: xyz"))
    with pytest.raises(InputError, match=r"sources.yaml:7: sources\[0\]\.sha256: expected the document's SHA-256"):
        load_sources(listing)


def test_sources_command_checks_a_named_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(DOCUMENTS_ENV, raising=False)
    code, out, _ = cli_in_process("sources")
    assert code == 0 and "was not checked" in out and out.count(".txt") == 5
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = cli_in_process("sources", "--documents", empty)
    assert code == 2 and "cannot read a cited document" in err and "000_" in err


def test_the_fit_is_required_and_checked(tmp_path):
    with pytest.raises(InputError, match="fitted parameters are missing"):
        defaults(tmp_path / "fitted.yaml")
    bad = tmp_path / "fitted.yaml"
    bad.write_text("parameters:\n  peer_weight: 7\n")
    with pytest.raises(InputError, match=r"fitted.yaml:2: parameters.peer_weight: 7 is outside"):
        defaults(bad)
    bad.write_text("parameters:\n  peer_wieght: 0.5\n")
    with pytest.raises(InputError, match="unknown parameter 'peer_wieght'"):
        defaults(bad)
    good = tmp_path / "good.yaml"
    good.write_text("parameters:\n  peer_weight: 0.25\n")
    values = defaults(good)
    assert values["peer_weight"] == 0.25
    assert all(values[p.name] == p.default for p in PARAMETERS if p.name != "peer_weight")
