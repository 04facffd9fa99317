"""Slash-command parsing and the authorisation decision."""

from __future__ import annotations

import pytest

from bot.webhook.commands import Authorisation, Command, authorise, parse


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/linkname recheck", Command.RECHECK),
        ("/linkname help", Command.HELP),
        ("/linkname recheck  \r\n", Command.RECHECK),
        ("Thanks!\r\n\r\n/linkname recheck\r\n", Command.RECHECK),
        ("   /linkname recheck", Command.RECHECK),  # up to 3 spaces: still a paragraph
        ("/linkname  \thelp", Command.HELP),
        ("/linkname help\n/linkname recheck", Command.HELP),  # the first one wins
        # fenced code blocks, any fence of 3 or more, closed by the same kind, at least as long
        ("```\n/linkname recheck\n```", None),
        ("~~~\n/linkname recheck\n~~~", None),
        ("```go\n/linkname recheck\n```\n/linkname help", Command.HELP),
        ("`````\n```\n/linkname recheck\n`````\n/linkname help", Command.HELP),
        ("````\n```\n/linkname recheck\n````", None),
        ("~~~\n```\n/linkname recheck\n~~~", None),  # ``` does not close ~~~
        ("```\n~~~\n/linkname recheck\n```\n/linkname help", Command.HELP),
        ("```\nunclosed\n/linkname recheck", None),  # an unclosed fence runs to the end
        ("``\n/linkname recheck", Command.RECHECK),  # two backticks are no fence
        ("  ```\n/linkname recheck\n  ```\n", None),
        # quotes, indented code, mid-line mentions
        ("> /linkname recheck", None),
        (">/linkname recheck", None),
        ("> quoted\n> /linkname recheck", None),
        ("    /linkname recheck", None),
        ("\t/linkname recheck", None),
        ("please run /linkname recheck", None),
        ("`/linkname recheck`", None),
        # not a command
        ("/linkname", None),
        ("/linkname rechecked", None),
        ("/linkname recheck now", None),
        ("/linkname foo", None),
        ("/linknamerecheck", None),
        ("/LINKNAME RECHECK", None),
        ("", None),
        (None, None),
    ],
)
def test_parse(body: str | None, expected: Command | None) -> None:
    assert parse(body) == expected


@pytest.mark.parametrize(
    ("action", "login", "user_type", "association", "expected"),
    [
        ("created", "alice", "User", "OWNER", Authorisation.ALLOW),
        ("created", "alice", "User", "MEMBER", Authorisation.ALLOW),
        ("created", "alice", "User", "COLLABORATOR", Authorisation.ALLOW),
        ("created", "alice", "User", "CONTRIBUTOR", Authorisation.ASK_PERMISSION_API),
        ("created", "alice", "User", "FIRST_TIME_CONTRIBUTOR", Authorisation.ASK_PERMISSION_API),
        ("created", "alice", "User", "NONE", Authorisation.ASK_PERMISSION_API),
        ("created", "alice", "User", None, Authorisation.ASK_PERMISSION_API),
        ("created", "dependabot[bot]", "Bot", "NONE", Authorisation.IGNORE_BOT),
        ("created", "renovate", "Bot", "OWNER", Authorisation.IGNORE_BOT),
        ("created", "linkname-bot[bot]", "User", "MEMBER", Authorisation.IGNORE_BOT),
        ("edited", "alice", "User", "OWNER", Authorisation.IGNORE_EDIT),
        ("deleted", "alice", "User", "OWNER", Authorisation.IGNORE_EDIT),
    ],
)
def test_authorise(
    action: str, login: str, user_type: str, association: str | None, expected: Authorisation
) -> None:
    assert (
        authorise(action=action, login=login, user_type=user_type, association=association)
        is expected
    )
