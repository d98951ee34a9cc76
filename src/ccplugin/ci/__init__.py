"""CI: review the change a CI run is for, with one runner and one module per provider.

``provider`` is the contract a provider implements, ``providers`` the registry (one line per
provider), ``runner`` the provider-neutral steps of `ccplugin ci <provider>`, ``merge`` combines
the results of shards (`ccplugin ci merge`), ``fetch`` completes a shallow clone's history.
``github`` is the GitHub provider package.
"""
