"""The Codex plugin: its files, install/uninstall, setup, and the hooks Codex runs.

Keep this file free of imports: ``python -m ccplugin.codex.fasthook`` (every hook) imports it.
"""
