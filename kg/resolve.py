"""Resolve paper-level entities into corpus-wide Concepts: one per real thing, with all its aliases."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from .extract.entities import norm_name, sub_phrase_of
from .graph import relation_for
from .ids import concept_id
from .model import Concept, Entity, Link, Paper
from .schema import ENTITY_TYPES, ROLE_RANK

__all__ = ["Resolution", "resolve"]


@dataclass
class Resolution:
    """Concepts by id and the paper -> concept links that point at them."""

    concepts: dict[str, Concept] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)


def _key(entity: Entity) -> str:
    return "v:" + entity.vocab_id if entity.vocab_id else "n:" + norm_name(entity.name)


def resolve(extracted: Iterable[tuple[Paper, list[Entity]]]) -> Resolution:
    """Merge entities across papers by vocabulary id, canonical name and defined acronyms."""
    items: list[tuple[Paper, Entity, str]] = []
    # A short form defined in some paper ("ViT" -> "Vision Transformer") points at its long form,
    # unless papers define it differently ("ICL": in-context learning vs a consistency loss).
    short_targets: dict[str, set[str]] = defaultdict(set)
    for paper, entities in extracted:
        for e in entities:
            key = _key(e)
            items.append((paper, e, key))
            for alias in e.aliases:
                # "property estimation" as one paper's short name for its "physical property estimation"
                # does not make every other paper's property estimation that one.
                if norm_name(alias) != norm_name(e.name) and not sub_phrase_of(alias, e.name):
                    short_targets[norm_name(alias)].add(key)
    def final_key(e: Entity, key: str) -> str:
        if e.vocab_id or len({norm_name(a) for a in e.aliases}) > 1:
            return key
        targets = short_targets.get(norm_name(e.name), set())
        return next(iter(targets)) if len(targets) == 1 else key

    grouped: dict[str, list[tuple[Paper, Entity]]] = defaultdict(list)
    for paper, e, key in items:
        grouped[final_key(e, key)].append((paper, e))

    res = Resolution()
    used_ids: set[str] = set()
    # Vocabulary concepts first, so their ids are never taken by a coined name.
    for key in sorted(grouped, key=lambda k: (not k.startswith("v:"), k)):
        members = grouped[key]
        votes: Counter[str] = Counter()
        for _, e in members:
            votes[e.type] += e.confidence
        type_ = min(votes, key=lambda t: (-round(votes[t], 6), ENTITY_TYPES.index(t)))
        vocab_ids = sorted({e.vocab_id for _, e in members if e.vocab_id})
        names = Counter(e.name for _, e in members)
        # A long form that some paper defined ("Sparse Frame Alignment (SFAL)") names the concept.
        defined = Counter(e.name for _, e in members if len({norm_name(a) for a in e.aliases}) > 1)
        label = min(names, key=lambda n: (-defined[n], -names[n], n))
        cid = vocab_ids[0] if vocab_ids else concept_id(type_, label)
        n = 2
        base = cid
        while cid in used_ids:
            cid, n = f"{base}-{n}", n + 1
        used_ids.add(cid)
        concept = Concept(id=cid, label=label, type=type_)
        by_paper: dict[str, Link] = {}
        for paper, e in members:
            concept.aliases.update(e.aliases)
            concept.aliases.add(e.name)
            concept.papers.add(paper.id)
            link = by_paper.get(paper.id)
            if link is None:
                by_paper[paper.id] = Link(paper.id, cid, e.role, e.confidence, list(e.mentions),
                                          e.evidence, e.name)
            else:
                if ROLE_RANK[e.role] > ROLE_RANK[link.role]:
                    link.role = e.role
                link.confidence = max(link.confidence, e.confidence)
                link.mentions = sorted(set(link.mentions) | set(e.mentions), key=lambda m: (m.start, m.end))
        res.concepts[cid] = concept
        res.links.extend(by_paper.values())
    res.links.sort(key=lambda l: (l.paper_id, relation_for(l.role, res.concepts[l.concept_id].type),
                                  l.concept_id))
    return res
