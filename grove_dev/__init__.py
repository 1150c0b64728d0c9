"""grove-edge's developer tooling: the `grove` command, demo data, and the wiring that runs
this repository's Workers on the local runtime. Never uploaded.

Importing it makes the app's modules importable as workerd sees them (module root ``src/``)
and the local ``workers``/``js`` SDK modules available, so tooling can reuse the app's own
rules (slugs, tiers, tokens) instead of restating them.
"""

import sys
from pathlib import Path

import local_runtime  # noqa: F401  (puts the local `workers` SDK on sys.path)

SRC_DIR = Path(__file__).resolve().parent.parent / "src"
if str(SRC_DIR) not in sys.path:
    sys.path.insert(0, str(SRC_DIR))
