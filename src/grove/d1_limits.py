"""D1's limits that the app's writes must stay within (PLATFORM.md; Cloudflare's D1 limits
page): checked on what the app derives, before the statement is sent, so a write that
cannot fit is a clear refusal and never a failed statement."""

from __future__ import annotations

# "Maximum string, BLOB or table row size: 2,000,000 bytes".
D1_MAX_ROW_BYTES = 2_000_000
# "Maximum bound parameters per query: 100".
D1_MAX_BOUND_PARAMETERS = 100
