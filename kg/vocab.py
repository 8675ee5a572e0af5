"""Curated vocabularies (SKOS Turtle under ontology/vocab/) of well-known datasets, models, methods, tasks, metrics."""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import SKOS

from kg.ids import concept_id
from kg.schema import ENTITY_TYPES, KG_NS, KGV_NS  # ENTITY_TYPES re-exported

__all__ = ["VocabEntry", "load_vocab", "vocab_folder", "ENTITY_TYPES", "KG", "KGV"]

KG = Namespace(KG_NS)
KGV = Namespace(KGV_NS)


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


def _iri_id(node: URIRef) -> str:
    """The 'type/slug' id encoded in a concept IRI such as kgv:dataset-imagenet."""
    local = str(node)[len(str(KGV)):]
    type_, _, rest = local.partition("-")
    return f"{type_}/{rest}"


def _parse(folder: Path) -> tuple[VocabEntry, ...]:
    """Parse every *.ttl in a folder with rdflib into entries sorted by id."""
    graph = Graph()
    paths = sorted(folder.glob("*.ttl"))
    if not paths:
        raise FileNotFoundError(f"no vocabulary files (*.ttl) in {folder}")
    for path in paths:
        graph.parse(path, format="turtle")
    concepts = {s for s in graph.subjects(RDF.type, SKOS.Concept) if isinstance(s, URIRef)}
    labels: dict[URIRef, list[str]] = {}
    types: dict[URIRef, list[str]] = {}
    alts: dict[URIRef, set[str]] = {}
    broader: dict[URIRef, set[str]] = {}
    # one indexed scan per property: far cheaper than a graph.value() call per concept and property
    for s, o in graph.subject_objects(SKOS.prefLabel):
        labels.setdefault(s, []).append(str(o))
    for s, o in graph.subject_objects(KG.entityType):
        types.setdefault(s, []).append(str(o))
    for s, o in graph.subject_objects(SKOS.altLabel):
        alts.setdefault(s, set()).add(str(o))
    for s, o in graph.subject_objects(SKOS.broader):
        if isinstance(o, URIRef):
            broader.setdefault(s, set()).add(_iri_id(o))
    flags = {s: bool(o.toPython()) for s, o in graph.subject_objects(KG.caseSensitive) if isinstance(o, Literal)}
    entries: list[VocabEntry] = []
    for node in concepts:
        if len(labels.get(node, ())) != 1 or len(types.get(node, ())) != 1:
            raise ValueError(f"vocabulary concept {node} needs exactly one skos:prefLabel and one kg:entityType")
        label, type_ = labels[node][0], types[node][0]
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
