"""Telegram handlers: unpack the update, call plain functions, render from content, reply."""
