"""The transport every provider client shares: pooled httpx connections, auth, a rate budget per
provider account, retries for idempotent requests, and typed errors."""
