"""The ``demo`` account: with no Wildix account configured, calls go to the simulator's ``acme``
PBX, served in this process (no socket, no real PBX), with its admin token."""

CREDENTIALS = {
    "pbx_url": "embedded://wildix",
    "access_token": "acme-admin-token",
}
