"""Accounts and sessions: lockout, forced password change, settings."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from casebook import accounts, audit, practice
from casebook.errors import AccessDenied, LoginFailed, ValidationError
from casebook.models import User, utcnow
from tests.conftest import PASSWORD


def fail(db, username="riley", times=1):
    for _ in range(times):
        with pytest.raises(LoginFailed) as err:
            accounts.authenticate(db, username, "not the password")
    return str(err.value)


def test_five_failures_lock_the_account_and_say_so(db, people):
    assert fail(db, times=4) == "Wrong user name or password."
    message = fail(db)
    assert "locked" in message and "15 minutes" in message
    with pytest.raises(LoginFailed, match="locked"):  # even the right password
        accounts.authenticate(db, "riley", PASSWORD)
    # The message while locked does not say whether the password was right.
    assert "Wrong" not in fail(db)


def test_a_lock_ends_after_its_time(db, people):
    fail(db, times=5)
    with db.write() as s:
        s.execute(
            update(User)
            .where(User.username == "riley")
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
    assert accounts.authenticate(db, "riley", PASSWORD).username == "riley"


def test_a_good_login_resets_the_count(db, people):
    fail(db, times=4)
    accounts.authenticate(db, "riley", PASSWORD)
    assert fail(db, times=4) == "Wrong user name or password."


def test_lockout_follows_the_practice_settings(db, people):
    practice.update(db, people["admin"], lockout_attempts=2, lockout_minutes=60)
    fail(db)
    assert "60 minutes" in fail(db)


def test_admin_reactivating_an_account_clears_its_lock(db, people):
    fail(db, times=5)
    accounts.set_active(db, people["admin"], people["riley"].id, True)
    assert accounts.authenticate(db, "riley", PASSWORD).username == "riley"


def test_after_an_admin_reset_the_user_must_change_the_password(db, people):
    accounts.reset_password(db, people["admin"], people["riley"].id, "temporary passphrase")
    riley = accounts.authenticate(db, "riley", "temporary passphrase")
    assert riley.must_change_password
    with pytest.raises(ValidationError, match="differ"):
        accounts.change_own_password(db, riley, "temporary passphrase", "temporary passphrase")
    accounts.change_own_password(db, riley, "temporary passphrase", "my own passphrase")
    assert not accounts.authenticate(db, "riley", "my own passphrase").must_change_password


def test_logins_and_failures_are_audited(db, people):
    accounts.authenticate(db, "morgan", PASSWORD)
    fail(db, "morgan")
    fail(db, "nobody")
    rows = audit.entries(db, people["admin"], action=None)
    assert [(r.username, r.action) for r in rows[:3]] == [
        (accounts.UNKNOWN_NAME, "login_failed"),
        ("morgan", "login_failed"),
        ("morgan", "login"),
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"idle_logoff_minutes": 0}, "Idle logoff minutes must be 1-1440"),
        ({"lockout_attempts": "5"}, "Lockout attempts must be"),
        ({"backups_kept": True}, "Backups kept must be"),
        ({"practice_name": "  "}, "Practice name must be"),
        ({"colour": "blue"}, "no setting called 'colour'"),
        # 190 characters, but wide ones: more than two lines at the foot of a handout.
        ({"crisis_line": "WWWW MMMM " * 19}, "too long to print in full"),
        # Short enough, but one web address too wide for the page, which breaks nowhere.
        ({"crisis_line": "Help: https://example.org/" + "x" * 120}, "too long to print"),
    ],
)
def test_bad_settings_are_refused(db, people, changes, message):
    with pytest.raises(ValidationError, match=message):
        practice.update(db, people["admin"], **changes)
    assert practice.load(db) == practice.PracticeSettings()


def test_the_trail_names_only_the_settings_that_changed(db, people):
    # The settings page saves all six at once: each save named all six in the trail, so an
    # admin could not tell which one had changed, nor that a save had changed nothing.
    admin, now = people["admin"], practice.load(db)
    practice.update(db, admin, practice_name=now.practice_name, idle_logoff_minutes=5)
    practice.update(db, admin, practice_name=now.practice_name, idle_logoff_minutes=5)
    found = audit.entries(db, admin, action="settings_change")
    assert [e.detail for e in found] == ["idle_logoff_minutes"]
    assert practice.load(db).idle_logoff_minutes == 5


def test_settings_are_stored_and_only_an_admin_changes_them(db, people):
    practice.update(db, people["admin"], idle_logoff_minutes=5, practice_name="Harbour Counselling")
    assert practice.load(db).idle_logoff_minutes == 5
    assert practice.load(db).practice_name == "Harbour Counselling"
    with pytest.raises(AccessDenied):
        practice.update(db, people["morgan"], idle_logoff_minutes=500)
