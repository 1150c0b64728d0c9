"""Time limits of a Worker invocation that the local runtime and the Pyodide lane both apply.

``waitUntil``: "The Worker's lifetime is extended for up to 30 seconds after the response is sent
or the client disconnects. This time limit is shared across all waitUntil() calls within the same
request — if any Promises have not settled after 30 seconds, they are cancelled."
(https://developers.cloudflare.com/workers/runtime-apis/context/#waituntil, "waitUntil has a
30-second time limit"). Durable Objects are not bound by it: there ``waitUntil`` has no effect,
an object stays alive while it has work (docs: Durable Object State, ``waitUntil``).
"""

from __future__ import annotations

WAIT_UNTIL_AFTER_INVOCATION_MS = 30_000

# What Cloudflare logs to Workers Logs and Tail Workers when it cancels them (same page).
WAIT_UNTIL_CANCELLED_MESSAGE = (
    "waitUntil() tasks did not complete within the allowed time after invocation end and have been cancelled."
)
