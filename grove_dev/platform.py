"""This repository on the local runtime: where state lives, migrations, secrets, the clock.

``start_platform`` is what `grove dev`, the tests and the benchmarks all use, so the three
run the app the same way.
"""

from __future__ import annotations

import secrets as secrets_module
from dataclasses import dataclass
from pathlib import Path

from grove_dev import REPO_ROOT
from local_runtime.clock import Clock, RealClock
from local_runtime.latency import LatencyProfile
from local_runtime.migrations import apply_migrations
from local_runtime.runtime import LocalRuntime, open_runtime
from local_runtime.services import RuntimeServices

DEFAULT_STATE_DIR = REPO_ROOT / ".grove" / "state"
DEV_VARS = REPO_ROOT / ".dev.vars"
# Local runs override these [vars] the way `.dev.vars` does for `wrangler dev`: tenants are
# subdomains of localhost (autumn.localhost:8787).
# Absolute URLs (feeds, sitemaps, share previews) name http://{tenant}.localhost:8787.
LOCAL_VARS = {"ROOT_DOMAIN": "localhost", "ENVIRONMENT": "dev", "PUBLIC_SCHEME": "http", "PUBLIC_PORT": "8787"}


@dataclass
class Platform:
    runtime: LocalRuntime
    services: RuntimeServices
    applied_migrations: list[str]


def read_dev_vars(path: Path = DEV_VARS) -> dict[str, str]:
    """Secrets for local runs, from `.dev.vars` (wrangler's convention: KEY=value lines)."""
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip().strip('"')
    return values


def ensure_dev_vars(path: Path = DEV_VARS) -> dict[str, str]:
    """Create `.dev.vars` with a fresh JWT_SECRET the first time `grove dev` runs."""
    values = read_dev_vars(path)
    if "JWT_SECRET" not in values:
        values["JWT_SECRET"] = secrets_module.token_urlsafe(32)
        with path.open("a") as f:
            f.write(f"JWT_SECRET={values['JWT_SECRET']}\n")
    return values


def start_platform(
    state_dir: Path = DEFAULT_STATE_DIR,
    *,
    clock: Clock | None = None,
    latency: LatencyProfile | None = None,
    env_name: str | None = None,
    secrets: dict[str, str] | None = None,
) -> Platform:
    """Migrate the D1 databases, then load every Worker of the repository.

    ``secrets`` (default: `.dev.vars`) and ``LOCAL_VARS`` override the config's [vars].
    """
    services = RuntimeServices(state_dir=Path(state_dir), clock=clock or RealClock(), latency=latency)
    overrides = {**LOCAL_VARS, **(secrets if secrets is not None else read_dev_vars())}
    runtime = open_runtime(REPO_ROOT, services, env_name=env_name, secrets=overrides)
    applied: list[str] = []
    for worker in runtime.workers.values():
        for binding in worker.config.d1:
            if binding.migrations_dir is not None:
                applied += apply_migrations(runtime.d1(binding.database_id), binding.migrations_dir)
    # The app's clock is the runtime's clock (see src/grove/clock.py).
    from grove import clock as app_clock

    app_clock.use(services.clock.now_ms)
    return Platform(runtime=runtime, services=services, applied_migrations=applied)
