"""Find links to code (GitHub, GitLab, Bitbucket, Codeberg, Hugging Face Spaces) and project pages in text."""
from __future__ import annotations

import re

__all__ = ["find_code_urls", "CODE_HOSTS"]

# Hosts whose URLs are code repositories (the path names owner/project).
CODE_HOSTS: tuple[str, ...] = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "gist.github.com")
_SPACES_HOSTS = ("huggingface.co", "hf.co")
_PAGES_SUFFIXES = (".github.io", ".gitlab.io", ".codeberg.page")
# Hosts that never count as code, even when the sentence says "code is available at".
_NOT_CODE_HOSTS = ("arxiv.org", "doi.org", "dx.doi.org", "huggingface.co", "hf.co")

# A URL body: no whitespace, no LaTeX braces/backslashes (but LaTeX-escaped \_ \% \# \& \~ are kept).
_BODY = r"(?:[^\s<>\"{}\\|^`\[\]]|\\[_%#&~])+"
_URL = re.compile(r"https?://" + _BODY, re.IGNORECASE)
# Scheme-less repository links ("github.com/owner/name"); only run when such a host name occurs.
_BARE = re.compile(
    r"(?<![\w@./:-])(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org|codeberg\.org)/" + _BODY,
    re.IGNORECASE,
)
_BARE_HINTS = ("github.com/", "gitlab.com/", "bitbucket.org/", "codeberg.org/")
# Words before a URL (same sentence) that make it a project page or code link even on another host.
_CUE = re.compile(
    r"\b(?:project\s+(?:page|website|site|homepage|webpage)|code|codes|implementation|repositor(?:y|ies))\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
_TRAILING = ".,;:!?'\"*"


def _trim(url: str) -> str:
    """Drop trailing punctuation and unbalanced closing brackets that belong to the sentence."""
    while url:
        last = url[-1]
        if last in _TRAILING:
            url = url[:-1]
        elif last == ")" and url.count("(") < url.count(")"):
            url = url[:-1]
        else:
            break
    return url


def _host_and_path(url: str) -> tuple[str, str]:
    rest = url.split("://", 1)[-1]
    host, _, path = rest.partition("/")
    host = host.lower().split("@")[-1].split(":")[0]
    if host.startswith("www."):
        host = host[4:]
    return host, path


def _is_code_url(host: str, path: str) -> bool:
    segments = [s for s in re.split(r"[/?#]", path) if s]
    if host in CODE_HOSTS:
        return bool(segments)
    if host in _SPACES_HOSTS:
        return len(segments) >= 2 and segments[0].lower() == "spaces"
    return host.endswith(_PAGES_SUFFIXES)


def _has_cue(text: str, start: int) -> bool:
    """True when the sentence leading up to `start` says the URL is code or a project page."""
    window = text[max(0, start - 160):start]
    ends = list(_SENTENCE_END.finditer(window))
    if ends:
        window = window[ends[-1].end():]
    return bool(_CUE.search(window))


def find_code_urls(text: str) -> list[str]:
    """Code-repository and project-page URLs in `text`, in order of appearance, without duplicates."""
    if not text:
        return []
    matches = list(_URL.finditer(text)) if "://" in text else []
    low = text.lower()  # substring tests are much faster than a case-insensitive regex scan
    bare = list(_BARE.finditer(text)) if any(h in low for h in _BARE_HINTS) else []
    if not matches and not bare:
        return []
    if bare:
        matches = sorted(matches + bare, key=lambda m: m.start())
    found: list[str] = []
    seen: set[str] = set()
    for m in matches:
        url = _trim(re.sub(r"\\([_%#&~])", r"\1", m.group(0)))
        if "://" not in url:
            url = "https://" + url
        host, path = _host_and_path(url)
        if not host or "." not in host:
            continue
        if not _is_code_url(host, path):
            if host in _NOT_CODE_HOSTS or not _has_cue(text, m.start()):
                continue
        key = url.split("://", 1)[1].lower().rstrip("/")
        key = key[4:] if key.startswith("www.") else key
        key = key[:-4] if key.endswith(".git") else key
        if key not in seen:
            seen.add(key)
            found.append(url)
    return found
