"""The review options, declared once: every surface's flags, inputs and keys are generated from :data:`TABLE`.

One :class:`Option` line gives the name (the ``ReviewRequest`` / ``Settings`` field and the
argparse dest), the type, the default, the help and the closed set of values, and says where it
appears: ``ccplugin review`` / ``adversarial-review``, ``ccplugin ci github`` (and ``ci merge``),
pytest's ``--cc-*`` option with its ``cc_*`` ini twin, an input of ``action/action.yml``, a key of
``.ccplugin.toml`` / ``[tool.ccplugin]``. Spellings follow from the name (``budget_bytes``:
``--budget-bytes``, ``--cc-budget-bytes``, ``cc_budget_bytes``, input ``budget-bytes``);
older spellings users may have stay accepted (:attr:`Option.old_flags`, :attr:`Option.value_aliases`).

Imported on every pytest start and by the CLI's parsers: it imports only enums and argparse.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

from ccplugin.jobs.kinds import ReviewMode
from ccplugin.review.values import FAIL_ON, FilterMode, OnError, Scope

RULE_FILES = ("REVIEW.md", "AGENTS.md", "CLAUDE.md")  # the review rules read by default (review.rules)


class Surface(StrEnum):
    REVIEW = "review"  # `ccplugin review` and `ccplugin adversarial-review`
    CI = "ci"  # `ccplugin ci github`
    MERGE = "merge"  # `ccplugin ci merge`
    PYTEST = "pytest"  # `pytest --cc-*` and the `cc_*` ini twin
    ACTION = "action"  # an input of action/action.yml, passed to `ci github` as JSON
    SETTINGS = "settings"  # a key of .ccplugin.toml / [tool.ccplugin]
    RESCUE = "rescue"  # `ccplugin rescue`: the options of the Claude run it shares with a review


# text: a string; choice: one of ``choices``; float/int: a number; count: a whole number ≥ 0;
# flag: off unless given; negated: on unless ``--no-<name>``; switch: ``--<name>`` / ``--no-<name>``;
# globs: repeatable; path: a file or folder; tables: a list of settings-file tables (settings only)
Type = Literal["text", "choice", "float", "int", "count", "flag", "negated", "switch", "globs", "path", "tables"]
BOOLEAN: frozenset[Type] = frozenset({"flag", "negated", "switch"})
ALL_REVIEW = frozenset({Surface.REVIEW, Surface.CI, Surface.PYTEST, Surface.ACTION, Surface.SETTINGS})
CLAUDE_RUN = ALL_REVIEW | {Surface.RESCUE}  # how Claude runs: rescues take them too
REPORTS = frozenset({Surface.CI, Surface.MERGE, Surface.ACTION})


@dataclass(frozen=True)
class Option:
    name: str
    type: Type
    help: str
    surfaces: frozenset[Surface]
    default: object = None  # the engine's default; a surface's own default is None ("the settings decide")
    choices: tuple[str, ...] = ()
    value_aliases: Mapping[str, str] = field(default_factory=dict)  # older values → the value
    old_flags: tuple[str, ...] = ()  # older spellings, still accepted (CLI: ``--x``; pytest: ``--cc-x``)
    metavar: str | None = None
    action_help: str = ""  # the Action input's description, when it says more than ``help``
    action_default: str | None = None  # the Action input's default, when it is not the engine's
    input: str = ""  # the Action input's name when it is not the CLI spelling
    # a surface's own default, used when neither its flag nor the settings file gives a value
    surface_defaults: Mapping[Surface, str] = field(default_factory=dict)

    @property
    def flag(self) -> str:
        """``--budget-bytes``; ``--no-cache`` for a negated option."""
        spelled = self.name.replace("_", "-")
        return f"--no-{spelled}" if self.type == "negated" else f"--{spelled}"

    @property
    def pytest_flag(self) -> str:
        return "--cc-" + self.flag.removeprefix("--")

    @property
    def ini(self) -> str:
        """The ini twin of :attr:`pytest_flag`, also its argparse dest."""
        return self.pytest_flag.removeprefix("--").replace("-", "_")

    @property
    def action_input(self) -> str:
        return self.input or self.name.replace("_", "-")

    @property
    def input_default(self) -> str:
        """The Action input's default, as action.yml spells it."""
        if self.action_default is not None:
            return self.action_default
        if self.type in BOOLEAN:
            return "true" if self.default else "false"
        return "" if self.default is None or self.surfaces & {Surface.SETTINGS} else str(self.default)

    @property
    def description(self) -> str:
        return self.action_help or self.help

    def value(self, text: str) -> str:
        """``text`` with an older value spelled the current way."""
        return self.value_aliases.get(text, text)


