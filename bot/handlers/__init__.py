"""Webhook handlers, one module per event family, each owning a gidgethub Router."""

from gidgethub.routing import Router

from bot.handlers import comments, pulls

router = Router(comments.router, pulls.router)

__all__ = ["router"]
