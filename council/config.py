"""Settings, read from COUNCIL_* environment variables.

This is the only module that reads ``os.environ``: everything else receives a
``Settings`` object (or the Flask config built from it), so tests and tools can
pass their own values without touching the process environment.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ASYNC_MODES = ("gevent", "threading")
LOG_FORMATS = ("json", "text")
METRICS_MODES = ("off", "local", "token")


class ConfigError(ValueError):
    """A setting has a value the platform cannot run with."""


@dataclass(frozen=True)
class Settings:
    """Everything the platform can be configured with, already validated."""

    database_url: str
    secret_key: str
    redis_url: str | None = None
    # Names of everything this deployment puts in Redis (Socket.IO channel, control
    # channel, presence keys): deployments, or test runs, sharing one Redis differ here.
    redis_prefix: str = "council"
    # A process that stops refreshing its heartbeat this long is taken for dead:
    # its sockets leave every room's presence.
    presence_ttl_s: float = 30.0
    # Presence changes within this window go out as one broadcast per room (0: at once).
    presence_coalesce_s: float = 0.25
    allowed_origins: tuple[str, ...] = ()
    timezone: str = "Asia/Karachi"
    https: bool = False
    # Reverse proxies in front of the app whose X-Forwarded-For / -Proto are believed
    # (Werkzeug's ProxyFix); 0: the socket peer is the client (sign-in throttling by address).
    trusted_proxies: int = 0
    async_mode: str = "gevent"
    modules: tuple[str, ...] = ("exercises",)
    # Outgoing mail (None: notifications stay in the app) and the address links in mail point to.
    mail: MailSettings | None = None
    base_url: str = "http://127.0.0.1:5000"
    # Mail bodies carry content only up to this marking; above it, a pointer to the platform.
    mail_max_tlp: str = "GREEN"
    # A crisis level set provisionally by the chair must be ratified by a council decision
    # within this many hours, else it is flagged overdue (COUNCIL_CRISIS_RATIFY_HOURS).
    crisis_ratify_hours: int = 24
    # Evidence files: stored under their SHA-256 in this directory (COUNCIL_FILES_DIR,
    # default <instance>/files), each at most this many megabytes (COUNCIL_FILE_MAX_MB).
    files_dir: str = ""
    file_max_mb: int = 25
    # Where the audit chain's tip is anchored, signed by a key kept outside the database.
    anchor: AnchorSettings | None = None
    # Log lines when serving: one JSON object a line (collectors), or text for a person at a terminal.
    log_format: str = "json"
    # Who may scrape /metrics: nobody (off), this host or a bearer token (local), the token only (token).
    metrics: str = "local"
    metrics_token: str = field(default="", repr=False)
    # Set (PROMETHEUS_MULTIPROC_DIR, prometheus-client's own name): several processes share
    # metric files there and every scrape sums them.
    metrics_multiproc_dir: str = ""
    # Who must have a second factor (COUNCIL_MFA): "admins" (platform admins) or "all".
    # A TLP:RED room asks every session for one, whatever this says.
    mfa: str = "admins"
    # The interface language of someone who chose none and whose browser asks for none we have.
    language: str = "en"
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class MailSettings:
    """The SMTP server notifications are sent through (COUNCIL_SMTP_*)."""

    host: str
    port: int
    security: str  # "starttls" | "tls" | "none"
    user: str
    password: str = field(repr=False)
    sender: str
    timeout_s: float = 10.0


@dataclass(frozen=True)
class AnchorSettings:
    """Anchoring the audit chain (COUNCIL_AUDIT_*): the Ed25519 signing key's file, the
    append-only file anchors go to, who is mailed each one, and how often (0: on demand only)."""

    key_path: str
    anchors_path: str
    mail_to: tuple[str, ...] = ()
    every_minutes: int = 60


ANCHOR_MAX_MINUTES = 7 * 24 * 60
_ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+")


def anchor_from_env(env: dict[str, str], instance_path: Path, mail: MailSettings | None) -> AnchorSettings:
    """Paths default to the instance folder; a path that is a folder, a mail address that
    is not one, or anchor mail without an SMTP server to send it stops the start-up."""
    key_path = env.get("COUNCIL_AUDIT_KEY_PATH", "").strip() or str(instance_path / "audit_signing_key")
    anchors_path = env.get("COUNCIL_AUDIT_ANCHORS_PATH", "").strip() or str(instance_path / "audit_anchors.jsonl")
    for name, value in (("COUNCIL_AUDIT_KEY_PATH", key_path), ("COUNCIL_AUDIT_ANCHORS_PATH", anchors_path)):
        if Path(value).is_dir():
            raise ConfigError(f"{name} must name a file, not the folder {value}")
    mail_to = tuple(a.strip() for a in env.get("COUNCIL_AUDIT_ANCHOR_MAIL", "").split(",") if a.strip())
    for address in mail_to:
        if not _ADDRESS.fullmatch(address):
            raise ConfigError(f"COUNCIL_AUDIT_ANCHOR_MAIL: {address!r} is not a mail address")
    if mail_to and mail is None:
        raise ConfigError("COUNCIL_AUDIT_ANCHOR_MAIL needs COUNCIL_SMTP_HOST: anchors are mailed through it")
    minutes = env.get("COUNCIL_AUDIT_ANCHOR_MINUTES", "60").strip() or "60"
    if not minutes.isascii() or not minutes.isdigit() or int(minutes) > ANCHOR_MAX_MINUTES:
        raise ConfigError(f"COUNCIL_AUDIT_ANCHOR_MINUTES must be a number of minutes from 0 (on demand only) "
                          f"to {ANCHOR_MAX_MINUTES}")
    return AnchorSettings(key_path=key_path, anchors_path=anchors_path, mail_to=mail_to,
                          every_minutes=int(minutes))


MAIL_SECURITY = ("starttls", "tls", "none")
MFA_POLICIES = ("admins", "all")
MAIL_TLPS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")


def mail_from_env(env: dict[str, str]) -> MailSettings | None:
    """COUNCIL_SMTP_HOST unset: no mail. Otherwise every part is checked at start-up."""
    host = env.get("COUNCIL_SMTP_HOST", "").strip()
    if not host:
        return None
    security = env.get("COUNCIL_SMTP_SECURITY", "starttls").strip().lower() or "starttls"
    if security not in MAIL_SECURITY:
        raise ConfigError(f"COUNCIL_SMTP_SECURITY must be one of {', '.join(MAIL_SECURITY)}")
    default_port = {"starttls": "587", "tls": "465", "none": "25"}[security]
    port = env.get("COUNCIL_SMTP_PORT", default_port).strip() or default_port
    if not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError("COUNCIL_SMTP_PORT must be a port number")
    sender = env.get("COUNCIL_MAIL_FROM", "").strip()
    if "@" not in sender:
        raise ConfigError("COUNCIL_MAIL_FROM must be the address mail is sent from (COUNCIL_SMTP_HOST is set)")
    user = env.get("COUNCIL_SMTP_USER", "").strip()
    password = env.get("COUNCIL_SMTP_PASSWORD", "")
    if user and not password:
        raise ConfigError("COUNCIL_SMTP_PASSWORD must be set with COUNCIL_SMTP_USER")
    return MailSettings(host=host, port=int(port), security=security, user=user, password=password,
                        sender=sender)


def _read_or_create_secret(instance_path: Path) -> str:
    """Return the instance's secret key, creating it once with mode 0600.

    The key is written in full to a private temporary file and then linked
    into place, which fails if the name exists: two processes starting
    together agree on one key, and the loser never reads a half-written file.
    """
    path = instance_path / "secret_key"
    instance_path.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = instance_path / f".secret_key.{os.getpid()}.{secrets.token_hex(8)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_text().strip()
    if not key:
        raise ConfigError(f"{path} is empty: delete it to have a new key made, or set COUNCIL_SECRET_KEY")
    return key


def default_database_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'council.db'}"


def from_env(
    instance_path: Path, environ: dict[str, str] | None = None,
    overrides: dict[str, str] | None = None,
) -> Settings:
    """Build settings from the environment (``os.environ`` unless given),
    with ``overrides`` (COUNCIL_* names) taking precedence."""
    env = dict(os.environ if environ is None else environ)
    env.update(overrides or {})
    tz = env.get("COUNCIL_TIMEZONE", "Asia/Karachi").strip() or "Asia/Karachi"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"COUNCIL_TIMEZONE: unknown time zone {tz!r}") from exc
    mode = env.get("COUNCIL_ASYNC_MODE", "gevent").strip() or "gevent"
    if mode not in ASYNC_MODES:
        raise ConfigError(f"COUNCIL_ASYNC_MODE must be one of {', '.join(ASYNC_MODES)}")
    origins = tuple(
        o.strip().rstrip("/") for o in env.get("COUNCIL_ALLOWED_ORIGINS", "").split(",") if o.strip()
    )
    if "*" in origins:
        raise ConfigError("COUNCIL_ALLOWED_ORIGINS lists exact origins; '*' is not allowed")
    modules = tuple(
        m.strip() for m in env.get("COUNCIL_MODULES", "exercises").split(",") if m.strip()
    )
    prefix = env.get("COUNCIL_REDIS_PREFIX", "council").strip() or "council"
    try:
        presence_ttl = float(env.get("COUNCIL_PRESENCE_TTL_S", "30") or "30")
    except ValueError as exc:
        raise ConfigError("COUNCIL_PRESENCE_TTL_S must be a number of seconds") from exc
    if presence_ttl < 1:
        raise ConfigError("COUNCIL_PRESENCE_TTL_S must be at least 1 second")
    try:
        coalesce = float(env.get("COUNCIL_PRESENCE_COALESCE_S", "0.25") or "0")
    except ValueError as exc:
        raise ConfigError("COUNCIL_PRESENCE_COALESCE_S must be a number of seconds") from exc
    if not 0 <= coalesce <= 5:
        raise ConfigError("COUNCIL_PRESENCE_COALESCE_S must be between 0 and 5 seconds")
    proxies = env.get("COUNCIL_TRUSTED_PROXIES", "0").strip() or "0"
    if not proxies.isascii() or not proxies.isdigit() or int(proxies) > 5:
        raise ConfigError("COUNCIL_TRUSTED_PROXIES must be the number of proxies in front of the app (0 to 5)")
    base_url = (env.get("COUNCIL_BASE_URL", "").strip() or "http://127.0.0.1:5000").rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError("COUNCIL_BASE_URL must be the platform's address, http(s)://…")
    max_tlp = env.get("COUNCIL_MAIL_MAX_TLP", "GREEN").strip().upper() or "GREEN"
    if max_tlp not in MAIL_TLPS:
        raise ConfigError(f"COUNCIL_MAIL_MAX_TLP must be one of {', '.join(MAIL_TLPS)}")
    ratify = env.get("COUNCIL_CRISIS_RATIFY_HOURS", "24").strip() or "24"
    if not ratify.isascii() or not ratify.isdigit() or not 1 <= int(ratify) <= 720:
        raise ConfigError("COUNCIL_CRISIS_RATIFY_HOURS must be a number of hours from 1 to 720")
    max_mb = env.get("COUNCIL_FILE_MAX_MB", "25").strip() or "25"
    if not max_mb.isascii() or not max_mb.isdigit() or not 1 <= int(max_mb) <= 2047:
        raise ConfigError("COUNCIL_FILE_MAX_MB must be a number of megabytes from 1 to 2047")
    files_dir = env.get("COUNCIL_FILES_DIR", "").strip() or str(instance_path / "files")
    mail = mail_from_env(env)
    log_format = log_format_from_env(env)
    metrics, metrics_token, multiproc_dir = metrics_from_env(env)
    mfa = env.get("COUNCIL_MFA", "admins").strip().lower() or "admins"
    if mfa not in MFA_POLICIES:
        raise ConfigError("COUNCIL_MFA must be 'admins' (platform admins need a second factor) or 'all' (everyone)")
    language = env.get("COUNCIL_LANGUAGE", "en").strip().lower() or "en"
    if language not in ("en", "ur"):
        raise ConfigError("COUNCIL_LANGUAGE must be 'en' (English) or 'ur' (Urdu)")
    return Settings(
        database_url=env.get("COUNCIL_DATABASE_URL") or default_database_url(instance_path),
        secret_key=env.get("COUNCIL_SECRET_KEY") or _read_or_create_secret(instance_path),
        redis_url=env.get("COUNCIL_REDIS_URL") or None,
        redis_prefix=prefix,
        presence_ttl_s=presence_ttl,
        presence_coalesce_s=coalesce,
        allowed_origins=origins,
        timezone=tz,
        https=env.get("COUNCIL_HTTPS", "") in ("1", "true", "yes"),
        trusted_proxies=int(proxies),
        async_mode=mode,
        modules=modules,
        mail=mail,
        base_url=base_url,
        mail_max_tlp=max_tlp,
        crisis_ratify_hours=int(ratify),
        files_dir=files_dir,
        file_max_mb=int(max_mb),
        anchor=anchor_from_env(env, instance_path, mail),
        log_format=log_format,
        metrics=metrics,
        metrics_token=metrics_token,
        metrics_multiproc_dir=multiproc_dir,
        mfa=mfa,
        language=language,
    )


def log_format_from_env(environ: dict[str, str] | None = None) -> str:
    """COUNCIL_LOG_FORMAT, checked: also read alone by the gunicorn settings, before any app exists."""
    env = os.environ if environ is None else environ
    value = env.get("COUNCIL_LOG_FORMAT", "json").strip().lower() or "json"
    if value not in LOG_FORMATS:
        raise ConfigError(f"COUNCIL_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
    return value


METRICS_TOKEN_MIN = 16


def metrics_from_env(env: dict[str, str]) -> tuple[str, str, str]:
    """COUNCIL_METRICS, COUNCIL_METRICS_TOKEN and PROMETHEUS_MULTIPROC_DIR, checked together."""
    mode = env.get("COUNCIL_METRICS", "local").strip().lower() or "local"
    if mode not in METRICS_MODES:
        raise ConfigError(f"COUNCIL_METRICS must be one of {', '.join(METRICS_MODES)}")
    token = env.get("COUNCIL_METRICS_TOKEN", "").strip()
    if token and len(token) < METRICS_TOKEN_MIN:
        raise ConfigError(f"COUNCIL_METRICS_TOKEN must be at least {METRICS_TOKEN_MIN} characters")
    if mode == "token" and not token:
        raise ConfigError("COUNCIL_METRICS=token needs COUNCIL_METRICS_TOKEN")
    multiproc = env.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
    if multiproc and not Path(multiproc).is_dir():
        raise ConfigError("PROMETHEUS_MULTIPROC_DIR must be an existing directory (emptied before the processes start)")
    return mode, token, multiproc


def multiproc_dir_from_env() -> str:
    """PROMETHEUS_MULTIPROC_DIR alone (checked), for the gunicorn master, which has no app."""
    return metrics_from_env(dict(os.environ))[2]


def under_flask_cli() -> bool:
    """True inside a ``flask …`` command (the flask CLI sets this flag for itself)."""
    return "FLASK_RUN_FROM_CLI" in os.environ


def async_mode_from_env() -> str:
    """The async mode alone, for the server entry point that must patch before importing."""
    return os.environ.get("COUNCIL_ASYNC_MODE", "gevent").strip() or "gevent"


def child_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a process the CLI replaces itself with (``council serve``),
    without the flag the flask CLI sets for its own children."""
    env = dict(os.environ if environ is None else environ)
    env.pop("FLASK_RUN_FROM_CLI", None)
    return env
