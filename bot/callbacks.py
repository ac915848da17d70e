"""Callback data of inline buttons: how it is built and how it is parsed.

Callback data comes back from Telegram as untrusted text (a client can send anything), so it is
parsed with anchored patterns into a small closed set of actions; anything else is ``None``.
Every value fits Telegram's 64-byte limit because ids are at most 32 ASCII characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64
ARGUMENT_MAX = 32  # characters of a-z 0-9 - in an action's argument

_PATTERN = re.compile(rf"^(?P<action>[a-z]{{1,8}})(?::(?P<arg>[a-z0-9-]{{1,{ARGUMENT_MAX}}}))?$")

# action -> whether it takes an argument
ACTIONS: dict[str, bool] = {
    "menu": False,  # main menu
    "topics": False,  # list of topics
    "topic": True,  # facts of one topic
    "fact": True,  # one fact card
    "lang": False,  # language menu
    "setlang": True,  # set the language (arg: en | es)
    "help": False,
    "share": False,  # the share screen
    # the pledge
    "pledge": False,  # the pledge screen (or "you already pledged")
    "pyes": False,  # take the pledge
    "pskip": True,  # skip an optional step (arg: name | state)
    "pstate": True,  # choose a state (arg: lowercase USPS code)
    "pupd": True,  # answer "send me updates?" (arg: yes | no)
    "pedit": False,  # change the optional name and state
    "unpl": False,  # ask to withdraw the pledge
    "unply": False,  # withdraw it
    # updates
    "updates": False,
    "sub": False,
    "unsub": False,
    # privacy
    "privacy": False,
    "mydata": False,
    "forget": False,  # ask to delete everything
    "forgety": False,  # delete everything
    "forgetn": False,  # keep everything
    # the comment guide
    "cmt": False,  # open the guide (resume, or start)
    "cnew": False,  # start a new letter after a finished one
    "cgo": False,  # from the introduction to the first step
    "crole": True,  # choose a role (arg: role id)
    "crsn": True,  # toggle a reason (arg: talking point id)
    "cnext": False,  # reasons chosen: next step
    "cskip": True,  # skip an optional step (arg: story | name | place)
    "ckeep": False,  # keep a story that mentions sensitive words
    "cedit": True,  # change a part from the preview (arg: role | reasons | story | sign)
    "cback": False,  # previous step
    "cword": False,  # another wording of the same letter
    "ccont": False,  # preview accepted: the safety note
    "csafe": False,  # safety note read: how to send
    "cpost": False,  # the printable postal letter
    "cout": True,  # the outcome (arg: sent | couldnt | later)
    "cleave": False,  # leave the guide, keeping the draft
    "cdel": False,  # delete the draft
    "cnoloc": False,  # leave the county sentence out of the letter
    # where I live
    "local": False,  # ask for a ZIP code or a state
    "lst": True,  # a state (arg: lowercase USPS code)
    "lzc": True,  # one county of a ZIP that spans several (arg: ZIP-index)
    "lletter": True,  # use this county in my letter (arg: state-county key)
    "llist": True,  # a page of the full list behind an answer (arg: bot.local_lists)
    # organizers only (refused like unknown data for anyone else); every one names its
    # broadcast: "ID-…" where ID is the draft's id
    "obaud": True,  # choose the audience (arg: ID-all | ID-lang-en | ID-lang-es | ID-pns |
    #                 ID-state | ID-source | ID-menu)
    "obst": True,  # choose the state of a state audience (arg: ID-lowercase USPS code)
    "obgo": True,  # send the previewed draft now (arg: ID-the preview's check)
    "obsch": True,  # schedule it; the date is typed (arg: ID-the preview's check)
    "obx": True,  # discard the draft (arg: ID)
    "obstop": True,  # cancel a running or scheduled broadcast (arg: ID)
}

ORGANIZER_ACTIONS = frozenset(action for action in ACTIONS if action.startswith("ob"))


@dataclass(frozen=True, slots=True)
class Callback:
    action: str
    arg: str | None = None

    def data(self) -> str:
        """The callback data string for this action."""
        text = self.action if self.arg is None else f"{self.action}:{self.arg}"
        if parse(text) != self:
            raise ValueError(f"invalid callback {self!r}")
        return text


def parse(data: str | None) -> Callback | None:
    """Parse callback data; ``None`` for anything the bot did not produce."""
    if not data or len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        return None
    match = _PATTERN.match(data)
    if match is None:
        return None
    action, arg = match.group("action"), match.group("arg")
    takes_arg = ACTIONS.get(action)
    if takes_arg is None or takes_arg != (arg is not None):
        return None
    return Callback(action, arg)
