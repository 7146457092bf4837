"""SMS backends: chosen by a setting; Aliyun's request signed as documented."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from apps.notifications.sms import SmsError, aliyun, get_backend, locmem, send_sms


def test_backend_is_chosen_by_setting(settings: Any, tmp_path: Path, capsys: Any) -> None:
    settings.SMS_BACKEND = "apps.notifications.sms.console.SmsBackend"
    send_sms("13600000001", "您好")
    assert "[SMS → 13600000001] 您好" in capsys.readouterr().out
    settings.SMS_BACKEND = "apps.notifications.sms.file.SmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.log")
    send_sms("13600000001", "第二条")
    line = json.loads((tmp_path / "sms.log").read_text(encoding="utf-8"))
    assert (line["mobile"], line["text"]) == ("13600000001", "第二条")
    settings.SMS_BACKEND = "apps.notifications.sms.locmem.SmsBackend"
    assert isinstance(get_backend(), locmem.SmsBackend)


def test_aliyun_signature_matches_the_documented_example() -> None:
    # The worked example of Aliyun's "RPC signature" documentation for dysmsapi.
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert aliyun.sign(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    url = aliyun.signed_url(params, "testSecret", "http://dysmsapi.aliyuncs.com/")
    assert url.startswith(
        "http://dysmsapi.aliyuncs.com/?Signature=zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D&"
    )
    # RFC 3986 encoding: space as %20, never "+".
    assert aliyun.percent_encode("a b*~") == "a%20b%2A~"


class _Provider(BaseHTTPRequestHandler):
    answers: list[tuple[int, dict[str, str]]] = []
    seen: list[dict[str, list[str]]] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.seen.append(urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query))
        status, body = self.answers.pop(0)
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def provider(settings: Any) -> Any:
    server = HTTPServer(("127.0.0.1", 0), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "apps.notifications.sms.aliyun.SmsBackend"
    settings.SMS_ALIYUN_ENDPOINT = f"http://127.0.0.1:{server.server_port}/"
    settings.SMS_ALIYUN_ACCESS_KEY_ID = "kid"
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = "secret"
    settings.SMS_ALIYUN_SIGN_NAME = "清河县文明实践"
    settings.SMS_ALIYUN_TEMPLATE_CODE = "SMS_1"
    _Provider.seen.clear()
    yield _Provider
    server.shutdown()
    server.server_close()


def test_aliyun_sends_a_signed_request_and_reads_the_answer(provider: Any) -> None:
    provider.answers = [(200, {"Code": "OK", "Message": "OK", "BizId": "1"})]
    send_sms("13600000001", "您的点单已派单")
    query = {k: v[0] for k, v in provider.seen[0].items()}
    assert query["Action"] == "SendSms" and query["PhoneNumbers"] == "13600000001"
    assert json.loads(query["TemplateParam"]) == {"content": "您的点单已派单"}
    signature = query.pop("Signature")
    assert signature == aliyun.sign(query, "secret")


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "bad"}, "MOBILE_NUMBER_ILLEGAL"),
        (400, {"Code": "SignatureDoesNotMatch"}, "HTTP 400 SignatureDoesNotMatch"),
    ],
)
def test_aliyun_refusals_raise(provider: Any, status: int, body: Any, words: str) -> None:
    provider.answers = [(status, body)]
    with pytest.raises(SmsError, match=words):
        send_sms("13600000001", "x")


def test_aliyun_unconfigured_raises(settings: Any) -> None:
    settings.SMS_BACKEND = "apps.notifications.sms.aliyun.SmsBackend"
    settings.SMS_ALIYUN_ACCESS_KEY_ID = ""
    with pytest.raises(SmsError, match="未配置"):
        send_sms("13600000001", "x")
