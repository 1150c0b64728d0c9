"""The SDK stand-in's ``Headers`` and ``.headers``: the Fetch API's multimap, read as production's
fresh ``HTTPMessage`` copy."""

from __future__ import annotations

from workers import Headers, Request, Response


def test_names_are_case_insensitive_and_repeats_combine_except_set_cookie() -> None:
    headers = Headers([("X-Tag", "a"), ("Set-Cookie", "s=1"), ("x-tag", "b"), ("Accept", "*/*")])
    headers.append("set-cookie", "t=2")
    assert headers.get("x-TAG") == "a, b"
    assert headers.get_all("Set-Cookie") == ["s=1", "t=2"]
    assert headers.items() == [
        ("accept", "*/*"),
        ("set-cookie", "s=1"),
        ("set-cookie", "t=2"),
        ("x-tag", "a, b"),
    ]
    assert headers.raw_items()[0] == ("x-tag", "a")  # arrival order, names lower-cased
    headers.set("X-Tag", " c ")
    assert headers.get("x-tag") == "c" and headers.raw_items()[-1] == ("x-tag", "c")
    headers.delete("SET-COOKIE")
    assert not headers.has("set-cookie") and "accept" in headers
    assert headers.get("missing", "default") == "default"


def test_each_headers_read_is_an_independent_copy() -> None:
    response = Response("hi", headers={"x-one": "1"})
    first = response.headers
    first["x-two"] = "2"
    assert "x-two" not in response.headers
    assert response.headers["x-one"] == "1"
    request = Request("https://example.com/", headers=[("a", "1"), ("a", "2")])
    assert request.headers["a"] == "1, 2"
    assert Request(request).headers.items() == [("a", "1, 2")]


def test_many_headers_stay_cheap() -> None:
    # Linear work: 20,000 distinct names and their combined view in well under a second.
    headers = Headers([(f"x-{n}", str(n)) for n in range(20_000)])
    assert len(headers.items()) == 20_000
    assert headers.get("x-19999") == "19999"
