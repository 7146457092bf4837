"""Text messages (短信) through a pluggable backend, chosen by ``settings.SMS_BACKEND``
the way Django chooses its e-mail backend:

- ``apps.notifications.sms.console.SmsBackend`` (default): writes each message to stdout;
- ``apps.notifications.sms.file.SmsBackend``: appends to ``SMS_FILE_PATH`` (one JSON line each);
- ``apps.notifications.sms.locmem.SmsBackend``: keeps them in ``locmem.outbox`` (tests);
- ``apps.notifications.sms.aliyun.SmsBackend``: Aliyun SMS (dysmsapi ``SendSms``).

A backend's ``send(mobile, text)`` returns normally when the provider accepted the
message and raises ``SmsError`` otherwise; the outbox (``delivery.py``) records the
failure and retries with backoff.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from .base import MAX_SMS_CHARS, BaseSmsBackend, SmsError

DEFAULT_BACKEND = "apps.notifications.sms.console.SmsBackend"


def get_backend() -> BaseSmsBackend:
    path = getattr(settings, "SMS_BACKEND", "") or DEFAULT_BACKEND
    backend_class = import_string(path)
    backend: BaseSmsBackend = backend_class()
    return backend


def send_sms(mobile: str, text: str) -> None:
    get_backend().send(mobile, text)


__all__ = ["MAX_SMS_CHARS", "BaseSmsBackend", "SmsError", "get_backend", "send_sms"]
