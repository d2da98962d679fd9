"""Signed links to a run's dashboard page: per run, expiring, keyed off the App's secret.

The key is derived from the webhook secret (HMAC with a fixed label), so the secret itself
never signs anything a person sees, and rotating it voids every link. A link names one run and
an expiry; its signature is HMAC-SHA256 over both. Pure: the caller supplies the time.
"""

from __future__ import annotations

import hashlib
import hmac

# Long enough to watch a run and look back at it for a while; a new status comment edit (any
# event, or `/porch status`) posts a fresh link.
LINK_SECONDS = 30 * 24 * 3600
_LABEL = b"porch-parallel dashboard link v1"


def link_key(webhook_secret: str) -> bytes:
    """The signing key for dashboard links, derived from (never equal to) the webhook secret."""
    return hmac.new(webhook_secret.encode(), _LABEL, hashlib.sha256).digest()


def signature(key: bytes, run_id: str, expires: int) -> str:
    return hmac.new(key, f"{run_id}\n{expires}".encode(), hashlib.sha256).hexdigest()


_DAY = 24 * 3600


def signed_query(key: bytes, run_id: str, now: float, seconds: int = LINK_SECONDS) -> str:
    """`exp=…&sig=…` for the run's page, valid at least `seconds` from `now`.

    The expiry is rounded up to a whole day, so the link (and the status comment holding it)
    stays the same through a day's edits.
    """
    expires = -(-(int(now) + seconds) // _DAY) * _DAY
    return f"exp={expires}&sig={signature(key, run_id, expires)}"


def valid(key: bytes, run_id: str, expires: str, sig: str, now: float) -> bool:
    """Whether `sig` signs this run until `expires`, and that time has not passed."""
    if not expires.isdigit() or int(expires) < now or len(expires) > 12:
        return False
    return hmac.compare_digest(signature(key, run_id, int(expires)), sig)


def run_link(public_url: str, key: bytes, run_id: str, now: float) -> str:
    """The signed address of the run's page under the dashboard's public address."""
    return f"{public_url.rstrip('/')}/runs/{run_id}?{signed_query(key, run_id, now)}"
