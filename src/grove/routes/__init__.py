"""HTTP routes, one module per area; each has ``register(router)``."""
