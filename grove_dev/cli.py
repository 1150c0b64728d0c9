"""The `grove` command's entry point: puts the local SDK and the app's module root on sys.path
(``local_runtime.bootstrap``), then runs the subcommand (``grove_dev.commands``).

    grove dev | migrate | seed | cron | migrate-tiers | stats | tenant create | token   (see `grove --help`)
"""

from __future__ import annotations

import sys

from grove_dev import REPO_ROOT
from local_runtime.bootstrap import install_paths


def main(argv: list[str] | None = None) -> int:
    install_paths(REPO_ROOT)
    from grove_dev.commands import main as run  # imports the app: needs the paths above

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
