"""The tier migrator (cron Worker ``workers/post_migrator``, entry ``src/migrator_entry.py``):
finds posts whose tier (``grove.tiers.decide_tier``) differs from where their content is, and
moves each through its PostContentDO (``grove.content_moves``), a capped batch per run,
recording every run in D1 ``migration_runs`` (``post_migrator.runs``)."""
