"""Hooks a ``conftest.py`` can implement for ``pytest --cc-review``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ccplugin.review.model import Finding


@pytest.hookspec
def pytest_ccreview_filter_findings(config: pytest.Config, findings: list[Finding]) -> list[Finding] | None:
    """Drop or re-rate the review's findings before the gate is decided.

    Called once per review (on the controller under xdist), also for a cached review, before
    waivers are applied and the gate is decided. Re-rate with ``finding.with_(severity="low")``.
    Implement it in the root ``conftest.py``. The implementations form a chain (as the ``ccplugin``
    hook does): each receives what the one before it returned; ``None`` passes the list on unchanged.

    :param config: the pytest config.
    :param findings: the findings so far (as the reviewer reported them, for the first), with their diff locations.
    :returns: the replacement list, or ``None`` to leave the findings unchanged.
    """
