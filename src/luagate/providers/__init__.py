"""Providers: one package per provider; a provider is a folder.

Each folder holds the provider's spec (its functions, as data) and, beside it, the code that speaks
the provider's real API. Adding a provider is adding a folder.
"""
