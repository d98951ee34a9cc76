"""Turn the plugin templates (package data) into the marketplace folder Codex installs from.

Templates live in ``ccplugin/codex/template/``; placeholders are ``{{NAME}}``:

- ``{{CCPLUGIN}}`` (skills): the launcher's absolute path, shell-quoted. Codex's tool shell is a
  login shell that resets ``PATH``, so skills never rely on ``ccplugin`` being on it.
- ``{{SANDBOX}}`` (skills): the shared note on sandbox network and escalation (``sandbox.md``).
- ``{{VERSION}}`` (manifest) and ``{{MARKETPLACE}}`` (marketplace file).

The launcher ``bin/ccplugin`` is generated: a POSIX shell script that appends the folders where
``claude`` and ``codex`` were found at install time to ``PATH`` and runs this interpreter with
``-P`` (so a ``ccplugin`` folder in the user's repository can never shadow the package). Hooks go
straight to :mod:`ccplugin.codex.fasthook`, everything else to ``python -m ccplugin``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from ccplugin import __version__
from ccplugin.codex.layout import MARKETPLACE, PLUGIN, Layout
from ccplugin.jobs import kinds

SKILLS = (*(k.value for k in kinds.RESERVABLE), "status", "result", "cancel", "setup")  # a skill a command
_PLUGIN = f"plugins/{PLUGIN}"
_HOOK_CALL = "from ccplugin.codex.fasthook import main; raise SystemExit(main())"


@dataclass(frozen=True)
class PluginFile:
    data: bytes
    executable: bool = False


Tree = dict[str, PluginFile]  # path relative to the marketplace folder → content


def _template() -> Traversable:
    return resources.files("ccplugin.codex") / "template"


def _text(node: Traversable) -> str:
    return node.read_text(encoding="utf-8")


def fill(text: str, values: Mapping[str, str]) -> str:
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def build(layout: Layout, python: str | None = None, tool_dirs: Iterable[str] = ()) -> Tree:
    """Every file of the marketplace folder for ``layout``, rendered."""
    tmpl = _template()
    skill_values = {"CCPLUGIN": shlex.quote(str(layout.launcher)), "SANDBOX": _text(tmpl / "sandbox.md").strip()}
    tree: Tree = {
        ".agents/plugins/marketplace.json": _file(fill(_text(tmpl / "marketplace.json"), {"MARKETPLACE": MARKETPLACE})),
        f"{_PLUGIN}/.codex-plugin/plugin.json": _file(fill(_text(tmpl / "plugin.json"), {"VERSION": __version__})),
        f"{_PLUGIN}/hooks/hooks.json": _file(_text(tmpl / "hooks.json")),
        f"{_PLUGIN}/bin/ccplugin": PluginFile(launcher(python or sys.executable, tool_dirs).encode(), True),
    }
    for name in SKILLS:
        folder = tmpl / "skills" / name
        tree[f"{_PLUGIN}/skills/{name}/SKILL.md"] = _file(fill(_text(folder / "SKILL.md"), skill_values))
        tree[f"{_PLUGIN}/skills/{name}/agents/openai.yaml"] = _file(_text(folder / "agents" / "openai.yaml"))
    return tree


def _file(text: str) -> PluginFile:
    return PluginFile(text.encode("utf-8"))


def launcher(python: str, tool_dirs: Iterable[str] = ()) -> str:
    """The ``bin/ccplugin`` script for interpreter ``python``."""
    py = shlex.quote(python)
    lines = [
        "#!/bin/sh",
        f"# ccplugin {__version__} launcher for Codex, written by `ccplugin install`.",
        "# It runs the Python that has ccplugin; run `ccplugin install` again after moving or upgrading it.",
    ]
    dirs = [d for d in dict.fromkeys(tool_dirs) if os.path.isabs(d)]
    if dirs:
        lines += [f'PATH="${{PATH:+$PATH:}}{":".join(shlex.quote(d) for d in dirs)}"', "export PATH"]
    lines += [
        'if [ "$1" = hook ]; then',
        "  shift",
        f'  exec {py} -P -c {shlex.quote(_HOOK_CALL)} "$@"',
        "fi",
        f'exec {py} -P -m ccplugin "$@"',
        "",
    ]
    return "\n".join(lines)


def read_tree(folder: Path) -> Tree | None:
    """The files under ``folder`` as a tree, or None when it does not exist."""
    if not folder.is_dir():
        return None
    tree: Tree = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            tree[path.relative_to(folder).as_posix()] = PluginFile(path.read_bytes(), os.access(path, os.X_OK))
    return tree


def write_tree(folder: Path, tree: Tree) -> bool:
    """Make ``folder`` hold exactly ``tree``; False (nothing touched) when it already does.

    The new folder is built beside the old one and swapped in with renames, so Codex never sees
    a half-written plugin.
    """
    if read_tree(folder) == tree:
        return False
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-new-", dir=folder.parent))
    try:
        for rel, item in tree.items():
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(item.data)
            path.chmod(0o755 if item.executable else 0o644)
        staging.chmod(0o755)
        _swap(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return True


def _swap(new: Path, folder: Path) -> None:
    old = folder.with_name(f".{folder.name}-old-{os.getpid()}")
    if folder.exists():
        folder.rename(old)
    new.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
