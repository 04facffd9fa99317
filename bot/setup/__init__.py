"""Setup mode: register the GitHub App from ``app.yml`` in the browser and write ``.env``."""

from bot.setup.envfile import EnvFileConfigured, write_credentials
from bot.setup.flow import (
    CALLBACK_PATH,
    ConversionError,
    RegisteredApp,
    SetupFlow,
    SetupOptions,
    StateStore,
    convert_manifest_code,
    setup_routes,
)
from bot.setup.manifest import fill_manifest, github_web_url, load_manifest, new_app_url

__all__ = [
    "CALLBACK_PATH",
    "ConversionError",
    "EnvFileConfigured",
    "RegisteredApp",
    "SetupFlow",
    "SetupOptions",
    "StateStore",
    "convert_manifest_code",
    "fill_manifest",
    "github_web_url",
    "load_manifest",
    "new_app_url",
    "setup_routes",
    "write_credentials",
]
