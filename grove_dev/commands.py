"""The `grove` command's subcommands: run and operate grove-edge on the local runtime.

Imported by ``grove_dev.cli`` once the code is on sys.path.

    grove dev [--host H] [--port 8787] [--state DIR] [--no-seed] [--no-access-log] [--var NAME=VALUE ...]
    grove migrate [--state DIR]
    grove seed [--state DIR]
    grove cron EXPR [--state DIR]
    grove migrate-tiers [--dry-run | --recover | --runs] [--state DIR]   (grove_dev.migrate_tiers)
    grove stats [--url http://localhost:8787]
    grove tenant create SUBDOMAIN --display-name NAME [--tier T] [--accent #RRGGBB] [--state DIR]
    grove token --user U [--tenant T --role owner|author|reader] [--ttl-s N] [--state DIR]
    grove cost [--users 100000 --posts-per-user 10 --views-per-month 1000000 --sample-users 200] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import urllib.request
import uuid
from pathlib import Path

from grove.auth import mint_token
from grove.auth_policy import ANY_TENANT
from grove.clock import now_ms
from grove.meadow_policy import PULL_THRESHOLD_VAR
from grove.tenancy import SUBDOMAIN_PATTERN
from grove_dev import migrate_tiers
from grove_dev.accounts import ensure_account
from grove_dev.demo_meadow import DEMO_PULL_THRESHOLD
from grove_dev.platform import DEFAULT_STATE_DIR, DEV_VARS, ensure_dev_vars, start_platform
from grove_dev.seed import create_tenant, seed_demo

DEFAULT_TOKEN_TTL_S = 24 * 3600


def _state_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE_DIR, help="state folder (default: .grove/state)")


def cmd_dev(args: argparse.Namespace) -> int:
    import uvicorn

    from local_runtime.server import LocalServer

    # Absolute URLs (feeds, sitemaps, share previews) name the port this server listens on.
    overrides = {"PUBLIC_PORT": str(args.port), **dict(var.split("=", 1) for var in args.var)}  # like `wrangler dev --var`
    # The demo's celebrity passes a lowered fan-out threshold (grove_dev.demo_meadow); a
    # `.dev.vars` or --var value wins.
    demo = {PULL_THRESHOLD_VAR: str(DEMO_PULL_THRESHOLD)}
    platform = start_platform(args.state, secrets={**demo, **ensure_dev_vars(), **overrides})
    if platform.applied_migrations:
        print(f"applied migrations: {', '.join(platform.applied_migrations)}")
    if not args.no_seed:
        print(f"seed: {asyncio.run(seed_demo(platform.runtime))}")
    print(f"grove-edge on http://localhost:{args.port}  (tenants: http://autumn.localhost:{args.port}/)")
    print(f"state: {args.state}   health: /__health   counters: /__stats   cron: /__scheduled?cron=EXPR")
    print(f"sign in: http://autumn.localhost:{args.port}/auth/sign-in  (links are printed here and listed at /__outbox)")
    # uvicorn's fast stack (httptools + uvloop, from uvicorn[standard]), named rather than
    # "auto" so a venv without them fails here instead of silently serving on h11 + asyncio.
    uvicorn.run(
        LocalServer(platform.runtime, print_outbox=True), host=args.host, port=args.port, log_level="info",
        http="httptools", loop="uvloop", ws="websockets-sansio", access_log=not args.no_access_log,
    )  # fmt: skip
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    platform = start_platform(args.state)
    print("applied: " + (", ".join(platform.applied_migrations) or "nothing (up to date)"))
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    platform = start_platform(args.state)
    print(json.dumps(asyncio.run(seed_demo(platform.runtime))))
    return 0


def cmd_cron(args: argparse.Namespace) -> int:
    platform = start_platform(args.state)

    async def run() -> object:
        result = await platform.runtime.scheduled(args.expr)
        await platform.runtime.drain()
        return result

    print(json.dumps({"ran": args.expr, "result": asyncio.run(run())}, default=repr))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    try:
        with urllib.request.urlopen(f"{args.url.rstrip('/')}/__stats", timeout=5) as reply:
            print(json.dumps(json.load(reply), indent=2))
    except OSError as exc:
        print(f"no grove dev server answered at {args.url}: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_tenant_create(args: argparse.Namespace) -> int:
    if not SUBDOMAIN_PATTERN.match(args.subdomain):
        print(f"invalid subdomain {args.subdomain!r}: lower-case letters, digits and inner dashes", file=sys.stderr)
        return 2
    platform = start_platform(args.state)
    theme = {"accent": args.accent} if args.accent else {}
    try:
        created = asyncio.run(create_tenant(platform.runtime, args.subdomain, args.display_name, tier=args.tier, theme=theme))
    finally:
        platform.runtime.close()
    if not created:
        print(f"tenant {args.subdomain!r} already exists", file=sys.stderr)
        return 1
    print(json.dumps({"created": args.subdomain, "display_name": args.display_name, "tier": args.tier}))
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    """Mint a token for a user id or email; the account and membership are created in the
    local D1 first (roles come from memberships)."""
    secret = ensure_dev_vars(args.dev_vars)["JWT_SECRET"]
    platform = start_platform(args.state)
    try:
        user_id = asyncio.run(
            ensure_account(platform.runtime.d1(), args.user, tenant=args.tenant, role=args.role, now_ms=now_ms())
        )
    finally:
        platform.runtime.close()
    scope = args.tenant or ANY_TENANT
    print(mint_token(secret, sub=user_id, tenant=scope, role=args.role, ttl_s=args.ttl_s, now_ms=now_ms(), jti=uuid.uuid4().hex))
    return 0


def cmd_cost(args: argparse.Namespace) -> int:
    from grove_dev.cost_report import run_cost_report

    return run_cost_report(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grove", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    dev = sub.add_parser("dev", help="serve the whole platform locally")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8787)
    dev.add_argument("--no-seed", action="store_true", help="do not load demo data")
    dev.add_argument(
        "--no-access-log", action="store_true",
        help="no log line per request (uvicorn's access log; for load runs: it costs server time)",
    )
    dev.add_argument(
        "--var", action="append", default=[], metavar="NAME=VALUE",
        help="override a var for this run (repeatable), e.g. RATE_LIMIT_POST_CREATE=1000/60",
    )
    _state_arg(dev)
    dev.set_defaults(func=cmd_dev)

    for name, func, text in (("migrate", cmd_migrate, "apply D1 migrations"), ("seed", cmd_seed, "load demo data")):
        p = sub.add_parser(name, help=text)
        _state_arg(p)
        p.set_defaults(func=func)

    cron = sub.add_parser("cron", help="run a cron trigger's scheduled handler now")
    cron.add_argument("expr", help='the cron expression, e.g. "0 3 * * *"')
    _state_arg(cron)
    cron.set_defaults(func=cmd_cron)

    migrate_tiers.add_parser(sub, _state_arg)

    stats = sub.add_parser("stats", help="print a running dev server's operation counters")
    stats.add_argument("--url", default="http://localhost:8787")
    stats.set_defaults(func=cmd_stats)

    tenant = sub.add_parser("tenant", help="manage tenants").add_subparsers(dest="tenant_command", required=True)
    create = tenant.add_parser("create", help="create a tenant (a blog at SUBDOMAIN.ROOT_DOMAIN)")
    create.add_argument("subdomain")
    create.add_argument("--display-name", required=True)
    create.add_argument("--tier", default="seedling", choices=("seedling", "sapling", "oak", "evergreen"))
    create.add_argument("--accent", help="theme accent colour, e.g. #b5542c")
    _state_arg(create)
    create.set_defaults(func=cmd_tenant_create)

    token = sub.add_parser("token", help="mint a JWT for local use (signed with .dev.vars JWT_SECRET)")
    token.add_argument("--user", required=True, help="a user id (ada) or an email address")
    token.add_argument("--tenant", help="the blog the token is for (default: any the user is a member of)")
    token.add_argument(
        "--role", default="owner", choices=("owner", "author", "reader"),
        help="the membership to create on --tenant, and the token's ceiling (default: owner)",
    )
    token.add_argument("--ttl-s", type=int, default=DEFAULT_TOKEN_TTL_S, help="lifetime in seconds (default: a day)")
    token.add_argument("--dev-vars", type=Path, default=DEV_VARS, help="where JWT_SECRET lives (default: .dev.vars)")
    _state_arg(token)
    token.set_defaults(func=cmd_token)

    from grove_dev.cost_report import add_cost_arguments

    cost = sub.add_parser("cost", help="replay a workload on the simulated clock and price it (Cloudflare's prices)")
    add_cost_arguments(cost)
    cost.set_defaults(func=cmd_cost)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return int(args.func(args))

