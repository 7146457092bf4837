"""Aliyun SMS (阿里云短信服务, dysmsapi ``SendSms``, API version 2017-05-25).

Settings:

- ``SMS_ALIYUN_ACCESS_KEY_ID``, ``SMS_ALIYUN_ACCESS_KEY_SECRET``: a RAM user's key with
  the ``AliyunDysmsFullAccess`` policy;
- ``SMS_ALIYUN_SIGN_NAME``: the approved signature (签名), e.g. ``清河县文明实践``;
- ``SMS_ALIYUN_TEMPLATE_CODE``: an approved template whose text is ``${content}``
  (one variable carrying our rendered message, at most 70 characters);
- ``SMS_ALIYUN_ENDPOINT`` (default ``https://dysmsapi.aliyuncs.com/``),
  ``SMS_ALIYUN_REGION`` (default ``cn-hangzhou``), ``SMS_TIMEOUT`` (seconds, default 10).

Requests are signed as the RPC API requires (signature version 1.0): the parameters,
sorted by name and percent-encoded (RFC 3986, ``~`` unescaped, space as ``%20``), form
the canonical query string; the string to sign is ``GET&%2F&`` + its percent-encoding;
the signature is Base64(HMAC-SHA1(AccessKeySecret + "&", string to sign)).
The answer is JSON: ``{"Code": "OK", …}`` on success, another ``Code`` otherwise.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping

from django.conf import settings

from .base import BaseSmsBackend, SmsError

API_VERSION = "2017-05-25"


def percent_encode(value: str) -> str:
    return urllib.parse.quote(value, safe="~")


def canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params))


def sign(params: Mapping[str, str], secret: str, method: str = "GET") -> str:
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_url(params: Mapping[str, str], secret: str, endpoint: str) -> str:
    signature = sign(params, secret)
    return f"{endpoint}?Signature={percent_encode(signature)}&{canonical_query(params)}"


class SmsBackend(BaseSmsBackend):
    def __init__(self) -> None:
        self.key_id = getattr(settings, "SMS_ALIYUN_ACCESS_KEY_ID", "")
        self.secret = getattr(settings, "SMS_ALIYUN_ACCESS_KEY_SECRET", "")
        self.sign_name = getattr(settings, "SMS_ALIYUN_SIGN_NAME", "")
        self.template_code = getattr(settings, "SMS_ALIYUN_TEMPLATE_CODE", "")
        self.endpoint = getattr(settings, "SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
        self.region = getattr(settings, "SMS_ALIYUN_REGION", "cn-hangzhou")
        self.timeout = getattr(settings, "SMS_TIMEOUT", 10)

    def params(self, mobile: str, text: str, *, nonce: str, timestamp: str) -> dict[str, str]:
        return {
            "AccessKeyId": self.key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": mobile,
            "RegionId": self.region,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce,
            "SignatureVersion": "1.0",
            "TemplateCode": self.template_code,
            "TemplateParam": json.dumps({"content": text}, ensure_ascii=False),
            "Timestamp": timestamp,
            "Version": API_VERSION,
        }

    def send(self, mobile: str, text: str) -> None:
        if not (self.key_id and self.secret and self.sign_name and self.template_code):
            raise SmsError("阿里云短信未配置（SMS_ALIYUN_* 设置）")
        params = self.params(
            mobile,
            text,
            nonce=uuid.uuid4().hex,
            timestamp=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        url = signed_url(params, self.secret, self.endpoint)
        request = urllib.request.Request(url, method="GET")  # noqa: S310 - configured endpoint
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read(65536)
        except urllib.error.HTTPError as exc:
            raw = exc.read(65536) if exc.fp else b""
            raise SmsError(f"HTTP {exc.code} {_code(raw)}".strip()) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SmsError(f"连接失败：{getattr(exc, 'reason', exc)}") from None
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        if not (isinstance(body, dict) and body.get("Code") == "OK"):
            raise SmsError(f"短信平台返回 {_code(raw)}")


def _code(raw: bytes) -> str:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return "invalid response"
    if not isinstance(body, dict):
        return "invalid response"
    return f"{body.get('Code', '')} {body.get('Message', '')}".strip() or "no code"
