"""The documents the evidence is drawn from, as `calibration/sources.yaml` lists them.

Citations in evidence, targets and scenarios are checked against this list, always. The documents
themselves are not shipped; where they are at hand (`--documents DIR` or the ALLIANCE_SIM_DOCUMENTS
environment variable), `verify` checks each one's SHA-256 against the list.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sim.inputs.documents import InputError, load_yaml, parse_month, read_bytes, read_once
from sim.inputs.packaged import SOURCES

#: Environment variable naming a folder that holds the source documents.
DOCUMENTS_ENV = "ALLIANCE_SIM_DOCUMENTS"
SHA256 = re.compile(r"[0-9a-f]{64}")
#: Largest document read to check its SHA-256 (the cited articles are a few hundred kB).
MAX_DOCUMENT_BYTES = 100_000_000
#: The last month the documents report on: the calibration window ends here, later months are the model's projection.
PROJECTION = "2023-03"


@dataclass(frozen=True)
class Source:
    """One cited document: its file name and how a reader knows it."""

    file: str
    title: str
    outlet: str
    date: str
    language: str
    sha256: str

    @property
    def citation(self) -> str:
        return f"{self.title} ({self.outlet}, {self.date})"


def load_sources(path: Path = SOURCES) -> dict[str, Source]:
    """The listed documents by file name; InputError names the entry and field at fault."""
    return dict(_load(path))


@read_once
def _load(path: Path) -> tuple[tuple[str, Source], ...]:
    from sim.inputs.problems import check
    from sim.inputs.schema import SourcesFile  # pydantic is loaded when a file is read: --help stays quick

    doc = load_yaml(path, "list of sources")
    sources: dict[str, Source] = {}
    for i, item in enumerate(check(doc, SourcesFile).sources):
        place = ("sources", i)
        if parse_month(item.date[:7]) is None:
            raise doc.error(place + ("date",), f"'{item.date}' is not a date; write YYYY-MM or YYYY-MM-DD")
        if not SHA256.fullmatch(item.sha256):
            raise doc.error(place + ("sha256",), "expected the document's SHA-256 as 64 lowercase hex digits")
        if item.file in sources:
            raise doc.error(place + ("file",), f"'{item.file}' is listed twice")
        sources[item.file] = Source(**item.model_dump())
    return tuple(sources.items())


def documents() -> set[str]:
    """File names of the cited documents."""
    return set(load_sources())


def documents_folder(given: Path | str | None = None) -> Path | None:
    """The folder holding the documents: the one given, else ALLIANCE_SIM_DOCUMENTS, else none."""
    folder = given or os.environ.get(DOCUMENTS_ENV)
    return Path(folder) if folder else None


def verify(folder: Path, sources: dict[str, Source] | None = None) -> list[Source]:
    """Check that every listed document is in `folder` with its listed SHA-256; InputError names the first
    that is missing or differs. Returns the sources checked."""
    sources = sources or load_sources()
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of source documents; name the folder that holds them")
    for source in sources.values():
        path = folder / source.file
        try:  # checked first: a FIFO, a device or a huge file is refused, never read
            digest = hashlib.sha256(read_bytes(path, "cited document", MAX_DOCUMENT_BYTES)).hexdigest()
        except InputError as exc:
            reason = str(exc).removeprefix(f"{path}: ")
            raise InputError(f"{path}: cannot read a cited document ({reason})") from None
        if digest != source.sha256:
            raise InputError(
                f"{path}: SHA-256 {digest[:12]}... differs from {source.sha256[:12]}... in {SOURCES.name}; "
                "this is not the text the evidence was read from"
            )
    return list(sources.values())
