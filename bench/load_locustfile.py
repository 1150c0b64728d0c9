"""Locust users for ``bench/load.py`` (run by it, headless, as a subprocess).

Each user is one author of the tenant with one post it edits and one draft it shares with the
next user (two devices of one draft): reads, post edits, draft saves (409s are answered by
taking the server's version, as the editor's "Take theirs" does) and analytics batches. Every
acknowledged write is logged, with each request's status and latency, to ``LOAD_LOG`` when
the run stops; ``LOAD_MAX_REQUESTS`` bounds the run's requests.

Settings (environment): LOAD_LOG, LOAD_TOKENS (JSON list, one owner token per user),
LOAD_HOST_HEADER (the tenant's Host), LOAD_READ_PATHS (JSON list), LOAD_MAX_REQUESTS.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from collections import Counter
from typing import Any

from locust import HttpUser, between, events, task

TOKENS: list[str] = json.loads(os.environ["LOAD_TOKENS"])
HOST_HEADER = os.environ["LOAD_HOST_HEADER"]
READ_PATHS: list[str] = json.loads(os.environ["LOAD_READ_PATHS"])
MAX_REQUESTS = int(os.environ["LOAD_MAX_REQUESTS"])

_user_numbers = itertools.count()
LOG: dict[str, Any] = {
    "latencies_ms": [], "statuses": Counter(), "posts": {}, "drafts": {}, "analytics_views": 0, "requests": 0,
}


@events.request.add_listener
def _on_request(response_time: float, response: Any = None, exception: Any = None, **_: Any) -> None:
    LOG["requests"] += 1
    LOG["latencies_ms"].append(response_time)
    status = getattr(response, "status_code", 0) or 0
    LOG["statuses"][str(status) if status else "transport_error"] += 1


@events.test_stop.add_listener
def _dump(**_: Any) -> None:
    with open(os.environ["LOAD_LOG"], "w") as f:
        json.dump({**LOG, "statuses": dict(LOG["statuses"])}, f)


class Author(HttpUser):
    wait_time = between(0.05, 0.3)

    def on_start(self) -> None:
        self.number = next(_user_numbers)
        token = TOKENS[self.number % len(TOKENS)]
        self.headers = {
            "host": HOST_HEADER, "authorization": f"Bearer {token}", "accept": "application/json",
            # one client address per user, as readers behind different connections
            "cf-connecting-ip": f"10.20.{self.number // 250}.{self.number % 250 + 1}",
        }
        self.slug = f"load-post-{self.number}"
        self.revision = 0
        self.device = "laptop" if self.number % 2 == 0 else "phone"
        self.draft = f"load-draft-{self.number // 2}"
        self.draft_version: int | None = None
        body = {"title": f"Load {self.number}", "slug": self.slug, "markdown": "rev 0", "status": "published"}
        with self.client.post("/api/posts", json=body, headers=self.headers, name="POST /api/posts", catch_response=True) as reply:
            if reply.status_code == 201:
                LOG["posts"][self.slug] = "rev 0"
                reply.success()
            else:
                reply.failure(f"create {reply.status_code}")

    def _bounded(self) -> bool:
        if LOG["requests"] >= MAX_REQUESTS:
            self.environment.runner.quit()
            return False
        return True

    @task(6)
    def read(self) -> None:
        if self._bounded():
            slugs = list(LOG["posts"])
            path = random.choice(READ_PATHS + ([f"/blog/{random.choice(slugs)}"] if slugs else []))
            self.client.get(path, headers={"host": HOST_HEADER, "accept": "text/html"}, name="GET page")

    @task(2)
    def edit_post(self) -> None:
        if not self._bounded() or self.slug not in LOG["posts"]:
            return
        self.revision += 1
        markdown = f"rev {self.revision} by user {self.number}"
        with self.client.put(f"/api/posts/{self.slug}", json={"markdown": markdown}, headers=self.headers,
                             name="PUT /api/posts/{slug}", catch_response=True) as reply:
            if reply.status_code == 200:
                LOG["posts"][self.slug] = markdown  # this user's edits are sequential: the last ack wins

    @task(2)
    def save_draft(self) -> None:
        if not self._bounded():
            return
        content = f"{self.device} {random.random()}"
        body: dict[str, Any] = {"content": content, "metadata": {"title": self.draft}, "device_id": self.device}
        if self.draft_version is not None:
            body["base_version"] = self.draft_version
        with self.client.put(f"/api/drafts/{self.draft}", json=body, headers=self.headers,
                             name="PUT /api/drafts/{slug}", catch_response=True) as reply:
            if reply.status_code in (200, 201):
                version = reply.json()["version"]
                self.draft_version = version
                LOG["drafts"].setdefault(self.draft, {})[str(version)] = content
            elif reply.status_code == 409:  # the other device moved on: take theirs
                server = reply.json()["error"].get("server")
                self.draft_version = server["version"] if server else None
                reply.success()

    @task(3)
    def analytics(self) -> None:
        if not self._bounded():
            return
        n = random.randint(1, 20)
        batch = [{"type": "page_view", "path": random.choice(READ_PATHS), "ts_ms": int(time.time() * 1000)} for _ in range(n)]
        with self.client.post("/api/analytics", json=batch, headers=self.headers, name="POST /api/analytics",
                              catch_response=True) as reply:
            if reply.status_code == 202:
                LOG["analytics_views"] += reply.json()["accepted"]
