"""pytest adapter for ccplugin (the `pytest --cc-review` surface)."""
