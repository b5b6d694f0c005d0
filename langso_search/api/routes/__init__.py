"""The API's routes, one module per domain; each exposes ``router(settings)`` (analytics: ``install_analytics``)."""
