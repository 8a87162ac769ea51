"""Reading YAML safely, remembering the line of every field.

Scenario files are written by hand, and uploaded through the dashboard by
people we do not know, so reading them must never run code (no ``!!python``
tags), never blow up on anchors that expand exponentially, and always say
*where* a problem is. PyYAML's safe loader composes the node tree; we turn it
into plain Python values ourselves so that each value's line is kept and
duplicate keys (which PyYAML silently overwrites) are reported.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, Problem, display_path

MAX_BYTES = 1_000_000
"""Largest scenario file we read: real ones are a few kilobytes."""

MAX_NODES = 50_000
"""Most YAML values after expanding aliases: guards against alias bombs."""


@dataclass
class YamlDocument:
    """A parsed YAML mapping with the line (1-based) of every field path."""

    file: str
    data: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)

    def line(self, path: str) -> int | None:
        """The line of ``path`` or of its nearest enclosing field."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


def read_yaml_file(path: Path | str, max_bytes: int = MAX_BYTES) -> YamlDocument:
    """Read a YAML file whose top level must be a mapping.

    Only regular files are read (not devices such as /dev/zero, FIFOs or
    sockets, which report a size of 0 and never end or block), and never
    more than ``max_bytes`` + 1 bytes, whatever the file system reports.
    """
    p = Path(path)
    name = display_path(p)
    return parse_yaml_text(read_bounded(p, name, max_bytes), name, max_bytes=max_bytes)


