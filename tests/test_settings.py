"""Settings from the environment and .env: defaults, setup mode, errors naming the variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings, read_env_file

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAfake\n-----END RSA PRIVATE KEY-----\n"
ESCAPED_PEM = PEM.replace("\n", "\\n")
CREDENTIALS = {"APP_ID": "12345", "PRIVATE_KEY": ESCAPED_PEM, "WEBHOOK_SECRET": "hush"}


def load(env: dict[str, str], env_file: Path | None = None) -> Settings:
    return load_settings(env, env_file=env_file)


def error(env: dict[str, str], env_file: Path | None = None) -> SettingsError:
    with pytest.raises(SettingsError) as caught:
        load(env, env_file)
    return caught.value


def test_no_credentials_is_setup_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load({})
    assert not settings.configured
    assert (settings.app_id, settings.private_key, settings.webhook_secret) == (None, None, None)
    assert settings.github_api_url == "https://api.github.com"
    assert settings.graphql_url == "https://api.github.com/graphql"
    assert settings.data_dir == tmp_path.resolve() / "data"
    assert settings.queue_url == f"sqlite:///{tmp_path.resolve()}/data/linkname-bot.db"
    assert settings.queue_url.startswith("sqlite:////")  # an absolute path
    assert (settings.host, settings.port, settings.log_level) == ("127.0.0.1", 3000, "INFO")


def test_full_configuration() -> None:
    settings = load(
        CREDENTIALS
        | {
            "GITHUB_API_URL": "https://ghe.example.com/api/v3/",
            "LOG_LEVEL": "debug",
            "QUEUE_URL": "redis://localhost:6379/0",
            "HOST": "0.0.0.0",
            "PORT": "8080",
            "WORKER_CONCURRENCY": "32",
            "WORKER_PER_INSTALLATION": "4",
        }
    )
    assert (settings.worker_concurrency, settings.worker_per_installation) == (32, 4)
    assert settings.configured
    assert settings.app_id == 12345
    assert settings.private_key == PEM  # \n escapes turned into newlines
    assert settings.webhook_secret == "hush"
    assert settings.github_api_url == "https://ghe.example.com/api/v3"
    assert settings.graphql_url == "https://ghe.example.com/api/graphql"
    assert settings.log_level == "DEBUG"
    assert settings.queue_url == "redis://localhost:6379/0"
    assert (settings.host, settings.port) == ("0.0.0.0", 8080)


@pytest.mark.parametrize(
    ("api", "graphql"),
    [
        ("https://api.github.com", "https://api.github.com/graphql"),
        ("https://api.github.com/", "https://api.github.com/graphql"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/graphql"),
        ("http://localhost:8000/api/v3", "http://localhost:8000/api/graphql"),
        ("https://api.octo.ghe.com", "https://api.octo.ghe.com/graphql"),
    ],
)
def test_graphql_url(api: str, graphql: str) -> None:
    assert Settings(github_api_url=api).graphql_url == graphql


def test_private_key_from_a_file(tmp_path: Path) -> None:
    key = tmp_path / "app.pem"
    key.write_text(PEM)
    env = CREDENTIALS | {"PRIVATE_KEY_PATH": str(key)}
    del env["PRIVATE_KEY"]
    assert load(env).private_key == PEM


def test_secrets_stay_out_of_repr() -> None:
    text = repr(load(CREDENTIALS))
    assert "hush" not in text
    assert "PRIVATE KEY" not in text
    assert "12345" in text


@pytest.mark.parametrize(
    ("env", "variable", "words"),
    [
        ({"APP_ID": "abc"}, "APP_ID", "integer"),
        ({"APP_ID": "0"}, "APP_ID", ">= 1"),
        ({"APP_ID": "12"}, "PRIVATE_KEY", "missing"),
        ({"WEBHOOK_SECRET": "x"}, "APP_ID", "missing"),
        ({"APP_ID": "12", "PRIVATE_KEY": ESCAPED_PEM}, "WEBHOOK_SECRET", "missing"),
        (CREDENTIALS | {"PRIVATE_KEY": "not a key"}, "PRIVATE_KEY", "PEM"),
        (CREDENTIALS | {"PRIVATE_KEY_PATH": "/x.pem"}, "PRIVATE_KEY", "not both"),
        ({"PRIVATE_KEY_PATH": "/nonexistent/app.pem"}, "PRIVATE_KEY_PATH", "cannot read"),
        ({"PORT": "http"}, "PORT", "integer"),
        ({"PORT": "70000"}, "PORT", "1..65535"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL", "DEBUG"),
        ({"GITHUB_API_URL": "api.github.com"}, "GITHUB_API_URL", "http(s) URL"),
        ({"GITHUB_API_URL": "ftp://example.com"}, "GITHUB_API_URL", "http(s) URL"),
        ({"RECOVERY_INTERVAL": "soon"}, "RECOVERY_INTERVAL", "seconds"),
        ({"WORKER_LEASE_SECONDS": "-1"}, "WORKER_LEASE_SECONDS", ">= 0"),
        ({"GITHUB_WRITE_INTERVAL": "nan"}, "GITHUB_WRITE_INTERVAL", ">= 0"),
        ({"RECHECK_INTERVAL": "inf"}, "RECHECK_INTERVAL", ">= 0"),
        ({"REGISTRY_DIR": "/nonexistent/facts"}, "REGISTRY_DIR", "MANIFEST.json"),
        ({"WORKER_PER_INSTALLATION": "0"}, "WORKER_PER_INSTALLATION", "1..256"),
    ],
)
def test_errors_name_the_variable(env: dict[str, str], variable: str, words: str) -> None:
    problem = error(env)
    assert problem.variable == variable
    assert str(problem).startswith(f"{variable}: ")
    assert words in str(problem)


def test_a_bad_key_is_not_echoed(tmp_path: Path) -> None:
    key = tmp_path / "app.pem"
    key.write_text("-----BEGIN RSA PRIVATE KEY-----\nsecret-material\n")  # truncated
    env = CREDENTIALS | {"PRIVATE_KEY_PATH": str(key)}
    del env["PRIVATE_KEY"]
    problem = error(env)
    assert problem.variable == "PRIVATE_KEY_PATH"
    assert "secret-material" not in str(problem)


def test_empty_values_count_as_unset() -> None:
    settings = load({"APP_ID": "", "PRIVATE_KEY": " ", "WEBHOOK_SECRET": "", "PORT": ""})
    assert not settings.configured
    assert settings.port == 3000


# .env


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# written by the setup flow\n"
        "APP_ID=12345\n"
        f'PRIVATE_KEY="{ESCAPED_PEM}"\n'
        "export WEBHOOK_SECRET='from file'\n"
        "PORT=4000 # comment\n"
    )
    settings = load({"PORT": "5000"}, env_file)
    assert settings.configured
    assert settings.private_key == PEM
    assert settings.webhook_secret == "from file"
    assert settings.port == 5000


def test_operational_settings_come_from_the_env_file_too(tmp_path: Path) -> None:
    registry = tmp_path / "facts"
    registry.mkdir()
    (registry / "MANIFEST.json").write_text('{"versions": {}}')
    env_file = tmp_path / ".env"
    env_file.write_text(
        "RECOVERY_INTERVAL=0\n"
        "WORKER_LEASE_SECONDS=30\n"
        "GITHUB_WRITE_INTERVAL=0.25\n"
        "RECHECK_INTERVAL=2\n"
        f"REGISTRY_DIR={registry}\n"
    )
    settings = load({"RECHECK_INTERVAL": "3"}, env_file)
    assert settings.recovery_interval == 0
    assert settings.worker_lease_seconds == 30
    assert settings.github_write_interval == 0.25
    assert settings.recheck_interval == 3  # the environment wins
    assert settings.registry_dir == registry.resolve()
    defaults = load({}, None)
    assert (defaults.recovery_interval, defaults.worker_lease_seconds) == (600, 120)
    assert (defaults.github_write_interval, defaults.recheck_interval) == (1, 8)
    assert defaults.registry_dir is None


def test_missing_env_file_is_fine(tmp_path: Path) -> None:
    assert not load({}, tmp_path / "absent.env").configured


def test_env_file_syntax(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "\n"
        "  # indented comment\n"
        "BARE = spaced value  \n"
        "HASH=a#b\n"
        "COMMENTED=a #b\n"
        "SINGLE='lit\\n #eral'\n"
        'DOUBLE="tab\\there \\"q\\" \\\\"\n'
        'MULTI="line one\r\nline two"\r\n'
        "EMPTY=\n"
        "LAST=no newline"
    )
    assert read_env_file(env_file) == {
        "BARE": "spaced value",
        "HASH": "a#b",
        "COMMENTED": "a",
        "SINGLE": "lit\\n #eral",
        "DOUBLE": 'tab\there "q" \\',
        "MULTI": "line one\nline two",
        "EMPTY": "",
        "LAST": "no newline",
    }


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("APP_ID=1\nthis is not an assignment\n", 2),
        ("A=1\n\nB='unterminated\n", 3),
        ('A="unterminated\nB=2\n', 1),
        ("1BAD=x\n", 1),
        ("A='x' trailing\n", 1),
    ],
)
def test_env_file_errors_name_the_line(tmp_path: Path, text: str, line: int) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(text)
    problem = error({}, env_file)
    assert problem.variable == f"{env_file}:{line}"
    assert "KEY=VALUE" in str(problem)


def test_the_app_reads_the_registry_dir_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.queue.memory import MemoryQueue
    from bot.service.server import build_app
    from bot.stdlib.facts import registry_dir

    registry = tmp_path / "facts"
    registry.mkdir()
    (registry / "MANIFEST.json").write_text('{"versions": {}}')
    monkeypatch.setenv("REGISTRY_DIR", "")  # restored to its state before the test
    monkeypatch.delenv("REGISTRY_DIR")
    settings = load({}, None)
    build_app(settings, queue=MemoryQueue(), recovery_interval=0)
    assert "REGISTRY_DIR" not in os.environ
    env_file = tmp_path / ".env"
    env_file.write_text(f"REGISTRY_DIR={registry}\n")
    build_app(load({}, env_file), queue=MemoryQueue(), recovery_interval=0)
    assert registry_dir() == registry.resolve()
