"""Rehabbot: answers "vem gör vad?" for coordinated rehabilitation in Sweden."""

__version__ = "0.1.0"
