"""Settings from CAREPATH_* environment variables, checked at start.

A bad value stops start-up with a message naming the variable (no silent fallback), booleans are strict
and every secret can come from a file (`CAREPATH_X_FILE`), as container secrets are mounted.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

LOCALES = ("ru", "en")
PREFIX = "CAREPATH_"


class ConfigError(Exception):
    """A setting is wrong; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    host: str = "127.0.0.1"
    port: int = 5000
    secret_key: str = ""
    smtp_url: str | None = None
    mail_from: str = "CarePath <noreply@carepath.local>"
    demo_password: str = "carepath-demo"
    default_locale: str = "ru"
    base_url: str = ""
    session_cookie_secure: bool = False
    login_rate_limit: str = "30 per minute"  # a flood guard; wrong passwords: engine.accounts.throttle
    sms_gateway_url: str | None = None
    sms_gateway_token: str | None = None
    prefect_api_url: str | None = None
    video_base_url: str = "https://meet.jit.si"
    upload_max_mb: int = 20
    relay_port: int = 2525
    relay_domain: str = "relay.carepath.local"
    # Memory (MB) each process may give deserialized workflows kept between steps (engine/workflow/cache.py).
    workflow_cache_mb: int = 64
    # Budget of every piece of pathway code, per evaluation (engine/workflow/limits.py).
    script_time_limit: float = 2.0
    script_memory_mb: int = 256
    # Where uploads, signed PDFs and the CA's files live: "local" (the instance folder) or "database"
    # (tables of CAREPATH_DATABASE_URL, shared by every host; integrations/files.py).
    file_store: str = "local"
    # Encrypts the CA's private keys at rest; required with the database store (a secret file per host).
    keys_passphrase: str | None = None
    # How long a worker's claim on timers and outgoing messages lasts unless renewed (engine/leases.py):
    # the most a worker that dies delays them; a live worker renews every third of it.
    claim_lease_seconds: float = 60.0
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def mailbox_path(self) -> Path:
        return self.instance_path / "mailbox"

    @property
    def uploads_path(self) -> Path:
        return self.instance_path / "uploads"

    @property
    def keys_path(self) -> Path:
        return self.instance_path / "keys"


def _get(env: Mapping[str, str], name: str, secret: bool = False) -> str | None:
    key = PREFIX + name
    if secret and env.get(key + "_FILE"):
        path = Path(env[key + "_FILE"])
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{key}_FILE: cannot read {path}: {exc.strerror}") from exc
    value = env.get(key)
    return value if value not in (None, "") else None


def env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = _get(env, name)
    if value is None:
        return default
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise ConfigError(f"{PREFIX}{name} must be true or false, not {value!r}")


def _port(env: Mapping[str, str]) -> int:
    raw = _get(env, "PORT") or "5000"
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"{PREFIX}PORT must be a port number (1-65535), not {raw!r}")
    return int(raw)


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    value = (_get(env, name) or default).rstrip("/")
    if not value.startswith(("https://", "http://")):
        raise ConfigError(f"{PREFIX}{name} must start with https:// or http://, not {value!r}")
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = _get(env, name) or str(default)
    if not raw.isdigit() or int(raw) <= 0:
        raise ConfigError(f"{PREFIX}{name} must be a positive whole number, not {raw!r}")
    return int(raw)


def _positive_seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = _get(env, name) or str(default)
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise ConfigError(f"{PREFIX}{name} must be a number of seconds above 0 (e.g. 2 or 0.5), not {raw!r}")
    return value


def _non_negative_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = _get(env, name) or str(default)
    if not raw.isdigit():
        raise ConfigError(f"{PREFIX}{name} must be a whole number, 0 or more, not {raw!r}")
    return int(raw)


def _relay_port(env: Mapping[str, str]) -> int:
    raw = _get(env, "RELAY_PORT") or str(Settings.relay_port)
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"{PREFIX}RELAY_PORT must be a port number (1-65535), not {raw!r}")
    return int(raw)


def _relay_domain(env: Mapping[str, str]) -> str:
    # The domain of the masked addresses (c…@domain); its MX must point at the relay's port.
    value = (_get(env, "RELAY_DOMAIN") or Settings.relay_domain).strip().lower()
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+", value):
        raise ConfigError(f"{PREFIX}RELAY_DOMAIN must be a domain name such as relay.clinic.example, not {value!r}")
    return value


def _database_url(env: Mapping[str, str], instance: Path) -> str:
    url = _get(env, "DATABASE_URL", secret=True)
    if url is None:
        return f"sqlite:///{instance / 'carepath.sqlite3'}"
    if not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
        raise ConfigError(f"{PREFIX}DATABASE_URL must be a sqlite:/// or postgresql:// URL, not {url!r}")
    return url


