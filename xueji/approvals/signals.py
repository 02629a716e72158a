"""What the engine tells the apps, so that an app can act on another's requests without either
importing the other.

``request_approved`` is sent once the last approval's effect has committed, from the request's
follow-up (xueji/approvals/services.py: request_follow_up), in its transaction. The deadline sweep
runs a follow-up again when a worker lost it, so a receiver must be idempotent (a unique key, a
get_or_create). The archives app listens: a pupil who changed school takes the paper archive
along (archives/handover/receivers.py).
"""

from django.dispatch import Signal

# Sent with ``request``: the approved ChangeRequest (its state_before says what the pupil was).
request_approved = Signal()
