"""Importing clients from a CSV file: every row checked first, then all cases or none."""

import io
import sys
from datetime import date, timedelta

import pytest

from casebook import audit, cases, imports
from casebook.cli import main
from casebook.errors import AccessDenied, ValidationError
from casebook.imports import ImportRefused
from tests.conftest import PASSWORD

TODAY = date.today()
HEADER = "name,pronouns,email,phone,partner_name,partner_email,opened_on,stage,presenting_concern"
GOOD_ROW = "Cleo Park,she/her,cleo@example.org,555 0101,,,2025-01-06,3,Drifted apart"


def write(tmp_path, text, *, encoding="utf-8", name="clients.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def all_cases(db, people):
    return cases.list_cases(db, people["casey"], status=None)


# --- a good file ----------------------------------------------------------------------------


def test_a_good_file_opens_one_case_per_row_with_their_stages(db, people, tmp_path):
    path = write(
        tmp_path,
        f"{HEADER}\n"
        f"{GOOD_ROW}\n"
        'Ana Ruiz,,ana@example.org,,Ben Ruiz,ben@example.org,2024-11-30,5,"Trust, and money"\n',
    )
    created = imports.import_clients(db, people["morgan"], path)
    assert [c.label for c in created] == ["Cleo Park", "Ana Ruiz & Ben Ruiz"]
    stored = {c.label: c for c in all_cases(db, people)}
    cleo, pair = stored["Cleo Park"], stored["Ana Ruiz & Ben Ruiz"]
    assert (cleo.kind, cleo.opened_on, cleo.presenting_concern) == (
        "individual",
        date(2025, 1, 6),
        "Drifted apart",
    )
    assert [(c.name, c.pronouns, c.email, c.phone) for c in cleo.clients] == [
        ("Cleo Park", "she/her", "cleo@example.org", "555 0101")
    ]
    assert [c.stage for c in cleo.clients] == [3]
    assert [c.stage_since for c in cleo.clients] == [date(2025, 1, 6)]
    assert pair.kind == "couple"
    assert [c.stage for c in pair.clients] == [5, 5]
    assert pair.clients[1].email == "ben@example.org"
    assert pair.presenting_concern == "Trust, and money"
    assert {c.counsellor_id for c in stored.values()} == {people["morgan"].id}


def test_blank_opening_date_and_stage_mean_today_and_stage_one(db, people, tmp_path):
    [case] = imports.import_clients(db, people["morgan"], write(tmp_path, "name\nDev Patel\n"))
    assert case.opened_on == TODAY
    assert [c.stage for c in case.clients] == [1]


def test_header_names_are_case_insensitive_and_in_any_order(db, people, tmp_path):
    path = write(tmp_path, " Stage ,EMAIL,Name\n2,dev@example.org,Dev Patel\n")
    [case] = imports.import_clients(db, people["morgan"], path)
    assert (case.clients[0].name, case.clients[0].email, case.clients[0].stage) == (
        "Dev Patel",
        "dev@example.org",
        2,
    )


def test_a_byte_order_mark_is_accepted(db, people, tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbf" + "Name,stage\nΣοφία Дмитрий,2\n".encode())
    [case] = imports.import_clients(db, people["morgan"], path)
    assert case.clients[0].name == "Σοφία Дмитрий"


@pytest.mark.parametrize("separator", [";", "\t"], ids=["semicolons", "tabs"])
def test_a_spreadsheet_file_separated_by_semicolons_or_tabs_is_read(
    db, people, tmp_path, separator
):
    # Excel in a comma-decimal locale (much of Europe) saves "CSV UTF-8" with semicolons.
    lines = [
        ["Name", "Email", "Phone", "Presenting_concern"],
        ["Anna Berg", "anna@example.org", "030 1234", "Money, and time apart"],
        ["Jörg Weiß", "", "", '"Two lines;\r\nthe second"'],
    ]
    text = "".join(separator.join(cells) + "\r\n" for cells in lines)
    path = write(tmp_path, b"\xef\xbb\xbf" + text.encode())

    created = imports.import_clients(db, people["morgan"], path)

    assert [(c.clients[0].name, c.clients[0].email) for c in created] == [
        ("Anna Berg", "anna@example.org"),
        ("Jörg Weiß", ""),
    ]
    assert [c.presenting_concern for c in created] == [
        "Money, and time apart",
        "Two lines;\r\nthe second",
    ]


def test_a_semicolon_in_a_comma_separated_file_stays_in_its_value(db, people, tmp_path):
    path = write(tmp_path, "name,presenting_concern\nAnna Berg;Jo,Money; time\n")
    [case] = imports.import_clients(db, people["morgan"], path)
    assert (case.clients[0].name, case.presenting_concern) == ("Anna Berg;Jo", "Money; time")


def test_windows_line_ends_blank_rows_and_multiline_values_are_read(db, people, tmp_path):
    path = write(
        tmp_path,
        'name,presenting_concern\r\n\r\nDev Patel,"Line one\r\nline two"\r\n,\r\nEve Stone,\r\n',
    )
    created = imports.import_clients(db, people["morgan"], path)
    assert [c.label for c in created] == ["Dev Patel", "Eve Stone"]
    assert created[0].presenting_concern == "Line one\r\nline two"


def test_blank_columns_without_a_name_that_a_spreadsheet_adds_are_ignored(db, people, tmp_path):
    path = write(tmp_path, "name,email,,\r\nAnna Berg,anna@example.org,,\r\nBo Lind,,,\r\n")
    created = imports.import_clients(db, people["morgan"], path)
    assert [(c.clients[0].name, c.clients[0].email) for c in created] == [
        ("Anna Berg", "anna@example.org"),
        ("Bo Lind", ""),
    ]


def test_the_import_is_audited_with_its_row_count(db, people, tmp_path):
    imports.import_clients(db, people["morgan"], write(tmp_path, "name\nA One\nB Two\n"))
    [entry] = audit.entries(db, people["admin"], action="import_clients")
    assert (entry.username, entry.detail) == ("morgan", "2 rows")


# --- bad rows: nothing is imported, the message names the line -------------------------------


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (",she/her,,,,,,,", "line 3: Client's name is required."),
        (
            "Ann,,not-an-email,,,,,,",
            "line 3: Email 'not-an-email' does not look like an email address.",
        ),
        ("Ann,,,call me,,,,,", "line 3: Phone may hold only digits"),
        ("Ann,,,,,ben@example.org,,,", "line 3: Partner 2's name is required."),
        ("Ann,,,,Ben,ben-at-example,,,", "line 3: Email 'ben-at-example' does not look like"),
        (
            "Ann,,,,,,2024/01/02,,",
            "line 3: Opening date '2024/01/02' is not written as YYYY-MM-DD.",
        ),
        (
            "Ann,,,,,,2024-02-30,,",
            "line 3: Opening date '2024-02-30' is not a day of the calendar.",
        ),
        (
            f"Ann,,,,,,{TODAY + timedelta(days=1)},,",
            "line 3: Opening date cannot be in the future.",
        ),
        ("Ann,,,,,,1899-12-31,,", "line 3: Opening date is too far in the past."),
        ("Ann,,,,,,,9,", "line 3: Stage must be one of 1-8."),
        ("Ann,,,,,,,0,", "line 3: Stage must be one of 1-8."),
        ("Ann,,,,,,,two,", "line 3: Stage 'two' is not a whole number."),
        ("Ann,,,,,,,2.5,", "line 3: Stage '2.5' is not a whole number."),
        ("x" * 201 + ",,,,,,,,", "line 3: Client's name is too long"),
        ("Ann\x07,,,,,,,,", "line 3: Client's name contains a control character"),
        # An override that shows the name backwards ("Ann\u202eevE" reads "AnnEve" reversed).
        ("Ann\u202eevE,,,,,,,,", "line 3: Client's name contains a control character"),
        ("Ann,,,,,,,," + "x" * 5001, "line 3: Presenting concern is too long"),
        ("Ann,,,,,,,,,extra", "line 3: has 10 values but the header names 9 columns."),
        ("Ann,she/her", "line 3: has 2 values but the header names 9 columns."),
    ],
    ids=[
        "no name",
        "bad email",
        "bad phone",
        "partner details without a name",
        "bad partner email",
        "date not ISO",
        "date not in calendar",
        "date in future",
        "date too old",
        "stage too high",
        "stage zero",
        "stage not a number",
        "stage not whole",
        "name too long",
        "control character",
        "direction override",
        "concern too long",
        "too many values",
        "too few values",
    ],
)
def test_a_bad_row_imports_nothing_and_names_its_line(db, people, tmp_path, row, message):
    path = write(tmp_path, f"{HEADER}\n{GOOD_ROW}\n{row}\n")
    with pytest.raises(ImportRefused) as refused:
        imports.import_clients(db, people["morgan"], path)
    assert str(refused.value).startswith("Nothing was imported: 1 line has problems.")
    assert message in str(refused.value)
    assert all_cases(db, people) == []


