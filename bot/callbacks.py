"""Callback data of inline buttons: each feature's actions, the data a press carries, and the
pattern that recognises it.

Callback data reads ``<feature><version>:<action>[:<argument>]`` — ``guide1:role:faith``,
``pledge1:skip:name``, ``bcast1:send:12-0123456789ab``. A feature declares its actions once,
next to its flow (``GUIDE = Feature("guide", 1)``, ``ROLE = GUIDE.action("role",
argument=True)``); a screen offers ``ROLE.press(role_id)``; the Telegram layer registers one
handler per action, with :attr:`Action.pattern`.

Callback data comes back from Telegram as untrusted text (a client can send anything, or the
data of a message sent long ago), so every pattern is anchored at both ends and matches only
what its action makes: an argument is 1-32 characters of ``a-z 0-9 -``, and the longest data
fits Telegram's 64 bytes (a feature name of at most 8 letters, an action of at most 12
characters: checked when they are declared). Data no pattern matches — forged, or from an
older version — gets the polite "this button is no longer active".

The version belongs to the feature: when the meaning of a feature's data changes, its version
goes up, and the buttons of older messages stop matching instead of doing something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_CALLBACK_BYTES = 64  # Telegram's limit for callback data
ARGUMENT_MAX = 32
ARGUMENT = rf"[a-z0-9-]{{1,{ARGUMENT_MAX}}}"
_ARGUMENT_RE = re.compile(rf"{ARGUMENT}\Z")
_FEATURE_RE = re.compile(r"[a-z]{1,8}\Z")
_ACTION_RE = re.compile(r"[a-z][a-z-]{0,11}\Z")


def is_argument(text: str) -> bool:
    """Whether ``text`` can be a button's argument (and so fits any action's data)."""
    return _ARGUMENT_RE.match(text) is not None


class Feature:
    """A feature's family of buttons: ``name`` and ``version`` make the prefix of their data.

    ``organizers_only``: presses are refused, like forged data, from anyone who is not an
    organizer.
    """

    def __init__(self, name: str, version: int, *, organizers_only: bool = False) -> None:
        if not _FEATURE_RE.match(name) or not 1 <= version <= 9:
            raise ValueError(f"invalid feature {name!r} version {version!r}")
        self.name = name
        self.version = version
        self.organizers_only = organizers_only
        self.actions: list[Action] = []

    @property
    def prefix(self) -> str:
        return f"{self.name}{self.version}"

    def action(self, name: str, *, argument: bool = False, keeps_step: bool = False) -> Action:
        """Declare one of the feature's actions (see :class:`Action`)."""
        if not _ACTION_RE.match(name) or any(a.name == name for a in self.actions):
            raise ValueError(f"invalid or repeated action {name!r} of {self.prefix}")
        action = Action(self, name, argument, keeps_step)
        self.actions.append(action)
        return action

    def __repr__(self) -> str:
        return f"Feature({self.prefix})"


@dataclass(frozen=True, slots=True, eq=False)
class Action:
    """One kind of press, such as ``guide1:role:<id>``.

    ``argument``: the data carries an argument (1-32 characters of ``a-z 0-9 -``).
    ``keeps_step``: the press answers a step awaiting typed input (or sets the step again
    itself), so it does not end it; any other press ends it, and the next text the user types
    is read as a question.
    """

    feature: Feature
    name: str
    argument: bool = False
    keeps_step: bool = False
    pattern: re.Pattern[str] = field(init=False, repr=False)
    data_prefix: str = field(init=False, repr=False)  # ``guide1:role``: data without argument

    def __post_init__(self) -> None:
        # Worked out once: every button of every screen reads it.
        object.__setattr__(self, "data_prefix", f"{self.feature.prefix}:{self.name}")
        tail = f":(?P<arg>{ARGUMENT})" if self.argument else ""
        pattern = re.compile(rf"{re.escape(self.data_prefix)}{tail}\Z")
        object.__setattr__(self, "pattern", pattern)

    @property
    def longest(self) -> int:
        """The length in bytes of this action's longest data (at most 55: see the module)."""
        return len(self.data_prefix) + (1 + ARGUMENT_MAX if self.argument else 0)

    def press(self, argument: str | None = None) -> Press:
        """The press of this action with ``argument``; ValueError if the data would not be
        recognised (a missing, unexpected or malformed argument)."""
        if (argument is not None) != self.argument or (
            argument is not None and not is_argument(argument)
        ):
            raise ValueError(f"invalid argument {argument!r} for {self.data_prefix}")
        return Press(self, argument)


@dataclass(frozen=True, slots=True)
class Press:
    """What pressing a button does: an action and its argument. Build it with
    :meth:`Action.press`."""

    action: Action
    argument: str | None = None

    def data(self) -> str:
        """The callback data this press carries."""
        prefix = self.action.data_prefix
        return prefix if self.argument is None else f"{prefix}:{self.argument}"
