"""One `grove dev` subprocess for the fuzz run (seeded demo data, its own state folder), and
tokens for it minted with `grove token`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dev_server import DevServer, running_dev_server, token


@pytest.fixture(scope="session")
def dev(tmp_path_factory) -> Iterator[DevServer]:
    folder = tmp_path_factory.mktemp("fuzz")
    with running_dev_server(folder / "state", folder / "grove-dev.log") as server:
        yield server


@pytest.fixture(scope="session")
def tokens(dev) -> dict[str, str]:
    return {
        "owner": token(dev, "autumn", "owner"),
        "reader": token(dev, "autumn", "reader", user="rita"),
        "other_owner": token(dev, "willow", "owner", user="wes"),
    }


@pytest.fixture(scope="session")
def as_caller(tokens):
    """``as_caller("owner")``: the Authorization header of that caller (none: anonymous)."""

    def headers(caller: str) -> dict[str, str]:
        return {} if caller == "anonymous" else {"authorization": f"Bearer {tokens[caller]}"}

    return headers
