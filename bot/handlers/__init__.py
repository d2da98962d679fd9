"""Webhook handlers, one module per event family, each owning a gidgethub Router."""

from gidgethub.routing import Router

from bot.handlers import checks, comments, pulls, reviews

router = Router(comments.router, checks.router, pulls.router, reviews.router)

__all__ = ["router"]
