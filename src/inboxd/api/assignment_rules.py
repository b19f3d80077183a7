"""`POST /conversations/{id}/run_assignment_rules`: the workspace file's assignment rules, run on
one conversation (operations/assignment_rules.py)."""

from __future__ import annotations

from inboxd.api.conversations import conversation_answer
from inboxd.api.http import Answer, Call, endpoint
from inboxd.operations import assignment_rules


@endpoint(write=True, operation="autoAssignConversation")
def run(call: Call) -> Answer:
    return conversation_answer(call, assignment_rules.run(call.store, call.now, call.path["id"]))
