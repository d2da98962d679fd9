"""The GitHub adapter: the only package that talks to GitHub's REST API (through PyGithub)."""

from bot.adapters.github.auth import AppAuth

__all__ = ["AppAuth"]
