"""Third-party reporters: the plugin manager still finds them after its cheap entry-point look."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccplugin import plugins

REPORTER = """
from ccplugin.hookspecs import hookimpl


class Shouty:
    name, suffix = "shouty", ".txt"

    def render(self, outcome):
        return outcome.gate.reason.upper()


@hookimpl
def ccplugin_reporters():
    return [Shouty()]
"""


def install(site: Path, group: str) -> None:
    """A distribution ``shouty`` declaring module ``shouty_reporter`` in ``group``, as pip lays it out."""
    info = site / "shouty-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: shouty\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[console_scripts]\nshouty = shouty_reporter:main\n\n[{group}]\nshouty = shouty_reporter\n"
    )
    (site / "shouty_reporter.py").write_text(REPORTER)


def test_a_declared_plugin_is_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install(tmp_path, "ccplugin")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert plugins.may_declare("ccplugin")
    assert "shouty" in plugins.host().formats()


def test_other_groups_do_not_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install(tmp_path, "not-ccplugin")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert not plugins.may_declare("ccplugin-test-group")
    assert plugins.may_declare("not-ccplugin")


def test_a_zip_on_the_path_counts_as_may(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(b"PK\x05\x06" + bytes(18))
    monkeypatch.syspath_prepend(str(archive))
    assert plugins.may_declare("ccplugin-test-group")
