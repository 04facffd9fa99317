"""Setup mode's own settings: where the App is reached and what its manifest asks for."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.settings import Settings, read_env_file
from bot.setup.manifest import github_web_url, public_base_url

_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SetupOptions:
    """Setup mode's own settings (environment over ``.env``, like ``bot.settings``).

    ``PUBLIC_URL``: the base URL GitHub and browsers reach this server at (default: the URL the
    setup page was opened at). ``GITHUB_WEB_URL``: GitHub's web URL (default: derived from
    ``GITHUB_API_URL``). ``ADD_REGISTRY_BUTTON=1``: ask for ``contents: write``.
    ``RELEASE_ISSUES=1``: ask for ``issues: write`` (re-checks open release issues).
    ``SETUP_OVERWRITE_ENV=1``: replace App credentials already in ``.env`` (kept as ``.env.bak``).
    """

    env_file: Path
    api_url: str
    web_url: str
    public_url: str | None = None
    add_registry_button: bool = False
    release_issues: bool = False
    overwrite_env: bool = False

    @classmethod
    def load(
        cls,
        settings: Settings,
        environ: Mapping[str, str] | None = None,
        env_file: str | Path = ".env",
    ) -> SetupOptions:
        values = dict(read_env_file(env_file))
        values.update(os.environ if environ is None else environ)
        get = {k: v.strip() for k, v in values.items() if v.strip()}.get
        public = get("PUBLIC_URL")
        return cls(
            env_file=Path(env_file),
            api_url=settings.github_api_url,
            web_url=github_web_url(settings.github_api_url, get("GITHUB_WEB_URL")),
            public_url=public_base_url(public) if public else None,
            add_registry_button=get("ADD_REGISTRY_BUTTON", "").lower() in _TRUE,
            release_issues=get("RELEASE_ISSUES", "").lower() in _TRUE,
            overwrite_env=get("SETUP_OVERWRITE_ENV", "").lower() in _TRUE,
        )
