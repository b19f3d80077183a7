"""Applying the workspace file, on both engines: idempotent, edits land in place keeping the ids
that clients stored, and tokens map to exactly one workspace. The `engine` fixture has already
applied conftest's file (Acme and Globex) once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select

from inboxd.config import ConfigError, WorkspaceFile
from inboxd.store.tables import access_tokens, admins, team_members, teams, workspaces
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import (
    apply_workspace_file,
    demo_workspace,
    token_digest,
    workspace_for_token,
)
from tests.conftest import ACME_TOKEN, GLOBEX_TOKEN, T0, WORKSPACES

LATER = T0 + 86_400


def snapshot(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table in (workspaces, access_tokens, admins, teams, team_members):
        rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
        out[table.name] = [tuple(row) for row in rows]
    return out


def file_of(*workspace_dicts: dict[str, Any]) -> WorkspaceFile:
    return WorkspaceFile.model_validate({"workspaces": list(workspace_dicts)})


def acme(**changes: Any) -> dict[str, Any]:
    base = WORKSPACES.workspaces[0].model_dump(exclude_none=True)
    return {**base, **changes}


def admin_ids(conn: Connection, code: str) -> dict[str, int]:
    rows = conn.execute(
        select(admins.c.email, admins.c.id)
        .join(workspaces, workspaces.c.id == admins.c.workspace_id)
        .where(workspaces.c.id_code == code)
    )
    return {row.email: row.id for row in rows}


def team_row(conn: Connection, team_id: int) -> Any:
    return conn.execute(select(teams).where(teams.c.id == team_id)).one()


def members(conn: Connection, team_id: int) -> set[int]:
    return {r.admin_id for r in conn.execute(select(team_members.c.admin_id).where(team_members.c.team_id == team_id))}


def others(conn: Connection, workspace_id: int) -> list[tuple[Any, ...]]:
    """Every admin, team and membership outside one workspace."""
    return [
        tuple(row)
        for table in (admins, teams, team_members)
        for row in conn.execute(
            select(table).where(table.c.workspace_id != workspace_id).order_by(*table.primary_key.columns)
        )
    ]


def apply(engine: Engine, file: WorkspaceFile, now: int = LATER) -> list[Any]:
    with transaction(engine, write=True) as conn:
        return apply_workspace_file(conn, file, now)


def test_applying_the_same_file_again_changes_nothing(engine):
    with transaction(engine, write=False) as conn:
        before = snapshot(conn)

    first = apply(engine, WORKSPACES)
    second = apply(engine, WORKSPACES, LATER + 60)

    with transaction(engine, write=False) as conn:
        after = snapshot(conn)
    assert after == before
    assert first == second
    assert [ref.id_code for ref in first] == ["acme", "globex"]
    assert [ref.id for ref in first] == [row[0] for row in before["workspaces"]]
    with transaction(engine, write=False) as conn:
        bots = conn.execute(select(admins.c.workspace_id).where(admins.c.kind == "bot")).scalars().all()
    assert sorted(bots) == sorted(ref.id for ref in first)  # one Operator per workspace, never two


def test_edited_file_updates_in_place_keeping_ids(engine):
    with transaction(engine, write=False) as conn:
        ids_before = admin_ids(conn, "acme")
        support_id = conn.execute(select(teams.c.id).where(teams.c.name == "Support")).scalar_one()
        acme_id = workspace_for_token(conn, ACME_TOKEN).id
        globex_before = others(conn, acme_id)

    edited = file_of(
        acme(
            name="Acme Inc",
            admins=[
                {"name": "Ada Lovelace", "email": "ada@acme.test", "job_title": "Head of support"},
                {"name": "Carol Danvers", "email": "carol@acme.test"},
            ],
            teams=[
                {
                    "name": "Customer Support",
                    "former_names": ["Support"],
                    "admin_emails": ["ada@acme.test", "carol@acme.test"],
                },
                {"name": "Billing", "admin_emails": ["carol@acme.test"]},
            ],
        ),
        WORKSPACES.workspaces[1].model_dump(exclude_none=True),
    )
    refs = apply(engine, edited)
    again = apply(engine, edited, LATER + 60)  # the rename is not repeated, nothing is added

    assert refs == again
    assert refs[0].id == acme_id and refs[0].name == "Acme Inc"
    with transaction(engine, write=False) as conn:
        ids_after = admin_ids(conn, "acme")
        ada = conn.execute(select(admins).where(admins.c.id == ids_before["ada@acme.test"])).one()
        assert ada.name == "Ada Lovelace" and ada.job_title == "Head of support"
        # Bob left the file but stays: he may have authored parts of stored conversations.
        assert ids_after["bob@acme.test"] == ids_before["bob@acme.test"]
        assert {k: v for k, v in ids_after.items() if k != "carol@acme.test"} == ids_before

        support = team_row(conn, support_id)
        assert support.name == "Customer Support"
        assert members(conn, support_id) == {ids_after["ada@acme.test"], ids_after["carol@acme.test"]}
        acme_teams = conn.execute(select(teams.c.name).where(teams.c.workspace_id == acme_id).order_by(teams.c.id))
        assert [row.name for row in acme_teams] == ["Customer Support", "Billing"]
        billing_id = conn.execute(select(teams.c.id).where(teams.c.name == "Billing")).scalar_one()
        assert members(conn, billing_id) == {ids_after["carol@acme.test"]}

        assert conn.execute(select(workspaces.c.name).where(workspaces.c.id == acme_id)).scalar_one() == "Acme Inc"
        assert others(conn, acme_id) == globex_before


def test_renaming_a_team_without_its_former_name_adds_a_new_team(engine):
    # Without `former_names` a new name is a new team; the old one keeps its id and members.
    with transaction(engine, write=False) as conn:
        support_id = conn.execute(select(teams.c.id).where(teams.c.name == "Support")).scalar_one()
        support_members = members(conn, support_id)

    apply(engine, file_of(acme(teams=[{"name": "Helpdesk", "admin_emails": ["ada@acme.test"]}])))

    with transaction(engine, write=False) as conn:
        assert team_row(conn, support_id).name == "Support"
        assert members(conn, support_id) == support_members
        helpdesk = conn.execute(select(teams.c.id).where(teams.c.name == "Helpdesk")).scalar_one()
        assert helpdesk != support_id


def test_token_maps_to_its_workspace(engine):
    with transaction(engine, write=False) as conn:
        acme_ref = workspace_for_token(conn, ACME_TOKEN)
        globex_ref = workspace_for_token(conn, GLOBEX_TOKEN)
        assert acme_ref is not None and globex_ref is not None
        assert (acme_ref.id_code, acme_ref.name) == ("acme", "Acme")
        assert (globex_ref.id_code, globex_ref.name) == ("globex", "Globex")
        assert acme_ref.id != globex_ref.id


@pytest.mark.parametrize("token", ["unknown-token", "", ACME_TOKEN.upper(), ACME_TOKEN + " ", token_digest(ACME_TOKEN)])
def test_unknown_token_maps_to_none(engine, token):
    with transaction(engine, write=False) as conn:
        assert workspace_for_token(conn, token) is None


def test_tokens_are_stored_only_as_hashes(engine):
    with transaction(engine, write=False) as conn:
        stored = {row.token_sha256 for row in conn.execute(select(access_tokens.c.token_sha256))}
    assert stored == {token_digest(ACME_TOKEN), token_digest(GLOBEX_TOKEN)}
    assert ACME_TOKEN not in stored and GLOBEX_TOKEN not in stored


def test_token_of_another_workspace_is_refused(engine):
    initech = {
        "name": "Initech",
        "access_tokens": ["initech-token-1", GLOBEX_TOKEN],
        "admins": [{"name": "Bill Lumbergh", "email": "bill@initech.test"}],
    }
    with pytest.raises(ConfigError, match="already belongs to another workspace"):
        apply(engine, file_of(initech))

    # Nothing of the refused file was kept, and the token still opens Globex.
    with transaction(engine, write=False) as conn:
        assert conn.execute(select(workspaces.c.id_code).order_by(workspaces.c.id)).scalars().all() == [
            "acme",
            "globex",
        ]
        assert workspace_for_token(conn, "initech-token-1") is None
        assert workspace_for_token(conn, GLOBEX_TOKEN).id_code == "globex"


def test_renaming_a_workspace_without_id_code_is_refused_with_a_hint(engine):
    # Its code follows its name, so the renamed entry would be a second workspace holding the token.
    initech = {
        "name": "Initech",
        "access_tokens": ["initech-token-1"],
        "admins": [{"name": "Bill Lumbergh", "email": "bill@initech.test"}],
    }
    apply(engine, file_of(initech))

    with pytest.raises(ConfigError, match="id_code"):
        apply(engine, file_of({**initech, "name": "Initech Ltd"}))

    renamed = apply(engine, file_of({**initech, "name": "Initech Ltd", "id_code": "initech"}))
    with transaction(engine, write=False) as conn:
        ref = workspace_for_token(conn, "initech-token-1")
    assert ref == renamed[0]
    assert ref.name == "Initech Ltd"


def test_token_dropped_from_the_file_is_revoked(engine):
    apply(engine, file_of(acme(access_tokens=["acme-new-token"])))

    with transaction(engine, write=False) as conn:
        assert workspace_for_token(conn, ACME_TOKEN) is None
        assert workspace_for_token(conn, "acme-new-token").id_code == "acme"
        assert workspace_for_token(conn, GLOBEX_TOKEN).id_code == "globex"  # not in this file: untouched


def test_token_added_to_the_file_works_beside_the_old_one(engine):
    apply(engine, file_of(acme(access_tokens=[ACME_TOKEN, "acme-second-token"])))

    with transaction(engine, write=False) as conn:
        assert workspace_for_token(conn, ACME_TOKEN).id_code == "acme"
        assert workspace_for_token(conn, "acme-second-token").id_code == "acme"


def test_demo_workspace_gets_a_fresh_working_token(engine):
    demo, token = demo_workspace()
    _, other_token = demo_workspace()
    assert token != other_token
    assert token in demo.workspaces[0].access_tokens

    apply(engine, demo)

    with transaction(engine, write=False) as conn:
        ref = workspace_for_token(conn, token)
        assert ref is not None and ref.id_code == "demo"
        assert sorted(admin_ids(conn, "demo")) == [
            "ada@demo.inboxd.test",
            "grace@demo.inboxd.test",
            "operator+demo@intercom.io",
        ]
