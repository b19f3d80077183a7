"""The workspace file (TOML): what a valid one gives, and that each mistake a user can make is
refused with a ConfigError that names the problem and where it is, before anything is applied."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from inboxd.config import ConfigError, WorkspaceFile, load_workspace_file

VALID = """
[[workspaces]]
name = "Acme Corp"
access_tokens = ["acme-token-0001", "acme-token-0002"]

[[workspaces.admins]]
name = "Ada Admin"
email = "Ada@Acme.test"
job_title = "Support lead"

[[workspaces.admins]]
name = "Bob Builder"
email = "bob@acme.test"
away_mode_enabled = true

[[workspaces.teams]]
name = "Support"
admin_emails = ["ada@acme.test", "BOB@acme.test"]

[[workspaces.teams]]
name = "Empty"

[[workspaces]]
name = "Globex"
id_code = "globex_eu"
access_tokens = ["globex-token-1"]

[[workspaces.admins]]
name = "Hank Scorpio"
email = "hank@globex.test"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "workspaces.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problem(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_workspace_file(path)
    message = str(caught.value)
    assert str(path) in message  # the user is told which file
    return message


def one_workspace(admins: str = "", teams: str = "", tokens: str = '["acme-token-0001"]', extra: str = "") -> str:
    return f"""
[[workspaces]]
name = "Acme"
access_tokens = {tokens}
{extra}
{admins}
{teams}
"""


ADA = """
[[workspaces.admins]]
name = "Ada"
email = "ada@acme.test"
"""


def test_valid_file_loads(tmp_path):
    file = load_workspace_file(write(tmp_path, VALID))

    assert isinstance(file, WorkspaceFile)
    acme, globex = file.workspaces
    assert acme.name == "Acme Corp"
    assert acme.code() == "acme-corp"  # derived from the name when the file gives no id_code
    assert acme.access_tokens == ["acme-token-0001", "acme-token-0002"]
    assert [(a.name, a.email, a.job_title, a.away_mode_enabled) for a in acme.admins] == [
        ("Ada Admin", "ada@acme.test", "Support lead", False),
        ("Bob Builder", "bob@acme.test", None, True),
    ]
    # Emails compare case-insensitively: the team names its admins whatever case the file uses.
    assert [(t.name, t.admin_emails) for t in acme.teams] == [
        ("Support", ["ada@acme.test", "bob@acme.test"]),
        ("Empty", []),
    ]
    assert globex.code() == "globex_eu"
    assert globex.teams == []


def test_path_may_be_a_string(tmp_path):
    file = load_workspace_file(str(write(tmp_path, VALID)))

    assert [ws.name for ws in file.workspaces] == ["Acme Corp", "Globex"]


def test_team_naming_an_unknown_admin(tmp_path):
    message = problem(
        tmp_path,
        one_workspace(ADA, '[[workspaces.teams]]\nname = "Support"\nadmin_emails = ["ada@acme.test", "eve@acme.test"]'),
    )

    assert "Support" in message
    assert "eve@acme.test" in message
    assert "unknown admin" in message
    assert "Acme" in message


def test_token_listed_twice_across_workspaces(tmp_path):
    message = problem(
        tmp_path,
        one_workspace(ADA)
        + """
[[workspaces]]
name = "Globex"
access_tokens = ["acme-token-0001"]

[[workspaces.admins]]
name = "Hank"
email = "hank@globex.test"
""",
    )

    assert "access token is listed twice" in message
    assert "acme-token-0001" not in message  # a secret is not echoed into logs


def test_token_listed_twice_in_one_workspace(tmp_path):
    message = problem(tmp_path, one_workspace(ADA, tokens='["acme-token-0001", "acme-token-0001"]'))

    assert "access token is listed twice" in message


def test_missing_admins(tmp_path):
    message = problem(tmp_path, one_workspace())

    assert "admins" in message
    assert "required" in message.lower()
    assert "Acme" in message


def test_empty_admins(tmp_path):
    message = problem(tmp_path, one_workspace(extra="admins = []"))

    assert "admins" in message


def test_missing_tokens(tmp_path):
    message = problem(tmp_path, '[[workspaces]]\nname = "Acme"\n' + ADA)

    assert "access_tokens" in message


@pytest.mark.parametrize("token", ["short", "has a space in it"])
def test_weak_or_malformed_token(tmp_path, token):
    message = problem(tmp_path, one_workspace(ADA, tokens=f'["{token}"]'))

    assert "access_tokens" in message
    assert "8 characters" in message


def test_invalid_toml(tmp_path):
    message = problem(tmp_path, '[[workspaces]]\nname = "Acme\naccess_tokens = ["x"]\n')

    assert "not valid TOML" in message
    assert "line 2" in message


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.toml"

    with pytest.raises(ConfigError, match="does not exist") as caught:
        load_workspace_file(path)
    assert str(path) in str(caught.value)


def test_no_workspaces(tmp_path):
    message = problem(tmp_path, "# nothing here yet\n")

    assert "workspaces" in message


def test_misspelt_key_is_refused_not_ignored(tmp_path):
    # `admin_email` instead of `admin_emails` would otherwise silently give an empty team.
    message = problem(
        tmp_path, one_workspace(ADA, '[[workspaces.teams]]\nname = "Support"\nadmin_email = ["ada@acme.test"]')
    )

    assert "admin_email" in message
    assert "not permitted" in message


def test_admin_email_must_be_an_email(tmp_path):
    message = problem(tmp_path, one_workspace('[[workspaces.admins]]\nname = "Ada"\nemail = "ada-at-acme"'))

    assert "email" in message


