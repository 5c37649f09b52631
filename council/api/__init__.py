"""The REST API under /api/v1 (JSON; bearer token or signed-in session)."""
