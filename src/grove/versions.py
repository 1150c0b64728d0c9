"""A post's content versions as the API lists and compares them: the list's order and page
size, the version number's rule, and the line diff the editor shows.

Versions live in the post's ``PostContentDO``; each content save is one, numbered 1, 2, ...
per post. The list is newest first, read by keyset on the number (``grove.pagination``'s
cursors; a number is unique, so the tie-break column is a constant).
"""

from __future__ import annotations

import difflib
from typing import Literal

from typing_extensions import TypedDict

from grove.pagination import KeysetOrder

VERSIONS_PAGE_SIZE = 20
# ``(version, 'v')``: the number orders and identifies a version; 'v' stands in for the id
# column every keyset cursor carries.
VERSION_ORDER = KeysetOrder("version", "'v'")
VERSION_CURSOR_ID = "v"
# Version numbers in paths: ASCII digits without a leading zero, within JSON's safe integers.
VERSION_PATTERN = r"^[1-9][0-9]{0,14}$"
# Unchanged lines shown around each change; longer unchanged runs are folded into a "gap".
DIFF_CONTEXT_LINES = 3
# The most lines of each side the matcher compares once the common first and last lines are
# cut off (a post's changed middle); a longer middle is shown as replaced whole. 10,000 lines
# is a 5,000-paragraph post; difflib's work stays bounded below it (``line_diff``).
DIFF_MAX_LINES = 10_000

DiffOp = Literal["same", "removed", "added", "gap"]


class DiffLine(TypedDict):
    """One line of a diff: ``same``/``removed``/``added`` carry the line's text; ``gap``
    stands for ``text`` = the number of unchanged lines folded away."""

    op: DiffOp
    text: str


def _line(op: DiffOp, text: str) -> DiffLine:
    return {"op": op, "text": text}


Opcode = tuple[Literal["replace", "delete", "insert", "equal"], int, int, int, int]


class _Opcodes(difflib.SequenceMatcher[str]):
    """difflib's grouping (``get_grouped_opcodes``) over opcodes worked out elsewhere."""

    def __init__(self, opcodes: list[Opcode]) -> None:
        super().__init__(None, [], [])
        self._given = opcodes

    def get_opcodes(self) -> list[Opcode]:
        return list(self._given)


def _opcodes(a: list[str], b: list[str]) -> list[Opcode]:
    """What turns ``a`` into ``b``: the common first and last lines cut off (most edits leave
    most of a post alone), the rest matched by difflib with its ``autojunk`` rule, or, past
    ``DIFF_MAX_LINES``, shown as replaced whole. Without ``autojunk`` a line repeated through
    the text (a blank line, ``}``) is tried against every one of its copies: 4,000 lines of
    paragraphs took seconds, a text of two alternating lines minutes."""
    most = min(len(a), len(b))
    head = 0
    while head < most and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < most - head and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1
    a_mid, b_mid = a[head : len(a) - tail], b[head : len(b) - tail]
    if len(a_mid) > DIFF_MAX_LINES or len(b_mid) > DIFF_MAX_LINES:
        middle: list[Opcode] = [("replace", 0, len(a_mid), 0, len(b_mid))]
    else:
        middle = difflib.SequenceMatcher(None, a_mid, b_mid).get_opcodes()
    codes: list[Opcode] = [("equal", 0, head, 0, head)]
    for tag, i1, i2, j1, j2 in middle:
        codes.append((tag, i1 + head, i2 + head, j1 + head, j2 + head))
    codes.append(("equal", len(a) - tail, len(a), len(b) - tail, len(b)))
    return [code for code in codes if code[1] < code[2] or code[3] < code[4]]


def line_diff(old: str, new: str) -> list[DiffLine]:
    """What changed from ``old`` to ``new``, line by line (see ``_opcodes``), with
    ``DIFF_CONTEXT_LINES`` of context around each change. Plain text: callers escape it."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    shown_to = 0  # the next line of ``a`` not yet shown or folded
    for group in _Opcodes(_opcodes(a, b)).get_grouped_opcodes(DIFF_CONTEXT_LINES):
        first = group[0][1]
        if first > shown_to:
            lines.append({"op": "gap", "text": str(first - shown_to)})
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [_line("same", line) for line in a[i1:i2]]
                continue
            lines += [_line("removed", line) for line in a[i1:i2]]
            lines += [_line("added", line) for line in b[j1:j2]]
        shown_to = group[-1][2]
    if lines and shown_to < len(a):
        lines.append({"op": "gap", "text": str(len(a) - shown_to)})
    return lines