def _choices(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


TABLE: tuple[Option, ...] = (
    Option(
        "mode",
        "choice",
        "`review` or `adversarial-review` (`adversarial` is accepted too).",
        frozenset({Surface.CI, Surface.PYTEST, Surface.ACTION}),
        default=ReviewMode.REVIEW.value,
        choices=_choices(ReviewMode),
        value_aliases={"adversarial": ReviewMode.ADVERSARIAL.value},
        metavar="MODE",
    ),
    Option(
        "scope",
        "choice",
        "what to review: `auto` (default), `working-tree` or `branch`",
        frozenset({Surface.REVIEW, Surface.PYTEST}),
        default=Scope.AUTO.value,
        choices=_choices(Scope),
        metavar="SCOPE",
    ),
    Option(
        "base",
        "text",
        "diff base ref of a branch review (default: CI hints, origin/HEAD, main, master)",
        frozenset({Surface.REVIEW, Surface.CI, Surface.PYTEST, Surface.ACTION}),
        metavar="REF",
        action_help="Branch or commit to diff against (default the pull request's base commit).",
    ),
    Option(
        "since",
        "text",
        "review only the commits since REF (`last`: the head of this workspace's last completed review) and "
        "carry forward that review's findings on untouched lines; a force-push or a moved base reviews the whole",
        frozenset({Surface.REVIEW}),
        metavar="REF|last",
    ),
    Option(
        "focus",
        "text",
        "What an adversarial review should challenge.",
        frozenset({Surface.CI, Surface.PYTEST, Surface.ACTION}),
        default="",
        metavar="TEXT",
    ),
    Option(
        "model",
        "text",
        "`opus`, `sonnet`, `haiku` or a full model id (default from settings, else opus).",
        CLAUDE_RUN,
        default="opus",
        metavar="MODEL",
    ),
    Option(
        "effort",
        "text",
        "`low`, `medium`, `high`, `xhigh` or `max` (default by model).",
        CLAUDE_RUN,
        metavar="EFFORT",
    ),
    Option(
        "fail_on",
        "choice",
        "Fail the gate at this severity or worse: `critical`, `high`, `medium`, `low`; `none` only reports.",
        ALL_REVIEW,
        choices=FAIL_ON,
        metavar="SEVERITY",
        action_default="high",
    ),
    Option(
        "filter_mode",
        "choice",
        "Which findings may gate, by diff location: `added`, `diff_context`, `file`, `nofilter`.",
        ALL_REVIEW,
        default=FilterMode.NOFILTER.value,
        choices=_choices(FilterMode),
        metavar="MODE",
        # CI gates a pull request on what it added: a pre-existing finding is shown, labelled, and does not block
        surface_defaults={Surface.CI: FilterMode.ADDED.value, Surface.ACTION: FilterMode.ADDED.value},
        action_help=(
            "Which findings may gate, by diff location: `added`, `diff_context`, `file`, `nofilter` "
            "(default `added` in CI unless the settings file names one: a pre-existing finding does not block)."
        ),
    ),
    Option(
        "on_error",
        "choice",
        "When the review could not run: `fail` (exit 3) or `pass` (exit 0; the gate still says ERROR).",
        ALL_REVIEW,
        default=OnError.FAIL.value,
        choices=_choices(OnError),
        metavar="POLICY",
    ),
    Option(
        "timeout",
        "float",
        "Wall-clock limit for the Claude run, in seconds.",
        CLAUDE_RUN,
        default=1200.0,
        metavar="SECONDS",
    ),
    Option(
        "max_turns",
        "int",
        "Claude turn limit.",
        frozenset({Surface.REVIEW, Surface.CI, Surface.SETTINGS, Surface.RESCUE}),
        default=40,
        metavar="N",
    ),
    Option(
        "max_cost_usd",
        "float",
        "Stop the review once its Claude runs have cost this many US dollars (gate ERROR `over-budget`).",
        ALL_REVIEW,
        metavar="USD",
    ),
    Option(
        "max_pr_cost_usd",
        "float",
        "Stop reviewing a pull request once its reviews (every push, every shard) have cost this many US dollars.",
        frozenset({Surface.CI, Surface.ACTION, Surface.SETTINGS}),
        metavar="USD",
    ),
    Option(
        "budget_bytes",
        "int",
        "Inline the diff up to this many bytes, else the reviewer collects it.",
        frozenset({Surface.REVIEW, Surface.CI, Surface.PYTEST, Surface.SETTINGS}),
        default=256 * 1024,
        old_flags=("--cc-budget",),
        metavar="BYTES",
    ),
    Option(
        "include",
        "globs",
        "Only review paths matching these globs.",
        frozenset({Surface.REVIEW, Surface.CI, Surface.ACTION, Surface.SETTINGS}),
        default=(),
        old_flags=("--paths",),
        metavar="GLOB",
        action_help="Only review paths matching these globs (whitespace- or newline-separated).",
        input="paths",
    ),
    Option(
        "exclude",
        "globs",
        "Skip paths matching these globs.",
        frozenset({Surface.REVIEW, Surface.CI, Surface.ACTION, Surface.SETTINGS}),
        default=(),
        old_flags=("--exclude-paths",),
        metavar="GLOB",
        action_help="Skip paths matching these globs (whitespace- or newline-separated).",
        input="exclude-paths",
    ),
    Option(
        "cache",
        "negated",
        "Ignore a stored review of the same diff (default: reuse it).",
        ALL_REVIEW,
        default=True,
        action_help=(
            "Reuse a cached result for an identical diff, kept between runs with the platform's cache (this pull"
            " request's own earlier runs, else its base branch's); entries from anywhere else in the job are dropped."
        ),
    ),
    Option("keep_jobs", "int", "How many finished jobs the store keeps.", frozenset({Surface.SETTINGS}), default=200),
    Option(
        "waivers",
        "text",
        "The waivers file, relative to the repository root.",
        frozenset({Surface.SETTINGS}),
        default=".ccplugin-waivers.toml",
    ),
    Option(
        "rules",
        "globs",
        "The repository files whose text guides the reviewer (read from the policy commit; [] for none).",
        frozenset({Surface.SETTINGS}),
        default=RULE_FILES,
    ),
    Option(
        "path_rules",
        "tables",
        'Review rules for the changed files matching globs: a list of `{paths = [...], rule = "..."}`.',
        frozenset({Surface.SETTINGS}),
        default=(),
    ),
    Option(
        "review_generated",
        "globs",
        "Globs of generated, vendored or lock files to review anyway (they are left out by default).",
        frozenset({Surface.SETTINGS}),
        default=(),
    ),
    Option(
        "post_review",
        "switch",
        "Post in-hunk review comments and the sticky summary comment (needs `pull-requests: write`).",
        frozenset({Surface.CI, Surface.ACTION}),
        default=True,
    ),
    Option(
        "max_comments",
        "count",
        "In-line comments per run at most; the rest go in the review body.",
        frozenset({Surface.CI, Surface.ACTION}),
        default=20,
        metavar="N",
    ),
    Option(
        "allow_pull_request_target",
        "flag",
        "Review a fork's code under `pull_request_target` (its code then runs beside your secrets).",
        frozenset({Surface.CI, Surface.ACTION}),
        default=False,
    ),
    Option(
        "github_login",
        "text",
        "Who `github-token` posts as; only that author's comments count as already reported"
        " (a GitHub App token posts as `<app-slug>[bot]`).",
        frozenset({Surface.CI, Surface.ACTION}),
        default="github-actions[bot]",
        metavar="LOGIN",
    ),
    Option(
        "event",
        "path",
        "A pull_request event file to review instead of this run's event (the fork-safe workflow_run pattern).",
        frozenset({Surface.CI, Surface.ACTION}),
        metavar="PATH",
        input="event-path",
    ),
    Option(
        "rescue_on_failure",
        "flag",
        "On a failing gate (pytest: or failed tests), propose a fix from a temporary git worktree"
        " (cc-rescue.patch, cc-rescue.md).",
        frozenset({Surface.CI, Surface.PYTEST, Surface.ACTION}),
        default=False,
        action_help=(
            "When the gate fails, let Claude propose a fix of the gating findings in a temporary git worktree"
            " (the checkout is untouched): `cc-rescue.patch` and `cc-rescue.md` in the workspace. The exit code"
            " stays the gate's. Never for a fork's pull request (a notice says so). Claude edits files but runs"
            " none of the project's commands (its tests would run beside Claude's own credential)."
        ),
    ),
    Option(
        "rescue_dir",
        "path",
        "Where cc-rescue.patch and cc-rescue.md go (default: $GITHUB_WORKSPACE; pytest: its cache).",
        frozenset({Surface.CI, Surface.PYTEST}),
        metavar="DIR",
    ),
    Option(
        "junit",
        "path",
        "Where to write the findings as JUnit XML (empty to skip).",
        REPORTS | {Surface.PYTEST},
        metavar="PATH",
        action_default="cc-review-junit.xml",
    ),
    Option(
        "sarif",
        "path",
        "Where to write the findings as SARIF 2.1.0 for code scanning (empty to skip).",
        REPORTS | {Surface.PYTEST},
        metavar="PATH",
        action_default="cc-review.sarif",
    ),
    Option(
        "result_json",
        "path",
        "Where to write this run's result for `ccplugin ci merge` (sharded runs).",
        REPORTS,
        metavar="PATH",
    ),
    Option(
        "label",
        "text",
        "Name of this shard, shown in titles and keeping shards' summary comments apart.",
        REPORTS,
        default="",
    ),
)
BY_NAME: dict[str, Option] = {o.name: o for o in TABLE}
# inputs of action.yml that are not review options: they set up the run or carry credentials
ACTION_ONLY = frozenset(
    {
        "cache-secret",
        "anthropic-api-key",
        "claude-code-oauth-token",
        "github-token",
        "claude-code-version",
        "python-version",
    }
)


def on(surface: Surface) -> tuple[Option, ...]:
    """The options ``surface`` has, in table order."""
    return tuple(o for o in TABLE if surface in o.surfaces)


def surface_default(name: str, surface: Surface) -> str | None:
    """``surface``'s own default for option ``name`` (None: the settings file's, else the engine's)."""
    return next(o.surface_defaults.get(surface) for o in TABLE if o.name == name)


def setting_keys() -> frozenset[str]:
    """The keys a settings file may hold."""
    return frozenset(o.name for o in on(Surface.SETTINGS))


# -- argparse: `ccplugin review`, `adversarial-review`, `ci github`, `ci merge` ---------------------


def add_arguments(p: argparse.ArgumentParser, surface: Surface) -> None:
    """Add ``surface``'s flags to ``p``; every value flag defaults to None (the settings decide)."""
    for o in on(surface):
        _add(p, o)


def _add(p: argparse.ArgumentParser, o: Option) -> None:
    if o.type in BOOLEAN:
        _add_boolean(p, o)
    elif o.type == "globs":
        _add_globs(p, o)
    else:
        default = None if Surface.SETTINGS in o.surfaces else o.default  # a setting: the settings file decides
        convert = _NUMBER.get(o.type, o.value)  # a value: older spellings of it read as the current one
        choices = o.choices or None
        p.add_argument(
            o.flag, dest=o.name, metavar=o.metavar, default=default, type=convert, choices=choices, help=_help(o)
        )


def _add_globs(p: argparse.ArgumentParser, o: Option) -> None:
    p.add_argument(o.flag, action="append", default=[], dest=o.name, metavar=o.metavar, help=_help(o))
    for old in o.old_flags:
        p.add_argument(old, nargs="+", action="extend", dest=o.name, metavar=o.metavar, help=f"same as {o.flag}")


def _add_boolean(p: argparse.ArgumentParser, o: Option) -> None:
    if o.type == "switch":
        p.add_argument(
            o.flag, dest=o.name, action=argparse.BooleanOptionalAction, default=bool(o.default), help=_help(o)
        )
    else:
        action = "store_false" if o.type == "negated" else "store_true"
        p.add_argument(o.flag, dest=o.name, action=action, help=_help(o))


def _help(o: Option) -> str:
    return o.help.replace("%", "%%")


def whole_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0, got {text!r}")
    return value


_NUMBER: dict[str, Callable[[str], object]] = {"float": float, "int": int, "count": whole_number}


# -- the Action: its inputs arrive as one JSON object (``toJSON(inputs)``) ---------------------------

INPUTS_VAR = "CCPLUGIN_INPUTS"  # the review step's environment variable holding ``toJSON(inputs)``
_TRUE_FALSE = {"true": True, "false": False}


class InputError(ValueError):
    """An Action input the table does not know, or whose value it cannot read."""


def action_argv(inputs: Mapping[str, object]) -> list[str]:
    """``ci github`` flags for the Action's inputs: every input is a table option or Action-only (ignored);
    an empty value leaves the choice to the settings; a boolean is ``true`` or ``false``."""
    by_input = {o.action_input: o for o in on(Surface.ACTION)}
    unknown = sorted(set(inputs) - set(by_input) - ACTION_ONLY)
    if unknown:
        raise InputError(f"unknown Action input(s) {', '.join(unknown)}: not in ccplugin's option table")
    argv: list[str] = []
    for name, o in by_input.items():
        value = inputs.get(name, o.input_default)
        if not isinstance(value, str):
            raise InputError(f"Action input `{name}` is {type(value).__name__}, not a string")
        argv += _input_flags(o, value.strip())
    return argv


def _input_flags(o: Option, value: str) -> list[str]:
    if o.type in BOOLEAN:
        return _boolean_flags(o, value or o.input_default)
    if o.type == "globs":
        return [arg for glob in value.split() for arg in (o.flag, glob)]
    return [o.flag, value] if value else []


def _boolean_flags(o: Option, value: str) -> list[str]:
    on_ = _TRUE_FALSE.get(value.lower())
    if on_ is None:
        raise InputError(f"Action input `{o.action_input}` is {value!r}: use `true` or `false`")
    if o.type == "switch":
        return [o.flag if on_ else o.flag.replace("--", "--no-", 1)]
    if o.type == "negated":
        return [] if on_ else [o.flag]
    return [o.flag] if on_ else []


# -- pytest: the `--cc-*` options are registered on every pytest start, before the plugin is enabled, and
# that start imports nothing of ccplugin (bench/bench_pytest_plugin.py). So pytest_ccreview/options.py
# holds them as a literal generated from the table; `python -m ccplugin.review.options` rewrites it and
# tests/test_options.py fails when it is stale.

PytestSpec = tuple[tuple[str, ...], tuple[str, ...], bool, str, str | None]  # flags, inis, boolean, help, metavar
GENERATED_BEGIN = "# --- generated by `python -m ccplugin.review.options` from its TABLE: do not edit ---"
GENERATED_END = "# --- end of generated ---"


def pytest_specs() -> tuple[PytestSpec, ...]:
    """Each pytest option: its flags (the first is current), ini twins (the first is also the dest), whether
    it is a flag, help and metavar."""
    return tuple(
        ((o.pytest_flag, *o.old_flags), (o.ini, *old_inis(o)), o.type in BOOLEAN, o.help, o.metavar)
        for o in on(Surface.PYTEST)
    )


def old_inis(o: Option) -> tuple[str, ...]:
    """The ini twins of the older spellings (``cc_budget``), still read."""
    return tuple(flag.removeprefix("--").replace("-", "_") for flag in o.old_flags)


def generated_block() -> str:
    """The literal pytest_ccreview/options.py holds between the markers, as ``ruff format`` writes it."""
    rows = "".join(_spec_source(spec) for spec in pytest_specs())
    return f"{GENERATED_BEGIN}\nSPECS: tuple[SpecTuple, ...] = (\n{rows})\n{GENERATED_END}"


def _spec_source(spec: PytestSpec) -> str:
    flags, inis, boolean, help_, metavar = spec
    parts = [_strings(flags), _strings(inis), repr(boolean), _long_string(help_), _quoted(metavar)]
    return "    (\n" + "".join(f"        {part},\n" for part in parts) + "    ),\n"


def _strings(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(_quoted(v) for v in values) + ("," if len(values) == 1 else "") + ")"


def _quoted(value: str | None) -> str:
    return "None" if value is None else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _long_string(text: str, width: int = 100) -> str:
    """``text`` as adjacent literals of at most ``width`` characters, cut after a space."""
    chunks: list[str] = []
    while len(text) > width:
        cut = text.rfind(" ", 0, width) + 1 or width
        chunks.append(text[:cut])
        text = text[cut:]
    chunks.append(text)
    if len(chunks) == 1:
        return _quoted(chunks[0])
    return "(\n" + "".join(f"            {_quoted(c)}\n" for c in chunks) + "        )"


def _rewrite(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    head, _, rest = text.partition(GENERATED_BEGIN)
    _, _, tail = rest.partition(GENERATED_END)
    with open(path, "w", encoding="utf-8") as f:
        f.write(head + generated_block() + tail)


if __name__ == "__main__":  # the file, not the module: the engine imports no surface (tests/test_layers.py)
    _rewrite(str(Path(__file__).resolve().parents[2] / "pytest_ccreview" / "options.py"))
