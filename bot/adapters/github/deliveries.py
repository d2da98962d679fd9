"""The App's recent webhook deliveries as GitHub recorded them, and GitHub's "Redeliver".

GitHub never sends a failed delivery again by itself. Comparing its record with ours finds
the deliveries that never reached a queue (the web app was down, Redis was away, or a crash
lost what it had accepted), and asking GitHub to deliver them again brings them back under
their own GUID, so a delivery that did arrive after all is dropped as a repeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.adapters.github.auth import AppAuth
from bot.errors import GitHubAuthError

PER_PAGE = 100


@dataclass(frozen=True)
class DeliveryRecord:
    id: int
    guid: str
    event: str
    action: str | None
    status_code: int  # 0: no answer (a timeout, a refused connection)
    delivered_at: float  # epoch seconds
    redelivery: bool


def recent_deliveries(auth: AppAuth) -> list[DeliveryRecord]:
    """The newest page of the App's deliveries (GitHub keeps three days of them)."""
    response = auth.as_app("GET", "/app/hook/deliveries", params={"per_page": PER_PAGE})
    if response.status_code != 200:
        raise GitHubAuthError(
            f"GitHub answered {response.status_code} to the list of deliveries",
            status=response.status_code,
        )
    return [
        DeliveryRecord(
            id=int(item["id"]),
            guid=str(item["guid"]),
            event=str(item["event"]),
            action=item.get("action"),
            status_code=int(item.get("status_code") or 0),
            delivered_at=datetime.fromisoformat(item["delivered_at"]).timestamp(),
            redelivery=bool(item.get("redelivery")),
        )
        for item in response.json()
    ]


def redeliver(auth: AppAuth, delivery_id: int) -> None:
    """Ask GitHub to send the delivery again, with its own GUID."""
    response = auth.as_app("POST", f"/app/hook/deliveries/{delivery_id}/attempts")
    if response.status_code != 202:
        raise GitHubAuthError(
            f"GitHub answered {response.status_code} to a redelivery of {delivery_id}",
            status=response.status_code,
        )
