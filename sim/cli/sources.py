"""`alliance-sim sources`: the documents the evidence cites, and a check of their text where they are at hand."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.inputs.documents import InputError
from sim.inputs.sources import DOCUMENTS_ENV, documents_folder, load_sources, verify


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `sources` subcommand."""
    sources = subparsers.add_parser(
        "sources",
        help="list the documents the evidence cites; with --documents, check each one's SHA-256",
        description="List the source documents (calibration/sources.yaml). Where the documents are at hand, "
        f"name their folder with --documents or {DOCUMENTS_ENV} to check that each is the text the evidence "
        "was read from.",
    )
    sources.add_argument(
        "--documents", type=Path, metavar="DIR", help=f"folder holding the documents (default ${DOCUMENTS_ENV})"
    )
    sources.set_defaults(func=cmd_sources)


def cmd_sources(args: argparse.Namespace) -> int:
    listed = load_sources()
    for source in listed.values():
        print(f"{source.file}  {source.citation}  [{source.language}]")
    folder = documents_folder(args.documents)
    if folder is None:
        print(f"(the documents' text was not checked: name their folder with --documents or {DOCUMENTS_ENV})")
        return 0
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder of source documents; check --documents or {DOCUMENTS_ENV}")
    verify(folder, listed)
    print(f"all {len(listed)} documents in {folder} match their SHA-256")
    return 0
