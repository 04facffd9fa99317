"""deploy/ matches the real entry points: YAML parses; commands, ports, env names, paths agree.

Nothing here runs Docker, compose, Kubernetes or systemd (none is available in CI); it checks
the files against the CLI (typer), `bot/settings.py`, the setup mode and the served routes.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from bot.cli import app as cli_app
from bot.queue import open_queue
from bot.service.server import build_app
from bot.settings import Settings, load_settings
from bot.setup.envfile import CREDENTIAL_KEYS
from bot.stdlib import facts
from bot.webhook.app import WEBHOOK_PATH

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
UNIT = (DEPLOY / "systemd" / "linkname-bot.service").read_text()
YAML_FILES = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml"), ROOT / "app.yml"])
PYTHON_RUNTIME_ENV = {"PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"}
PIP_ENV = re.compile(r"PIP_[A-Z_]+")


def yaml_docs(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def env_names_read_by(path: Path, functions: set[str]) -> set[str]:
    """String literals passed first to `functions` (e.g. get("APP_ID"), _int("PORT", …))."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr) in functions
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and re.fullmatch(r"[A-Z][A-Z0-9_]+", node.args[0].value)
        ):
            names.add(node.args[0].value)
    return names


SETTINGS_ENV = env_names_read_by(ROOT / "bot" / "settings.py", {"get", "_int", "_url", "_seconds"})
KNOWN_ENV = (
    SETTINGS_ENV
    | env_names_read_by(ROOT / "bot" / "setup" / "options.py", {"get"})
    | set(CREDENTIAL_KEYS)
)
SERVE = typer.main.get_command(cli_app).commands["serve"]  # type: ignore[attr-defined]
SERVE_OPTIONS = {opt for param in SERVE.params for opt in param.opts}
PORT = load_settings({}, env_file=None).port


def test_settings_env_names_were_found() -> None:
    assert {"APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET", "QUEUE_URL", "PORT", "HOST"} <= SETTINGS_ENV
    assert {"PUBLIC_URL", "GITHUB_WEB_URL", "ADD_REGISTRY_BUTTON"} <= KNOWN_ENV
    assert PORT == 3000 and {"--host", "--port"} == SERVE_OPTIONS


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_yaml_parses(path: Path) -> None:
    assert yaml_docs(path)


def check_serve(argv: list[str]) -> dict[str, str]:
    """`argv` runs `linkname-bot serve` with real options; returns them."""
    assert Path(argv[0]).name == "linkname-bot", argv
    assert argv[1] == "serve", argv
    options = dict(zip(argv[2::2], argv[3::2], strict=True))
    assert set(options) <= SERVE_OPTIONS, argv
    if "--port" in options:
        assert int(options["--port"]) == PORT
    return options


def test_dockerfile() -> None:
    assert len(re.findall(r"^FROM ", DOCKERFILE, re.M)) >= 2  # multi-stage
    (user,) = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert user not in ("root", "0")
    (cmd,) = re.findall(r"^CMD (\[.*\])$", DOCKERFILE, re.M)
    assert check_serve(json.loads(cmd)) == {"--host": "0.0.0.0"}
    assert re.search(rf"^EXPOSE {PORT}$", DOCKERFILE, re.M)
    healthcheck = DOCKERFILE[DOCKERFILE.index("HEALTHCHECK") :]
    assert "/healthz" in healthcheck.split('\nCMD ["linkname')[0]
    assert f"'PORT', '{PORT}'" in healthcheck
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE, re.M):
        for name in source.split():
            assert (ROOT / name).exists(), name
    # the standard-library facts are read next to the sources: the image keeps them together
    assert facts.REGISTRY == ROOT / "registry" / "stdlib"
    assert "COPY registry ./registry" in DOCKERFILE and "pip install -e ." in DOCKERFILE
    for name in re.findall(r"^\s*(?:ENV\s+)?([A-Z_]+)=", DOCKERFILE, re.M):
        assert name in KNOWN_ENV | PYTHON_RUNTIME_ENV or PIP_ENV.fullmatch(name), name


