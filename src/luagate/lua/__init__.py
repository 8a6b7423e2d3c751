"""The Lua sandbox: one fresh Lua 5.4 state per script, its limits, and the executors.

Knows nothing about providers: a host hands it a namespace and answers calls by path.
"""
