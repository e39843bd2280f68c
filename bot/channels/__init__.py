"""The channels: each translates its world to the core (`bot.service.Rehabbot`) and back.

`console` (and `guide`) for the terminal, `telegram` for the Telegram bot.
"""
