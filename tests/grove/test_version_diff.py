"""The editor's line diff (``grove.versions.line_diff``): always a diff that turns the old
text into the new one, and work that grows with a post's length, not with its square, however
its lines repeat (work counted in lines of difflib run, not timed)."""

from __future__ import annotations

import difflib
import random
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest

from grove import versions
from grove.versions import DiffLine, line_diff

# difflib lines run per line of the longer text. Linear work runs well under 100; the quadratic
# matching this guards against ran over 4,000 on 1,600 lines of paragraphs, 45,000 on 400
# alternating lines.
MAX_STEPS_PER_LINE = 200


def applied(old: str, diff: list[DiffLine]) -> list[str]:
    """The new text's lines, rebuilt from the old text and the diff (gaps are unchanged runs)."""
    a = old.splitlines()
    if not diff:
        return a
    out: list[str] = []
    i = 0
    for line in diff:
        if line["op"] == "gap":
            out += a[i : i + int(line["text"])]
            i += int(line["text"])
        elif line["op"] == "added":
            out.append(line["text"])
        else:
            assert a[i] == line["text"]
            if line["op"] == "same":
                out.append(a[i])
            i += 1
    assert i == len(a)
    return out


def difflib_steps(run: Callable[[], object]) -> int:
    """Lines of difflib's code executed by ``run`` (a count of work, independent of the machine)."""
    steps = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal steps
        if event == "line":
            steps += 1
        return local

    def calls(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename == difflib.__file__ else None

    sys.settrace(calls)
    try:
        run()
    finally:
        sys.settrace(None)
    return steps


def paragraphs(n: int, rng: random.Random) -> list[str]:
    """A post of ``n`` paragraphs, blank lines between them, some code blocks (lines like ``}``
    and fences repeat throughout)."""
    lines: list[str] = []
    for i in range(n):
        if rng.random() < 0.15:
            lines += ["```", "fn grow() {", "    water();", "}", "```"]
        else:
            lines.append(f"Paragraph {i}: " + "mulch " * rng.randrange(3, 12))
        lines.append("")
    return lines


def edited(lines: list[str], rng: random.Random, edits: int) -> list[str]:
    out = list(lines)
    for _ in range(edits):
        at = rng.randrange(len(out) + 1)
        kind = rng.randrange(3)
        if kind == 0 and out:
            del out[min(at, len(out) - 1)]
        elif kind == 1:
            out.insert(at, rng.choice(["", "}", "new line", "```"]))
        elif out:
            out[min(at, len(out) - 1)] = f"changed {rng.random()}"
    return out


@pytest.mark.parametrize("seed", range(40))
def test_the_diff_turns_the_old_text_into_the_new_one(seed):
    rng = random.Random(seed)
    old = paragraphs(rng.randrange(0, 150), rng) if seed % 2 else [rng.choice(["a", "b", "", "}"]) for _ in range(rng.randrange(0, 400))]
    new = edited(old, rng, rng.randrange(0, 12))
    a, b = "\n".join(old), "\n".join(new)
    diff = line_diff(a, b)
    assert applied(a, diff) == b.splitlines()
    assert (diff == []) == (a.splitlines() == b.splitlines())


def test_a_long_post_diffs_in_work_linear_in_its_length():
    rng = random.Random(11)
    old = paragraphs(800, rng)
    new = edited(old, rng, 20)
    a, b = "\n".join(old), "\n".join(new)
    steps = difflib_steps(lambda: line_diff(a, b))
    assert steps <= MAX_STEPS_PER_LINE * max(len(old), len(new)), steps
    assert applied(a, line_diff(a, b)) == b.splitlines()


def test_lines_repeated_all_through_a_text_cost_no_more():
    # Two lines alternating: every line has hundreds of copies to be tried against.
    old = "\n".join("ab"[i % 2] for i in range(400))
    new = "\n".join("ba"[i % 3 == 0] for i in range(400))
    steps = difflib_steps(lambda: line_diff(old, new))
    assert steps <= MAX_STEPS_PER_LINE * 400, steps
    assert applied(old, line_diff(old, new)) == new.splitlines()


def test_a_changed_middle_past_the_bound_is_shown_replaced_whole(monkeypatch):
    monkeypatch.setattr(versions, "DIFF_MAX_LINES", 50)
    old = [f"line {i}" for i in range(200)]
    new = old[:10] + [f"other {i}" for i in range(60)] + old[-10:]
    diff = line_diff("\n".join(old), "\n".join(new))
    assert applied("\n".join(old), diff) == new
    ops = [line["op"] for line in diff]
    assert ops.count("removed") == 180 and ops.count("added") == 60
    assert ops[:4] == ["gap", "same", "same", "same"] and ops[-4:] == ["same", "same", "same", "gap"]