def test_two_admins_with_one_email(tmp_path):
    message = problem(
        tmp_path, one_workspace(ADA + '\n[[workspaces.admins]]\nname = "Ada Again"\nemail = "ADA@acme.test"\n')
    )

    assert "share an email" in message


def test_two_teams_with_one_name(tmp_path):
    # The second would silently overwrite the first's membership.
    teams = (
        '[[workspaces.teams]]\nname = "Support"\nadmin_emails = ["ada@acme.test"]\n'
        '[[workspaces.teams]]\nname = "Support"\nadmin_emails = []\n'
    )
    message = problem(tmp_path, one_workspace(ADA, teams))

    assert "two teams share a name" in message


def test_team_former_names_load(tmp_path):
    teams = '[[workspaces.teams]]\nname = "Customer Support"\nformer_names = ["Support", "Helpdesk"]\n'
    file = load_workspace_file(write(tmp_path, one_workspace(ADA, teams)))

    assert file.workspaces[0].teams[0].former_names == ["Support", "Helpdesk"]


@pytest.mark.parametrize(
    "teams",
    [
        # Renaming "Support" into "Care" while another entry still describes "Support".
        '[[workspaces.teams]]\nname = "Care"\nformer_names = ["Support"]\n[[workspaces.teams]]\nname = "Support"\n',
        # Two teams cannot both be the old "Support".
        '[[workspaces.teams]]\nname = "Care"\nformer_names = ["Support"]\n'
        '[[workspaces.teams]]\nname = "Help"\nformer_names = ["Support"]\n',
    ],
)
def test_ambiguous_team_renames(tmp_path, teams):
    message = problem(tmp_path, one_workspace(ADA, teams))

    assert "former name" in message


def test_two_workspaces_with_one_id_code(tmp_path):
    message = problem(
        tmp_path,
        one_workspace(ADA)
        + """
[[workspaces]]
name = "ACME"
access_tokens = ["another-token"]

[[workspaces.admins]]
name = "Ada"
email = "ada@acme.test"
""",
    )

    assert "id_code" in message


def test_invalid_id_code(tmp_path):
    message = problem(tmp_path, one_workspace(ADA, extra='id_code = "Not Valid!"'))

    assert "id_code" in message


def test_every_problem_is_reported_at_once(tmp_path):
    message = problem(
        tmp_path,
        one_workspace(ADA, '[[workspaces.teams]]\nname = "Support"\nadmin_emails = ["eve@acme.test"]')
        + '\n[[workspaces]]\nname = "Globex"\naccess_tokens = ["globex-token-1"]\n',
    )

    assert "eve@acme.test" in message
    assert "Globex" in message and "admins" in message


# -- assignment rules -------------------------------------------------------------------------------

SUPPORT = '[[workspaces.teams]]\nname = "Support"\nadmin_emails = ["ada@acme.test"]\n'


def test_assignment_rules_load_in_order(tmp_path):
    rules = """
[[workspaces.assignment_rules]]
name = "Billing questions"
team = "Support"
round_robin = true
[workspaces.assignment_rules.conditions]
body_contains = [" refund ", "invoice"]
contact_email_domain = ["@BigCorp.com"]
contact_role = ["user", "lead"]
tag = ["VIP"]

[[workspaces.assignment_rules]]
name = "Everything else"
team = "Support"
"""
    file = load_workspace_file(write(tmp_path, one_workspace(ADA, SUPPORT + rules)))

    first, catch_all = file.workspaces[0].assignment_rules
    assert (first.name, first.team, first.round_robin) == ("Billing questions", "Support", True)
    assert first.conditions.model_dump(exclude_none=True) == {
        "body_contains": ["refund", "invoice"],
        "contact_email_domain": ["bigcorp.com"],  # lower-cased, without the "@"
        "contact_role": ["user", "lead"],
        "tag": ["VIP"],
    }
    assert catch_all.round_robin is False
    assert catch_all.conditions.model_dump(exclude_none=True) == {}


def rule_problem(tmp_path, rule: str, teams: str = SUPPORT) -> str:
    return problem(tmp_path, one_workspace(ADA, teams + "\n[[workspaces.assignment_rules]]\n" + rule))


def test_assignment_rule_naming_an_unknown_team(tmp_path):
    message = rule_problem(tmp_path, 'name = "Billing"\nteam = "Billing"\n')

    assert "assignment rule 'Billing' names an unknown team: Billing" in message
    assert "Acme" in message


@pytest.mark.parametrize(
    ("conditions", "complaint"),
    [
        ('body_contain = ["refund"]', "body_contain"),  # a typo would make the rule match everything
        ("body_contains = []", "body_contains"),
        ('tag = [" "]', "blank"),
        ('contact_email_domain = ["ann@bigcorp.com"]', "domains"),
        ('contact_role = ["admin"]', "contact_role"),
    ],
)
def test_bad_assignment_rule_conditions(tmp_path, conditions, complaint):
    message = rule_problem(
        tmp_path, f'name = "R"\nteam = "Support"\n[workspaces.assignment_rules.conditions]\n{conditions}\n'
    )

    assert complaint in message
    assert "assignment_rules" in message


def test_assignment_rules_need_a_name_and_a_team(tmp_path):
    assert "team" in rule_problem(tmp_path, 'name = "R"\n')
    assert "name" in rule_problem(tmp_path, 'team = "Support"\n')


def test_two_assignment_rules_with_one_name(tmp_path):
    message = rule_problem(
        tmp_path, 'name = "R"\nteam = "Support"\n\n[[workspaces.assignment_rules]]\nname = "R"\nteam = "Support"\n'
    )

    assert "two assignment rules share a name" in message
