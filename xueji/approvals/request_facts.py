"""What the apps tell about an approved request beyond its own page: the sending school's copy of
a pupil who left (transfers/left) shows the paper archive's hand-over, which the archives app
keeps. Apps register a provider from their AppConfig.ready(), so that neither knows the other."""

from collections.abc import Callable
from dataclasses import dataclass

from xueji.approvals.models import ChangeRequest


@dataclass(frozen=True)
class RequestFacts:
    """A titled block of (label, value) rows, shown as a card on a page and as JSON by the API."""

    title: str
    rows: list[tuple[str, str]]


RequestFactsProvider = Callable[[ChangeRequest], list[RequestFacts]]
_providers: list[RequestFactsProvider] = []


def register_request_facts(provider: RequestFactsProvider) -> RequestFactsProvider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def request_facts(request: ChangeRequest) -> list[RequestFacts]:
    return [facts for provider in _providers for facts in provider(request)]