def _smtp_url(env: Mapping[str, str]) -> str | None:
    url = _get(env, "SMTP_URL", secret=True)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
        raise ConfigError(f"{PREFIX}SMTP_URL must look like smtp://user:password@host:port, not {url!r}")
    return url


def _secret_key(env: Mapping[str, str], instance: Path) -> str:
    given = _get(env, "SECRET_KEY", secret=True)
    if given:
        return given
    # Kept in the instance folder so sessions survive a restart without any configuration.
    path = instance / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(48)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


FILE_STORES = ("local", "database")


def _file_store(env: Mapping[str, str]) -> str:
    value = (_get(env, "FILE_STORE") or "local").strip().lower()
    if value not in FILE_STORES:
        raise ConfigError(f"{PREFIX}FILE_STORE must be one of {', '.join(FILE_STORES)}, not {value!r}")
    return value


def load_settings(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    env = os.environ if env is None else env
    instance = Path(_get(env, "INSTANCE_PATH") or "instance").resolve()
    try:
        instance.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{PREFIX}INSTANCE_PATH: cannot create {instance}: {exc.strerror}") from exc
    locale = _get(env, "DEFAULT_LOCALE") or "ru"
    if locale not in LOCALES:
        raise ConfigError(f"{PREFIX}DEFAULT_LOCALE must be one of {', '.join(LOCALES)}, not {locale!r}")
    host = _get(env, "HOST") or "127.0.0.1"
    port = _port(env)
    base_url = (_get(env, "BASE_URL") or f"http://{host}:{port}").rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"{PREFIX}BASE_URL must start with http:// or https://, not {base_url!r}")
    values: dict[str, object] = dict(
        instance_path=instance,
        database_url=_database_url(env, instance),
        host=host,
        port=port,
        secret_key=_secret_key(env, instance),
        smtp_url=_smtp_url(env),
        mail_from=_get(env, "MAIL_FROM") or Settings.mail_from,
        demo_password=_get(env, "DEMO_PASSWORD", secret=True) or Settings.demo_password,
        default_locale=locale,
        base_url=base_url,
        session_cookie_secure=env_bool(env, "SESSION_COOKIE_SECURE", base_url.startswith("https://")),
        login_rate_limit=_get(env, "LOGIN_RATE_LIMIT") or Settings.login_rate_limit,
        sms_gateway_url=_get(env, "SMS_GATEWAY_URL"),
        sms_gateway_token=_get(env, "SMS_GATEWAY_TOKEN", secret=True),
        prefect_api_url=_get(env, "PREFECT_API_URL") or os.environ.get("PREFECT_API_URL"),
        video_base_url=_url(env, "VIDEO_BASE_URL", "https://meet.jit.si"),
        upload_max_mb=_positive_int(env, "UPLOAD_MAX_MB", 20),
        relay_port=_relay_port(env),
        relay_domain=_relay_domain(env),
        workflow_cache_mb=_non_negative_int(env, "WORKFLOW_CACHE_MB", Settings.workflow_cache_mb),
        script_time_limit=_positive_seconds(env, "SCRIPT_TIME_LIMIT", Settings.script_time_limit),
        script_memory_mb=_positive_int(env, "SCRIPT_MEMORY_MB", Settings.script_memory_mb),
        file_store=_file_store(env),
        keys_passphrase=_get(env, "KEYS_PASSPHRASE", secret=True),
        claim_lease_seconds=_positive_seconds(env, "CLAIM_LEASE_SECONDS", Settings.claim_lease_seconds),
        extra={k: v for k, v in env.items() if k.startswith(PREFIX)},
    )
    values.update(overrides)
    settings = Settings(**values)  # type: ignore[arg-type]
    if settings.file_store == "database" and not settings.database_url.startswith("postgresql"):
        raise ConfigError(f"{PREFIX}FILE_STORE=database is for several hosts sharing a PostgreSQL database; "
                          f"{PREFIX}DATABASE_URL is not one")
    if settings.file_store == "database" and not settings.keys_passphrase:
        # The CA's private keys would otherwise sit in a shared place in plain form.
        raise ConfigError(f"{PREFIX}FILE_STORE=database needs {PREFIX}KEYS_PASSPHRASE_FILE (a secret file on each "
                          "host) to encrypt the CA's private keys")
    for folder in (settings.mailbox_path, settings.uploads_path, settings.keys_path):
        folder.mkdir(parents=True, exist_ok=True)
    return settings
