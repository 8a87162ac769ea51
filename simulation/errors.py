"""Problems with user input, collected and reported all at once.

A user who writes a scenario file wants every problem in one pass, each
naming the file, the line, the field, the value found and what is allowed,
so that nothing is reported as a traceback.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(text: object) -> str:
    """Text safe to print on a terminal: control characters (escape sequences, bell, carriage return, C1
    codes) and bidirectional overrides become '?', so a name in a file cannot retitle, clear or recolour
    the terminal or make text read backwards; tabs and newlines become spaces."""
    out = []
    for ch in str(text):
        if ch in "\t\n":
            out.append(" ")
        elif ch in _BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs"):
            out.append("?")
        else:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file."""

    file: str
    message: str
    line: int | None = None
    field: str | None = None
    value: object = None
    allowed: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        parts = [where]
        if self.field:
            parts.append(f"field '{self.field}'")
        text = ": ".join(parts) + ": " + self.message
        if self.value is not None:
            text += f" (found {_show(self.value)})"
        if self.allowed:
            text += f"; allowed: {self.allowed}"
        return text


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class InputError(Exception):
    """Raised with every problem found in one or more input files."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def display_path(path: Path | str) -> str:
    """A path as the user would recognise it (relative to the working directory)."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


MAX_GUESS_LENGTH = 200
"""Names longer than this are not guessed at (no known name is a tenth as long)."""


def candidates(word: str, options: Iterable[str], n: int = 1) -> list[str]:
    """The options a misspelt word most likely meant, best first (none if nothing is close).

    A dotted name is judged by its last part too: 'delta.nonexistent' shares 'delta.' with every
    paired difference, which alone made it look like 'delta.cost_nhs'."""
    if len(word) > MAX_GUESS_LENGTH:
        return []
    options = list(options)
    head, dot, tail = word.rpartition(".")
    if dot:
        siblings = {o.rpartition(".")[2]: o for o in options if o.rpartition(".")[0] == head}
        close = difflib.get_close_matches(tail, list(siblings), n=n, cutoff=0.6)
        if close:
            return [siblings[c] for c in close]
    match = [m for m in difflib.get_close_matches(word, options, n=n, cutoff=0.6)
             if not dot or difflib.SequenceMatcher(None, tail, m.rpartition(".")[2]).ratio() >= 0.5]
    if not match:
        by_tail = {o.rsplit(".", 1)[-1]: o for o in options}
        close = difflib.get_close_matches(tail, list(by_tail), n=n, cutoff=0.75)
        match = [by_tail[c] for c in close]
    return match


def closest(word: str, options: Iterable[str]) -> str | None:
    """The option a misspelt word most likely meant, if any is close."""
    match = candidates(word, options)
    return match[0] if match else None


def hint(match: str | None) -> str:
    return f" (did you mean '{match}'?)" if match else ""


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the option a misspelt word most likely meant, or ''."""
    return hint(closest(word, options))
