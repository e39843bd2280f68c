"""The web channel: the same core as the console and Telegram, as accessible web pages.

`app` builds the Starlette application, `chat` is what one chat action does to a session,
`sessions` keeps the conversations in memory, and `serve` runs it with uvicorn (alone, or
beside the Telegram bot in one process).
"""
