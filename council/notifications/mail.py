"""Mail as the recipient may read it: marked subjects, and content only up to
COUNCIL_MAIL_MAX_TLP; above it the mail says where to look and nothing more.

``send`` talks real SMTP (STARTTLS, TLS or plain, with or without login) and
tells a permanent refusal (5xx: retrying will not help) from a transient one.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from council.access import TLP_ORDER
from council.config import MailSettings
from council.notifications.models import Notification

FOOTER = "You get this mail because of your notification settings on the CERT Council platform: {settings}"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str


def content_allowed(tlp: str, max_tlp: str) -> bool:
    return TLP_ORDER.get(tlp, 99) <= TLP_ORDER[max_tlp]


def marks(tlp: str, exercise: bool) -> str:
    return f"[TLP:{tlp}]" + (" [EXERCISE]" if exercise else "")


def one_line(text: str) -> str:
    """A header's text: no line breaks or other control characters (they would end it)."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _line(n: Notification, tlp: str, base_url: str, max_tlp: str) -> tuple[str, str]:
    """(headline, text) of one notification marked ``tlp`` (its marking now) as mail may carry it."""
    link = base_url + n.url
    if content_allowed(tlp, max_tlp):
        text = n.title + ("\n\n" + n.body if n.body else "") + f"\n\nOpen: {link}"
        return one_line(n.title), text
    where = one_line(n.ref) or "the platform"
    headline = f"New item in {where} at TLP:{tlp} — open the platform"
    return headline, f"{headline}:\n{link}"


def single(to: str, n: Notification, tlp: str, *, base_url: str, max_tlp: str) -> Mail:
    headline, text = _line(n, tlp, base_url, max_tlp)
    body = (("EXERCISE — this concerns an exercise, not a real incident.\n\n" if n.exercise else "")
            + text + "\n\n-- \n" + FOOTER.format(settings=base_url + "/notifications/settings"))
    return Mail(to, f"{marks(tlp, n.exercise)} {headline}"[:300], body)


def digest(to: str, items: list[tuple[Notification, str]], *, base_url: str, max_tlp: str) -> Mail:
    """``items``: each notification with its marking now."""
    strictest = max((tlp for _n, tlp in items), key=lambda t: TLP_ORDER.get(t, 0))
    all_exercise = all(n.exercise for n, _tlp in items)
    parts = []
    for n, tlp in items:
        headline, text = _line(n, tlp, base_url, max_tlp)
        mark = marks(tlp, n.exercise)
        parts.append(f"{mark} {text}" if content_allowed(tlp, max_tlp) else f"{mark} {headline}:\n{base_url + n.url}")
    count = f"{len(items)} notification{'s' if len(items) != 1 else ''}"
    body = "\n\n----\n\n".join(parts) + "\n\n-- \n" + FOOTER.format(settings=base_url + "/notifications/settings")
    return Mail(to, f"{marks(strictest, all_exercise)} CERT Council digest: {count}", body)


class Transient(Exception):
    """The server could not take the mail now; try again later."""


class Permanent(Exception):
    """The server refused this mail for good (bad address, policy)."""


def message(mail: Mail, sender: str, msg_id: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, mail.to, mail.subject
    msg["Date"], msg["Message-ID"] = formatdate(localtime=False), msg_id
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.text)
    return msg


def new_message_id(sender: str) -> str:
    return make_msgid(domain=sender.rsplit("@", 1)[-1])


class Connection:
    """One SMTP session for a batch of mails."""

    def __init__(self, conf: MailSettings) -> None:
        self.conf = conf
        try:
            if conf.security == "tls":
                self.smtp: smtplib.SMTP = smtplib.SMTP_SSL(conf.host, conf.port, timeout=conf.timeout_s,
                                                           context=ssl.create_default_context())
            else:
                self.smtp = smtplib.SMTP(conf.host, conf.port, timeout=conf.timeout_s)
                if conf.security == "starttls":
                    self.smtp.starttls(context=ssl.create_default_context())
            if conf.user:
                self.smtp.login(conf.user, conf.password)
        except (OSError, smtplib.SMTPException) as exc:
            raise Transient(f"SMTP {conf.host}:{conf.port}: {exc}") from exc

    def send(self, msg: EmailMessage) -> None:
        try:
            self.smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                raise Permanent(f"refused: {exc.recipients}") from exc
            raise Transient(str(exc)) from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:
                raise Permanent(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise Transient(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise Transient(str(exc)) from exc

    def close(self) -> None:
        try:
            self.smtp.quit()
        except (OSError, smtplib.SMTPException):
            self.smtp.close()
