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

DiffOp = Literal["same", "removed", "added", "gap"]


class DiffLine(TypedDict):
    """One line of a diff: ``same``/``removed``/``added`` carry the line's text; ``gap``
    stands for ``text`` = the number of unchanged lines folded away."""

    op: DiffOp
    text: str


def _line(op: DiffOp, text: str) -> DiffLine:
    return {"op": op, "text": text}


def line_diff(old: str, new: str) -> list[DiffLine]:
    """What changed from ``old`` to ``new``, line by line (difflib's matching), with
    ``DIFF_CONTEXT_LINES`` of context around each change. Plain text: callers escape it."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    shown_to = 0  # the next line of ``a`` not yet shown or folded
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(DIFF_CONTEXT_LINES):
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
