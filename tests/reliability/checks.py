"""What the records of a run imply about the database, checked over HTTP against a (restarted) server.

The model: a conversation's state follows from its parts, in part order (:func:`replay`): a close
part leaves it closed, a snooze snoozed, an open or a timer_unsnooze open, a contact's comment
open and waiting, an admin's comment not waiting, an assignment assigned; every part counts. So:

- a conversation is **whole** when its state, `waiting_since`, assignees and
  `count_conversation_parts` are those its parts imply (nothing half-applied: no close part with
  the state still open, no part without its count, no state change without its part);
- a request is **present** when the conversation its 2xx answer showed is a prefix of today's
  history (same parts, same ids, nothing inserted before them later) and the answer itself shows
  the request's effect (its part last, the state it asked for). Answers being prefixes of one
  history is also what makes concurrent writers serial: they all saw one total order.

Requests without an answer (in flight when the server was killed) may be present or not, but
their conversation must be whole either way, and nothing may be applied twice.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from tests.reliability.driver import KEY_PREFIX, Record, client, get_json

CONTACT_TYPES = frozenset({"user", "lead", "contact"})
STATE_OF_PART = {"close": "closed", "snoozed": "snoozed", "open": "open", "timer_unsnooze": "open"}
TITLE_PART = "conversation_attribute_updated_by_admin"
MAX_PARTS = 500  # GET /conversations/{id} shows at most this many


@dataclass(frozen=True)
class State:
    state: str
    waiting_since: int | None
    admin_assignee_id: int | None
    team_assignee_id: int | None
    parts: int


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def replay(conversation: dict[str, Any], parts: list[dict[str, Any]]) -> State:
    """The state a conversation's parts imply, applied one after the other."""
    source_by_contact = conversation["source"]["author"]["type"] in CONTACT_TYPES
    state, waiting = "open", conversation["created_at"] if source_by_contact else None
    admin, team = None, None
    for part in parts:
        kind, author = part["part_type"], part["author"]["type"]
        if kind == "comment" and author in CONTACT_TYPES:
            state = "open"
            waiting = waiting if waiting is not None else part["created_at"]
        elif kind == "comment" and author == "admin":
            waiting = None
        elif kind in STATE_OF_PART:
            state = STATE_OF_PART[kind]
        elif kind == "assignment":
            assigned = part["assigned_to"] or {}
            if assigned.get("type") == "admin":
                admin = _int(assigned["id"])
            elif assigned.get("type") == "team":
                team = _int(assigned["id"])
    return State(state, waiting, admin, team, len(parts))


def observed(conversation: dict[str, Any]) -> State:
    return State(
        conversation["state"],
        conversation["waiting_since"],
        _int(conversation["admin_assignee_id"]),
        _int(conversation["team_assignee_id"]),
        conversation["statistics"].get("count_conversation_parts", 0),
    )


def woken_before_the_sweep(implied: State, actual: State) -> bool:
    """A snooze that has run out reads as open, its wake counted, before the sweep (which looks
    every second, operations/snoozes.py) writes the `timer_unsnooze` part: reads never write
    (docs/decisions.md). A server restarted after a kill shows this until its sweeper first runs."""
    return implied.state == "snoozed" and actual == replace(implied, state="open", parts=implied.parts + 1)


def parts_of(conversation: dict[str, Any]) -> list[dict[str, Any]]:
    return list(conversation["conversation_parts"]["conversation_parts"])


def signature(part: dict[str, Any]) -> tuple[Any, ...]:
    assigned = part.get("assigned_to") or {}
    return (
        part["id"],
        part["part_type"],
        part["body"],
        part["author"]["type"],
        part["author"]["id"],
        part["created_at"],
        assigned.get("type"),
        assigned.get("id"),
    )


def whole(conversation: dict[str, Any]) -> list[str]:
    """Problems inside one conversation document (a GET today, or what a write answered then)."""
    cid = conversation["id"]
    parts = parts_of(conversation)
    total = conversation["conversation_parts"]["total_count"]
    problems = []
    if total > MAX_PARTS:
        return [f"conversation {cid}: {total} parts, more than GET shows; the run must keep them under {MAX_PARTS}"]
    if total != len(parts):
        problems.append(f"conversation {cid}: total_count {total} but {len(parts)} parts listed")
    ids = [int(p["id"]) for p in parts]
    if ids != sorted(set(ids)):
        problems.append(f"conversation {cid}: part ids not strictly increasing: {ids}")
    implied, actual = replay(conversation, parts), observed(conversation)
    if implied != actual and not woken_before_the_sweep(implied, actual):
        problems.append(f"conversation {cid}: state {actual} but its parts imply {implied}")
    if (conversation["state"] == "snoozed") != (conversation["snoozed_until"] is not None):
        problems.append(
            f"conversation {cid}: state {conversation['state']}, snoozed_until {conversation['snoozed_until']}"
        )
    return problems


