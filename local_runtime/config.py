"""Reads wrangler config files: the local runtime's only configuration.

A ``WorkerConfig`` is what the runtime needs from one ``wrangler.toml``: where the code is,
its vars (with ``[env.NAME]`` overrides), its bindings and its cron triggers. Paths in the file
are relative to the file, as wrangler resolves them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_runtime.bindings.queues import ConsumerSettings


@dataclass(frozen=True)
class D1Binding:
    binding: str
    database_name: str
    database_id: str
    migrations_dir: Path | None


@dataclass(frozen=True)
class KVBinding:
    binding: str
    id: str


@dataclass(frozen=True)
class R2Binding:
    binding: str
    bucket_name: str


@dataclass(frozen=True)
class QueueProducerBinding:
    binding: str
    queue: str


@dataclass(frozen=True)
class DOBinding:
    name: str
    class_name: str
    script_name: str  # the Worker that defines the class (this Worker when not given)


@dataclass(frozen=True)
class WorkerConfig:
    name: str
    path: Path  # the wrangler.toml
    main: Path
    compatibility_date: str
    compatibility_flags: tuple[str, ...]
    vars: dict[str, Any] = field(default_factory=dict)
    d1: tuple[D1Binding, ...] = ()
    kv: tuple[KVBinding, ...] = ()
    r2: tuple[R2Binding, ...] = ()
    durable_objects: tuple[DOBinding, ...] = ()
    crons: tuple[str, ...] = ()
    queue_producers: tuple[QueueProducerBinding, ...] = ()
    queue_consumers: tuple[ConsumerSettings, ...] = ()
    sqlite_classes: tuple[str, ...] = ()  # DO classes this Worker defines (from [[migrations]])

    @property
    def module_root(self) -> Path:
        """Where workerd's module names start: the folder of ``main``."""
        return self.main.parent

    @property
    def main_module(self) -> str:
        return self.main.stem


_NOT_INHERITED = ("vars", "d1_databases", "kv_namespaces", "r2_buckets", "durable_objects", "triggers", "queues")


def load_worker_config(path: Path | str, env: str | None = None) -> WorkerConfig:
    path = Path(path).resolve()
    raw = tomllib.loads(path.read_text())
    base = path.parent
    # Like wrangler: an [env.NAME] table overrides the top level, the Worker is named
    # "{name}-{env}", and vars, bindings and triggers are not inherited: an environment has
    # only the ones it declares itself.
    scoped = dict(raw)
    name = raw["name"]
    if env is not None:
        overrides = raw.get("env", {}).get(env)
        if overrides is None:
            raise ValueError(f"{path}: no [env.{env}] section")
        for key in _NOT_INHERITED:
            scoped.pop(key, None)
        scoped.update(overrides)
        name = overrides.get("name", f"{name}-{env}")

    def rel(p: str | None) -> Path | None:
        return (base / p).resolve() if p else None

    d1 = tuple(
        D1Binding(
            binding=d["binding"],
            database_name=d["database_name"],
            database_id=d["database_id"],
            migrations_dir=rel(d.get("migrations_dir", "migrations")),
        )
        for d in scoped.get("d1_databases", [])
    )
    kv = tuple(KVBinding(k["binding"], k["id"]) for k in scoped.get("kv_namespaces", []))
    r2 = tuple(R2Binding(r["binding"], r["bucket_name"]) for r in scoped.get("r2_buckets", []))
    dos = tuple(
        DOBinding(b["name"], b["class_name"], b.get("script_name", name))
        for b in scoped.get("durable_objects", {}).get("bindings", [])
    )
    queues = scoped.get("queues", {})
    producers = tuple(QueueProducerBinding(q["binding"], q["queue"]) for q in queues.get("producers", []))
    consumers = tuple(_consumer(c) for c in queues.get("consumers", []))
    classes: list[str] = []
    for migration in raw.get("migrations", []):
        classes.extend(migration.get("new_sqlite_classes", []))
        if migration.get("new_classes"):
            raise ValueError(f"{path}: use new_sqlite_classes; KV-backed DO classes are not supported")
    return WorkerConfig(
        name=name,
        path=path,
        main=(base / raw["main"]).resolve(),
        compatibility_date=raw["compatibility_date"],
        compatibility_flags=tuple(raw.get("compatibility_flags", [])),
        vars=dict(scoped.get("vars", {})),
        d1=d1,
        kv=kv,
        r2=r2,
        durable_objects=dos,
        crons=tuple(scoped.get("triggers", {}).get("crons", [])),
        queue_producers=producers,
        queue_consumers=consumers,
        sqlite_classes=tuple(classes),
    )


def _consumer(raw: dict[str, Any]) -> ConsumerSettings:
    """A ``[[queues.consumers]]`` entry; omitted settings take Cloudflare's defaults."""
    known = {"queue", "max_batch_size", "max_batch_timeout", "max_retries", "dead_letter_queue", "retry_delay", "max_concurrency"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"[[queues.consumers]] {raw.get('queue')!r}: unknown setting(s) {', '.join(unknown)}")
    defaults = ConsumerSettings(queue=raw["queue"])
    return ConsumerSettings(
        queue=raw["queue"],
        max_batch_size=int(raw.get("max_batch_size", defaults.max_batch_size)),
        max_batch_timeout_s=float(raw.get("max_batch_timeout", defaults.max_batch_timeout_s)),
        max_retries=int(raw.get("max_retries", defaults.max_retries)),
        dead_letter_queue=raw.get("dead_letter_queue"),
        retry_delay_s=int(raw.get("retry_delay", defaults.retry_delay_s)),
    )