def test_every_bad_line_is_listed_in_one_line_message(db, people, tmp_path):
    path = write(
        tmp_path,
        f"{HEADER}\n{GOOD_ROW}\n,she/her,,,,,,,\n{GOOD_ROW}\nAnn,,x,,,,,12,\n",
    )
    with pytest.raises(ImportRefused) as refused:
        imports.import_clients(db, people["morgan"], path)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("Nothing was imported: 2 lines have problems.")
    assert refused.value.problems == (
        "line 3: Client's name is required.",
        "line 5: Email 'x' does not look like an email address. Stage must be one of 1-8.",
    )
    assert isinstance(refused.value, ValidationError)


def test_a_multiline_value_counts_the_line_the_row_starts_on(db, people, tmp_path):
    path = write(
        tmp_path, 'name,presenting_concern,email\nAnn,"one\ntwo\nthree",ann@x.org\nBo,,bad\n'
    )
    with pytest.raises(ImportRefused, match="line 5: Email 'bad'"):
        imports.import_clients(db, people["morgan"], path)


def test_the_import_is_one_transaction_all_or_none(db, people, tmp_path, monkeypatch):
    real = cases.insert_case
    calls = []

    def failing_on_the_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the disk is full")
        return real(*args, **kwargs)

    monkeypatch.setattr(cases, "insert_case", failing_on_the_third)
    path = write(tmp_path, "name\nA One\nB Two\nC Three\n")
    with pytest.raises(RuntimeError):
        imports.import_clients(db, people["morgan"], path)
    assert all_cases(db, people) == []
    assert audit.entries(db, people["admin"], action="import_clients") == []