def effect(record: Record, answer: dict[str, Any]) -> list[str]:
    """The request's own effect, as its answer shows it."""
    body, parts = record.body or {}, parts_of(answer)
    last = parts[-1] if parts else None
    mine = [p for p in parts if p["body"] == KEY_PREFIX + record.key]
    where = f"{record.op} {record.key} on conversation {record.conversation}"
    problems = []
    if record.op in ("admin_comment", "admin_note", "contact_comment", "assign", "snooze"):
        if record.op == "snooze":
            mine = [last] if last and last["part_type"] == "snoozed" else []
        if len(mine) != 1 or mine[0] is not last:
            problems.append(f"{where}: answered 2xx but its part is not the last of its answer")
    if record.op == "close" and (answer["state"] != "closed" or (mine and mine[0] is not last)):
        problems.append(f"{where}: answered {answer['state']} with parts {[p['part_type'] for p in parts[-3:]]}")
    if record.op == "open" and answer["state"] != "open":
        problems.append(f"{where}: answered state {answer['state']}")
    if record.op == "snooze" and (answer["state"], answer["snoozed_until"]) != ("snoozed", body["snoozed_until"]):
        problems.append(f"{where}: answered {answer['state']} until {answer['snoozed_until']}")
    if record.op == "assign":
        field_name = "admin_assignee_id" if body["type"] == "admin" else "team_assignee_id"
        if _int(answer[field_name]) != int(body["assignee_id"]):
            problems.append(f"{where}: answered {field_name} {answer[field_name]}, asked {body['assignee_id']}")
    if record.op == "update" and (answer["title"] != body["title"] or last is None or last["part_type"] != TITLE_PART):
        problems.append(f"{where}: answered title {answer['title']!r}")
    if record.op == "admin_comment" and answer["waiting_since"] is not None:
        problems.append(f"{where}: an admin's comment left waiting_since {answer['waiting_since']}")
    if record.op == "contact_comment" and (answer["state"] != "open" or answer["waiting_since"] is None):
        problems.append(f"{where}: a contact's comment left {answer['state']}, waiting_since {answer['waiting_since']}")
    return problems


@dataclass
class Verdict:
    acknowledged: int = 0
    unanswered: int = 0
    unanswered_applied: int = 0  # of those, with a key found stored: the kill came after the commit
    lost: int = 0
    conversations: int = 0
    parts: int = 0
    time_inversions: int = 0  # a part dated before the one stored ahead of it (informational)
    moved_during_walk: int = 0  # conversations the list walk missed, updated meanwhile (informational)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.acknowledged} acknowledged, {self.unanswered} unanswered ({self.unanswered_applied} of them "
            f"found applied), lost {self.lost}, "
            f"{self.conversations} conversations with {self.parts} parts, {self.time_inversions} parts dated "
            f"before the part ahead of them, {self.moved_during_walk} moved ahead of the list walk, "
            f"{len(self.problems)} problems" + (f": {self.problems[:3]}" if self.problems else "")
        )


