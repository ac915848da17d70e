"""The bot's shipped content, installed with it as ``bot.bundled_content``.

This file only lets Python install this directory with the bot; the bot reads the YAML files
beside it (and any other file here). Leave it in place.
"""
