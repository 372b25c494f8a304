"""Shared fixtures: the packaged rulebook, a scorer, fake AWS credentials, and functions loaded
from template.yaml exactly as the local runner (and Lambda) loads them."""

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from moto import mock_aws

import leadops.adapters.aws
from leadops.adapters.leads_table import form_sources
from leadops.rulebook import Rulebook, load_rulebook
from leadops.scoring import Scorer
from leadops.services.live_rulebook import expire_all
from leadops_local.provision import provision
from leadops_local.runtime import LocalFunction
from leadops_local.template import SamTemplate
from tests.helpers import POSTHOG_WEBHOOK_SECRET, TEMPLATE, WEBHOOK_SECRET


@pytest.fixture(scope="session")
def rulebook() -> Rulebook:
    return load_rulebook()


@pytest.fixture(scope="session")
def scorer(rulebook: Rulebook) -> Scorer:
    return Scorer(rulebook)


@pytest.fixture(autouse=True)
def fake_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach real AWS: fake credentials and a fixed region for every test."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


_LOOPBACK = ("127.0.0.1", "::1", "localhost")


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests reach nothing but 127.0.0.1: a lookup of any other host fails at once (so a call
    that moto does not intercept is an error here, never a request to the internet)."""
    resolve = socket.getaddrinfo

    def local_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and str(name) not in _LOOPBACK:
            raise socket.gaierror(socket.EAI_NONAME, f"tests may not reach {name}")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)


@pytest.fixture(autouse=True)
def fresh_clients() -> Iterator[None]:
    """boto3 clients are cached per process (as in a warm Lambda); each test gets new ones, so
    a client bound to an earlier test's moto never answers for this one."""
    _drop_clients()
    yield
    _drop_clients()


def _drop_clients() -> None:
    leadops.adapters.aws.reset()
    expire_all()  # functions stay loaded across tests: their rulebook cache must not
    form_sources.expire_all()  # nor their form sources (issue 12)


@pytest.fixture(scope="session")
def template() -> SamTemplate:
    return SamTemplate.load(TEMPLATE)


@pytest.fixture(scope="session")
def load_function(template: SamTemplate) -> Callable[[str], LocalFunction]:
    """A function of template.yaml by logical id: its environment, layers and handler."""
    loaded: dict[str, LocalFunction] = {}

    def load(logical_id: str) -> LocalFunction:
        if logical_id not in loaded:
            loaded[logical_id] = LocalFunction(template.function(logical_id))
        return loaded[logical_id]

    return load


@pytest.fixture
def aws(template: SamTemplate, monkeypatch: pytest.MonkeyPatch) -> Iterator[SamTemplate]:
    """In-process moto with every resource of template.yaml, named as the functions expect.
    The webhook secret and Zendesk credentials are fixed values the tests know."""
    monkeypatch.setenv("LEADOPS_LOCAL_SECRET_WebhookSecret", WEBHOOK_SECRET)
    monkeypatch.setenv("LEADOPS_LOCAL_SECRET_PostHogWebhookSecret", POSTHOG_WEBHOOK_SECRET)
    monkeypatch.setenv(
        "LEADOPS_LOCAL_SECRET_ZendeskSecret", '{"email": "a@example.com", "api_token": "t"}'
    )
    with mock_aws():
        provision(template, None)
        yield template
