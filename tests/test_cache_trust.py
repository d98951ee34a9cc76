"""A sealed cache (``CCPLUGIN_CACHE_SECRET``) reads only entries sealed with its secret: an entry
written by code without it — the change's tests in an earlier step — never makes a gate pass."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ccplugin.review.cache import Cache
from ccplugin.testing import reply, structured_output
from ccplugin.testing.runner import OfflineClaude
from helpers import ccplugin, finding, review_output

pytestmark = pytest.mark.real_claude
SECRET = "s3cret-for-the-review-step-only"


def answering(*findings: dict[str, object]) -> list[object]:
    return [reply(structured_output(review_output(*findings)), tool_offered="StructuredOutput")]


def test_sealed_entries_and_forgeries(repo: Path, cc_fake_claude: type[OfflineClaude], tmp_path: Path) -> None:
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return b - a\n")
    folder = tmp_path / "ci-cache"
    # the change's code, without the secret, writes an approving entry for exactly this change
    scout = cc_fake_claude(answering())
    scout_env = scout.env | {"CCPLUGIN_CACHE_DIR": str(tmp_path / "scout")}
    assert ccplugin("review", "--fail-on", "high", "--json", cwd=repo, env=scout_env).json()["gate"]["status"] == "pass"
    (planted,) = (tmp_path / "scout").glob("*.json")
    folder.mkdir()
    shutil.copy(planted, folder / planted.name)

    claude = cc_fake_claude(answering(finding("calc.py", 6)))
    env = claude.env | {"CCPLUGIN_CACHE_DIR": str(folder), "CCPLUGIN_CACHE_SECRET": SECRET}
    first = ccplugin("review", "--fail-on", "high", "--json", cwd=repo, env=env)
    assert (first.code, first.json()["cached"]) == (1, False), first.err  # the planted entry did not count
    second = ccplugin("review", "--fail-on", "high", "--json", cwd=repo, env=env)
    assert (second.code, second.json()["cached"]) == (1, True)  # its own sealed entry does
    assert len(claude.fake.message_requests()) == 1
    stored = json.loads((folder / planted.name).read_text())
    assert SECRET not in json.dumps(stored) and len(stored["mac"]) == 64

    # a sealed entry edited, or moved under another key, is a miss
    cache = Cache.of(tmp_path, env)
    edited = {**stored, "review": {**stored["review"], "verdict": "approve", "findings": []}}
    (folder / planted.name).write_text(json.dumps(edited))
    assert cache.get(planted.stem) is None
    (folder / "0000.json").write_text(json.dumps(stored))
    assert cache.get("0000") is None
    (folder / planted.name).write_text(json.dumps(stored))
    assert cache.get(planted.stem) is not None
    assert Cache.of(tmp_path, env | {"CCPLUGIN_CACHE_SECRET": "another"}).get(planted.stem) is None
