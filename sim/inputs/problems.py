"""A parsed YAML file checked against its pydantic model, and pydantic's first error said in the project's
words: `file:line: place: what is wrong`, where the place is pydantic's location of the error."""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, Literal, Union, cast

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from sim.inputs.documents import Document, kind_of, shown, suggest
from sim.inputs.schema import Strict


def check[M: BaseModel](doc: Document, model: type[M]) -> M:
    """The document's data as a `model`; else its first problem as the document's InputError.

    Unknown keys are reported first, as a misspelt key is also a missing one.
    """
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = min(errors, key=lambda e: e["type"] not in ("extra_forbidden", "invalid_key"))
        place, message = _explain(model, doc, first)
        raise doc.error(place, message) from None


def _explain(model: type[BaseModel], doc: Document, error: ErrorDetails) -> tuple[tuple[Any, ...], str]:
    """The place in the file and the project's wording of one pydantic error."""
    loc, kind, value = tuple(error["loc"]), error["type"], error.get("input")
    if loc and loc[-1] == "[key]":  # a mapping's key that is not text
        return doc.present(loc[:-1]), f"the key {shown(loc[-2])} must be text; quote it"
    owner, notes, annotation = _resolve(model, loc)
    owner = owner or Strict
    if kind in ("extra_forbidden", "invalid_key"):
        key = str(loc[-1])
        hint = f"{suggest(key, _fields(owner))}{owner.unknown_hint}"
        return (*loc[:-1], key), f"unknown {owner.unknown} '{key}'{hint}"
    field = _fields(owner).get(str(loc[-1]))
    if kind == "missing" or (value is None and field is not None and field.is_required()):
        return loc[:-1], f"missing '{loc[-1]}:'{owner.needs}"
    place, what = doc.present(loc), _note(notes, "description")
    low, high, longest = _note(notes, "ge"), _note(notes, "le"), _note(notes, "max_length")
    if annotation is int:
        return place, f"expected a whole number of at least {low}, got {shown(value)}"
    if annotation is float and low is not None:
        if kind == "float_type":
            return place, f"expected a number from {low:g} to {high:g}, got {shown(value)}"
        return place, f"{shown(value)} is outside {low}..{high}" + (f" ({what})" if what else "")
    if typing.get_origin(annotation) is Literal:
        choices = typing.get_args(annotation)
        return place, f"unknown {what or 'choice'} {shown(value)}{suggest(value, choices)}"
    what = what or _what(annotation)
    if kind in ("string_too_long", "too_long") and isinstance(value, str):
        return place, f"{len(value):,} characters is too long for {what} (at most {longest:,})"
    if kind == "string_pattern_mismatch":
        return place, f"{what} holds control characters; remove them"
    if kind in ("too_short", "too_long"):
        return place, f"expected {what}, got {error['ctx']['actual_length']} of them"
    if kind.endswith("_type") or kind in ("model_attributes_type", "dict_type", "list_type"):
        return place, f"expected {what}, got {kind_of(value)}"
    return place, error["msg"]


def _resolve(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[type[Strict] | None, list[Any], Any]:
    """The model that holds the last key of `loc`, the notes (Field infos, bounds) on it and its bare type."""
    owner: type[Strict] | None = None
    notes: list[Any] = []
    annotation: Any = model
    for key in loc:
        annotation = _bare(annotation, notes)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            owner, field = cast(type[Strict], annotation), _fields(annotation).get(key)
            if field is None:
                return owner, notes, None
            notes, annotation = [field], field.annotation
        elif typing.get_origin(annotation) in (list, dict):
            owner, notes, annotation = None, [], typing.get_args(annotation)[-1]
        else:
            break
    return owner, notes, _bare(annotation, notes)


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    """A model's fields by the names a file uses for them (their aliases, e.g. `from`)."""
    return {field.alias or name: field for name, field in model.model_fields.items()}


def _bare(annotation: Any, notes: list[Any]) -> Any:
    """`annotation` without `| None` and `Annotated[...]`, whose notes are added to `notes`."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = typing.get_args(annotation)
            notes.extend(extra)
        elif origin in (Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation


def _note(notes: list[Any], name: str) -> Any:
    """The innermost value of a Field setting (description, ge, le, max_length) among `notes`."""
    found = None
    for note in notes:
        for item in [note, *getattr(note, "metadata", ())]:
            if getattr(item, name, None) is not None:
                found = getattr(item, name)
    return found


def _what(annotation: Any) -> str:
    """What a value of this type is, where its field does not say."""
    if isinstance(annotation, type) and issubclass(annotation, Strict):
        return annotation.what
    if typing.get_origin(annotation) is dict:
        return "a mapping of keys to values"
    return {list: "a list", str: "text"}.get(typing.get_origin(annotation) or annotation, "a value")
