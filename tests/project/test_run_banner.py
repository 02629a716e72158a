"""`make run`'s closing banner (scripts/run.py) names the pupil to try a transfer with, as
load_demo does far above it."""

import contextlib
import io
import sys
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_DIR / "scripts"))
import run  # scripts/run.py, imported as the scripts import each other

sys.path.remove(str(REPO_DIR / "scripts"))


def banner(demo) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        run.print_banner(8000, demo)
    return out.getvalue()


def test_the_banner_repeats_the_pupil_to_try_a_transfer_with():
    demo = {"accounts": [["registrar_b1", "学校学籍管理员"]], "password": "pw", "totp_secret": "",
            "transfer": {"name": "张小明", "number": "G220122201803141234"}}
    text = banner(demo)
    assert "registrar_b1" in text and "张小明" in text and "G220122201803141234" in text and "转学" in text
    # The line comes last before the rule, after the accounts: what people read when it starts.
    assert text.index("张小明") > text.index("Demo accounts")
    assert "张小明" not in banner(dict(demo, transfer=None))


@pytest.mark.django_db
def test_the_banners_program_finds_the_demos_transfer_pupil(world, capsys):
    """The program make run asks (demo accounts and the transfer pupil) reads the pupil that
    load_demo names: a grade-3 pupil of the demo's school 2122012201 without an open request."""
    import json

    from xueji.accounts.models import Unit

    Unit.objects.filter(pk=world.units["a1"].pk).update(code="2122012201")
    exec(compile(run.DEMO_ACCOUNTS_PROGRAM, "demo_accounts", "exec"), {})
    answer = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    pupil = world.pupils["a1"]
    assert answer["transfer"] == {"name": pupil.name, "number": pupil.student_number}
