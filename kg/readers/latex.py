"""LaTeX in titles and abstracts (as arXiv and BibTeX serve them) to plain text, with pylatexenc.

arXiv abstracts are plain text with some LaTeX in them: ``$\\mathcal{O}(n)$``, ``\\textbf{FooBench}``,
``Schr\\"odinger``. They are not LaTeX documents: ``%`` is a percent sign, ``~`` means "about", and a
lone ``$`` is money. Those are protected before pylatexenc parses the text; everything else (accents,
formatting commands, math, Greek letters, symbols) is pylatexenc's own conversion.
"""
from __future__ import annotations

import functools
import json
import re
import unicodedata

__all__ = ["has_latex", "latex_to_text"]

# A backslash command, an escaped character, a pair of dollars or a braced sub/superscript
# ("π_{0}"): the text carries markup.
_MARKUP = re.compile(r"\\[A-Za-z@]|\\[&%$#_{}'`^\"~=.,;:!()\[\]]|\$[^$]*\$|[_^]\{")
# Commands that render as their argument: math alphabets (\mathcal{O} -> O, not the Unicode script
# letter, so names such as "$\mathcal{X}$-Net" read as users type them), and the font commands
# pylatexenc's own table lacks.
_ARGUMENT_ONLY = ("mathcal", "mathbb", "mathfrak", "mathscr", "boldsymbol", "bm", "mathbf",
                  "mathrm", "mathit", "mathsf", "mathtt", "operatorname", "textsuperscript",
                  "textsubscript", "mathds", "pmb", "texttt", "textsf", "textnormal", "textup", "mbox",
                  "hbox")
_SPACE = re.compile(r"\s+")
_MONEY = re.compile(r"\$\d[\d,]*(?:\.\d+)?\s?(?:[kKMB]|million|billion|USD)?(?=[\s),;:!?]|\.(?:\s|$)|$)")


def _last_argument(node, l2tobj) -> str:
    args = [a for a in (node.nodeargd.argnlist if node.nodeargd else []) if a is not None]
    return l2tobj.nodelist_to_text([args[-1]]) if args else ""


def _macro_name(node) -> str:
    return node.macroname + node.macro_post_space


@functools.lru_cache(maxsize=1)
def _converter():
    from pylatexenc import latexwalker
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db
    from pylatexenc.macrospec import MacroSpec

    db = get_default_latex_context_db().filter_context()
    specs = [MacroTextSpec(name, simplify_repl="%s") for name in _ARGUMENT_ONLY]
    specs += [
        MacroTextSpec("url", simplify_repl="%s"),
        MacroTextSpec("href", simplify_repl=_last_argument),
        MacroTextSpec("space", simplify_repl=" "),
        MacroTextSpec("times", simplify_repl="×"),
        MacroTextSpec("textasciitilde", simplify_repl="~"),
        # \cite{...}, \ref{...}, \label{...}: references into a paper the abstract does not carry.
        *(MacroTextSpec(name, discard=True) for name in ("cite", "citep", "citet", "ref", "eqref", "label")),
        # Old-style font switches ({\em word}) change the look of what follows, not its text.
        *(MacroTextSpec(name, discard=True) for name in ("em", "it", "bf", "sc", "tt", "rm", "sf", "sl")),
    ]
    db.add_context_category("paperkg", macros=specs, prepend=True)
    # A macro pylatexenc does not know (an author's own \nomad, \method) is most often the name it
    # typesets: keep the name rather than dropping a word from the sentence.
    db.set_unknown_macro_spec(MacroTextSpec("", simplify_repl=_macro_name))
    walker_db = latexwalker.get_default_latex_context_db().filter_context()
    walker_db.add_context_category("paperkg", macros=[MacroSpec("href", "{{")], prepend=True)
    return walker_db, LatexNodes2Text(latex_context=db, math_mode="text", strict_latex_spaces=True)


def has_latex(text: str) -> bool:
    """True when `text` carries LaTeX markup worth converting.

    >>> has_latex("We propose \\\\textbf{FooNet}."), has_latex("costs $5 and 3% more")
    (True, False)
    """
    # Every kind of markup needs one of these characters: most abstracts have none, and a substring
    # test is far cheaper than the pattern.
    if "\\" in text or "$" in text or "{" in text:
        if _MARKUP.search(text):
            return True
    return "~" in text and _TIE.search(text) is not None


# A tie, LaTeX's non-breaking space, written where an author meant a space: "Splatting~(3DGS)",
# "Pi~5", "150~ms". Between two digits "~" is a range ("0~360 degree", "+11~48%") and stays, as does
# a "~" after a space ("cost ~$250": about).
_TIE = re.compile(r"(?<=[A-Za-z])~(?=[\w(\[])|(?<=\d)~(?=[A-Za-z(])")


_UNICODE_ESCAPES = re.compile(r"(?:\\u[0-9a-fA-F]{4})+")


def _unescape(m: re.Match) -> str:
    """A run of \\uXXXX escapes as text: surrogate pairs joined, a lone surrogate (which no UTF-8
    output can hold) as U+FFFD."""
    text = json.loads(f'"{m.group(0)}"')
    return re.sub("[\ud800-\udfff]", "\ufffd", text)


