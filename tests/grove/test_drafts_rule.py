"""The draft version rule (grove.drafts): every conflict is detected, repeats are idempotent,
versions of a slug never repeat."""

from __future__ import annotations

import pytest

from grove.drafts import (
    MAX_DRAFT_BYTES,
    Decision,
    Draft,
    DraftSave,
    decide,
    draft_size_bytes,
    may_delete,
)

META = {"title": "Spring", "description": "", "tags": []}


def stored(content: str = "laptop text", version: int = 3, device: str = "laptop") -> Draft:
    return Draft("spring", content, dict(META), device, version, 1_000)


def save(content: str, base: int | None, device: str = "phone", metadata: dict | None = None) -> DraftSave:
    return DraftSave(content, dict(metadata or META), device, base)


def test_a_new_draft_gets_version_one():
    assert decide(None, save("hello", None), last_version=0) == (Decision.SAVE, 1)


def test_a_save_on_the_current_version_lands_as_the_next():
    assert decide(stored(), save("more", 3), last_version=3) == (Decision.SAVE, 4)


@pytest.mark.parametrize("base", [1, 2, 4, None], ids=["older", "previous", "future", "new-but-exists"])
def test_any_other_base_is_a_conflict(base):
    verdict = decide(stored(), save("phone text", base), last_version=3)
    assert verdict.decision is Decision.CONFLICT and verdict.version is None


def test_the_device_does_not_excuse_a_stale_base():
    # Two tabs of one device share its id: the version still decides.
    assert decide(stored(device="phone"), save("tab two", 2, device="phone"), 3).decision is Decision.CONFLICT


def test_same_text_is_unchanged_whatever_the_base():
    # A retried save whose first reply was lost: the server already holds this text.
    assert decide(stored("laptop text"), save("laptop text", 2), 3) == (Decision.UNCHANGED, 3)
    assert decide(stored("laptop text"), save("laptop text", None), 3) == (Decision.UNCHANGED, 3)


def test_metadata_is_part_of_the_text():
    other = {**META, "title": "Spring, again"}
    assert decide(stored(), save("laptop text", 3, metadata=other), 3) == (Decision.SAVE, 4)
    assert decide(stored(), save("laptop text", 2, metadata=other), 3).decision is Decision.CONFLICT


def test_an_edit_of_a_deleted_draft_is_a_conflict_and_versions_continue_after_it():
    assert decide(None, save("old base", 3), last_version=3).decision is Decision.CONFLICT
    # A new draft with the slug continues after the deleted one's last version...
    assert decide(None, save("fresh", None), last_version=3) == (Decision.SAVE, 4)
    # ...so a device still holding version 3 of the old draft conflicts with it.
    assert decide(stored("fresh", version=4), save("old base edit", 3), 4).decision is Decision.CONFLICT


def test_delete_with_a_version_only_removes_that_version():
    assert may_delete(stored(version=3), 3) and may_delete(stored(version=3), None)
    assert not may_delete(stored(version=3), 2)


def test_size_counts_utf8_bytes_of_content_and_metadata():
    assert draft_size_bytes("é", {}) == 2 + 2
    assert draft_size_bytes("x" * MAX_DRAFT_BYTES, {}) > MAX_DRAFT_BYTES
