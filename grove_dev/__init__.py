"""grove-edge's developer tooling: the `grove` command, demo data, and the wiring that runs
this repository's Workers on the local runtime. Never uploaded."""
