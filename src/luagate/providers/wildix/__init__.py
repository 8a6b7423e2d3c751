"""Wildix: call history, extensions and users of a Wildix PBX."""
