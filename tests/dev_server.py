"""``grove dev`` as a real subprocess on a free loopback port, for tests that talk to it over
HTTP (the dev server test, the fuzz run). Its output (logs included) goes to a file the test
can read afterwards, so a test can check what the server logged."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class DevServer:
    port: int
    log_path: Path
    state_dir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def host(self, tenant: str) -> str:
        """The Host header of a tenant's blog (tenants are subdomains of localhost)."""
        return f"{tenant}.localhost:{self.port}"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def token(server: DevServer, tenant: str, role: str, *, user: str = "ada") -> str:
    """A token from `grove token` (signed with the .dev.vars secret `grove dev` uses), its
    account and membership created in the server's own state."""
    return subprocess.run(
        [sys.executable, "-m", "grove_dev.cli", "token", "--tenant", tenant, "--user", user, "--role", role,
         "--state", str(server.state_dir)],
        cwd=REPO, check=True, capture_output=True, text=True,
    ).stdout.strip()


@contextlib.contextmanager
def running_dev_server(state_dir: Path, log_path: Path, *extra_args: str) -> Iterator[DevServer]:
    port = free_port()
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "grove_dev.cli", "dev", "--port", str(port), "--state", str(state_dir), *extra_args],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, text=True,
        )
    server = DevServer(port, log_path, state_dir)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"{server.url}/__health", timeout=5):
                    break
            except (OSError, urllib.error.HTTPError) as exc:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(f"grove dev did not start:\n{server.output()}") from exc
                time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=10)
