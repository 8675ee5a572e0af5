"""JSON files: an array of records (streamed element by element), a single record object, or an object
wrapping a list of records (an arXiv digest {"count", "papers"}, an OpenAlex or Semantic Scholar API page),
whose list is streamed the same way, even when the file is cut short."""
from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from ..model import Paper, Problem
from .records import RECORD_KEYS, RECORD_LISTS, paper_from_record, record_list_key

__all__ = ["FORMAT", "read_json"]

FORMAT = "json"

_CHUNK = 1 << 20
_MAX_RECORD = 64 << 20  # a single record larger than this is treated as malformed
_WS = re.compile(r"[\s,]*")  # whitespace and element separators (lenient about commas)
_WS_ONLY = re.compile(r"[ \t\r\n]*")
_BAD = re.compile(r"[\udc80-\udcff]")  # bytes that were not UTF-8 (decoded with surrogateescape)


class _Text:
    """A sliding window over the decoded file: `buf` holds text from line `line0` on."""

    def __init__(self, fh, path: str, problems: list[Problem]):
        self.fh = fh
        self.path = path
        self.problems = problems
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        self.buf = ""
        self.line0 = 1  # line number of buf[0]
        self.eof = False
        self.bytes_read = 0
        self.text_lines = 0  # newlines decoded so far (to place bad bytes)
        self.bad_lines: set[int] = set()
        self._first = True

    def more(self) -> bool:
        """Append the next chunk; False at end of file."""
        if self.eof:
            return False
        data = self.fh.read(_CHUNK)
        if self._first:
            self._first = False
            if data.startswith(codecs.BOM_UTF8):
                data = data[3:]
                self.bytes_read += 3
        text = self.decoder.decode(data, final=not data)
        if not data:
            self.eof = True
        self._report_bad_bytes(text)
        self.bytes_read += len(data)
        self.buf += text
        return bool(data) or bool(text)

    def _report_bad_bytes(self, text: str) -> None:
        if _BAD.search(text):
            base_bytes = self.bytes_read
            for m in _BAD.finditer(text):
                line = self.text_lines + text.count("\n", 0, m.start()) + 1
                if line in self.bad_lines:
                    continue
                self.bad_lines.add(line)
                offset = base_bytes + len(text[:m.start()].encode("utf-8", "surrogateescape"))
                byte = ord(m.group(0)) - 0xDC00
                self.problems.append(Problem(
                    self.path, line,
                    f"not valid UTF-8 (byte 0x{byte:02x} at byte offset {offset}, line {line}): "
                    "the record there is skipped; re-save the file as UTF-8",
                ))
        self.text_lines += text.count("\n")

    def line_of(self, pos: int) -> int:
        return self.line0 + self.buf.count("\n", 0, pos)

    def drop(self, pos: int) -> int:
        """Forget buf[:pos]; returns the new position of what was at pos (0)."""
        self.line0 += self.buf.count("\n", 0, pos)
        self.buf = self.buf[pos:]
        return 0


def _msg(e: json.JSONDecodeError) -> str:
    return e.msg.removesuffix(" starting at").removesuffix(" at")


def _envelope(rec: object, buf: str, pos: int, decoder: json.JSONDecoder) -> int | None:
    """Where the list of records starts in an object that wraps them ({"count": N, "papers": [{...}]},
    an OpenAlex page {"meta", "results"}, a Semantic Scholar page {"total", "offset", "data"}), or None
    for an object that is a record itself (records.record_list_key decides which)."""
    key = record_list_key(rec)
    return None if key is None else _member_start(buf, pos, decoder, lambda k: k == key)


def _member_start(buf: str, pos: int, decoder: json.JSONDecoder, wanted: Callable[[str], bool],
                  record_keys: frozenset[str] = frozenset()) -> int | None:
    """Position of the '[' opening the first top-level member of the object at buf[pos] whose key is
    `wanted`, found by walking the members (a nested "papers" key is not it); None if there is none,
    if a member named in `record_keys` comes first (the object is a record, not a wrapper) or if the
    text breaks off before it. Works on a truncated object: only the members before it are parsed."""
    try:
        i = _WS_ONLY.match(buf, pos + 1).end()
        while i < len(buf) and buf[i] == '"':
            key, i = decoder.raw_decode(buf, i)
            if key in record_keys:
                return None
            i = _WS_ONLY.match(buf, i).end()
            if not buf.startswith(":", i):
                return None
            i = _WS_ONLY.match(buf, i + 1).end()
            if wanted(key):
                return i if buf.startswith("[", i) else None
            _, i = decoder.raw_decode(buf, i)
            i = _WS_ONLY.match(buf, i).end()
            if not buf.startswith(",", i):
                return None
            i = _WS_ONLY.match(buf, i + 1).end()
    except (json.JSONDecodeError, RecursionError, ValueError):
        return None
    return None


def _unreadable(e: Exception) -> str:
    if isinstance(e, RecursionError):
        return "JSON nested too deeply (over the parser's nesting limit)"
    return f"unreadable JSON value ({str(e)[:120]})"  # valid JSON Python will not hold (a 5,000-digit number)


def _column(buf: str, pos: int) -> int:
    """0-based column of buf[pos]."""
    return pos - (buf.rfind("\n", 0, pos) + 1)


