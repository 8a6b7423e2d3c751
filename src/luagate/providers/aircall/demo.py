"""The ``demo`` account: with no Aircall account configured, calls go to the simulator's ``acme``
company, served in this process (no socket, no real API)."""

CREDENTIALS = {
    "api_id": "acme-api-id",
    "api_token": "acme-api-token",
    "base_url": "embedded://aircall",
}