def test_a_row_the_case_rules_refuse_at_insert_time_names_its_line(
    db, people, tmp_path, monkeypatch
):
    real = cases.insert_case

    def stricter(s, actor, clients, **kwargs):
        if clients[0].name == "B Two":
            raise ValidationError("Client's name is not allowed.")
        return real(s, actor, clients, **kwargs)

    monkeypatch.setattr(cases, "insert_case", stricter)
    path = write(tmp_path, "name\nA One\nB Two\n")
    with pytest.raises(ImportRefused, match="line 3: Client's name is not allowed."):
        imports.import_clients(db, people["morgan"], path)
    assert all_cases(db, people) == []


# --- bad files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("\n\n,,\n", "is empty"),
        ("name,email\n", "has a header but no rows"),
        ("Ana Ruiz,ana@example.org\n", "no 'name' column"),
        ("email,phone\nana@example.org,555\n", "no 'name' column"),
        ("name,notes\nAna,x\n", "Unknown column 'notes': the columns Casebook reads are name,"),
        ("name,notes,age\nAna,x,3\n", "Unknown columns 'notes', 'age'"),
        (
            "name,,email\nAna,Lima,a@b.org\n",
            "line 2: column 2 holds 'Lima' but the header gives that column no name",
        ),
        ("name,Email,EMAIL\nAna,a@b.org,a@b.org\n", "names the column 'email' more than once"),
        ("Zoë".encode("latin-1").join([b"name\n", b"\n"]), "is not UTF-8 text"),
        ("name\nAna".encode("utf-16"), "is not UTF-8 text"),
        ('name,email\n"Ana,a@b.org\n', "is not valid CSV"),
        # It said "field larger than field limit (131072)".
        (
            'name,email\n"Ana,a@b.org\n' + "Ben,b@c.org\n" * 20_000,
            "line 2 has a value longer than 131,072 characters: a quote left open",
        ),
    ],
    ids=[
        "empty",
        "only blank lines",
        "header only",
        "no header",
        "no name column",
        "unknown column",
        "unknown columns",
        "unnamed column",
        "duplicate column",
        "latin-1",
        "utf-16",
        "unclosed quote",
        "unclosed quote in a long file",
    ],
)
def test_a_bad_file_is_refused_plainly(db, people, tmp_path, content, message):
    with pytest.raises(ImportRefused, match=message) as refused:
        imports.import_clients(db, people["morgan"], write(tmp_path, content))
    assert "\n" not in str(refused.value)
    assert all_cases(db, people) == []


