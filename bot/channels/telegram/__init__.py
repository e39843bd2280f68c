"""The Telegram channel: `app` builds python-telegram-bot's Application, `transport` talks to
the Bot API, `run` is `rehabbot run`, and `handlers/` is the conversation. Imports point one way:
handlers → app → transport; `run` on top."""

from bot.channels.telegram.app import Services, bot_commands, build_application
from bot.channels.telegram.transport import file_url_for

__all__ = ["Services", "bot_commands", "build_application", "file_url_for"]
