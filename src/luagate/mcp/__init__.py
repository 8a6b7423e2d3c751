"""The MCP server surface (``luagate serve``): parses MCP requests, asks the gateway, prints.

Importing this package loads the ``mcp`` SDK; only ``luagate serve`` and tests import it.
"""
