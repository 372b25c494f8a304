"""`leadops sign`: the header the webhook accepts, made by leadops.http.signature.sign."""

import json
import shlex
import time
from pathlib import Path

import pytest

from leadops.http.signature import SignatureError, verify
from tests.cli.conftest import Cli
from tests.helpers import SALES

BODY = json.dumps(SALES).encode()


@pytest.fixture
def body(tmp_path: Path) -> Path:
    path = tmp_path / "demo-request.json"
    path.write_bytes(BODY)
    return path


def test_the_header_verifies_with_the_secret(cli: Cli, body: Path) -> None:
    result = cli("sign", str(body), "--secret", "s3cret")
    assert result.code == 0, result.err
    header = result.out.strip()
    assert result.out == header + "\n"  # one line, nothing else: SIG=$(leadops sign ...)
    verify(header, BODY, ["s3cret"], now=time.time())
    with pytest.raises(SignatureError):
        verify(header, BODY, ["other"], now=time.time())
    with pytest.raises(SignatureError):
        verify(header, BODY + b" ", ["s3cret"], now=time.time())


def test_secret_from_the_environment_and_a_fixed_timestamp(
    cli: Cli, body: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEADOPS_WEBHOOK_SECRET", "from-env")
    header = cli("sign", str(body), "--timestamp", "1700000000").out.strip()
    assert header.startswith("t=1700000000,v1=")
    verify(header, BODY, ["from-env"], now=1700000000)
    # --secret wins over the environment
    other = cli("sign", str(body), "--timestamp", "1700000000", "--secret", "flag").out.strip()
    verify(other, BODY, ["flag"], now=1700000000)


def test_curl_prints_a_whole_command(cli: Cli, body: Path) -> None:
    result = cli("sign", str(body), "--secret", "s", "--curl")
    words = shlex.split(result.out)
    assert words[:3] == ["curl", "-sS", "http://127.0.0.1:3000/webhooks/demo-request"]
    assert words[-2:] == ["--data-binary", f"@{body}"]
    header = words[words.index("-H", 4) + 1]
    assert header.startswith("X-Leadops-Signature: t=")
    verify(header.split(": ", 1)[1], BODY, ["s"], now=time.time())
    explicit = cli("sign", str(body), "--secret", "s", "--curl", "https://hooks.example.com/x")
    assert shlex.split(explicit.out)[2] == "https://hooks.example.com/x"


def test_json(cli: Cli, body: Path) -> None:
    answer = cli("sign", str(body), "--secret", "s", "--timestamp", "5", "--json").json()
    assert answer["header"] == "X-Leadops-Signature"
    assert answer["timestamp"] == 5
    verify(answer["value"], BODY, ["s"], now=5)


def test_no_secret_or_no_file_is_a_usage_error(cli: Cli, body: Path, tmp_path: Path) -> None:
    result = cli("sign", str(body))
    assert result.code == 2
    assert "no webhook secret: pass --secret or set LEADOPS_WEBHOOK_SECRET" in result.err
    missing = cli("sign", str(tmp_path / "gone.json"), "--secret", "s")
    assert missing.code == 2
    assert "file not found" in missing.err
