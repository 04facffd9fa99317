"""GitHub App credentials and clients: JWT for the App, cached tokens per installation."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
from githubkit import AppAuthStrategy, AppInstallationAuthStrategy, GitHub
from githubkit.cache import MemCacheStrategy

from .app_gateway import AppGateway
from .gateway import RepoGateway
from .pacing import Clock, Pacer, PacerFactory, Sleep, WritePacer
from .retry import RetryPolicy
from .transport import MetricHook, RateLimitHook, Requester

DEFAULT_API_URL = "https://api.github.com"


def graphql_url(api_url: str) -> str:
    """GraphQL endpoint of a REST base URL, as GitHub lays them out.

    `https://api.github.com` → `https://api.github.com/graphql`;
    GHES `https://ghe.example.com/api/v3` → `https://ghe.example.com/api/graphql`.
    """
    base = api_url.rstrip("/")
    if base.endswith("/api/v3"):
        return base.removesuffix("/v3") + "/graphql"
    return base + "/graphql"


@dataclass(frozen=True)
class AppCredentials:
    app_id: int | str
    private_key: str = field(repr=False)
    api_url: str = DEFAULT_API_URL

    @property
    def graphql_url(self) -> str:
        return graphql_url(self.api_url)


@dataclass(frozen=True)
class ClientOptions:
    """Retry policy, write pacing (seconds between writes per installation; 0: off), timeout.

    `pacers` builds each installation's pacer; by default each process paces its own writes.
    """

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    write_interval: float = 1.0
    timeout: float = 30.0
    user_agent: str = "linkname-bot"
    on_request: MetricHook | None = None
    on_rate_limit: RateLimitHook | None = None
    sleep: Sleep = asyncio.sleep
    clock: Clock | None = None
    pacers: PacerFactory | None = None


class SharedTransport(httpx.AsyncBaseTransport):
    """One connection pool for every request of an App.

    githubkit opens and closes an httpx client per request outside `async with`; closing
    this wrapper does nothing, so connections (and the TLS context) are kept. `aclose_pool()`
    really closes.
    """

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        return None

    async def aclose_pool(self) -> None:
        await self._inner.aclose()


class GitHubApp:
    """One GitHub App: an App-level (JWT) requester and installation requesters.

    The installation-token cache belongs to this object (githubkit's default cache is
    process-global): tokens are reused until a minute before `expires_at`, and two Apps in
    one process never see each other's tokens.
    """

    def __init__(self, credentials: AppCredentials, options: ClientOptions | None = None) -> None:
        self.credentials = credentials
        self.options = options or ClientOptions()
        self.cache = MemCacheStrategy()
        self._installations: dict[int, Requester] = {}
        self._app: Requester | None = None
        self.transport = SharedTransport()

    def _github(self, auth: AppAuthStrategy | AppInstallationAuthStrategy) -> GitHub[Any]:
        return GitHub(
            auth,
            base_url=self.credentials.api_url,
            user_agent=self.options.user_agent,
            timeout=httpx.Timeout(self.options.timeout),
            cache_strategy=self.cache,
            async_transport=self.transport,
            http_cache=False,
            auto_retry=False,
        )

    def _pacer(self, installation_id: int | None, interval: float) -> Pacer:
        opts = self.options
        if opts.pacers is not None and installation_id is not None and interval > 0:
            return opts.pacers(installation_id, interval)
        if opts.clock is not None:
            return WritePacer(interval, clock=opts.clock, sleep=opts.sleep)
        return WritePacer(interval, sleep=opts.sleep)

    def _requester(
        self, github: GitHub[Any], interval: float, installation_id: int | None = None
    ) -> Requester:
        opts = self.options
        pacer = self._pacer(installation_id, interval)
        return Requester(
            github,
            graphql_url=self.credentials.graphql_url,
            retry=opts.retry,
            pacer=pacer,
            on_request=opts.on_request,
            sleep=opts.sleep,
            on_rate_limit=opts.on_rate_limit,
        )

    def app(self) -> Requester:
        """Requester authenticated as the App itself (JWT)."""
        if self._app is None:
            auth = AppAuthStrategy(self.credentials.app_id, self.credentials.private_key)
            self._app = self._requester(self._github(auth), 0.0)
        return self._app

    def installation(self, installation_id: int) -> Requester:
        """Requester for one installation; writes through it are paced together."""
        if installation_id not in self._installations:
            auth = AppInstallationAuthStrategy(
                self.credentials.app_id, self.credentials.private_key, installation_id
            )
            self._installations[installation_id] = self._requester(
                self._github(auth), self.options.write_interval, installation_id
            )
        return self._installations[installation_id]

    def repo(
        self, installation_id: int, owner: str, repo: str, *, blob_batch: int = 50
    ) -> RepoGateway:
        """Gateway for `owner/repo` through installation `installation_id`."""
        return RepoGateway(self.installation(installation_id), owner, repo, blob_batch=blob_batch)

    def gateway(self) -> AppGateway:
        """App-level calls: installations, webhook deliveries."""
        return AppGateway(self.app())

    async def aclose(self) -> None:
        """Close the App's connections."""
        await self.transport.aclose_pool()