def test_a_missing_file_is_refused(db, people, tmp_path):
    with pytest.raises(ImportRefused, match="There is no file"):
        imports.import_clients(db, people["morgan"], tmp_path / "nope.csv")


def test_a_folder_is_refused(db, people, tmp_path):
    with pytest.raises(ImportRefused, match="is not a file"):
        imports.import_clients(db, people["morgan"], tmp_path)


def test_a_spreadsheet_file_is_refused_with_a_hint(db, people, tmp_path):
    path = write(tmp_path, b"PK\x03\x04", name="clients.xlsx")
    with pytest.raises(ImportRefused, match="save it as 'CSV UTF-8'"):
        imports.import_clients(db, people["morgan"], path)


def test_more_than_ten_thousand_rows_are_refused(db, people, tmp_path):
    path = write(tmp_path, "name\n" + "Ann\n" * (imports.MAX_ROWS + 1))
    with pytest.raises(ImportRefused, match="more than 10,000 rows"):
        imports.import_clients(db, people["morgan"], path)
    assert all_cases(db, people) == []


def test_ten_thousand_rows_pass_the_checks(tmp_path):
    rows = imports.checked_rows(write(tmp_path, "name\n" + "Ann\n" * imports.MAX_ROWS))
    assert len(rows) == imports.MAX_ROWS
    assert rows[-1].line == imports.MAX_ROWS + 1


@pytest.mark.parametrize("who", ["casey", "admin"])
def test_only_counsellors_import(db, people, tmp_path, who):
    with pytest.raises(AccessDenied):
        imports.import_clients(db, people[who], write(tmp_path, "name\nAnn\n"))
    assert all_cases(db, people) == []


# --- the command line ------------------------------------------------------------------------


def cli(settings, monkeypatch, *argv):
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    return main([*argv, "--password-stdin"], settings=settings)


def test_a_client_already_in_the_caseload_or_twice_in_the_file_is_refused_unless_allowed(
    db, people, tmp_path
):
    morgan = people["morgan"]
    path = write(tmp_path, f"{HEADER}\n{GOOD_ROW}\n")
    [first] = imports.import_clients(db, morgan, path)
    again = write(
        tmp_path,
        f"{HEADER}\n{GOOD_ROW}\nDev Patel,,,555 0199,,,,,\nDEV  PATEL,,,(555) 0199,,,,,\n",
        name="again.csv",
    )
    with pytest.raises(ImportRefused) as refused:
        imports.import_clients(db, morgan, again)
    assert refused.value.problems == (
        f"line 2: Cleo Park is already in your case #{first.id}.",
        "line 4: DEV  PATEL is on line 3 too.",
    )
    assert len(all_cases(db, people)) == 1  # nothing imported
    # Another counsellor's client of the same name is theirs to import.
    assert len(imports.import_clients(db, people["riley"], path)) == 1
    assert len(imports.import_clients(db, morgan, again, allow_repeats=True)) == 3


def test_cli_imports_clients(settings, db, people, tmp_path, monkeypatch, capsys):
    path = write(tmp_path, f"{HEADER}\n{GOOD_ROW}\nDev Patel,,,,,,,,\n")
    assert cli(settings, monkeypatch, "import-clients", str(path), "--user", "morgan") == 0
    assert capsys.readouterr().out.strip() == "Imported 2 cases."
    assert len(all_cases(db, people)) == 2
    # The same file again: refused in one line that says how to import it all the same.
    assert cli(settings, monkeypatch, "import-clients", str(path), "--user", "morgan") == 2
    [err] = capsys.readouterr().err.strip().splitlines()
    assert "Cleo Park is already in your case" in err and "--allow-repeats" in err
    argv = ("import-clients", str(path), "--allow-repeats", "--user", "morgan")
    assert cli(settings, monkeypatch, *argv) == 0
    assert len(all_cases(db, people)) == 4


def test_cli_refuses_a_bad_file_with_one_line(settings, db, people, tmp_path, monkeypatch, capsys):
    path = write(tmp_path, f"{HEADER}\n{GOOD_ROW}\nAnn,,x,,,,,,\n")
    assert cli(settings, monkeypatch, "import-clients", str(path), "--user", "morgan") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "casebook: Nothing was imported: 1 line has problems. "
        "line 3: Email 'x' does not look like an email address."
    ]
    assert all_cases(db, people) == []
