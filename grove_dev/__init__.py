"""grove-edge's developer tooling: the `grove` command, demo data, and the wiring that runs
this repository's Workers on the local runtime. Never uploaded.

Its modules import the app's own rules (slugs, tiers, tokens) instead of restating them, so the
app's module root and the local SDK must be importable first: the `grove` command
(``grove_dev.cli``) calls ``local_runtime.bootstrap.install_paths``; other entry points (tests,
benchmarks) do the same.
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
