"""Webhook handlers, one module per event family, each owning a gidgethub Router."""

from gidgethub.routing import Router

from bot.handlers import comments, reviews

router = Router(comments.router, reviews.router)

__all__ = ["router"]
