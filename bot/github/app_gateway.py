"""App-level calls (JWT): installations and webhook deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .models import Delivery, Installation, Repository
from .transport import Requester


@dataclass(frozen=True)
class AppInfo:
    """What the status page shows of the App."""

    name: str
    slug: str
    html_url: str
    owner: str
    owner_is_org: bool


class AppGateway:
    """Calls made as the App itself, not as an installation."""

    def __init__(self, requester: Requester) -> None:
        self.requester = requester

    async def repo_installation(self, owner: str, repo: str) -> int:
        """Installation id of the App on `owner/repo` (NotFound if not installed)."""
        data = await self.requester.json(
            "GET", "GET /repos/{owner}/{repo}/installation", f"/repos/{owner}/{repo}/installation"
        )
        return int(data["id"])

    async def app_info(self) -> AppInfo:
        """The App itself (``GET /app``): name, slug, owner and public page."""
        data = await self.requester.json("GET", "GET /app", "/app")
        owner = data.get("owner") or {}
        return AppInfo(
            name=str(data.get("name") or data.get("slug") or ""),
            slug=str(data.get("slug") or ""),
            html_url=str(data.get("html_url") or ""),
            owner=str(owner.get("login") or ""),
            owner_is_org=owner.get("type") == "Organization",
        )

    async def list_deliveries(self, since: datetime) -> list[Delivery]:
        """Deliveries at or after `since` (aware datetime), newest first; pages by cursor."""
        found: list[Delivery] = []
        url: str | None = "/app/hook/deliveries"
        params: dict[str, int] | None = {"per_page": 100}
        while url is not None:
            response = await self.requester.request(
                "GET", "GET /app/hook/deliveries", url, params=params
            )
            page = [Delivery.from_json(item) for item in response.json()]
            found.extend(d for d in page if d.delivered_at >= since)
            if not page or page[-1].delivered_at < since:
                break
            url = response.links.get("next", {}).get("url")
            params = None
        return found

    async def redeliver(self, delivery_id: int) -> None:
        """Ask GitHub to send delivery `delivery_id` again (202)."""
        await self.requester.request(
            "POST",
            "POST /app/hook/deliveries/{id}/attempts",
            f"/app/hook/deliveries/{delivery_id}/attempts",
        )

    async def installations(self) -> list[Installation]:
        """Every installation of the App (`GET /app/installations`, 100 a page)."""
        items = await self.requester.paginate(
            "GET /app/installations", "/app/installations", params={"per_page": 100}
        )
        return [Installation.from_json(item) for item in items]


async def installation_repositories(requester: Requester) -> list[Repository]:
    """The repositories an installation can access (`GET /installation/repositories`, an
    installation token's call; its pages are objects with a `repositories` list)."""
    found: list[Repository] = []
    url: str | None = "/installation/repositories"
    params: dict[str, int] | None = {"per_page": 100}
    while url is not None:
        response = await requester.request(
            "GET", "GET /installation/repositories", url, params=params
        )
        found += [Repository.from_json(r) for r in response.json().get("repositories", [])]
        url = response.links.get("next", {}).get("url")
        params = None
    return found
