"""The fake GitHub's ``POST /graphql``: every document is validated against a vendored excerpt of GitHub's
published GraphQL schema, then executed against the fake's review comments with graphql-core.

The excerpt (``tests/support/github/graphql-excerpt.graphql``) names its source: octokit/graphql-schema's
``schema.graphql`` at a pinned commit, the schema GitHub publishes for api.github.com, cut to the types and
fields ccplugin uses. A document the excerpt does not allow (an unknown field, a wrong argument or variable
type) is answered as GitHub does (200 with ``errors``) and kept as a violation. Like GitHub:

- a review thread is a top-level review comment and its replies (``in_reply_to_id``); its id is a node id;
- it is outdated when GitHub moved its comment off the diff (``line`` null, see ``FakeGitHub.outdate_comments``);
- a bot is shown with its login without ``[bot]`` (``github-actions``) and ``__typename: Bot``;
- a read-only token's mutation is ``{"resolveReviewThread": null}`` with an error of ``type: FORBIDDEN``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import graphql

SCHEMA_PATH = Path(__file__).with_name("github") / "graphql-excerpt.graphql"
SCHEMA = graphql.build_schema(SCHEMA_PATH.read_text("utf-8"))
FORBIDDEN = "Resource not accessible by integration"


class Forbidden(Exception):
    pass


def thread_id(root: Mapping[str, Any]) -> str:
    return f"PRRT_kwDO{root['id']}"


def actor(user: Any) -> dict[str, Any] | None:
    if not isinstance(user, Mapping):
        return None
    bot = user.get("type") == "Bot"
    login = str(user["login"]).removesuffix("[bot]") if bot else str(user["login"])
    url = f"https://github.com/{'apps/' if bot else ''}{login}"
    return {"__typename": "Bot" if bot else "User", "login": login, "url": url, "resourcePath": url[18:]}


def page(items: Sequence[Any], first: int | None, after: str | None) -> dict[str, Any]:
    """A connection of ``items``: the cursor is the index after the last one given."""
    start = int(after) if after else 0
    chunk = list(items[start : start + (first if first is not None else 100)])
    end = start + len(chunk)
    info = {"hasNextPage": end < len(items), "hasPreviousPage": start > 0, "endCursor": str(end), "startCursor": None}
    return {"nodes": chunk, "pageInfo": info, "totalCount": len(items)}


def threads(comments: Sequence[Mapping[str, Any]], resolved: set[str]) -> list[dict[str, Any]]:
    roots = [c for c in comments if not c.get("in_reply_to_id")]
    out = []
    for root in roots:
        members = [root, *(c for c in comments if c.get("in_reply_to_id") == root["id"])]
        nodes = [{"author": actor(c.get("user")), "body": c.get("body", "")} for c in members]
        out.append(
            {
                "id": thread_id(root),
                "isResolved": thread_id(root) in resolved,
                "isOutdated": root.get("line") is None,
                "comments": lambda info, first=None, after=None, _n=nodes, **_: page(_n, first, after),
            }
        )
    return out


def execute(
    body: Any, comments: Mapping[int, Sequence[Mapping[str, Any]]], resolved: set[str], repository: str, write: bool
) -> tuple[dict[str, Any], list[str]]:
    """GitHub's answer to one GraphQL request, and why the request is not one the schema allows (empty: it is)."""
    if not isinstance(body, Mapping) or not isinstance(body.get("query"), str):
        return {"errors": [{"message": "A query attribute must be specified and must be a string."}]}, ["no query"]
    try:
        doc = graphql.parse(body["query"])
    except graphql.GraphQLError as e:
        return {"errors": [{"message": e.message}]}, [f"parse: {e.message}"]
    invalid = graphql.validate(SCHEMA, doc)
    if invalid:
        return {"errors": [{"message": e.message} for e in invalid]}, [e.message for e in invalid]
    root = _root(comments, resolved, repository, write)
    result = graphql.execute_sync(SCHEMA, doc, root_value=root, variable_values=body.get("variables") or {})
    errors = [_error(e) for e in result.errors or []]
    bad = [e["message"] for e in errors if e.get("type") != "FORBIDDEN"]
    answer: dict[str, Any] = {"data": result.data}
    return (answer | {"errors": errors}) if errors else answer, bad


def _error(e: graphql.GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = {"message": e.message, "path": e.path}
    if isinstance(e.original_error, Forbidden):
        out |= {"type": "FORBIDDEN", "message": FORBIDDEN}
    return out


def _root(
    comments: Mapping[int, Sequence[Mapping[str, Any]]], resolved: set[str], repository: str, write: bool
) -> dict[str, Any]:
    def pull_request(info: Any, number: int) -> dict[str, Any] | None:
        if number not in comments:
            return None
        found = threads(comments[number], resolved)
        return {"reviewThreads": lambda info, first=None, after=None, **_: page(found, first, after)}

    def repository_(info: Any, owner: str, name: str, **_: Any) -> dict[str, Any] | None:
        return {"pullRequest": pull_request} if f"{owner}/{name}" == repository else None

    def resolve(info: Any, input: Mapping[str, Any]) -> dict[str, Any]:
        if not write:
            raise Forbidden(FORBIDDEN)
        known = {thread_id(c): c for cs in comments.values() for c in cs if not c.get("in_reply_to_id")}
        if input["threadId"] not in known:
            raise graphql.GraphQLError(f"Could not resolve to a node with the global id of '{input['threadId']}'")
        resolved.add(input["threadId"])
        return {"thread": {"id": input["threadId"], "isResolved": True}}

    return {"repository": repository_, "resolveReviewThread": resolve}
