"""The packages: every package under bot/ is found (a new subpackage cannot silently miss
the wheel), plus the curated knowledge base, which lives at the repository root (admins edit
it there) and ships inside the package as `bot.knowledge`, so `rehabbot` works from any
directory. Everything else is in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["bot", "bot.*"]), "bot.knowledge"],
    package_dir={"bot.knowledge": "knowledge"},
)
