"""Slash commands in pull request comments (Prow conventions) and who may use them."""

from __future__ import annotations

import re
from enum import StrEnum

from bot.queue.jobs import TRUSTED_ASSOCIATIONS


class Command(StrEnum):
    RECHECK = "recheck"
    HELP = "help"


class Authorisation(StrEnum):
    """What to do with a comment's command, decided from the webhook payload alone."""

    IGNORE_BOT = "ignore-bot"  # bots, the App itself included (its login ends in [bot])
    IGNORE_EDIT = "ignore-edit"  # edited (or deleted) comments: commands run once, on creation
    ALLOW = "allow"  # OWNER / MEMBER / COLLABORATOR
    ASK_PERMISSION_API = "ask-permission-api"  # the worker asks the collaborator-permission API


HELP = """\
> /linkname help

linkname-bot reviews the `//go:linkname` directives a pull request adds or changes.

Commands, each on a line of its own, outside code blocks and quotes:

- `/linkname recheck`: review this pull request again at its current head (needs write access).
- `/linkname help`: this message.
"""

_COMMAND = re.compile(r" {0,3}/linkname[ \t]+(?P<name>recheck|help)[ \t]*")
_QUOTE = re.compile(r" {0,3}>")
_FENCE_OPEN = re.compile(r" {0,3}(?P<fence>`{3,}(?=[^`]*$)|~{3,})")


def parse(body: str | None) -> Command | None:
    """The first command at the start of a line, outside fenced code blocks and quotes."""
    closing: re.Pattern[str] | None = None  # the end of the fenced block we are in
    for line in (body or "").splitlines():
        if closing is not None:
            if closing.fullmatch(line):
                closing = None
            continue
        if opening := _FENCE_OPEN.match(line):
            fence = opening["fence"]
            closing = re.compile(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*")
            continue
        if _QUOTE.match(line):
            continue
        if command := _COMMAND.fullmatch(line):
            return Command(command["name"])
    return None


def is_bot(login: str, user_type: str) -> bool:
    return user_type == "Bot" or login.endswith("[bot]")


def authorise(
    *, action: str | None, login: str, user_type: str, association: str | None
) -> Authorisation:
    """Who may run a command: bots and edits never; trusted associations at once; others ask."""
    if is_bot(login, user_type):
        return Authorisation.IGNORE_BOT
    if action != "created":
        return Authorisation.IGNORE_EDIT
    if association in TRUSTED_ASSOCIATIONS:
        return Authorisation.ALLOW
    return Authorisation.ASK_PERMISSION_API