def test_compose() -> None:
    (compose,) = yaml_docs(DEPLOY / "compose.yaml")
    services = compose["services"]
    assert set(services) == {"web", "worker", "redis"}
    for name in ("web", "worker"):
        service = services[name]
        check_serve(service["command"])
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
        environment = service["environment"]
        assert environment["QUEUE_URL"] == "redis://redis:6379/0"
        assert set(environment) <= KNOWN_ENV
        assert "/var/lib/linkname-bot" in DOCKERFILE  # the state volume is the working dir
        assert any(v.endswith(":/var/lib/linkname-bot") for v in service["volumes"])
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["web"]["ports"] == [f"{PORT}:{PORT}"]
    assert "ports" not in services["worker"]
    assert services["redis"]["image"].startswith("redis:")


def k8s_objects() -> dict[tuple[str, str], dict[str, Any]]:
    objects = {}
    for path in (DEPLOY / "kubernetes").glob("*.yaml"):
        for doc in yaml_docs(path):
            objects[(doc["kind"], doc["metadata"]["name"])] = doc
    return objects


def test_kubernetes() -> None:
    objects = k8s_objects()
    deployment = objects[("Deployment", "linkname-bot")]
    pod = deployment["spec"]["template"]
    assert (
        deployment["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    )
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["spec"]["containers"]
    check_serve(container["command"])
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": PORT}
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    env = {e["name"]: e for e in container["env"]}
    assert set(env) <= KNOWN_ENV
    assert env["QUEUE_URL"]["value"] == "redis://redis:6379/0"
    secret = objects[("Secret", "linkname-bot")]
    for name in ("APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET"):
        ref = env[name]["valueFrom"]["secretKeyRef"]
        assert ref["name"] == "linkname-bot" and ref["key"] in secret["stringData"]
    assert set(secret["stringData"]) <= KNOWN_ENV
    settings = load_settings(secret["stringData"], env_file=None)  # the example's shape loads
    assert settings.configured and settings.private_key and "\\n" not in settings.private_key
    service = objects[("Service", "linkname-bot")]
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    assert service["spec"]["ports"][0]["targetPort"] in ports
    redis = objects[("Service", "redis")]
    assert redis["spec"]["ports"][0]["port"] == 6379


def unit_values(key: str) -> list[str]:
    return re.findall(rf"^{key}=(.*)$", UNIT, re.M)


def test_systemd_unit() -> None:
    (exec_start,) = unit_values("ExecStart")
    argv = shlex.split(exec_start)
    check_serve(argv)
    (workdir,) = unit_values("WorkingDirectory")
    assert argv[0] == f"{workdir}/.venv/bin/linkname-bot"  # the Makefile's VENV
    assert "VENV   ?= .venv" in (ROOT / "Makefile").read_text()
    (env_file,) = unit_values("EnvironmentFile")
    assert env_file.lstrip("-") == f"{workdir}/.env"  # where load_settings and setup look
    assert unit_values("User") == ["linkname"]


def test_served_paths_exist() -> None:
    app = build_app(Settings(), queue=open_queue("memory://"), stdlib=None)
    paths = {getattr(route, "path", None) for route in app.routes}
    assert {"/healthz", WEBHOOK_PATH, "/", "/setup/callback"} <= paths
    manifest = yaml_docs(ROOT / "app.yml")[0]
    assert manifest["hook_attributes"]["url"].endswith(WEBHOOK_PATH)
    assert manifest["redirect_url"].endswith("/setup/callback")


def test_readme_covers_each_way_and_is_honest() -> None:
    readme = (DEPLOY / "README.md").read_text()
    for heading in ("Docker", "Docker Compose", "Kubernetes", "systemd", "not run"):
        assert heading in readme
    assert "no Docker engine" in readme
