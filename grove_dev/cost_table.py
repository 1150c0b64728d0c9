"""The roadmap's cost table (seed 004, "Cost Projections") beside ours, line by line.

Pure: takes two ``grove_dev.prices.Bill``s (before and after tiering; after may be missing)
and prints the table, each line's difference from the roadmap explained in one sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from grove_dev.prices import MILLION, PRICES, WORKERS_PAID_BASE_USD_PER_MONTH, Bill

# Seed 004, "After Full Implementation" (100K users, 10 posts each, 1M views/month), as printed:
# its lines by our price lines. Lines it leaves out are 0 here.
ROADMAP_USD: dict[str, float] = {
    "d1_storage": 0.02,  # "0.1GB (hot posts) x $0.20"
    "r2_storage": 0.0135,  # "0.9GB (warm/cold) x $0.015"
    "d1_rows_read": 0.00005,  # "50K (5% cache miss) x $0.001/M"
    "r2_class_b": 0.016,  # "45K (cached at 95%) x $0.36/M"
    "kv_reads": 0.05,  # "1M reads x $0.50/10M"
    "do_requests": 0.15,  # "1M (TenantDO config) x $0.15/M"
    "do_duration": 0.0,  # "minimal (hibernation)"
}
ROADMAP_TOTAL_USD = 0.24  # its stated total ("TOTAL: $0.24/month")
ROADMAP_BEFORE_TOTAL_USD = 0.202  # "Current State (No Optimization)": D1 storage and reads only
ROADMAP_SCENARIO = {"users": 100_000, "posts_per_user": 10, "views_per_month": 1_000_000}

LABELS: dict[str, str] = {
    "base": "Workers Paid base",
    "workers_requests": "Workers requests",
    "workers_cpu": "Workers CPU",
    "d1_rows_read": "D1 rows read",
    "d1_rows_written": "D1 rows written",
    "d1_storage": "D1 storage",
    "kv_reads": "KV reads",
    "kv_writes": "KV writes",
    "kv_deletes": "KV deletes",
    "kv_lists": "KV lists",
    "kv_storage": "KV storage",
    "r2_class_a": "R2 class A",
    "r2_class_b": "R2 class B",
    "r2_storage": "R2 storage",
    "do_requests": "DO requests",
    "do_duration": "DO duration",
}


def _quantity(line: str, amount: float) -> str:
    unit = PRICES[line].unit
    if unit == "GB-month":
        return f"{amount:.4f} GB-month"
    if unit in ("GB-s",):
        return f"{amount:,.0f} GB-s"
    return f"{amount / MILLION:.3f} M {unit}"


def explain(line: str, before: Bill, after: Bill | None) -> str:
    """One sentence: why our figure for ``line`` differs from the roadmap's."""
    if line == "base":
        return (
            f"The roadmap leaves out the Workers Paid plan's ${WORKERS_PAID_BASE_USD_PER_MONTH:.2f}/month minimum, "
            "which Durable Objects require and which includes every allowance below."
        )
    ours = (after or before).lines[line]
    price = PRICES[line]
    roadmap = ROADMAP_USD.get(line)
    measured = f"we counted {_quantity(line, ours.quantity)} ({_quantity(line, price.included)} included, list ${ours.list_usd:.4f})"
    if line == "d1_storage":
        return (
            f"The roadmap prices D1 at $0.20/GB, but D1 costs $0.75/GB-month above 5 GB included; {measured}"
            + (f", {before.lines[line].quantity:.4f} GB-month before tiering." if after else ".")
        )
    if line == "kv_reads":
        return (
            f"The roadmap divides by 10M where KV's price is $0.50 per million reads; {measured}."
        )
    if line == "do_requests":
        return f"The roadmap assumes one TenantDO call per view, where the edge cache answers most views; {measured}."
    if line == "do_duration":
        return f"Priced from the stated CPU model (each DO request active for its modelled time, 128 MB); {measured}."
    if roadmap is None:
        return f"The roadmap has no line for this; {measured}."
    return f"The roadmap estimated ${roadmap:.5f}; {measured}."


@dataclass(frozen=True)
class Row:
    line: str
    before_usd: float
    after_usd: float | None
    roadmap_usd: float
    why: str


def rows(before: Bill, after: Bill | None) -> list[Row]:
    out = [
        Row(
            "base",
            before.base_usd,
            after.base_usd if after else None,
            0.0,
            explain("base", before, after),
        )
    ]
    for line in PRICES:
        out.append(
            Row(
                line,
                before.lines[line].billed_usd,
                after.lines[line].billed_usd if after else None,
                ROADMAP_USD.get(line, 0.0),
                explain(line, before, after),
            )
        )
    return out


def _usd(value: float | None) -> str:
    return "(needs migrator)" if value is None else f"${value:.4f}"


def render(before: Bill, after: Bill | None) -> str:
    """The table (billed amounts: usage above the allowances), then the list-price totals."""
    header = f"{'line':<20}{'ours before':>16}{'ours after':>18}{'roadmap':>12}  why they differ"
    lines = [header, "-" * len(header)]
    for row in rows(before, after):
        lines.append(
            f"{LABELS[row.line]:<20}{_usd(row.before_usd):>16}{_usd(row.after_usd):>18}{_usd(row.roadmap_usd):>12}  {row.why}"
        )
    lines.append("-" * len(header))
    after_total = after.total_usd if after else None
    lines.append(
        f"{'TOTAL /month':<20}{_usd(before.total_usd):>16}{_usd(after_total):>18}{_usd(ROADMAP_TOTAL_USD):>12}"
        f"  (the roadmap's own lines add up to ${sum(ROADMAP_USD.values()):.5f})"
    )
    after_list = f"${after.usage_list_usd:.4f}" if after else "(needs migrator)"
    lines.append(
        f"Usage at list price with no allowances: before ${before.usage_list_usd:.4f}, after {after_list}"
        " (the like-for-like figure for the roadmap's arithmetic, which ignores allowances)."
    )
    return "\n".join(lines)


def summary(before: Bill, after: Bill | None) -> dict[str, object]:
    """The JSON last line's figures."""
    return {
        "total_usd_per_month_before": round(before.total_usd, 6),
        "total_usd_per_month_after": round(after.total_usd, 6) if after else None,
        "roadmap_total_usd_per_month": ROADMAP_TOTAL_USD,
        "usage_list_usd_per_month_before": round(before.usage_list_usd, 6),
        "usage_list_usd_per_month_after": round(after.usage_list_usd, 6) if after else None,
        "base_usd_per_month": WORKERS_PAID_BASE_USD_PER_MONTH,
        "services": {
            "before": {
                k: {m: round(v, 6) for m, v in d.items()} for k, d in before.by_service().items()
            },
            "after": {
                k: {m: round(v, 6) for m, v in d.items()} for k, d in after.by_service().items()
            }
            if after
            else None,
            "roadmap": _roadmap_by_service(),
        },
    }


def _roadmap_by_service() -> dict[str, float]:
    out: dict[str, float] = {}
    for line, usd in ROADMAP_USD.items():
        service = PRICES[line].service
        out[service] = round(out.get(service, 0.0) + usd, 6)
    return out
