"""What a SPARQL text holds, read lexically before any parser sees it: federated calls, nesting, the verb.

`scan(text)` walks the text once with one regular expression, skipping comments, string literals and
IRIs exactly as the SPARQL grammar delimits them, and reports:

* `service`: whether the letters SERVICE (any case) occur anywhere outside those, other than inside a
  variable name. Oxigraph's parser matches keywords without a word boundary (`trueSERVICE <x> {}`,
  `1SERVICE <x> {}`, `.SERVICE<x>{}` and `SERVICE:x {}` all call out), so nothing short of "those letters
  appear" is safe; a prefixed name such as `ex:Service` is therefore reported too (a false alarm, never
  a miss);
* `depth`: the deepest nesting of `{ ( [ <<`, and `operators`: how many operators, separators and
  UNION / OPTIONAL / MINUS it holds. Oxigraph's parser and evaluator recurse on both: about 3,000 nested
  braces, or 7,000 chained `+` or UNIONs, overflow the stack and kill the process (a segfault, no
  exception), and nested `[ ]` / `( )` / `<< >>` slow the parser steeply (seconds at depth 100);
* `verb`: the first keyword after the prologue (PREFIX / BASE declarations), e.g. SELECT or INSERT.

The scan stops early once `stop_depth` / `stop_operators` is passed, so a huge text costs little.

Examples
--------
>>> scan("SELECT * WHERE { SERVICE <http://h/> { ?s ?p ?o } }").service
True
>>> scan("SELECT ?service WHERE { ?service ?p 'SERVICE' }").service
False
>>> scan("PREFIX ex: <http://e/> INSERT DATA { ex:a ex:b ex:c }").verb
'INSERT'
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["UPDATE_VERBS", "Scan", "scan"]

UPDATE_VERBS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})
_COMBINATORS = frozenset({"UNION", "OPTIONAL", "MINUS"})

# Alternatives in the order the grammar needs them: comments, long strings before short ones, IRIs
# (IRIREF: no spaces, no <>"{}|^`\) before "<<". Possessive quantifiers: linear time on any input.
_TOKEN = re.compile(r"""
    (?P<comment>\#[^\r\n]*+)
  | (?P<string>\"\"\"(?:[^"\\]++|\\.|"(?!""))*+(?:\"\"\"|\Z)
             | '''(?:[^'\\]++|\\.|'(?!''))*+(?:'''|\Z)
             | "(?:[^"\\\r\n]++|\\[^\r\n])*+"?
             | '(?:[^'\\\r\n]++|\\[^\r\n])*+'?)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*+>)
  | (?P<var>[?$][A-Za-z0-9_]++)
  | (?P<open><<|[{(\[])
  | (?P<close>>>|[})\]])
  | (?P<number>[0-9]++(?:\.[0-9]++)?(?:[eE][+-]?[0-9]++)?)
  | (?P<op>\|\||&&|[!+\-*/|^.;,=<>])
  | (?P<word>[^\W\d_]++)
""", re.VERBOSE | re.DOTALL)


@dataclass(frozen=True)
class Scan:
    """What `scan` found: SERVICE letters outside literals, deepest nesting, operator count, first keyword.

    `complete` is False when the scan stopped early at a limit (depth / operators are then lower bounds).
    """

    service: bool
    depth: int
    operators: int
    verb: str | None
    complete: bool = True


def scan(text: str, *, stop_depth: int | None = None, stop_operators: int | None = None) -> Scan:
    """Scan a SPARQL query or update (see the module docstring); stop once a limit is passed."""
    service = False
    depth = max_depth = operators = 0
    verb: str | None = None
    in_prologue = None  # "PREFIX" / "BASE" while a declaration is read, up to its IRI
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "word":
            word = m.group().upper()
            if "SERVICE" in word:
                service = True
            if verb is None and in_prologue is None:
                if word in ("PREFIX", "BASE"):
                    in_prologue = word
                else:
                    verb = word
            if word in _COMBINATORS:
                operators += 1
        elif kind == "iri":
            in_prologue = None
        elif kind == "open":
            depth += 1
            if depth > max_depth:
                max_depth = depth
                if stop_depth is not None and max_depth > stop_depth:
                    return Scan(service, max_depth, operators, verb, complete=False)
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "op":
            operators += 1
        else:
            continue
        if stop_operators is not None and operators > stop_operators:
            return Scan(service, max_depth, operators, verb, complete=False)
    return Scan(service, max_depth, operators, verb)
