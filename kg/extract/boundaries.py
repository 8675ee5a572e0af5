"""Other boundaries for a candidate entity: one word more or less on either side.

Finders often stop a word short or long of the name an annotator would write: a vocabulary matches
"world model" inside "embodied world model", the CRF takes "custom convolutional neural network"
for "convolutional neural network". The entity scorer scores each candidate together with these
variants and keeps the best reading, so the boundary is a learned decision too.
"""
from __future__ import annotations

import re
from dataclasses import replace

from ..model import Entity, Mention

__all__ = ["boundary_variants", "mention_owners", "STOPWORDS"]

# Words a name does not start or end with.
STOPWORDS = frozenset("""
a an the this that these those our their its his her we they it is are was were be been being and or
but nor of in on at by for with without from to into onto over under via per as than then so such
which who whom whose what when where while how why both each every all any some many most more less
few several other another new novel proposed existing prior previous recent current various different
also only not no can could may might will would should must has have had do does did using based
between across through within upon about after before during among against versus vs e.g i.e etc
first second third one two three four five six seven eight nine ten here there very
""".split())
_UNIT = re.compile(r"[A-Za-z0-9][\w\-/.+']*[\w+]|[A-Za-z0-9]")


_LEFT = re.compile(r"(?:^|[\s(\"])([A-Za-z0-9][\w\-/.+']*[\w+]|[A-Za-z0-9]) $")
_RIGHT = re.compile(r" ([A-Za-z0-9][\w\-/.+']*[\w+]|[A-Za-z0-9])(?=$|[\s,;:.)\"?!])")


def _word_char(c: str) -> bool:
    return c.isalnum() or c in "_-"


def _occurrences(text: str, form: str) -> list[tuple[int, int]]:
    """Whole-word occurrences of `form` in `text` (not inside a longer word or hyphenated name)."""
    out, i = [], text.find(form)
    while i >= 0:
        j = i + len(form)
        if (i == 0 or not _word_char(text[i - 1])) and not (j < len(text) and _word_char(text[j]) and (
                text[j] != "-" or any(c.isalnum() for c in text[j:j + 2]))):
            out.append((i, j))
        i = text.find(form, i + 1)
    return out


def mention_owners(entities: list[Entity], length: int) -> list[int]:
    """For each character of a text of `length`, the index of the entity whose mention holds it, or -1."""
    owner = [-1] * length
    for i, e in enumerate(entities):
        for m in e.mentions:
            owner[m.start:m.end] = [i] * (m.end - m.start)
    return owner


def _word_ok(word: str) -> bool:
    return word.lower() not in STOPWORDS and any(c.isalpha() for c in word)


def boundary_variants(ent: Entity, text: str, owner: list[int] | None = None, own: int = -1
                      ) -> list[tuple[str, Entity]]:
    """(kind, variant) pairs for `ent`: its first mention extended or cut by one word at either end.

    kind is "L+", "R+" (one more word on the left / right), "L-", "R-" (one fewer). A variant's
    mentions are every occurrence of its text; an extension never takes in a character another
    candidate's mention holds (`owner`, from mention_owners; `own` is this entity's index there).
    Vocabulary entities are left as they are but for extensions ("embodied world model" around
    "world model").

    >>> e = Entity("world model", "Method", mentions=[Mention(9, 20, "world model")])
    >>> [(k, v.name) for k, v in boundary_variants(e, "embodied world model tokens")]
    [('L+', 'embodied world model'), ('R+', 'world model tokens'), ('L-', 'model'), ('R-', 'world')]
    """
    first = ent.mentions[0]
    start, end = first.start, first.end
    out: list[tuple[str, int, int]] = []
    left = _LEFT.search(text[max(0, start - 40):start])
    if left and _word_ok(left.group(1)):
        out.append(("L+", start - len(left.group(1)) - 1, end))
    right = _RIGHT.match(text[end:end + 40])
    if right and _word_ok(right.group(1)):
        out.append(("R+", start, end + len(right.group(0))))
    words = list(_UNIT.finditer(first.text))
    if len(words) >= 2 and ent.vocab_id is None:
        if _word_ok(words[1].group()):
            out.append(("L-", start + words[1].start(), end))
        if _word_ok(words[-2].group()):
            out.append(("R-", start, start + words[-2].end()))
    variants = []
    for kind, a, b in out:
        if kind.endswith("+") and owner is not None and any(o not in (-1, own) for o in owner[a:b]):
            continue
        form = text[a:b]
        if "\n" in form:
            continue
        spans = _occurrences(text, form) or [(a, b)]
        mentions = [Mention(x, y, text[x:y]) for x, y in spans]
        variants.append((kind, replace(ent, name=form, aliases=sorted({m.text for m in mentions}),
                                       mentions=mentions, vocab_id=None)))
    return variants