def all_conversations(
    http: Any, known: set[str] | None = None, problems: list[str] | None = None, moved: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Every conversation of the workspace, with its parts: the list walked, then each retrieved.

    ``known``: conversations the records name, retrieved too when the walk did not show them. A
    conversation updated while the pages are walked moves to the front, ahead of the cursor — the
    snooze sweep of any process keeps writing while nothing else does — so a walk can miss it;
    one the walk missed that was last updated before the walk began is a problem of the list."""
    began = int(time.time())
    ids: list[str] = []
    path: str | None = "/conversations?per_page=150"
    while path is not None:
        page = get_json(http, path)
        ids += [c["id"] for c in page["conversations"]]
        cursor = page["pages"].get("next", {}).get("starting_after")
        path = f"/conversations?per_page=150&starting_after={cursor}" if cursor else None
    found = {cid: get_json(http, f"/conversations/{cid}") for cid in ids}
    for cid in sorted((known or set()) - set(found)):
        response = http.get(f"/conversations/{cid}")
        if response.status_code != 200:
            continue  # gone: the records' checks say what that loses
        found[cid] = conversation = response.json()
        parts = parts_of(conversation)
        woken = bool(parts) and parts[-1]["part_type"] == "timer_unsnooze"  # dated when it was due
        if moved is not None:
            moved.append(cid)
        if conversation["updated_at"] < began and not woken and problems is not None:
            problems.append(
                f"conversation {cid} (updated at {conversation['updated_at']}) is not in the list walked from {began}"
            )
    return found


def verify(base: str, records: list[Record]) -> Verdict:
    """Everything the records promise, against the server at ``base`` (no writes in flight)."""
    verdict = Verdict()
    with client(base) as http:
        known = {r.conversation for r in records if r.conversation}
        known |= {
            str(r.response["conversation_id"]) for r in records if r.op == "create_conversation" and r.acknowledged
        }
        moved: list[str] = []
        final = all_conversations(http, known, verdict.problems, moved)
        verdict.moved_during_walk = len(moved)
        tags = {t["id"]: t["name"] for t in get_json(http, "/tags")["data"]}
        contacts_seen = {}
        for r in records:
            if r.op == "create_contact" and r.acknowledged:
                found = http.get(f"/contacts/{r.response['id']}")
                contacts_seen[r.response["id"]] = found.json() if found.status_code == 200 else {}
    verdict.conversations = len(final)
    problems = verdict.problems

    # Every conversation whole; every key written once, and only by a request that was sent.
    sent = Counter(r.key for r in records if r.key)
    where: dict[str, tuple[str, dict[str, Any] | None]] = {}
    for cid, conversation in final.items():
        problems += whole(conversation)
        parts = parts_of(conversation)
        verdict.parts += len(parts)
        verdict.time_inversions += sum(b["created_at"] < a["created_at"] for a, b in itertools.pairwise(parts))
        texts = [(conversation["source"]["body"], None)] + [(p["body"], p) for p in parts]
        for text, part in texts:
            if not (text or "").startswith(KEY_PREFIX):
                continue
            key = text.removeprefix(KEY_PREFIX)
            if key in where:
                problems.append(f"{key} stored twice: conversations {where[key][0]} and {cid}")
            if key not in sent:
                problems.append(f"{key} stored in conversation {cid} but never sent")
            where[key] = (cid, part)

    for record in records:
        if record.status is None:
            verdict.unanswered += 1
            verdict.unanswered_applied += record.key in where
            continue
        if not record.acknowledged:
            problems.append(f"{record.op} {record.key}: answered {record.status}: {str(record.response)[:300]}")
            continue
        verdict.acknowledged += 1
        missing = _missing(record, final, where, tags, contacts_seen, problems)
        if missing:
            verdict.lost += 1
            problems.append(f"LOST {record.op} {record.key}: {missing}")
    problems += stale(records)
    return verdict


def stale(records: list[Record]) -> list[str]:
    """Real-time order: an answer shows every write that was answered before its request was sent
    (all answers being prefixes of one history, comparing their lengths is enough)."""
    by_conversation: dict[str, list[Record]] = {}
    for r in records:
        if (
            r.acknowledged
            and r.conversation
            and isinstance(r.response, dict)
            and r.response.get("type") == "conversation"
        ):
            by_conversation.setdefault(r.conversation, []).append(r)
    problems = []
    for cid, group in by_conversation.items():
        finished = sorted(group, key=lambda r: r.finished)
        i, seen, seen_by = 0, 0, None
        for record in sorted(group, key=lambda r: r.started):
            while i < len(finished) and finished[i].finished < record.started:
                if len(parts_of(finished[i].response)) > seen:
                    seen, seen_by = len(parts_of(finished[i].response)), finished[i]
                i += 1
            shown = len(parts_of(record.response))
            if shown < seen and seen_by is not None:
                problems.append(
                    f"conversation {cid}: {record.op} {record.key} was sent after {seen_by.op} {seen_by.key} "
                    f"was answered with {seen} parts, and answered with {shown}: stale"
                )
    return problems


def _missing(
    record: Record,
    final: dict[str, dict[str, Any]],
    where: dict[str, tuple[str, dict[str, Any] | None]],
    tags: dict[str, str],
    contacts: dict[str, Any],
    problems: list[str],
) -> str | None:
    """Why an acknowledged request is not (fully) present today, or None when it is."""
    answer = record.response
    if record.op == "create_contact":
        return None if contacts.get(answer["id"], {}).get("id") == answer["id"] else "contact missing"
    if record.op in ("list", "search"):
        return None if isinstance(answer, dict) and answer.get("type") == "conversation.list" else "not a list"
    if record.op == "create_tag":
        return None if tags.get(answer["id"]) == answer["name"] else f"tag {answer['id']} missing"
    if record.op == "create_conversation":
        cid = answer["conversation_id"]
        if cid not in final:
            return f"conversation {cid} missing"
        if where.get(record.key, ("", None))[0] != cid:
            return f"conversation {cid} has another source"
        return None
    conversation = final.get(record.conversation or "")
    if conversation is None:
        return f"conversation {record.conversation} missing"
    if record.op == "tag":
        applied = {t["id"]: t["applied_at"] for t in conversation["tags"]["tags"]}
        return None if applied.get(answer["id"]) == answer["applied_at"] else f"tag {answer['id']} not applied"
    # A write answered with the conversation: consistent then, its effect visible, and still the
    # beginning of the conversation's history now.
    if answer.get("id") != record.conversation:
        return f"answered with conversation {answer.get('id')}"
    problems += [f"in the answer to {record.op} {record.key}: {p}" for p in whole(answer)]
    problems += effect(record, answer)
    then, now = parts_of(answer), parts_of(conversation)
    if [signature(p) for p in now[: len(then)]] != [signature(p) for p in then]:
        return "the history it answered with is not the beginning of today's history"
    return None
