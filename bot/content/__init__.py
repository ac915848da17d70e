"""Campaign content: typed models, loading and validation."""

from bot.content.loader import Content, ContentError, Problem, check_content, load_content
from bot.content.models import LANGS, Fact, Localized, Topic

__all__ = [
    "LANGS",
    "Content",
    "ContentError",
    "Fact",
    "Localized",
    "Problem",
    "Topic",
    "check_content",
    "load_content",
]
