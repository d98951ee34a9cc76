"""`ccplugin review --apply FINGERPRINT [--job JOB]`: apply one finding's suggested replacement to the work tree."""

from __future__ import annotations

from pathlib import Path

from ccplugin import output
from ccplugin.cli import common, render
from ccplugin.errors import CCError
from ccplugin.jobs import kinds
from ccplugin.jobs.store import TERMINAL, Job, Store
from ccplugin.review import suggestion
from ccplugin.review.model import Finding
from ccplugin.review.outcome import ReviewOutcome

REVIEW_KINDS = frozenset({kinds.Kind.REVIEW, kinds.Kind.ADVERSARIAL_REVIEW})


def run(fingerprint: str, job_ref: str | None) -> int:
    """Apply the suggestion of the finding ``fingerprint`` of the job (default: this workspace's last review)."""
    store = common.open_store_to_read()
    job = store.find(job_ref, common.here()) if job_ref else last_review(store)
    outcome = render.stored(job, ReviewOutcome.from_dict)
    f = _finding(outcome, fingerprint, job.id)
    if f.suggestion is None:
        raise CCError(f"finding {f.fingerprint} of {job.id} has no suggested replacement", "apply the fix by hand")
    root = Path(outcome.target.repo_root or common.here())
    suggestion.apply_to(root, f.file, f.line_start, f.line_end, f.suggestion)
    output.write(f"applied the suggestion of {f.fingerprint} to {f.where} (from {job.id})\n")
    return 0


def last_review(store: Store) -> Job:
    for job in store.list(common.here(), owner=common.owner(), limit=50):
        if job.kind in REVIEW_KINDS and job.state in TERMINAL:
            return job
    raise CCError("no finished review for this workspace yet", "run `ccplugin review` first, or pass `--job JOB`")


def _finding(o: ReviewOutcome, fingerprint: str, job_id: str) -> Finding:
    found = [f for f in o.findings if f.fingerprint.startswith(fingerprint.strip().lower())] if fingerprint else []
    if len(found) != 1:  # none, or several (the same claim at two places shares a fingerprint)
        with_fix = ", ".join(f.fingerprint for f in o.findings if f.suggestion) or "none"
        what = "matches several findings" if found else "names no finding"
        raise CCError(
            f"`--apply {fingerprint}` {what} of {job_id}",
            f"pass one fingerprint of a finding with a suggestion ({with_fix})",
        )
    return found[0]