def read_bounded(p: Path, name: str, max_bytes: int = MAX_BYTES, allowed: str = "a path to a YAML scenario file") -> bytes:
    """The bytes of a regular file, refusing anything else and anything over ``max_bytes``."""
    try:
        info = os.stat(p)
    except FileNotFoundError:
        raise InputError([Problem(name, "file not found", allowed=allowed)]) from None
    except (OSError, ValueError) as exc:  # e.g. a name too long, a symlink loop
        message = "file not found (a link that leads nowhere or round in a loop)" if getattr(exc, "errno", None) == errno.ELOOP \
            else f"cannot be read: {getattr(exc, 'strerror', None) or exc}"
        raise InputError([Problem(name, message, allowed=allowed)]) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError([Problem(name, "is a directory, not a file", allowed=allowed)])
    if not stat.S_ISREG(info.st_mode):
        raise InputError([Problem(name, f"is not a regular file (it is {_file_kind(info.st_mode)})", allowed=allowed)])
    if info.st_size > max_bytes:
        raise InputError([Problem(name, f"file is too large ({info.st_size:,} bytes)", allowed=f"at most {max_bytes:,} bytes")])
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO since the check, opening it does not wait for a writer
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError([Problem(name, f"cannot be read: {exc.strerror or exc}", allowed=allowed)]) from None
    try:
        info = os.fstat(fd)  # what was opened, not what the name led to a moment ago
        if not stat.S_ISREG(info.st_mode):
            raise InputError([Problem(name, f"is not a regular file (it is {_file_kind(info.st_mode)})", allowed=allowed)])
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, min(65536, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise InputError([Problem(name, f"cannot be read: {exc.strerror or exc}", allowed=allowed)]) from None
    finally:
        os.close(fd)
    if size > max_bytes:
        raise InputError([Problem(name, f"file is too large (more than {max_bytes:,} bytes)", allowed=f"at most {max_bytes:,} bytes")])
    return b"".join(chunks)


def _file_kind(mode: int) -> str:
    for test, word in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return word
    return "not a plain file"


def _text(raw: bytes | str, name: str, max_bytes: int) -> str:
    """The text of a file (UTF-8, within ``max_bytes``)."""
    if isinstance(raw, bytes):
        if len(raw) > max_bytes:
            raise InputError([Problem(name, f"file is too large ({len(raw):,} bytes)", allowed=f"at most {max_bytes:,} bytes")])
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError([Problem(name, f"is not UTF-8 text (byte {exc.start})", allowed="a UTF-8 YAML text file")]) from None
    if len(raw.encode("utf-8", "surrogatepass")) > max_bytes:
        raise InputError([Problem(name, "file is too large", allowed=f"at most {max_bytes:,} bytes")])
    return raw


def parse_yaml_text(raw: bytes | str, name: str, max_bytes: int = MAX_BYTES) -> YamlDocument:
    """Parse YAML text (bytes or str) into a :class:`YamlDocument`."""
    text = _text(raw, name, max_bytes)
    if "\x00" in text:
        raise InputError([Problem(name, "contains a NUL byte: this is not a text file", allowed="a UTF-8 YAML text file")])
    if not text.strip():
        raise InputError([Problem(name, "file is empty", allowed="a YAML mapping with at least 'name'")])
    try:
        loader = yaml.SafeLoader(text)  # checks every character at once
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        raise InputError([Problem(name, f"contains a character YAML does not allow (#x{exc.character:04x})", line=line,
                                  allowed="printable text (no control characters)")]) from None
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        what = exc.problem or "malformed YAML"
        raise InputError([Problem(name, f"malformed YAML: {what}", line=line, allowed="valid YAML (check indentation, colons and quotes)")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(name, f"malformed YAML: {exc}", allowed="valid YAML")]) from None
    except RecursionError:
        raise InputError([Problem(name, "nesting is too deep", allowed="an ordinary scenario file (a few levels of fields and lists)")]) from None
    except ValueError as exc:
        raise InputError([Problem(name, f"malformed YAML: {exc}", allowed="valid YAML")]) from None
    finally:
        loader.dispose()
    if node is None:
        raise InputError([Problem(name, "file holds no YAML value (only comments?)", allowed="a YAML mapping with at least 'name'")])
    converter = _Converter(name)
    try:
        data = converter.convert(node, "")
    except RecursionError:
        raise InputError([Problem(name, "nesting is too deep", allowed="an ordinary scenario file")]) from None
    if converter.problems:
        raise InputError(converter.problems)
    if not isinstance(data, dict):
        raise InputError([Problem(name, f"top level is a {_kind(data)}, not a mapping", line=node.start_mark.line + 1, allowed="a mapping of fields such as 'name:', 'parameters:'")])
    return YamlDocument(name, data, converter.lines)


def _kind(value: Any) -> str:
    return {list: "list", str: "text", int: "number", float: "number", bool: "true/false"}.get(type(value), type(value).__name__)


class _Converter:
    """Turns a composed node tree into plain values, noting lines and problems."""

    def __init__(self, name: str):
        self.name = name
        self.lines: dict[str, int] = {}
        self.problems: list[Problem] = []
        self.nodes = 0
        self._scalar = yaml.SafeLoader("")

    def convert(self, node: yaml.Node, path: str) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            if not any("too many values" in p.message for p in self.problems):
                self.problems.append(Problem(self.name, "too many values", allowed=f"at most {MAX_NODES:,} values (a value reached "
                                                   "through an alias counts each time)"))
            return None
        line = node.start_mark.line + 1
        if path:
            self.lines.setdefault(path, line)
        tag = node.tag or ""
        if "python/" in tag or (tag.startswith("!") and not tag.startswith("!!")):
            self.problems.append(Problem(self.name, f"the tag '{tag}' is not allowed", line=line, field=path or None, allowed="plain YAML values (no !! or ! tags)"))
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
        try:
            value = self._scalar.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self.problems.append(Problem(self.name, f"cannot read this value: {getattr(exc, 'problem', exc)}", line=line, field=path or None, allowed="plain YAML values"))
            return None
        except (ValueError, OverflowError) as exc:
            self.problems.append(Problem(self.name, f"cannot read this value: {exc}", line=line, field=path or None, value=node.value, allowed="plain YAML values"))
            return None
        if isinstance(value, dt.datetime):
            value = value.date() if value.time() == dt.time(0) else value
        return value

    def _mapping(self, node: yaml.MappingNode, path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(Problem(self.name, "YAML merge keys ('<<') are not supported", line=key_node.start_mark.line + 1, field=path or None, allowed="write the fields out"))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(Problem(self.name, "a key must be a plain name", line=key_node.start_mark.line + 1, field=path or None, allowed="plain names such as 'name' or 'acute.beds_in_area'"))
                continue
            key = str(key_node.value)
            sub = f"{path}.{key}" if path else key
            if key in out:
                self.problems.append(Problem(self.name, f"'{key}' is given twice", line=key_node.start_mark.line + 1, field=sub, allowed="each field once"))
                continue
            self.lines[sub] = key_node.start_mark.line + 1
            out[key] = self.convert(value_node, sub)
        return out
