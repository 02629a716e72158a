"""What may be started for a pupil from the pupil's page (a transfer out, a suspension, …).

Apps register providers from their AppConfig.ready(); a provider takes (user, pupil) and returns
(label, url) pairs for the actions that user may start now."""

from collections.abc import Callable

from xueji.accounts.models import User
from xueji.pupils.models import Pupil

PupilActionProvider = Callable[[User, Pupil], list[tuple[str, str]]]
_providers: list[PupilActionProvider] = []


def register_pupil_actions(provider: PupilActionProvider) -> PupilActionProvider:
    _providers.append(provider)
    return provider


def pupil_actions(user: User, pupil: Pupil) -> list[tuple[str, str]]:
    return [action for provider in _providers for action in provider(user, pupil)]
