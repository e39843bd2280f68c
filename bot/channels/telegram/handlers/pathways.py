"""Guided pathways in Telegram: /vagledning, and walking one with buttons.

A walk is a conversation held in one message: each tap edits it to the next
question, back, the start, or the plan. The whole state of the walk is in
the button that was tapped (`g:<pathway>:<shape key>:<choices>`, see
`callbacks.py`), so a walk goes on where it was after a restart of the bot,
with or without a database, and an old message's buttons still mean what
they showed. Data that does not describe a walk of the current pathway
(forged, or from before the pathway was restructured) is refused with a
short notice; nothing else happens.
"""

from __future__ import annotations

import re

from telegram import Message, Update

from bot.channels.telegram.handlers import callbacks as cb
from bot.channels.telegram.handlers import maps, views
from bot.channels.telegram.handlers.common import (
    Context,
    get_prefs,
    match_of,
    message_of,
    query_of,
    send,
    services,
    show,
)
from bot.pathways.walk import Walk, shape_key


async def command(update: Update, context: Context) -> None:
    """/vagledning [number or id]: the list of pathways for the user's mode, or that pathway's first question."""
    prefs = await get_prefs(update, context)
    kb = services(context).rehabbot.kb
    arg = " ".join(context.args or []).strip()
    notice = ""
    if arg:
        pathway = kb.find_pathway(arg, prefs.mode)
        if pathway is not None:
            html, markup = views.walk_message(Walk.start(pathway), kb, prefs)
            await send(message_of(update), html, markup)
            return
        notice = views.say(prefs.lang, "pathway_unknown")
    html, markup = views.pathway_list(kb, prefs, notice)
    await send(message_of(update), html, markup)


def _walk(context: Context, found: re.Match[str]) -> Walk | None:
    """The walk the button describes, or None when it does not fit the knowledge base as it is now."""
    pathway = services(context).rehabbot.kb.pathway(found["id"])
    if pathway is None or shape_key(pathway) != found["key"]:
        return None
    return Walk.follow(pathway, cb.parse_choices(found["choices"]))


async def on_walk(update: Update, context: Context) -> None:
    """`g:…`: a step of a walk (an option, back, start over), in the same message."""
    query = query_of(update)
    prefs = await get_prefs(update, context)
    walk = _walk(context, match_of(context))
    if walk is None:
        await query.answer(views.texts(prefs.lang)["walk_changed"])
        return
    await query.answer()
    html, markup = views.walk_message(walk, services(context).rehabbot.kb, prefs)
    await show(query, html, markup)


async def on_walk_new(update: Update, context: Context) -> None:
    """`gn:<pathway>`: the pathway offered under an answer, started in a new message."""
    query = query_of(update)
    prefs = await get_prefs(update, context)
    kb = services(context).rehabbot.kb
    pathway = kb.pathway(match_of(context)["id"])
    message = query.message if isinstance(query.message, Message) else None
    if pathway is None or message is None:
        await query.answer(views.texts(prefs.lang)["walk_changed"])
        return
    await query.answer()
    html, markup = views.walk_message(Walk.start(pathway), kb, prefs)
    await send(message, html, markup)


async def on_list(update: Update, context: Context) -> None:
    """`gl`: back from the first question to the list of pathways."""
    query = query_of(update)
    prefs = await get_prefs(update, context)
    await query.answer()
    html, markup = views.pathway_list(services(context).rehabbot.kb, prefs)
    await show(query, html, markup)


async def on_cancel(update: Update, context: Context) -> None:
    """`gx`: the walk is cancelled; the message says so and loses its buttons."""
    query = query_of(update)
    prefs = await get_prefs(update, context)
    await query.answer()
    await show(query, views.say(prefs.lang, "walk_cancelled"), None)


async def on_plan(update: Update, context: Context) -> None:
    """`gs:…`: the plan as one message to forward; `gm:…`: the plan on the process map."""
    query = query_of(update)
    prefs = await get_prefs(update, context)
    found = match_of(context)
    walk = _walk(context, found)
    message = query.message if isinstance(query.message, Message) else None
    if walk is None or not walk.finished or message is None:
        await query.answer(views.texts(prefs.lang)["walk_changed"])
        return
    await query.answer()
    kb = services(context).rehabbot.kb
    if found["act"] == cb.SEND_PLAN:
        await send(message, views.plan_message(walk, kb, prefs, context.bot.username))
        return
    caption = views.say(prefs.lang, "map_caption_plan", name=walk.pathway.title_in(prefs.lang))
    await maps.send_map(context, message, prefs, caption, pathway=walk.pathway.id, plan=walk.node_name)
