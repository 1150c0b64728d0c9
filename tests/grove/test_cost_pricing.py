"""The cost report's pure parts: prices and allowances, usage from counters, the table."""

from __future__ import annotations

import json

import pytest

from grove_dev.cost_model import CpuModel, MonthMeasured, usage_lines
from grove_dev.cost_table import ROADMAP_TOTAL_USD, ROADMAP_USD, render, rows, summary
from grove_dev.prices import (
    GB,
    MILLION,
    PRICES,
    SERVICES,
    WORKERS_PAID_BASE_USD_PER_MONTH,
    bill,
    price_line,
)
from local_runtime.stats import COUNTERS

CPU = CpuModel(
    read_request_ms=4.0, write_request_ms=40.0, do_active_ms_per_request=4.0, source="test"
)


def zero_usage() -> dict[str, float]:
    return dict.fromkeys(PRICES, 0.0)


def test_every_price_names_its_cloudflare_source_and_a_service():
    for price in PRICES.values():
        assert price.source.startswith("https://developers.cloudflare.com/"), price.line
        assert price.service in SERVICES
        assert price.usd_per_unit > 0 and price.included > 0


def test_usage_within_the_allowances_costs_only_the_base():
    usage = {line: price.included for line, price in PRICES.items()}
    result = bill(usage)
    assert result.usage_billed_usd == 0
    assert result.total_usd == WORKERS_PAID_BASE_USD_PER_MONTH
    assert result.usage_list_usd > 0  # the allowances are worth something at list price


def test_usage_above_an_allowance_is_billed_per_unit():
    # Cloudflare's examples: 15M Workers requests on Paid = 5M billed at $0.30/M.
    assert price_line("workers_requests", 15 * MILLION).billed_usd == pytest.approx(1.50)
    # D1 storage above 5 GB at $0.75/GB-month; R2 class B above 10M at $0.36/M.
    assert price_line("d1_storage", 7).billed_usd == pytest.approx(1.50)
    assert price_line("r2_class_b", 11 * MILLION).billed_usd == pytest.approx(0.36)
    assert price_line("do_duration", 1_400_000).billed_usd == pytest.approx(12.50)


def test_a_bill_needs_every_line_and_no_unknown_one():
    usage = zero_usage()
    del usage["kv_reads"]
    with pytest.raises(KeyError):
        bill(usage)
    with pytest.raises(KeyError):
        bill({**zero_usage(), "queue_messages": 1.0})
    with pytest.raises(ValueError):
        price_line("kv_reads", -1)


def month(
    counters: dict[str, int], stored: dict[str, int], baseline: dict[str, int] | None = None
) -> MonthMeasured:
    full = dict.fromkeys(COUNTERS, 0) | counters
    return MonthMeasured(
        counters=full, stored_bytes=stored, baseline_bytes=baseline or dict.fromkeys(stored, 0)
    )


def test_usage_scales_the_sample_but_not_the_cron_schedule():
    measured = month(
        {"worker.requests": 100, "worker.safe_requests": 90, "cron.runs": 30, "d1.rows_read": 7, "do.requests": 5, "do.alarms": 1,
         "kv.reads": 3, "r2.class_b": 2},
        {"d1": 2_000, "kv": 0, "r2": 500},
        {"d1": 1_000, "kv": 0, "r2": 0},
    )  # fmt: skip
    usage = usage_lines(measured, CPU, scale=10)
    assert usage["workers_requests"] == 100 * 10 + 30
    # 900 reads at 4 ms; 100 writes and 30 cron runs at 40 ms.
    assert usage["workers_cpu"] == pytest.approx(900 * 4 + (100 + 30) * 40)
    assert usage["d1_rows_read"] == 70 and usage["kv_reads"] == 30 and usage["r2_class_b"] == 20
    assert usage["do_requests"] == 60  # alarms are billed as requests
    assert usage["do_duration"] == pytest.approx(60 * 0.004 * 0.128)
    # The empty schema counts once; what users stored is scaled.
    assert usage["d1_storage"] == pytest.approx((1_000 + 1_000 * 10) / GB)
    assert usage["r2_storage"] == pytest.approx(5_000 / GB)


def test_cpu_model_reads_the_pyodide_benchmarks_last_json_line(tmp_path):
    out = tmp_path / "pyodide_requests.json"
    out.write_text(
        "a table\n" + json.dumps({"cached_view_ms_p50": 3.5, "post_create_ms_p50": 21.0}) + "\n"
    )
    model = CpuModel.from_file(out)
    assert (model.read_request_ms, model.write_request_ms, model.do_active_ms_per_request) == (
        3.5,
        21.0,
        3.5,
    )
    assert str(out) in model.source


def test_table_puts_ours_beside_the_roadmap_with_a_reason_per_line():
    before = bill({**zero_usage(), "d1_storage": 6.0, "kv_reads": 12 * MILLION})
    after = bill({**zero_usage(), "d1_storage": 1.0, "r2_storage": 5.0, "kv_reads": 12 * MILLION})
    table = rows(before, after)
    assert [r.line for r in table] == ["base", *PRICES]
    assert all(r.why.endswith(".") and r.why.count(". ") == 0 for r in table)  # one sentence each
    by_line = {r.line: r for r in table}
    assert (
        by_line["d1_storage"].before_usd == pytest.approx(0.75)
        and by_line["d1_storage"].after_usd == 0
    )
    assert by_line["kv_reads"].roadmap_usd == ROADMAP_USD["kv_reads"]
    text = render(before, after)
    assert "TOTAL /month" in text and "$6.7500" in text and f"${ROADMAP_TOTAL_USD:.4f}" in text
    figures = summary(before, after)
    assert figures["total_usd_per_month_before"] == pytest.approx(5 + 0.75 + 1.0)
    assert figures["total_usd_per_month_after"] == pytest.approx(5 + 1.0)
    assert figures["roadmap_total_usd_per_month"] == ROADMAP_TOTAL_USD
    assert set(figures["services"]["before"]) == set(SERVICES)  # type: ignore[arg-type]


def test_without_a_migrator_run_the_after_column_is_empty_not_invented():
    before = bill(zero_usage())
    assert summary(before, None)["total_usd_per_month_after"] is None
    assert "(needs migrator)" in render(before, None)