def read_json(path: str | Path, problems: list[Problem]) -> Iterator[Paper]:
    """Papers of a JSON array of records (streamed; line of each record's '{'), or of a single record."""
    shown = str(path)
    decoder = json.JSONDecoder()
    with open(path, "rb") as fh:
        t = _Text(fh, shown, problems)
        while True:
            m = _WS.match(t.buf)
            if m.end() < len(t.buf) or not t.more():
                break
        pos = _WS.match(t.buf).end()
        if pos >= len(t.buf):
            return  # empty file
        if t.buf[pos] == "{":  # a single record: read the whole value
            while t.more():
                pass
            try:
                rec, _ = decoder.raw_decode(t.buf, pos)
            except json.JSONDecodeError as e:
                # A wrapper cut short or with one bad record ({"results": [{...}, {...<EOF>): its records
                # are streamed from the list on, each bad one reported where it is, the good ones read.
                inner = _member_start(t.buf, pos, decoder, lambda k: k in RECORD_LISTS, RECORD_KEYS)
                if inner is None:
                    problems.append(Problem(
                        shown, e.lineno, f"malformed JSON ({_msg(e)}, line {e.lineno}, column {e.colno}); file skipped"))
                    return
                wrapper_error = Problem(shown, e.lineno, f"malformed JSON ({_msg(e)}, line {e.lineno}, "
                                                          f"column {e.colno}) after the records, which were read")
                yield from _read_array(t, inner, shown, decoder, problems, wrapper_error)
                return
            except (RecursionError, ValueError) as e:
                problems.append(Problem(shown, t.line_of(pos), f"{_unreadable(e)}; file skipped"))
                return
            inner = _envelope(rec, t.buf, pos, decoder)
            if inner is None:
                paper = paper_from_record(rec, shown, t.line_of(pos), FORMAT, problems)
                if paper is not None:
                    yield paper
                return
            pos = inner  # {"count": N, "papers": [...]}: read the records of its list, each at its line
        if t.buf[pos] != "[":
            problems.append(Problem(
                shown, t.line_of(pos), "not a JSON array of records (does not start with '[' or '{'); file skipped"))
            return
        yield from _read_array(t, pos, shown, decoder, problems)


def _read_array(t: _Text, pos: int, shown: str, decoder: json.JSONDecoder, problems: list[Problem],
                after: Problem | None = None) -> Iterator[Paper]:
    """Papers of the array whose '[' is at t.buf[pos], streamed; `after` (an error in the wrapper found
    by decoding the whole object) is reported if the array closes with no error found in it."""
    broken = False  # a record in the array was malformed (which is then what `after` was about)
    pos += 1
    indent: str | None = None  # what precedes each record's '{' on its line (to resynchronise)
    line = t.line_of(pos)  # line number at `pos`, kept up to date incrementally
    while True:
        m = _WS.match(t.buf, pos)
        line += t.buf.count("\n", pos, m.end())
        pos = m.end()
        if pos >= len(t.buf):
            if t.more():
                continue
            problems.append(Problem(shown, line, "JSON array not closed with ']' (file truncated?)"))
            return
        if t.buf[pos] == "]":
            if after is not None and not broken:
                problems.append(after)
            return
        if pos > _CHUNK:  # keep the window small
            pos = t.drop(pos)
        try:
            rec, end = decoder.raw_decode(t.buf, pos)
        except (json.JSONDecodeError, RecursionError, ValueError) as e:
            if isinstance(e, json.JSONDecodeError):
                truncated = e.pos >= len(t.buf) - 64 or e.msg.startswith("Unterminated string")
                if truncated and not t.eof and len(t.buf) - pos < _MAX_RECORD and t.more():
                    continue  # the record goes on in the next chunk
                err_pos = e.pos
                err_line = t.line_of(e.pos)
                col = _column(t.buf, e.pos) + 1
                reason = f"malformed JSON ({_msg(e)}, line {err_line}, column {col})"
            else:  # too deep or too big for Python, whatever follows: resynchronise after its start
                err_pos, err_line, reason = pos, line, _unreadable(e)
            problems.append(Problem(shown, err_line, f"{reason}; record at line {line} skipped"))
            broken = True
            # Resynchronise on the next line whose '{' is at the records' indentation.
            pattern = re.compile(r"\n" + (re.escape(indent) if indent is not None else r"[ \t]*") + r"\{")
            search_from = err_pos
            while True:
                nxt = pattern.search(t.buf, search_from)
                if nxt is not None or len(t.buf) - err_pos > _MAX_RECORD:
                    break
                search_from = max(search_from, len(t.buf) - 256)  # only scan new text again
                if not t.more():
                    break
            if nxt is None:
                problems.append(Problem(
                    shown, err_line, "could not find the next record after the error; rest of file skipped"))
                return
            line += t.buf.count("\n", pos, nxt.start() + 1)
            pos = nxt.start() + 1
            continue
        if indent is None:
            prefix = t.buf[t.buf.rfind("\n", 0, pos) + 1:pos]
            indent = prefix if not prefix.strip() else None
        end_line = line + t.buf.count("\n", pos, end)
        if t.bad_lines and any(line <= b <= end_line for b in t.bad_lines):
            pass  # contains bytes that were not UTF-8: reported when decoded
        elif rec is None:  # a Semantic Scholar /paper/batch answer has null for each id not found
            problems.append(Problem(shown, line, "null in place of a record (a batch lookup that found "
                                                 "no paper?); skipped"))
        else:
            paper = paper_from_record(rec, shown, line, FORMAT, problems)
            if paper is not None:
                yield paper
        line = end_line
        pos = end
