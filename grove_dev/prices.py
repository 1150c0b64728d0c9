"""Cloudflare's published prices (Workers Paid plan) and the bill for a month's usage.

The one place the cost report (`grove cost`) takes prices from. Each price names its source
page; the figures were read on 2026-11-28. Every usage line has an allowance included in the
plan's monthly base, and only usage above it is billed; the base itself is its own line.
Pure: no platform imports, so the pricing is unit-tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

MILLION = 1_000_000
GB = 1_000_000_000  # Cloudflare bills decimal gigabytes (GB-month)

# https://developers.cloudflare.com/workers/platform/pricing/ : "$5 USD per month" minimum for
# Workers Paid, which includes the allowances below.
WORKERS_PAID_BASE_USD_PER_MONTH = 5.00

# Durable Objects bill duration by memory held: 128 MB per object (Workers limits: 128 MB memory),
# https://developers.cloudflare.com/durable-objects/platform/pricing/ (GB-s = 128 MB x seconds).
DO_MEMORY_GB = 128 / 1000


@dataclass(frozen=True)
class Price:
    """A usage line: ``usd_per_unit`` above ``included`` units a month."""

    service: str  # the cost table's grouping: workers, d1, kv, r2, durable_objects
    line: str
    unit: str
    usd_per_unit: float
    included: float
    source: str


PRICES: dict[str, Price] = {
    p.line: p
    for p in (
        # https://developers.cloudflare.com/workers/platform/pricing/ : 10 million requests/month
        # included, +$0.30 per million; 30 million CPU ms included, +$0.02 per million CPU ms.
        Price(
            "workers",
            "workers_requests",
            "requests",
            0.30 / MILLION,
            10 * MILLION,
            "https://developers.cloudflare.com/workers/platform/pricing/",
        ),
        Price(
            "workers",
            "workers_cpu",
            "CPU ms",
            0.02 / MILLION,
            30 * MILLION,
            "https://developers.cloudflare.com/workers/platform/pricing/",
        ),
        # https://developers.cloudflare.com/d1/platform/pricing/ : rows read 25 billion/month
        # included, +$0.001 per million; rows written 50 million included, +$1.00 per million;
        # storage 5 GB included, +$0.75 per GB-month.
        Price(
            "d1",
            "d1_rows_read",
            "rows",
            0.001 / MILLION,
            25_000 * MILLION,
            "https://developers.cloudflare.com/d1/platform/pricing/",
        ),
        Price(
            "d1",
            "d1_rows_written",
            "rows",
            1.00 / MILLION,
            50 * MILLION,
            "https://developers.cloudflare.com/d1/platform/pricing/",
        ),
        Price(
            "d1",
            "d1_storage",
            "GB-month",
            0.75,
            5,
            "https://developers.cloudflare.com/d1/platform/pricing/",
        ),
        # https://developers.cloudflare.com/kv/platform/pricing/ : reads 10 million/month included,
        # +$0.50 per million; writes, deletes and lists 1 million each included, +$5.00 per
        # million; storage 1 GB included, +$0.50 per GB-month.
        Price(
            "kv",
            "kv_reads",
            "reads",
            0.50 / MILLION,
            10 * MILLION,
            "https://developers.cloudflare.com/kv/platform/pricing/",
        ),
        Price(
            "kv",
            "kv_writes",
            "writes",
            5.00 / MILLION,
            1 * MILLION,
            "https://developers.cloudflare.com/kv/platform/pricing/",
        ),
        Price(
            "kv",
            "kv_deletes",
            "deletes",
            5.00 / MILLION,
            1 * MILLION,
            "https://developers.cloudflare.com/kv/platform/pricing/",
        ),
        Price(
            "kv",
            "kv_lists",
            "lists",
            5.00 / MILLION,
            1 * MILLION,
            "https://developers.cloudflare.com/kv/platform/pricing/",
        ),
        Price(
            "kv",
            "kv_storage",
            "GB-month",
            0.50,
            1,
            "https://developers.cloudflare.com/kv/platform/pricing/",
        ),
        # https://developers.cloudflare.com/r2/pricing/ (Standard storage): Class A $4.50 per
        # million (1 million/month free), Class B $0.36 per million (10 million free), storage
        # $0.015 per GB-month (10 GB-month free); deletes are free, egress is free.
        Price(
            "r2",
            "r2_class_a",
            "operations",
            4.50 / MILLION,
            1 * MILLION,
            "https://developers.cloudflare.com/r2/pricing/",
        ),
        Price(
            "r2",
            "r2_class_b",
            "operations",
            0.36 / MILLION,
            10 * MILLION,
            "https://developers.cloudflare.com/r2/pricing/",
        ),
        Price(
            "r2",
            "r2_storage",
            "GB-month",
            0.015,
            10,
            "https://developers.cloudflare.com/r2/pricing/",
        ),
        # https://developers.cloudflare.com/durable-objects/platform/pricing/ (Paid plan): requests
        # 1 million/month included, +$0.15 per million (each RPC call is one request, alarms too);
        # duration 400,000 GB-s included, +$12.50 per million GB-s.
        Price(
            "durable_objects",
            "do_requests",
            "requests",
            0.15 / MILLION,
            1 * MILLION,
            "https://developers.cloudflare.com/durable-objects/platform/pricing/",
        ),
        Price(
            "durable_objects",
            "do_duration",
            "GB-s",
            12.50 / MILLION,
            400_000,
            "https://developers.cloudflare.com/durable-objects/platform/pricing/",
        ),
    )
}
SERVICES: tuple[str, ...] = ("workers", "d1", "kv", "r2", "durable_objects")


@dataclass(frozen=True)
class LineCost:
    line: str
    service: str
    quantity: float
    list_usd: float  # the quantity at the list price, as if nothing were included
    billed_usd: float  # above the plan's allowance only


def price_line(line: str, quantity: float) -> LineCost:
    price = PRICES[line]
    if quantity < 0:
        raise ValueError(f"{line}: negative quantity {quantity}")
    return LineCost(
        line=line,
        service=price.service,
        quantity=quantity,
        list_usd=quantity * price.usd_per_unit,
        billed_usd=max(0.0, quantity - price.included) * price.usd_per_unit,
    )


@dataclass(frozen=True)
class Bill:
    lines: dict[str, LineCost]
    base_usd: float = WORKERS_PAID_BASE_USD_PER_MONTH

    @property
    def usage_billed_usd(self) -> float:
        return sum(c.billed_usd for c in self.lines.values())

    @property
    def usage_list_usd(self) -> float:
        return sum(c.list_usd for c in self.lines.values())

    @property
    def total_usd(self) -> float:
        """What the month costs: the plan's base plus usage above its allowances."""
        return self.base_usd + self.usage_billed_usd

    def by_service(self) -> dict[str, dict[str, float]]:
        out = {s: {"list_usd": 0.0, "billed_usd": 0.0} for s in SERVICES}
        for cost in self.lines.values():
            out[cost.service]["list_usd"] += cost.list_usd
            out[cost.service]["billed_usd"] += cost.billed_usd
        return out


def bill(usage: dict[str, float]) -> Bill:
    """Price a month's usage (``PRICES`` line -> quantity; every line must be given)."""
    missing = PRICES.keys() - usage.keys()
    unknown = usage.keys() - PRICES.keys()
    if missing or unknown:
        raise KeyError(f"usage lines missing {sorted(missing)}, unknown {sorted(unknown)}")
    return Bill(lines={line: price_line(line, usage[line]) for line in PRICES})
