"""Journeys as plain data: each module owns one journey's steps, how a user moves between
them, what each screen says and offers (:mod:`bot.screens`), and the buttons it declares
(:mod:`bot.callbacks`). Nothing here imports ``telegram``: handlers in ``bot/telegram/handlers``
unpack an update, call a flow, write what it decides through storage and render its screen.
"""
