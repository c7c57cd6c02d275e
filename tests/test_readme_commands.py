"""Every ``leuko-keras ...`` command written in README.md and docs/*.md parses with today's CLI.

The command line is parsed (flags, their values, required options), never
run: a renamed or removed flag leaves the documentation wrong and fails here.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from helpers import parse_command

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def _commands() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for doc in DOCS:
        lines = doc.read_text(encoding="utf-8").splitlines()
        blocks = _code_blocks(lines)
        for number, line in blocks:
            found.append((f"{doc.name}:{number}", line))
        for number, text in enumerate(lines, 1):
            # Inline code such as `leuko-keras pack DATA OUT.h5 --scales 2,3,4,8` (not inside a code block).
            for inline in re.findall(r"`(leuko-keras [^`]+)`", text):
                # Inline mentions use placeholders (`synth OUT --count N`): their command and flags must
                # exist, which --help checks (it stops before values are converted).
                found.append((f"{doc.name}:{number}", inline + " --help"))
    return found


def _code_blocks(lines: list[str]) -> list[tuple[int, str]]:
    """``leuko-keras`` lines of fenced code blocks, continuation lines (``\\``) joined, comments dropped."""
    out: list[tuple[int, str]] = []
    inside = False
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(lines, 1):
        if raw.strip().startswith("```"):
            inside = not inside
            continue
        if not inside:
            continue
        text = raw.split(" #")[0].strip() if " #" in raw else raw.strip()
        if pending is not None:
            start, head = pending
            joined = head + " " + text.rstrip("\\").strip()
            pending = (start, joined) if text.endswith("\\") else None
            if pending is None:
                out.append((start, joined))
            continue
        if text.startswith("leuko-keras "):
            if text.endswith("\\"):
                pending = (number, text.rstrip("\\").strip())
            else:
                out.append((number, text))
    return out


COMMANDS = _commands()


def test_docs_have_commands() -> None:
    assert len(COMMANDS) > 20
    assert {line.split()[1] for _, line in COMMANDS} >= {"fit", "predict", "evaluate", "export", "demo", "models"}


@pytest.mark.parametrize(("where", "line"), COMMANDS, ids=[where for where, _ in COMMANDS])
def test_command_parses(where: str, line: str) -> None:
    args = shlex.split(line)[1:]
    problem = parse_command(args)
    assert problem is None, f"{where}: `{line}` does not parse: {problem}"
