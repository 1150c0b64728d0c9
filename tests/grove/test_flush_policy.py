"""When buffered analytics go to D1 (grove.flush_policy): full batches at once, partial ones
after the wait, nothing during a backoff, and backoff growing to its cap."""

from __future__ import annotations

from grove.flush_policy import FlushPolicy, next_flush_at_ms, retry_delay_ms, should_send

POLICY = FlushPolicy(batch_size=100, max_wait_ms=60_000, retry_base_ms=5_000, retry_max_ms=600_000)
NOW_MS = 1_767_225_600_000


def state(pending: int, oldest_age_ms: int | None = 0, retry_in_ms: int | None = None) -> dict:
    return {
        "pending": pending,
        "oldest_at_ms": None if oldest_age_ms is None else NOW_MS - oldest_age_ms,
        "retry_at_ms": None if retry_in_ms is None else NOW_MS + retry_in_ms,
        "now_ms": NOW_MS,
    }


def test_nothing_pending_needs_no_flush():
    assert not should_send(POLICY, **state(0))
    assert next_flush_at_ms(POLICY, **state(0)) is None


def test_a_full_batch_goes_at_once():
    assert should_send(POLICY, **state(100))
    assert next_flush_at_ms(POLICY, **state(250)) == NOW_MS


def test_a_partial_batch_waits_sixty_seconds_after_its_oldest_event():
    assert not should_send(POLICY, **state(99, oldest_age_ms=59_999))
    assert next_flush_at_ms(POLICY, **state(99, oldest_age_ms=20_000)) == NOW_MS + 40_000
    assert should_send(POLICY, **state(1, oldest_age_ms=60_000))
    assert next_flush_at_ms(POLICY, **state(1, oldest_age_ms=90_000)) == NOW_MS


def test_a_backoff_holds_even_a_full_buffer():
    assert not should_send(POLICY, **state(5_000, oldest_age_ms=600_000, retry_in_ms=1))
    assert next_flush_at_ms(POLICY, **state(5_000, retry_in_ms=30_000)) == NOW_MS + 30_000
    assert should_send(POLICY, **state(5_000, retry_in_ms=0))


def test_backoff_doubles_up_to_its_cap():
    assert [retry_delay_ms(POLICY, n) for n in range(0, 9)] == [
        0, 5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 600_000,
    ]
    assert retry_delay_ms(POLICY, 1_000) == 600_000  # never gives up, never overflows
