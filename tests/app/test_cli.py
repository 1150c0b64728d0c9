"""`grove tenant create` and `grove token`, run as the command runs them."""

from __future__ import annotations

from grove.auth import verify_token
from grove.clock import now_ms
from grove_dev.cli import main
from grove_dev.platform import read_dev_vars, start_platform


def test_tenant_create(tmp_path, capsys):
    state = tmp_path / "state"
    assert main(["tenant", "create", "birch", "--display-name", "Birch Log", "--tier", "oak", "--accent", "#225577", "--state", str(state)]) == 0
    assert '"created": "birch"' in capsys.readouterr().out
    assert main(["tenant", "create", "birch", "--display-name", "Again", "--state", str(state)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["tenant", "create", "Not_Valid", "--display-name", "x", "--state", str(state)]) == 2
    platform = start_platform(state)
    try:
        import asyncio

        row = asyncio.run(platform.runtime.d1().prepare("SELECT * FROM tenants").first())
    finally:
        platform.runtime.close()
    assert row["subdomain"] == "birch" and row["display_name"] == "Birch Log" and row["tier"] == "oak"
    assert row["theme"] == '{"accent": "#225577"}'


def test_token_is_signed_with_the_dev_vars_secret_and_creates_the_account(tmp_path, capsys):
    import asyncio

    dev_vars, state = tmp_path / ".dev.vars", str(tmp_path / "state")
    assert main(["tenant", "create", "autumn", "--display-name", "Autumn", "--state", state]) == 0
    capsys.readouterr()
    args = ["token", "--tenant", "autumn", "--user", "ada", "--role", "author", "--ttl-s", "600", "--dev-vars", str(dev_vars), "--state", state]
    assert main(args) == 0
    token = capsys.readouterr().out.strip()
    secret = read_dev_vars(dev_vars)["JWT_SECRET"]  # created on first use, like `grove dev` does
    claims = verify_token(secret, token, now_ms=now_ms())
    assert (claims.tenant, claims.sub, claims.role) == ("autumn", "ada", "author")
    assert 595 <= claims.exp - now_ms() // 1000 <= 600
    # An email works too, and a token without --tenant is for any blog of the user's.
    assert main(["token", "--user", "Zed@Example.com", "--dev-vars", str(dev_vars), "--state", state]) == 0
    zed = verify_token(secret, capsys.readouterr().out.strip(), now_ms=now_ms())
    assert zed.tenant == "*"
    platform = start_platform(tmp_path / "state")
    try:
        db = platform.runtime.d1()
        members = asyncio.run(db.prepare("SELECT user_id, role FROM memberships WHERE tenant = 'autumn'").all())["results"]
        emails = asyncio.run(db.prepare("SELECT id, email FROM users ORDER BY email").all())["results"]
    finally:
        platform.runtime.close()
    assert members == [{"user_id": "ada", "role": "author"}]
    assert [(u["id"] == zed.sub, u["email"]) for u in emails] == [(False, "ada@users.invalid"), (True, "zed@example.com")]
