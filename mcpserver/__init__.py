"""`cnikit mcp`: cnikit's tools for AI assistants (Cursor, Claude Code, VS Code's agent mode) over the Model Context
Protocol, on the official Python SDK (`mcp`; its `MCPServer`, FastMCP before mcp 2).

A face like the language server or the TUI: `server.py` maps each MCP tool onto the session layer
(`emulator.session.Session`, `emulator.views`) and the analyser; `install.py` writes an editor's project-level MCP
config; `commands.py` registers `cnikit mcp` (the `cnikit.commands` entry-point group).
"""
