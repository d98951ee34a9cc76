"""What every command resolves the same way: the store, the workspace, the owner."""

from __future__ import annotations

import os

from ccplugin import config
from ccplugin.jobs.store import Store


def open_store() -> Store:
    return Store(config.state_root())


def here() -> str:
    return config.workspace(os.getcwd())


def owner() -> str | None:
    return config.owner_session()
