"""Checks the stand-in's traffic against GitHub's official OpenAPI descriptions.

`OpenAPIConformance` implements `fakehub.hooks.Conformance`. It reads the descriptions as plain
JSON and validates only the schemas a request touches, so that checking every request of a test
run stays cheap (building openapi-core's model of the whole REST description takes ~15 s).
"""

from fakehub.conformance.checker import OpenAPIConformance

__all__ = ["OpenAPIConformance"]
