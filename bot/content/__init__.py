"""Campaign content: typed models, loading and validation."""

from bot.content.loader import Content, ContentError, RenderCheck, check_content, load_content
from bot.content.models import LANGS, Fact, Localized, Topic
from bot.content.reading import Problem

__all__ = [
    "LANGS",
    "Content",
    "ContentError",
    "Fact",
    "Localized",
    "Problem",
    "RenderCheck",
    "Topic",
    "check_content",
    "load_content",
]
