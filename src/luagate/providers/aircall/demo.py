"""The ``demo`` account: with no Aircall account configured, calls go to the simulator's ``acme``
company, served in this process (no socket, no real API)."""

CREDENTIALS = {
    "api_id": "acme-api-id",
    "api_token": "acme-api-token",
    "base_url": "embedded://aircall",
    # an API key belongs to a company, not a person: name the demo's "current user" (the first
    # of acme's seeded users), so that get_current_user answers as it would on a set-up account
    "user_email": "ines.vincent@acme.example",
}
