"""The review option table: every surface's flags, inputs and keys are the table's, and older spellings still work.

In-process and without the Claude CLI: the parsers, pytest's option registry (pytester), action.yml and
``config.Settings`` are compared with :data:`ccplugin.review.options.TABLE`."""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from ccplugin import config
from ccplugin.cli import ci
from ccplugin.cli.main import build_parser
from ccplugin.errors import CCError
from ccplugin.review import options
from ccplugin.review.options import ACTION_ONLY, BY_NAME, Surface, action_argv, on
from pytest_ccreview.settings import resolve

ACTION = Path(__file__).resolve().parents[1] / "action" / "action.yml"


def action_inputs() -> dict[str, dict[str, object]]:
    inputs: dict[str, dict[str, object]] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))["inputs"]
    return inputs


def parse(*argv: str) -> argparse.Namespace:
    return build_parser(argv[0]).parse_args(list(argv))


# --- action.yml --------------------------------------------------------------------------------


def test_every_action_input_is_a_table_option_with_its_default_and_description() -> None:
    inputs = action_inputs()
    table = {o.action_input: o for o in on(Surface.ACTION)}
    assert set(inputs) - ACTION_ONLY == set(table), "an input without a table entry, or an option without an input"
    for name, o in table.items():
        assert str(inputs[name].get("default", "")) == o.input_default, name
        assert " ".join(str(inputs[name]["description"]).split()) == o.description, name


def test_the_action_passes_its_inputs_as_one_json_value() -> None:
    review = next(s for s in yaml.safe_load(ACTION.read_text())["runs"]["steps"] if s.get("id") == "review")
    assert review["env"][options.INPUTS_VAR] == "${{ toJSON(inputs) }}"
    assert "--action-inputs" in review["run"] and "$IN_" not in review["run"]


def test_action_inputs_become_the_tables_flags() -> None:
    inputs = {name: str(spec.get("default", "")) for name, spec in action_inputs().items()}
    inputs |= {"mode": "adversarial", "paths": "a.py\n  b/*.py", "cache": "false", "post-review": "false"}
    args = ci.with_action_inputs(parse("ci", "github"), {options.INPUTS_VAR: json.dumps(inputs)})
    assert (args.mode, args.include, args.cache, args.post_review) == (
        "adversarial-review",
        ["a.py", "b/*.py"],
        False,
        False,
    )
    assert (args.fail_on, args.max_comments, args.junit, args.base) == ("high", 20, "cc-review-junit.xml", None)


def test_the_inputs_variable_is_taken_out_of_the_environment() -> None:
    env = {options.INPUTS_VAR: json.dumps({"github-token": "ghs_secret", "mode": "review"})}
    ci.with_action_inputs(parse("ci", "github"), env)
    assert options.INPUTS_VAR not in env  # it holds the secret inputs: nothing started later may inherit it


@pytest.mark.parametrize(
    ("inputs", "words"),
    [
        ({"fail-on-severity": "high"}, "unknown Action input(s) fail-on-severity"),
        ({"post-review": "yes"}, "`post-review` is 'yes': use `true` or `false`"),
        ({"max-comments": 3}, "`max-comments` is int, not a string"),
        ({"fail-on": "severe"}, "invalid choice: 'severe'"),
    ],
)
def test_a_bad_action_input_is_one_clear_error(inputs: dict[str, object], words: str) -> None:
    with pytest.raises(CCError) as raised:
        ci.with_action_inputs(parse("ci", "github"), {options.INPUTS_VAR: json.dumps(inputs)})
    assert words in raised.value.line()


def test_without_the_inputs_variable_action_inputs_is_a_usage_error() -> None:
    with pytest.raises(CCError, match="CCPLUGIN_INPUTS is not set"):
        ci.with_action_inputs(parse("ci", "github"), {})


def test_every_input_name_is_spelled_once() -> None:
    names = [o.action_input for o in on(Surface.ACTION)]
    assert len(names) == len(set(names)) and not set(names) & ACTION_ONLY
    parse("ci", "github", *action_argv({}))  # every flag the inputs become is one of `ci github`'s


# --- the settings file ---------------------------------------------------------------------------


def test_the_settings_keys_are_the_tables_with_its_defaults() -> None:
    settings = {f.name: f.default for f in fields(config.Settings) if f.name not in ("extra", "given")}
    assert set(settings) == options.setting_keys()
    for name, default in settings.items():
        assert default == BY_NAME[name].default, name
    with pytest.raises(CCError, match="unknown setting `budget`"):
        config.settings_of({"budget": 1})


# --- the command line ------------------------------------------------------------------------------


def test_review_and_ci_have_the_tables_flags() -> None:
    review = parse("review", "--budget-bytes", "10", "--no-cache", "--include", "a", "--paths", "b", "c")
    assert (review.budget_bytes, review.cache, review.include) == (10, False, ["a", "b", "c"])
    gh = parse("ci", "github", "--exclude-paths", "x", "y", "--exclude", "z", "--mode", "adversarial")
    assert (gh.exclude, gh.mode, gh.cache, gh.max_comments) == (["x", "y", "z"], "adversarial-review", True, 20)
    merge = parse("ci", "merge", "r.json", "--label", "shard-1", "--junit", "j.xml")
    assert (merge.label, merge.junit, merge.sarif) == ("shard-1", "j.xml", None)


def test_rescue_shares_the_claude_run_options() -> None:
    rescue = parse("rescue", "--model", "sonnet", "--timeout", "9", "--max-turns", "3", "fix", "it")
    assert (rescue.model, rescue.effort, rescue.timeout, rescue.max_turns) == ("sonnet", None, 9.0, 3)
    assert {o.name for o in on(Surface.RESCUE)} == {"model", "effort", "timeout", "max_turns"}


def test_a_bad_value_is_a_usage_error_naming_the_choices() -> None:
    with pytest.raises(CCError, match="invalid choice: 'severe'"):
        parse("review", "--fail-on", "severe")
    with pytest.raises(CCError, match="expected a whole number"):
        parse("ci", "github", "--max-comments", "-1")


# --- pytest ------------------------------------------------------------------------------------------


def test_the_pytest_options_are_generated_from_the_table() -> None:
    from pytest_ccreview.options import SPECS

    assert options.pytest_specs() == SPECS, "stale: run `python -m ccplugin.review.options`"


def test_pytest_has_a_cc_option_and_ini_twin_for_each_pytest_option(pytester: pytest.Pytester) -> None:
    cfg = pytester.parseconfig()
    for o in on(Surface.PYTEST):
        assert cfg.getoption(o.ini) is None, o.name
        assert o.pytest_flag == "--cc-" + o.flag.removeprefix("--")
        cfg.getini(o.ini)  # a ValueError if the twin was not registered


def test_the_old_cc_budget_spelling_is_an_alias(pytester: pytest.Pytester) -> None:
    assert resolve(pytester.parseconfig("--cc-budget", "5")).budget_bytes == 5
    assert resolve(pytester.parseconfig("--cc-budget-bytes", "6")).budget_bytes == 6
    pytester.makeini("[pytest]\ncc_budget = 7\n")
    assert resolve(pytester.parseconfig()).budget_bytes == 7
    pytester.makeini("[pytest]\ncc_budget_bytes = 8\ncc_budget = 7\n")
    assert resolve(pytester.parseconfig()).budget_bytes == 8
    assert resolve(pytester.parseconfig("--cc-mode", "adversarial")).mode == "adversarial-review"
    assert resolve(pytester.parseconfig("--cc-no-cache")).cache is False