def _protect(text: str, bibtex: bool) -> str:
    # "%" is literal in abstracts and BibTeX fields alike, "~" too outside BibTeX (where it is a
    # non-breaking space); a "$" without its pair is a literal dollar sign; "\u2019" is a JSON escape
    # that reached the text unescaped, not LaTeX's breve accent.
    text = _UNICODE_ESCAPES.sub(_unescape, text)
    text = re.sub(r"(?<!\\)%", r"\\%", text)
    if not bibtex:
        text = re.sub(r"(?<!\\)~", r"\\textasciitilde{}", _TIE.sub(" ", text))
    dollars = [m.start() for m in re.finditer(r"(?<!\\)\$", text)]
    money = None
    if len(dollars) % 2:
        # The unpaired dollar is the one before an amount that ends like prose ("cost around $250)"),
        # else one before any number, else the last.
        amounts = [i for i in dollars if _MONEY.match(text, i)]
        money = (amounts or [i for i in dollars if re.match(r"\$\d", text[i:])] or dollars[-1:])[0]
    # Math delimiters go: math_mode="text" renders math as text anyway, and abstracts nest them
    # ("$\texttt{$\textbf{Flora}$}$"), which no parser reads as the author meant.
    # A closing one becomes "{}", which ends a command as "$" did ("$1.5\times$ the" keeps its space).
    out, last, closing = [], 0, False
    for i in dollars:
        out.append(text[last:i])
        if i == money:
            out.append("\\$")
        else:
            out.append("{}" if closing else "")
            closing = not closing
        last = i + 1
    out.append(text[last:])
    return "".join(out)


# What pylatexenc renders differently from the characters themselves: commands, groups, specials
# ("--" is a dash, "``" and "''" quotes, "&" an alignment tab, "!`" an inverted mark).
_SPECIAL = re.compile(r"[\\{}&~^_#%$]|--|``|''|[!?]`")
_BRACE = re.compile(r"(?<!\\)[{}]")
_WORDS = re.compile(r"\S+")


def _markup_stretches(text: str) -> list[tuple[int, int]]:
    r"""(start, end) of the stretches of `text` that need pylatexenc: each whitespace-delimited group
    (a word, or words inside one pair of braces) with markup in it, with the group before it and the
    two after it (a command reads its argument, or eats the space, after it: "\textbf X",
    "\alpha b"); the rest is prose that renders as itself.

    >>> t = r"We propose \textbf{Foo Net} in the end, and \alpha b then nothing else."
    >>> [t[a:b] for a, b in _markup_stretches(t)]
    ['propose \\textbf{Foo Net} in the', 'and \\alpha b then']
    """
    groups: list[list] = []  # [start, end, has markup]
    depth = 0
    for m in _WORDS.finditer(text):
        word = m.group()
        if depth > 0:
            groups[-1][1] = m.end()
            groups[-1][2] = groups[-1][2] or bool(_SPECIAL.search(word))
        else:
            groups.append([m.start(), m.end(), bool(_SPECIAL.search(word))])
        for b in _BRACE.findall(word):
            depth = depth + 1 if b == "{" else max(depth - 1, 0)
    keep = [False] * len(groups)
    for i, (_, _, marked) in enumerate(groups):
        if marked:
            for j in range(max(i - 1, 0), min(i + 3, len(groups))):
                keep[j] = True
    out: list[tuple[int, int]] = []
    for i, (start, end, _) in enumerate(groups):
        if keep[i]:
            if i and keep[i - 1]:
                out[-1] = (out[-1][0], end)
            else:
                out.append((start, end))
    return out


def latex_to_text(text: str, *, bibtex: bool = False) -> str:
    """Plain text for `text`: LaTeX markup rendered, everything else unchanged.

    Text without markup comes back as it was (so offsets into it stay those of the input). A BibTeX
    field (``bibtex=True``) is always parsed: its braces are markup even without a command.

    >>> latex_to_text("We propose \\\\textbf{FooBench}, $\\\\mathcal{O}(n)$ in time, 5% faster")
    'We propose FooBench, O(n) in time, 5% faster'
    >>> latex_to_text('Schr\\\\"odinger bridges at $1.5\\\\times$ the speed, cost ~$250')
    'Schrödinger bridges at 1.5× the speed, cost ~$250'
    >>> latex_to_text("plain text: 3% of $5")
    'plain text: 3% of $5'
    >>> latex_to_text("3D Gaussian Splatting~(3DGS) in 150~ms, across 0~360 degrees")
    '3D Gaussian Splatting (3DGS) in 150 ms, across 0~360 degrees'
    """
    if not (bibtex or has_latex(text)):
        return text
    protected = _protect(text, bibtex)
    try:
        if bibtex or "\\begin" in protected:
            out = _render(protected)
        else:
            # pylatexenc reads a character at a time, about 5 ms per abstract with markup (the largest
            # cost of reading arXiv metadata): only the stretches around markup are parsed, and the prose
            # between them, which renders as itself, is copied (tests/test_latex.py checks that the
            # result is the whole text's rendering).
            out, last = [], 0
            for start, end in _markup_stretches(protected):
                out += [protected[last:start], _render(protected[start:end])]
                last = end
            out.append(protected[last:])
            out = "".join(out)
    except Exception:  # pylatexenc is tolerant, but untrusted text must never stop a build
        return text
    out = unicodedata.normalize("NFC", out)
    return _SPACE.sub(" ", out).strip()


def _render(latex: str) -> str:
    """pylatexenc's text for a LaTeX string (after `_protect`)."""
    from pylatexenc.latexwalker import LatexWalker

    walker_db, to_text = _converter()
    nodes, _, _ = LatexWalker(latex, latex_context=walker_db, tolerant_parsing=True).get_latex_nodes()
    return to_text.nodelist_to_text(nodes)
