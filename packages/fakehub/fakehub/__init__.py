"""A local GitHub: the REST API over HTTP, real git, signed webhooks."""
