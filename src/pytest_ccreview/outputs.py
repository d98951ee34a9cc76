"""The files a pytest session writes, so the review can leave them out before it picks its scope.

An allowlist of the outputs we know: ours (``--cc-junit``, ``--cc-sarif``, the rescue files),
pytest's ``--junitxml`` and ``--debug`` log, pytest-reportlog's ``--report-log`` and
pytest-cov's data file and reports. A report left by the previous run and not in
``.gitignore`` must not make the work tree count as changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_ccreview.settings import Options

RESCUE_FILES = ("cc-rescue.patch", "cc-rescue.md")
# pytest options whose value is a file the session writes (relative to the invocation directory)
FILE_OPTIONS = ("xmlpath", "report_log", "debug")
# pytest-cov report kind → the attribute of coverage's config that names its default output
COVERAGE_REPORTS = {"xml": "xml_output", "html": "html_dir", "json": "json_output", "lcov": "lcov_output"}


def of_session(config: pytest.Config, opts: Options, rescue_dir: Path) -> list[Path]:
    """Every output of this session we know of, as absolute (unresolved) paths."""
    here = config.invocation_params.dir
    found = [path for _, path in opts.files]
    found += [here / str(v) for v in (getattr(config.option, name, None) for name in FILE_OPTIONS) if _is_path(v)]
    if opts.rescue_on_failure:
        found += [rescue_dir / name for name in RESCUE_FILES]
    return found + [here / p for p in _coverage(config)]


def _is_path(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _coverage(config: pytest.Config) -> Iterator[str]:
    """pytest-cov's data file and the reports asked for (paths relative to where pytest started)."""
    plugin: Any = config.pluginmanager.get_plugin("_cov")
    cov = getattr(getattr(plugin, "cov_controller", None), "cov", None)
    if cov is None:
        return
    yield str(cov.config.data_file)
    reports = getattr(plugin.options, "cov_report", None)
    for kind, path in reports.items() if isinstance(reports, dict) else ():
        default = COVERAGE_REPORTS.get(kind)
        if path or default:
            yield str(path or getattr(cov.config, default or "", ""))
