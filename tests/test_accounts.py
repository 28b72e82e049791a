from dataclasses import replace

import pytest
from sqlalchemy import select

from casebook import accounts, audit
from casebook.errors import AccessDenied, Conflict, LoginFailed, ValidationError
from casebook.models import User
from tests.conftest import PASSWORD


def test_password_is_stored_as_argon2id_hash(db, people):
    with db.read() as s:
        stored = s.scalar(select(User.password_hash).where(User.username == "morgan"))
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_authenticate_returns_the_actor(db, people):
    actor = accounts.authenticate(db, "Morgan ", PASSWORD)
    assert replace(actor, credential="") == people["morgan"]
    assert actor.credential and accounts.current_actor(db, actor) == actor


@pytest.mark.parametrize(
    ("username", "password"), [("morgan", "wrong"), ("nobody", PASSWORD), ("", "")]
)
def test_wrong_login_is_one_plain_message(db, people, username, password):
    with pytest.raises(LoginFailed, match="^Wrong user name or password.$"):
        accounts.authenticate(db, username, password)


def test_a_user_name_with_a_nul_is_a_failed_login_not_a_database_error(db, people):
    with pytest.raises(LoginFailed, match="^Wrong user name or password.$"):
        accounts.authenticate(db, "mor\x00gan", PASSWORD)
    [entry] = audit.entries(db, people["admin"], action="login_failed")
    assert entry.username == accounts.UNKNOWN_NAME


def test_a_login_as_no_account_does_not_keep_what_was_typed(db, people):
    # Often a password typed into the user name box: the admin reads the trail.
    with pytest.raises(LoginFailed):
        accounts.authenticate(db, "correct horse battery", "")
    accounts.set_active(db, people["admin"], people["riley"].id, False)
    with pytest.raises(LoginFailed):
        accounts.authenticate(db, "riley", PASSWORD)
    entries = audit.entries(db, people["admin"], action="login_failed")
    assert [(e.username, e.detail) for e in entries] == [
        ("riley", "inactive"),
        (accounts.UNKNOWN_NAME, "no such account"),
    ]
    assert "correct horse" not in str([vars(e) for e in audit.entries(db, people["admin"])])


def test_deactivated_account_cannot_log_in(db, people):
    accounts.set_active(db, people["admin"], people["riley"].id, False)
    with pytest.raises(LoginFailed):
        accounts.authenticate(db, "riley", PASSWORD)
    accounts.set_active(db, people["admin"], people["riley"].id, True)
    assert accounts.authenticate(db, "riley", PASSWORD).username == "riley"


@pytest.mark.parametrize(
    ("username", "role", "password", "error"),
    [
        ("ok-name", "counsellor", "short", ValidationError),
        ("Bad Name!", "counsellor", PASSWORD, ValidationError),
        ("x", "counsellor", PASSWORD, ValidationError),
        ("ok-name", "owner", PASSWORD, ValidationError),
        ("morgan", "counsellor", PASSWORD, Conflict),
    ],
)
def test_create_user_refuses_bad_input(db, people, username, role, password, error):
    with pytest.raises(error):
        accounts.create_user(db, None, username, role, password)
    assert len(accounts.list_accounts(db, people["admin"])) == 4


@pytest.mark.parametrize("who", ["morgan", "casey"])
def test_only_an_admin_manages_accounts(db, people, who):
    actor = people[who]
    with pytest.raises(AccessDenied):
        accounts.list_accounts(db, actor)
    with pytest.raises(AccessDenied):
        accounts.create_user(db, actor, "newbie", "counsellor", PASSWORD)
    with pytest.raises(AccessDenied):
        accounts.reset_password(db, actor, people["riley"].id, "a brand new passphrase")
    with pytest.raises(AccessDenied):
        accounts.set_active(db, actor, people["riley"].id, False)
    with pytest.raises(AccessDenied):
        accounts.update_account(
            db, actor, people["riley"].id, display_name="Riley", role="supervisor"
        )


def test_admin_corrects_a_name_and_changes_a_role_within_the_rules(db, people):
    from casebook import audit, cases
    from casebook.cases import ClientInput

    admin, riley, morgan = people["admin"], people["riley"], people["morgan"]
    fixed = accounts.update_account(
        db, admin, riley.id, display_name=" Riley Adeyemi ", role="counsellor"
    )
    assert (fixed.display_name, fixed.role) == ("Riley Adeyemi", "counsellor")
    promoted = accounts.update_account(
        db, admin, riley.id, display_name="Riley Adeyemi", role="supervisor"
    )
    assert promoted.role == "supervisor"
    assert [e.detail for e in audit.entries(db, admin, action="account_change")][:2] == [
        "riley: role counsellor -> supervisor",
        "riley: name changed",
    ]
    cases.create_case(db, morgan, [ClientInput("Ana")])
    refused = {
        "has 1 case: a counsellor with cases keeps": (morgan.id, "Morgan", "supervisor"),
        "cannot change your own role": (admin.id, "Admin", "counsellor"),
        "Nothing to change": (riley.id, "Riley Adeyemi", "supervisor"),
        "Full name is required": (riley.id, "  ", "supervisor"),
        "Role must be one of": (riley.id, "Riley", "owner"),
    }
    for message, (user_id, name, role) in refused.items():
        with pytest.raises(ValidationError, match=message):
            accounts.update_account(db, admin, user_id, display_name=name, role=role)
    assert {(a.username, a.role) for a in accounts.list_accounts(db, admin)} >= {
        ("morgan", "counsellor"),
        ("admin", "admin"),
    }


def test_admin_creates_an_account_that_can_log_in(db, people):
    accounts.create_user(db, people["admin"], "sky", "counsellor", PASSWORD, display_name="Sky")
    assert accounts.authenticate(db, "sky", PASSWORD).display_name == "Sky"


def test_admin_cannot_deactivate_themself(db, people):
    with pytest.raises(ValidationError):
        accounts.set_active(db, people["admin"], people["admin"].id, False)


def test_admin_reset_password_replaces_the_old_one(db, people):
    accounts.reset_password(db, people["admin"], people["riley"].id, "a brand new passphrase")
    with pytest.raises(LoginFailed):
        accounts.authenticate(db, "riley", PASSWORD)
    assert accounts.authenticate(db, "riley", "a brand new passphrase").username == "riley"


def test_admin_cannot_reset_their_own_password(db, people):
    # It logged the admin out, with a password to change again, and reset no one else's.
    with pytest.raises(ValidationError, match="My account"):
        accounts.reset_password(db, people["admin"], people["admin"].id, "meant for riley!")
    assert accounts.authenticate(db, "admin", PASSWORD).must_change_password is False


def test_change_own_password_needs_the_current_one(db, people):
    with pytest.raises(ValidationError, match="current password"):
        accounts.change_own_password(db, people["morgan"], "wrong", "another long passphrase")
    accounts.change_own_password(db, people["morgan"], PASSWORD, "another long passphrase")
    assert accounts.authenticate(db, "morgan", "another long passphrase").username == "morgan"
