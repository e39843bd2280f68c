"""Telegram handlers: thin translations between Telegram updates and the answering core."""
