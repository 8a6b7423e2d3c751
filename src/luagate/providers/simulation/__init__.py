"""Plumbing shared by every provider's simulator: faults, request log, rate windows, serving."""
