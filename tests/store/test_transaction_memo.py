"""What a transaction remembers of its own reads (store/memo.py): a batch of writes asks
once whether its token is live and who its admin is, and never carries that into the next
transaction, where the answer may have changed."""

from __future__ import annotations

from inboxd.domain.contacts import new_contact
from inboxd.store import access_tokens
from inboxd.store.memo import memo
from inboxd.store.scope import Store
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import token_digest, workspace_for_digest
from tests.conftest import ACME_TOKEN, T0


def test_a_token_revoked_between_transactions_is_refused_in_the_next(engine):
    digest = token_digest(ACME_TOKEN)
    with transaction(engine, write=True) as conn:
        workspace = workspace_for_digest(conn, digest)
        assert workspace is not None
        assert access_tokens.is_live(conn, digest, workspace.id)
        assert access_tokens.is_live(conn, digest, workspace.id)  # remembered
        assert not access_tokens.is_live(conn, digest, workspace.id + 1)  # another workspace: no
    with transaction(engine, write=True) as conn:
        assert access_tokens.revoke(conn, ACME_TOKEN, T0) is not None
    for _ in range(3):  # whichever pooled connection the next transaction gets
        with transaction(engine, write=True) as conn:
            assert not access_tokens.is_live(conn, digest, workspace.id)


def test_nothing_is_remembered_outside_a_transaction_or_into_the_next(engine):
    with engine.connect() as conn:
        assert memo(conn) is None
    for _ in range(3):  # pooled connections come back: each transaction starts with nothing
        with transaction(engine, write=False) as conn:
            remembered = memo(conn)
            assert remembered == {}
            remembered["something"] = True


def test_a_remembered_admin_is_a_copy_each_time(engine):
    with transaction(engine, write=True) as conn:
        store = Store(conn, 1)
        admin = store.admins.require(store.admins.list()[0]["id"])
        admin["name"] = "changed by a caller"
        assert store.admins.require(admin["id"])["name"] != "changed by a caller"
        assert store.admins.get(999_999) is None
        assert store.admins.get(999_999) is None


def test_a_read_transaction_reads_each_contact_once_and_a_write_every_time(engine):
    with transaction(engine, write=True) as conn:
        contact = new_contact({"email": "memo@example.test"}, T0)
        Store(conn, 1).contacts.insert(contact)
    first = contact["id"]
    with transaction(engine, write=False) as conn:
        store = Store(conn, 1)
        assert set(store.contacts.many([first, "nobody"])) == {first}
        remembered = memo(conn)
        assert remembered is not None
        assert remembered[(("contact", 1), first)]["id"] == first
        assert remembered[(("contact", 1), "nobody")] is None  # known to be absent
        assert set(store.contacts.many([first])) == {first}
    with transaction(engine, write=True) as conn:
        store = Store(conn, 1)
        store.contacts.many([first])
        assert not any(isinstance(key, tuple) and key[0] == ("contact", 1) for key in memo(conn) or {})
