"""The catalog: every function declared once, as data, and everything derived from it.

Validation, agent-facing docs, JSON Schema and search are pure functions of the specs, so they
cannot drift apart. Nothing here does I/O or knows a provider's URLs.
"""
