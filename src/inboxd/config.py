"""Settings from flags and ``INBOXD_*`` variables, and the workspace file (TOML).

The workspace file is how admins, teams and tokens exist at all: Intercom's API cannot create
admins, so inboxd reads them declaratively. Its format is documented in
docs/workspace-file.md.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from inboxd.domain import versions


class ConfigError(Exception):
    """The workspace file cannot be used; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AdminConfig(_Strict):
    name: str = Field(min_length=1)
    email: str = Field(min_length=3)
    job_title: str | None = None
    avatar: str | None = None
    away_mode_enabled: bool = False
    away_mode_reassign: bool = False
    has_inbox_seat: bool = True

    @field_validator("email")
    @classmethod
    def _lower_email(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError("must be an email address")
        return value.strip().lower()


class TeamConfig(_Strict):
    name: str = Field(min_length=1)
    admin_emails: list[str] = Field(default_factory=list)
    # A team is known by its name, so renaming one needs the old name: the team found under a former
    # name is renamed in place and keeps its id (which clients store as an assignee).
    former_names: list[str] = Field(default_factory=list)

    @field_validator("admin_emails")
    @classmethod
    def _lower_emails(cls, value: list[str]) -> list[str]:
        return [email.strip().lower() for email in value]


def _words(values: list[str]) -> list[str]:
    cleaned = [value.strip() for value in values]
    if any(not value for value in cleaned):
        raise ValueError("must not contain blank entries")
    return cleaned


class RuleConditions(_Strict):
    """What an assignment rule looks at; every condition given must hold, and a condition holds when
    any of its values does (docs/workspace-file.md). Unknown keys are refused (a typo would
    otherwise widen the rule to every conversation)."""

    body_contains: list[str] | None = Field(default=None, min_length=1)
    contact_email_domain: list[str] | None = Field(default=None, min_length=1)
    contact_role: list[Literal["user", "lead"]] | None = Field(default=None, min_length=1)
    tag: list[str] | None = Field(default=None, min_length=1)

    @field_validator("body_contains", "tag")
    @classmethod
    def _not_blank(cls, value: list[str] | None) -> list[str] | None:
        return _words(value) if value is not None else None

    @field_validator("contact_email_domain")
    @classmethod
    def _domain(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        domains = [domain.removeprefix("@").lower() for domain in _words(value)]
        if any("@" in domain or "." not in domain for domain in domains):
            raise ValueError("must list domains such as example.com")
        return domains


class AssignmentRuleConfig(_Strict):
    name: str = Field(min_length=1)
    team: str = Field(min_length=1)
    round_robin: bool = False
    conditions: RuleConditions = Field(default_factory=RuleConditions)


class WorkspaceConfig(_Strict):
    name: str = Field(min_length=1)
    # The stable handle of the workspace (Intercom's app `id_code`); derived from the name when absent.
    id_code: str | None = Field(default=None, pattern=r"^[a-z0-9_-]{1,32}$")
    access_tokens: list[str] = Field(min_length=1)
    admins: list[AdminConfig] = Field(min_length=1)
    teams: list[TeamConfig] = Field(default_factory=list)
    # In order: the first rule that matches a conversation assigns it.
    assignment_rules: list[AssignmentRuleConfig] = Field(default_factory=list)
    # The Intercom version a request without an Intercom-Version header is answered in
    # (Intercom: the app's default version, chosen in its Developer Hub).
    default_version: str = versions.DEFAULT

    @field_validator("default_version")
    @classmethod
    def _known_version(cls, value: str) -> str:
        if versions.version_named(value) is None:
            raise ValueError(f"default_version must be one of {', '.join(versions.ACCEPTED)}")
        return value

    @field_validator("access_tokens")
    @classmethod
    def _token_shape(cls, value: list[str]) -> list[str]:
        for token in value:
            if len(token) < 8 or any(ch.isspace() for ch in token):
                raise ValueError("each access token needs at least 8 characters and no spaces")
        return value

    @model_validator(mode="after")
    def _teams_name_known_admins(self) -> WorkspaceConfig:
        emails = {admin.email for admin in self.admins}
        if len(emails) != len(self.admins):
            raise ValueError("two admins share an email")
        names = [team.name for team in self.teams]
        if len(set(names)) != len(names):
            raise ValueError("two teams share a name")
        former = [name for team in self.teams for name in team.former_names]
        if set(former) & set(names) or len(set(former)) != len(former):
            raise ValueError("a team's former name is another team's name, or two teams claim one former name")
        for team in self.teams:
            unknown = [email for email in team.admin_emails if email not in emails]
            if unknown:
                raise ValueError(f"team {team.name!r} names unknown admins: {', '.join(unknown)}")
        rules = [rule.name for rule in self.assignment_rules]
        if len(set(rules)) != len(rules):
            # A rule's round-robin turn is kept across restarts by its name.
            raise ValueError("two assignment rules share a name")
        for rule in self.assignment_rules:
            if rule.team not in names:
                raise ValueError(f"assignment rule {rule.name!r} names an unknown team: {rule.team}")
        return self

    def code(self) -> str:
        if self.id_code:
            return self.id_code
        slug = "".join(ch if ch.isalnum() else "-" for ch in self.name.lower()).strip("-")
        return (slug or "workspace")[:32]


class WorkspaceFile(_Strict):
    workspaces: list[WorkspaceConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> WorkspaceFile:
        codes = [ws.code() for ws in self.workspaces]
        if len(set(codes)) != len(codes):
            raise ValueError("two workspaces have the same id_code (or name)")
        tokens = [token for ws in self.workspaces for token in ws.access_tokens]
        if len(set(tokens)) != len(tokens):
            raise ValueError("an access token is listed twice")
        return self


def load_workspace_file(path: str | Path) -> WorkspaceFile:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"workspace file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"workspace file {path} is not valid TOML: {exc}") from exc
    try:
        return WorkspaceFile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_where(data, err['loc'])}: {_message(err['msg'])}" for err in exc.errors())
        raise ConfigError(f"workspace file {path}: {problems}") from exc


def _where(data: Any, loc: tuple[int | str, ...]) -> str:
    """The error's position (``workspaces.0.admins``) and, when it lies inside a workspace that has
    a name, that name, which is what the user will look for in the file."""
    where = ".".join(str(part) for part in loc) or "(top)"
    if len(loc) >= 2 and loc[0] == "workspaces" and isinstance(loc[1], int):
        try:
            name = data["workspaces"][loc[1]]["name"]
        except (KeyError, IndexError, TypeError):
            name = None
        if isinstance(name, str):
            where = f"workspace {name!r} ({where})"
    return where


def _message(msg: str) -> str:
    return msg.removeprefix("Value error, ")
