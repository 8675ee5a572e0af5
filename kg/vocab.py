"""Curated vocabularies (SKOS Turtle under ontology/vocab/) of well-known datasets, models, methods, tasks, metrics."""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pyoxigraph as ox

from kg.ids import concept_id
from kg.schema import ENTITY_TYPES, KG_NS, KGV_NS, PREFIXES  # ENTITY_TYPES re-exported

__all__ = ["VocabEntry", "load_vocab", "vocab_folder", "ENTITY_TYPES", "KG", "KGV"]

_RDF_TYPE = PREFIXES["rdf"] + "type"
_SKOS = PREFIXES["skos"]
_XSD_BOOLEAN = PREFIXES["xsd"] + "boolean"
_READ = frozenset({_RDF_TYPE, _SKOS + "prefLabel", _SKOS + "altLabel", _SKOS + "broader", KG_NS + "entityType",
                   KG_NS + "caseSensitive"})


def __getattr__(name: str):
    """KG and KGV, rdflib Namespaces of the ontology and the vocabulary, made on first use: extraction
    reads the vocabulary without rdflib, whose import would add to every `kg extract`'s start-up."""
    if name in ("KG", "KGV"):
        from rdflib import Namespace

        value = globals()[name] = Namespace(KG_NS if name == "KG" else KGV_NS)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class VocabEntry:
    """One curated concept: stable id, entity type, canonical label, every alias, matching and hierarchy hints."""

    id: str
    type: str
    label: str
    aliases: tuple[str, ...]
    case_sensitive: bool
    broader: tuple[str, ...]


def vocab_folder() -> Path:
    """The installed package's ontology/vocab folder, or the source tree's when the package is not installed."""
    try:
        candidate = resources.files("kg.ontology").joinpath("vocab")
    except (ModuleNotFoundError, TypeError, ValueError):
        candidate = None
    if isinstance(candidate, os.PathLike) and Path(candidate).is_dir():
        return Path(candidate)
    return Path(__file__).resolve().parents[1] / "ontology" / "vocab"


def _iri_id(iri: str) -> str:
    """The 'type/slug' id encoded in a concept IRI such as kgv:dataset-imagenet."""
    local = iri[len(KGV_NS):]
    type_, _, rest = local.partition("-")
    return f"{type_}/{rest}"


def _parse(folder: Path) -> tuple[VocabEntry, ...]:
    """Parse every *.ttl in a folder (pyoxigraph's Turtle parser) into entries sorted by id."""
    paths = sorted(folder.glob("*.ttl"))
    if not paths:
        raise FileNotFoundError(f"no vocabulary files (*.ttl) in {folder}")
    concepts: set[str] = set()
    # Sets of terms: a triple stated twice counts once, as in an RDF graph.
    labels: dict[str, set] = {}
    types: dict[str, set] = {}
    alts: dict[str, set[str]] = {}
    broader: dict[str, set[str]] = {}
    flags: dict[str, bool] = {}
    for path in paths:
        for quad in ox.parse(path=path, format=ox.RdfFormat.TURTLE):
            p = quad.predicate.value
            if p not in _READ or not isinstance(quad.subject, ox.NamedNode):
                continue
            s, o = quad.subject.value, quad.object
            if p == _RDF_TYPE:
                if isinstance(o, ox.NamedNode) and o.value == _SKOS + "Concept":
                    concepts.add(s)
            elif p == _SKOS + "broader":
                if isinstance(o, ox.NamedNode):
                    broader.setdefault(s, set()).add(_iri_id(o.value))
            elif p == KG_NS + "caseSensitive":
                if isinstance(o, ox.Literal):
                    flags[s] = o.value in ("true", "1") if o.datatype.value == _XSD_BOOLEAN else bool(o.value)
            elif isinstance(o, (ox.Literal, ox.NamedNode)):
                if p == _SKOS + "altLabel":
                    alts.setdefault(s, set()).add(o.value)
                else:
                    (labels if p == _SKOS + "prefLabel" else types).setdefault(s, set()).add(o)
    entries: list[VocabEntry] = []
    for node in concepts:
        if len(labels.get(node, ())) != 1 or len(types.get(node, ())) != 1:
            raise ValueError(f"vocabulary concept {node} needs exactly one skos:prefLabel and one kg:entityType")
        (label,), (type_,) = (o.value for o in labels[node]), (o.value for o in types[node])
        if type_ not in ENTITY_TYPES:
            raise ValueError(f"vocabulary concept {node} has unknown entity type {type_!r}")
        entries.append(VocabEntry(
            id=concept_id(type_, label),
            type=type_,
            label=label,
            aliases=tuple(sorted(alts.get(node, set()) | {label})),
            case_sensitive=flags.get(node, False),
            broader=tuple(sorted(broader.get(node, ()))),
        ))
    entries.sort(key=lambda e: e.id)
    return tuple(entries)


@functools.lru_cache(maxsize=1)
def _default_vocab() -> tuple[VocabEntry, ...]:
    """The packaged vocabulary, parsed once per process."""
    return _parse(vocab_folder())


def load_vocab(folder: Path | None = None) -> list[VocabEntry]:
    """All curated vocabulary entries, sorted by id (the packaged vocabulary, cached, when folder is None)."""
    if folder is None:
        return list(_default_vocab())
    return list(_parse(Path(folder)))
