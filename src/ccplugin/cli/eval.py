"""`ccplugin eval`: how good is the review? Recall on known bugs, false blocks on clean changes, cost.

Runs the review engine over a corpus of cases (the bundled one by default), scores the findings
against the cases' labels without a model judge, prints a table and writes a results file that a
rerun resumes and `--compare` reads. See docs/eval.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from ccplugin import output
from ccplugin.claude import env as claude_env
from ccplugin.claude import models
from ccplugin.errors import CCError, Exit
from ccplugin.eval import corpus as corpus_mod
from ccplugin.eval import importers, report, results, runner
from ccplugin.eval.corpus import Corpus, CorpusError
from ccplugin.eval.materialise import materialise
from ccplugin.eval.progress import Progress
from ccplugin.jobs.kinds import ReviewMode
from ccplugin.review import prompts
from ccplugin.review.values import SEVERITY_ORDER, FilterMode

DEFAULT_OUT = "ccplugin-eval.json"


def add_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        name, help="score the review on a corpus of known bugs and clean changes"
    )
    p.add_argument("--corpus", type=Path, help="a folder of cases (default: the corpus shipped with ccplugin)")
    p.add_argument(
        "--out", type=Path, default=Path(DEFAULT_OUT), help=f"results file, resumed by a rerun (default {DEFAULT_OUT})"
    )
    p.add_argument("--fresh", action="store_true", help="start over instead of resuming the results file")
    p.add_argument("--only", action="append", default=[], metavar="GLOB", help="run only the cases whose id matches")
    p.add_argument("--jobs", type=int, default=2, help="cases reviewed at once (default 2)")
    p.add_argument("--max-cost-usd", type=float, help="start no new case once this much is spent")
    p.add_argument(
        "--mode", choices=[m.value for m in ReviewMode], default="review", help="review or adversarial-review"
    )
    p.add_argument("--model", help="opus | sonnet | haiku | a full model id (default opus)")
    p.add_argument("--effort", help="low | medium | high | xhigh | max (default by model)")
    p.add_argument(
        "--fail-on", choices=[s.value for s in SEVERITY_ORDER], default="high", help="the gate threshold (default high)"
    )
    p.add_argument(
        "--filter-mode", choices=[m.value for m in FilterMode], default="nofilter", help="which findings may gate"
    )
    p.add_argument("--timeout", type=float, help="wall-clock limit per review, seconds")
    p.add_argument("--demo", action="store_true", help="offline: a scripted reviewer on the bundled fake API")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--validate", action="store_true", help="only check the corpus format")
    what.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"), help="compare two results files")
    what.add_argument(
        "--import", dest="import_", nargs=2, metavar=("FORMAT", "PATH"), help="import a benchmark download"
    )
    p.add_argument("--to", type=Path, help="with --import: the corpus folder to write")
    p.add_argument(
        "--repos", type=Path, help="with --import: the folder of local clones (owner__name; default PATH/repos)"
    )
    return p


def run_args(args: argparse.Namespace) -> int:
    if args.compare:
        return _compare(*args.compare, as_json=args.json)
    if args.import_:
        return _import(args.import_[0], Path(args.import_[1]), args.to, args.repos)
    full = corpus_mod.load(args.corpus or corpus_mod.bundled())
    corpus = _selected(full, args.only)
    if args.validate:
        return _validate(corpus, as_json=args.json)
    return evaluate(corpus, full.digest(), args)


def _selected(corpus: Corpus, only: list[str]) -> Corpus:
    if not only:
        return corpus
    cases = tuple(c for c in corpus.cases if any(fnmatch(c.id, g) for g in only))
    if not cases:
        raise CCError(
            f"no case of {corpus.root} matches {', '.join(only)}", "list the case folders; `--only` takes ids"
        )
    return Corpus(corpus.root, cases)


def _validate(corpus: Corpus, *, as_json: bool) -> int:
    with tempfile.TemporaryDirectory(prefix="ccplugin-eval-check-") as tmp:
        for case in corpus.cases:  # building each repository checks what loading cannot: patches apply
            materialise(case, Path(tmp) / case.id)
    bugs = sum(1 for c in corpus.cases if not c.clean)
    if as_json:
        output.json_out({"corpus": str(corpus.root), "cases": len(corpus.cases), "bug_cases": bugs})
    else:
        output.line(
            f"{corpus.root}: {len(corpus.cases)} valid case(s), "
            f"{bugs} with known bugs, {len(corpus.cases) - bugs} clean"
        )
    return Exit.OK


def evaluate(corpus: Corpus, digest: str, args: argparse.Namespace) -> int:
    """Run the cases not yet in the results file; 0 when every case was reviewed and scored."""
    options = _options(args)
    store = _results(args.out, _config(corpus, digest, options), fresh=args.fresh)
    with _environment(corpus, demo=args.demo) as env:
        progress = Progress(
            len(corpus.cases), len(store.done() & {c.id for c in corpus.cases}), options.fail_on, options.filter_mode
        )
        progress.start()
        try:
            run = runner.run_all(corpus.cases, options, env, store, progress.done)
        except KeyboardInterrupt:
            progress.close()
            output.error(f"eval interrupted: finished cases are in {args.out}; rerun the same command to resume")
            raise
        progress.close()
    return _show(store, corpus, run, as_json=args.json)


def _options(args: argparse.Namespace) -> runner.Options:
    if args.jobs < 1:
        raise CCError(f"--jobs must be at least 1, not {args.jobs}", "pass `--jobs 2`, say")
    if args.max_cost_usd is not None and args.max_cost_usd <= 0:
        raise CCError("--max-cost-usd must be more than 0", "pass `--max-cost-usd 5`, say")
    return runner.Options(
        mode=args.mode,
        model=args.model,
        effort=args.effort,
        fail_on=args.fail_on,
        filter_mode=args.filter_mode,
        timeout=args.timeout,
        jobs=args.jobs,
        max_cost_usd=args.max_cost_usd,
    )


def _config(corpus: Corpus, digest: str, options: runner.Options) -> results.RunConfig:
    model, effort = models.resolve(options.model, options.effort)
    return results.RunConfig(
        corpus=str(corpus.root),
        corpus_digest=digest,
        prompt_version=prompts.PROMPT_VERSION,
        mode=options.mode,
        model=model,
        effort=effort,
        fail_on=options.fail_on,
        filter_mode=options.filter_mode,
    )


def _results(path: Path, cfg: results.RunConfig, *, fresh: bool) -> results.Results:
    """The results to resume (same configuration), or a new run's."""
    if fresh or not path.exists():
        return results.Results(path, cfg)
    old = results.load(path)
    if old.config != cfg:
        differs = "; ".join(cfg.differences(old.config))
        raise CorpusError(
            f"{path} holds a run of another configuration ({differs})",
            "pass another `--out`, or `--fresh` to start over",
        )
    return old


