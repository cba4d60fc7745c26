"""Payment settings, read from the CAREPATH_* variables like the rest (engine.config), checked at start:

- CAREPATH_PAYMENT_PROVIDER: `clinic` (default) or `yookassa`;
- CAREPATH_PAYMENT_SHOP_ID, CAREPATH_PAYMENT_SECRET_KEY (or CAREPATH_PAYMENT_SECRET_KEY_FILE): the shop's
  credentials at YooKassa, required for it;
- CAREPATH_PAYMENT_RETURN_URL: where YooKassa sends the payer back (default: the site's payments page);
- CAREPATH_PAYMENT_API_URL: YooKassa's API base (default https://api.yookassa.ru/v3; tests point it at
  a local server);
- CAREPATH_PAYMENT_WEBHOOK_NETWORKS: addresses allowed to send notifications besides YooKassa's own
  (comma-separated, e.g. a reverse proxy's); YooKassa's documented allow-list is always included.

The secret key never appears in a repr, a log line or an error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import ip_network

from engine.config import PREFIX, ConfigError, Settings, _get
from engine.payments.models import CLINIC, PROVIDERS, YOOKASSA

__all__ = ["CLINIC", "YOOKASSA", "PaymentSettings", "payment_settings"]
DEFAULT_API_URL = "https://api.yookassa.ru/v3"
TIMEOUT = 20.0  # seconds; a slower answer is treated as "the provider is down", and the payer may retry


@dataclass(frozen=True)
class PaymentSettings:
    provider: str = CLINIC
    shop_id: str = ""
    secret_key: str = field(default="", repr=False)
    return_url: str = ""
    api_url: str = DEFAULT_API_URL
    webhook_networks: tuple[str, ...] = ()
    timeout: float = TIMEOUT


def _url(value: str, name: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ConfigError(f"{PREFIX}{name} must start with https:// or http://, not {value!r}")
    return value.rstrip("/")


def payment_settings(settings: Settings | None, env: Mapping[str, str] | None = None) -> PaymentSettings:
    """From the app's settings (their `extra` holds every CAREPATH_* variable) or an explicit mapping."""
    source: Mapping[str, str] = env if env is not None else (settings.extra if settings else {})
    provider = (_get(source, "PAYMENT_PROVIDER") or CLINIC).strip().lower()
    if provider not in PROVIDERS:
        raise ConfigError(f"{PREFIX}PAYMENT_PROVIDER must be one of {', '.join(PROVIDERS)}, not {provider!r}")
    base = settings.base_url if settings else "http://127.0.0.1:5000"
    return_url = _url(_get(source, "PAYMENT_RETURN_URL") or f"{base}/payments/", "PAYMENT_RETURN_URL")
    networks = tuple(n.strip() for n in (_get(source, "PAYMENT_WEBHOOK_NETWORKS") or "").split(",") if n.strip())
    for network in networks:
        try:
            ip_network(network, strict=False)
        except ValueError as exc:
            raise ConfigError(f"{PREFIX}PAYMENT_WEBHOOK_NETWORKS: {network!r} is not an address or network") from exc
    shop_id = (_get(source, "PAYMENT_SHOP_ID") or "").strip()
    secret = _get(source, "PAYMENT_SECRET_KEY", secret=True) or ""
    if provider == YOOKASSA and not (shop_id and secret):
        raise ConfigError(f"{PREFIX}PAYMENT_PROVIDER=yookassa needs {PREFIX}PAYMENT_SHOP_ID and "
                          f"{PREFIX}PAYMENT_SECRET_KEY (or {PREFIX}PAYMENT_SECRET_KEY_FILE)")
    return PaymentSettings(provider=provider, shop_id=shop_id, secret_key=secret, return_url=return_url,
                           api_url=_url(_get(source, "PAYMENT_API_URL") or DEFAULT_API_URL, "PAYMENT_API_URL"),
                           webhook_networks=networks)