@contextlib.contextmanager
def _environment(corpus: Corpus, *, demo: bool) -> Iterator[Mapping[str, str]]:
    """This process's environment; with ``--demo``, one that points claude at the scripted reviewer."""
    if not demo:
        claude_env.check_sandbox_network(os.environ)
        yield dict(os.environ)
        return
    from ccplugin.eval import scripted  # the fake API is imported only for the demo
    from ccplugin.testing import FakeAnthropic, find_claude_bin, offline_claude_env

    binary = find_claude_bin()
    if binary is None:
        raise CCError(
            "the demo needs the Claude Code CLI and none was found",
            "run `make demo`, or `npm install -g @anthropic-ai/claude-code`",
        )
    with (
        FakeAnthropic(scripted.scenario(scripted.demo_answers(corpus.cases))) as fake,
        tempfile.TemporaryDirectory(prefix="ccplugin-eval-demo-") as tmp,
    ):
        output.progress(f"offline: the scripted reviewer on {fake.url}, reviewing with {binary}")
        yield offline_claude_env(fake, tmp, claude_bin=binary)


def _show(store: results.Results, corpus: Corpus, run: runner.Run, *, as_json: bool) -> int:
    ids = {c.id for c in corpus.cases}
    errors = [r.id for r in store.ordered() if r.id in ids and r.error]
    if as_json:
        output.json_out({**store.to_dict(), "capped": list(run.capped), "results_file": str(store.path)})
    else:
        for line in report.render(store):
            output.line(line)
        output.line(f"results: {store.path}")
    if run.capped:
        output.error(
            f"eval: the cost cap was reached; {len(run.capped)} case(s) not run: "
            "rerun with a higher --max-cost-usd to resume"
        )
    if errors:
        output.error(f"eval: {len(errors)} case(s) could not be reviewed ({', '.join(errors)}): rerun to retry them")
    return Exit.NOT_REVIEWED if run.capped or errors else Exit.OK


def _compare(a: Path, b: Path, *, as_json: bool) -> int:
    ra, rb = results.load(a), results.load(b)
    if as_json:
        output.json_out(report.compare_dict(ra, rb))
    else:
        for line in report.compare(ra, rb):
            output.line(line)
    return Exit.OK


def _import(kind: str, source: Path, dest: Path | None, repos: Path | None) -> int:
    if dest is None:
        raise CCError("--import needs --to DIR, the corpus folder to write", "add `--to my-corpus`")
    written = importers.run(kind, source, dest, repos)
    output.line(f"imported {written} case(s) from {source} into {dest}; run them with `ccplugin eval --corpus {dest}`")
    return Exit.OK
