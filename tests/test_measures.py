"""Measures: the CSI-4 as data, custom definitions, scores item by item."""

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest

from analysis.measures import min_reliable_change
from casebook import attention, audit, cases, measures, practice
from casebook.cases import ClientInput
from casebook.errors import AccessDenied, NotFound, ValidationError
from casebook.models import MeasureDefinitionRow
from worksheets.measure_files import MeasureError, parse_measure_text, shipped_measures

TODAY = date.today()
CSI = {"happiness": 3, "warm": 3, "rewarding": 3, "satisfied": 2}


def csi4_id(db):
    return next(i for i, d in measures.current_measures(db).items() if d.key == "csi4")


def test_the_csi4_ships_as_in_clinical_md():
    [(csi4, _)] = [(d, t) for d, t in shipped_measures() if d.key == "csi4"]
    m = csi4.measure
    assert [(i.low, i.high) for i in m.items] == [(0, 6), (0, 5), (0, 5), (0, 5)]
    assert csi4.total_range == (0, 21)
    assert (m.cutoff, m.higher_is_better) == (13.5, True)
    assert len(csi4.labels["happiness"]) == 7 and csi4.labels["happiness"][-1] == "Perfect"


@pytest.fixture
def client(db, people):
    opened_on = TODAY - timedelta(days=365)  # scores may be dated back to it
    case = cases.create_case(db, people["morgan"], [ClientInput("Ana")], opened_on=opened_on)
    return case.clients[0]


def test_a_score_is_recorded_item_by_item_and_totalled(db, people, client):
    made = measures.record_score(db, people["morgan"], client.id, csi4_id(db), CSI, scored_on=TODAY)
    assert made.total == 11
    [stored] = measures.scores_for_case(db, people["morgan"], client.id)  # case id == 1
    assert (stored.total, stored.answers, stored.measure_key) == (11, CSI, "csi4")


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({**CSI, "happiness": 7}, "happiness"),
        ({k: v for k, v in CSI.items() if k != "warm"}, "warm"),
        ({**CSI, "warm": "3"}, "warm"),
        ({**CSI, "extra": 1}, "extra"),
    ],
)
def test_out_of_range_or_missing_items_are_refused(db, people, client, answers, message):
    with pytest.raises(ValidationError, match=message):
        measures.record_score(
            db, people["morgan"], client.id, csi4_id(db), answers, scored_on=TODAY
        )
    assert measures.scores_for_case(db, people["morgan"], 1) == []


def test_future_scores_and_other_counsellors_are_refused(db, people, client):
    with pytest.raises(ValidationError, match="future"):
        measures.record_score(
            db, people["morgan"], client.id, csi4_id(db), CSI, scored_on=TODAY + timedelta(days=1)
        )
    for who in ("riley", "casey", "admin"):
        with pytest.raises(AccessDenied):
            measures.record_score(db, people[who], client.id, csi4_id(db), CSI, scored_on=TODAY)


def test_the_practice_sets_sd_and_reliability(db, people):
    default = measures.current_measures(db)[csi4_id(db)].measure
    practice.update(
        db, people["admin"], measure_params={"csi4": {"1": {"sd": 7.5, "reliability": 0.8}}}
    )
    changed = measures.current_measures(db)[csi4_id(db)].measure
    assert (default.sd, default.reliability) == (4.5, 0.85)
    assert min_reliable_change(changed.sd, changed.reliability) == pytest.approx(9.30, abs=0.005)


CUSTOM = """key = "weekly_mood"
version = 1
name = "Weekly mood"
source = "Our own"
higher_is_better = false
cutoff = 6
sd = 2
reliability = 0.7
[[item]]
id = "low"
text = "How low did you feel?"
low = 0
high = 5
[[item]]
id = "calm"
text = "How calm did you feel?"
low = 0
high = 5
reverse = true
"""


def test_a_custom_measure_with_a_reverse_item(db, people, client):
    measure_id = measures.save_custom(db, people["admin"], CUSTOM)
    made = measures.record_score(
        db, people["morgan"], client.id, measure_id, {"low": 4, "calm": 1}, scored_on=TODAY
    )
    assert made.total == 4 + (5 - 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("sd = 2", "sd = 0"), "custom.toml: sd must be more than 0"),
        (("reliability = 0.7", "reliability = 1"), "custom.toml: reliability must be"),
        (("cutoff = 6", "cutoff = 60"), "custom.toml: cutoff must lie within"),
        (("high = 5\n[[item]]", "high = 0\n[[item]]"), "custom.toml: item 1 (low).high must"),
        (("reverse = true", "reverse = 1"), "custom.toml: item 2 (calm).reverse must be"),
        (("higher_is_better = false", "higher_is_better = 0"), "higher_is_better must be"),
        (('key = "weekly_mood"', 'key = "Weekly Mood"'), "custom.toml: key must be"),
        (('name = "Weekly mood"\n', ""), "custom.toml: name must be non-empty text"),
        (("sd = 2", "sd = 2\ncolour = 1"), "custom.toml: colour is not a known setting"),
        # Each value is a choice on the Progress page: a million of them hung it.
        (
            ("high = 5\n[[item]]", "high = 1000000\n[[item]]"),
            "custom.toml: item 1 (low).low and high must be from -10,000 to 10,000",
        ),
        (
            ("high = 5\n[[item]]", "high = 101\n[[item]]"),
            "custom.toml: item 1 (low).high must be at most 100 more than low",
        ),
    ],
)
def test_malformed_measures_are_refused_naming_the_field(change, message):
    with pytest.raises(MeasureError, match=re.escape(message)):
        parse_measure_text(CUSTOM.replace(*change), "custom.toml")


def test_a_custom_measure_cannot_take_a_shipped_key_or_skip_a_version(db, people):
    with pytest.raises(ValidationError, match="shipped"):
        measures.save_custom(db, people["admin"], CUSTOM.replace("weekly_mood", "csi4"))
    with pytest.raises(ValidationError, match="version must be 1"):
        measures.save_custom(db, people["admin"], CUSTOM.replace("version = 1", "version = 3"))


@pytest.mark.parametrize(
    ("change", "message"),
    [  # what SQLite would keep but PostgreSQL refuses: refused in words on both
        (("Weekly mood", "W" * 201), "name is longer than 200 characters"),
        (("Weekly mood", "Weekly\\u0000mood"), "name contains a control character"),
        (("How low", "How\\u0000low"), "item 1.text contains a control character"),
    ],
)
def test_a_measure_file_is_refused_in_words_for_what_its_columns_cannot_hold(
    db, people, change, message
):
    with pytest.raises(ValidationError, match=re.escape(message)):
        measures.save_custom(db, people["admin"], CUSTOM.replace(*change))
    assert not [d for d in measures.definitions(db).values() if d.key == "weekly_mood"]


@pytest.mark.parametrize(
    ("change", "message"),
    [  # the settings page could not show these, nor an admin save them back
        (("sd = 2", "sd = 20000"), "The SD of 'weekly_mood' must be from 0.01 to 10,000."),
        (("sd = 2", "sd = 0.001"), "The SD of 'weekly_mood' must be from 0.01 to 10,000."),
        (
            ("reliability = 0.7", "reliability = 0.9995"),
            "The reliability of 'weekly_mood' must be from 0 to 0.999.",
        ),
    ],
)
def test_a_measure_file_is_refused_for_an_sd_or_reliability_the_settings_cannot_hold(
    db, people, change, message
):
    with pytest.raises(ValidationError, match=re.escape(f"mood.toml: {message}")):
        measures.save_custom(db, people["admin"], CUSTOM.replace(*change), "mood.toml")
    assert not [d for d in measures.definitions(db).values() if d.key == "weekly_mood"]
    with pytest.raises(ValidationError, match=re.escape(message)):
        practice.update(
            db,
            people["admin"],
            measure_params={
                "weekly_mood": {"1": {"sd": 20000 if "SD" in message else 2, "reliability": 0.9995}}
            },
        )


def test_what_the_practice_set_for_one_version_of_a_measure_stays_with_that_version(db, people):
    # One setting covered every version: a version 2 with new items (and a new SD in its
    # file) was compared with the SD the practice had measured for version 1.
    admin = people["admin"]
    v1 = measures.save_custom(db, admin, CUSTOM)  # SD 2, reliability 0.7
    measures.save_params(db, admin, {"weekly_mood": {"sd": 5.0, "reliability": 0.8}})
    newer = CUSTOM.replace("version = 1", "version = 2").replace("sd = 2", "sd = 3.5")
    v2 = measures.save_custom(db, admin, newer)
    every = measures.definitions(db)
    assert (every[v1].measure.sd, every[v1].measure.reliability) == (5.0, 0.8)
    assert (every[v2].measure.sd, every[v2].measure.reliability) == (3.5, 0.7)

    # Setting version 2 leaves version 1's; setting it back to its file stores nothing for it.
    measures.save_params(db, admin, {"weekly_mood": {"sd": 4.0, "reliability": 0.75}})
    every = measures.definitions(db)
    assert (every[v1].measure.sd, every[v2].measure.sd) == (5.0, 4.0)
    measures.save_params(db, admin, {"weekly_mood": {"sd": 3.5, "reliability": 0.7}})
    assert practice.load(db).measure_params["weekly_mood"] == {"1": {"sd": 5.0, "reliability": 0.8}}
    with pytest.raises(ValidationError, match="no measure 'nonesuch'"):
        measures.save_params(db, admin, {"nonesuch": {"sd": 3.5, "reliability": 0.7}})


def test_a_measure_saved_before_these_checks_still_opens(db, people):
    """Stored files are read again on every view: a stricter check on saving must not make
    one saved before it (a form feed in its name, say) break every dashboard."""
    with db.write() as s:
        s.add(
            MeasureDefinitionRow(
                key="weekly_mood",
                version=1,
                name="Weekly mood",
                source=CUSTOM.replace("Weekly mood", "Weekly\\fmood " + "x" * 200),
                custom=True,
            )
        )
    assert [d.name for d in measures.definitions(db).values() if d.key == "weekly_mood"] == [
        "Weekly\fmood " + "x" * 200
    ]


def test_a_measure_file_saved_with_a_byte_order_mark_is_added(db, people, client):
    # Windows Notepad starts a UTF-8 file with one; it was read, then tripped a second reading.
    measure_id = measures.save_custom(db, people["admin"], "\ufeff" + CUSTOM)
    assert measures.definitions(db)[measure_id].name == "Weekly mood"
    made = measures.record_score(
        db, people["morgan"], client.id, measure_id, {"low": 4, "calm": 1}, scored_on=TODAY
    )
    assert made.total == 8


def test_only_an_admin_defines_measures(db, people):
    for who in ("morgan", "casey"):
        with pytest.raises(AccessDenied):
            measures.save_custom(db, people[who], CUSTOM)


def test_caseload_changes_take_each_clients_first_and_latest_score(db, people):
    morgan, riley = people["morgan"], people["riley"]
    couple = cases.create_case(
        db, morgan, [ClientInput("Ana"), ClientInput("Ben")], opened_on=TODAY - timedelta(days=90)
    )
    ana, ben = couple.clients
    low = {"happiness": 1, "warm": 1, "rewarding": 1, "satisfied": 1}  # 4
    high = {"happiness": 5, "warm": 4, "rewarding": 4, "satisfied": 4}  # 17
    csi4 = csi4_id(db)
    for days_ago, answers in ((60, high), (30, CSI), (1, low)):  # 17, 11, then 4
        measures.record_score(
            db, morgan, ana.id, csi4, answers, scored_on=TODAY - timedelta(days=days_ago)
        )
    # 11, then 12 on the same day: the one recorded later is the latest
    for answers in (CSI, CSI | {"satisfied": 3}):
        measures.record_score(db, morgan, ben.id, csi4, answers, scored_on=TODAY)
    closed = cases.create_case(db, morgan, [ClientInput("Cy")])
    measures.record_score(db, morgan, closed.clients[0].id, csi4, low, scored_on=TODAY)
    cases.close_case(
        db, morgan, closed.id, closed.version, outcome="paused", closed_on=TODAY, note=""
    )

    changes = measures.caseload_changes(db, morgan)
    assert [(c.client_name, c.baseline, c.latest, c.scores) for c in changes] == [
        ("Ana", 17, 4, 3),
        ("Ben", 11, 12, 2),
    ]
    assert measures.caseload_changes(db, riley) == []

    needs = attention.for_actor(db, morgan)
    worse = needs[needs["kind"] == "reliable deterioration"]
    assert list(worse["client_name"]) == ["Ana"]


def test_the_latest_version_is_that_of_the_latest_score_by_date_not_the_last_typed(
    db, people, client
):
    # A version 1 score typed in later for an earlier day made version 1 the "latest" on the
    # dashboard, while the progress report and the session page took version 2.
    v1 = measures.save_custom(db, people["admin"], CUSTOM)
    v2 = measures.save_custom(db, people["admin"], CUSTOM.replace("version = 1", "version = 2"))
    morgan = people["morgan"]
    same = {"low": 1, "calm": 4}
    measures.record_score(db, morgan, client.id, v1, same, scored_on=TODAY)
    measures.record_score(db, morgan, client.id, v2, same, scored_on=TODAY)
    measures.record_score(
        db, morgan, client.id, v1, same, scored_on=TODAY - timedelta(days=30)
    )  # from paper
    [change] = [c for c in measures.caseload_changes(db, morgan) if c.measure_id in (v1, v2)]
    assert change.measure_id == v2


def test_change_is_measured_within_the_version_of_the_latest_score(db, people, client):
    # Version 2 asks three more questions: its totals run higher for the same answers.
    more = "".join(
        f'[[item]]\nid = "{i}"\ntext = "How {i} did you feel?"\nlow = 0\nhigh = 5\n'
        for i in ("tense", "sad", "angry")
    )
    v1 = measures.save_custom(db, people["admin"], CUSTOM)
    v2 = measures.save_custom(
        db, people["admin"], CUSTOM.replace("version = 1", "version = 2") + more
    )
    morgan = people["morgan"]
    same = {"low": 1, "calm": 4}
    earlier = TODAY - timedelta(days=30)
    measures.record_score(db, morgan, client.id, v1, same, scored_on=earlier)  # total 2
    measures.record_score(db, morgan, client.id, v1, same | {"low": 4}, scored_on=earlier)  # 5
    measures.record_score(
        db, morgan, client.id, v2, same | {"tense": 2, "sad": 2, "angry": 2}, scored_on=TODAY
    )  # total 8: the same feelings, not reliably worse than 2 on another version
    [change] = [c for c in measures.caseload_changes(db, morgan) if c.measure_id in (v1, v2)]
    assert (change.measure_id, change.baseline, change.latest, change.scores) == (v2, 8, 8, 1)
    needs = attention.for_actor(db, morgan)
    assert "reliable deterioration" not in set(needs["kind"])


def test_a_score_recorded_in_error_is_struck_out_of_every_change_and_kept_with_its_reason(
    db, people
):
    morgan = people["morgan"]
    couple = cases.create_case(
        db, morgan, [ClientInput("Ana"), ClientInput("Ben")], opened_on=TODAY - timedelta(days=90)
    )
    ana = couple.clients[0]
    low = {"happiness": 1, "warm": 1, "rewarding": 1, "satisfied": 1}  # 4
    high = {"happiness": 5, "warm": 4, "rewarding": 4, "satisfied": 4}  # 17
    measures.record_score(db, morgan, ana.id, csi4_id(db), high, scored_on=TODAY - timedelta(30))
    # Ben's answers, recorded for Ana by a slip: Ana now reads as reliably deteriorated.
    slip = measures.record_score(db, morgan, ana.id, csi4_id(db), low, scored_on=TODAY)
    needs = attention.for_actor(db, morgan)
    assert "reliable deterioration" in set(needs["kind"])

    struck = measures.strike_score(db, morgan, slip.id, "  Ben's answers, recorded for Ana  ")

    # The score as it was, under a number of the struck-out list's own.
    assert (replace(struck.score, id=slip.id), struck.reason, struck.struck_by) == (
        slip,
        "Ben's answers, recorded for Ana",
        "Morgan",
    )
    assert [s.id for s in measures.scores_for_case(db, morgan, couple.id)] == [slip.id - 1]
    [change] = measures.caseload_changes(db, morgan)
    assert (change.client_name, change.baseline, change.latest, change.scores) == ("Ana", 17, 17, 1)
    needs = attention.for_actor(db, morgan)
    assert "reliable deterioration" not in set(needs["kind"])
    # Kept, and read by whoever may read the case.
    for reader in (morgan, people["casey"]):
        assert measures.struck_for_case(db, reader, couple.id) == [struck]
    with pytest.raises(AccessDenied):
        measures.struck_for_case(db, people["riley"], couple.id)
    [entry] = [e for e in audit.entries(db, people["admin"]) if e.action == "score_strike"]
    assert (entry.case_id, entry.client_id, entry.detail) == (couple.id, ana.id, f"csi4 #{slip.id}")
    assert "Ben" not in entry.detail  # the reason is clinical text: never in the trail
    # A score is struck out once.
    with pytest.raises(NotFound):
        measures.strike_score(db, morgan, slip.id, "again")
    # SQLite gives the struck-out score's number to the next score: striking that out too
    # failed on a number already in the struck-out list.
    again = measures.record_score(db, morgan, ana.id, csi4_id(db), low, scored_on=TODAY)
    measures.strike_score(db, morgan, again.id, "Recorded twice")
    assert len(measures.struck_for_case(db, morgan, couple.id)) == 2


def test_striking_out_a_score_needs_a_reason_and_the_cases_own_counsellor(db, people, client):
    made = measures.record_score(db, people["morgan"], client.id, csi4_id(db), CSI, scored_on=TODAY)
    with pytest.raises(ValidationError, match="required"):
        measures.strike_score(db, people["morgan"], made.id, "   ")
    for who in ("riley", "casey", "admin"):
        with pytest.raises(AccessDenied):
            measures.strike_score(db, people[who], made.id, "not mine to strike")
    [case] = cases.list_cases(db, people["morgan"])
    cases.set_archived(db, people["morgan"], case.id, case.version, True)
    with pytest.raises(ValidationError, match="archived"):
        measures.strike_score(db, people["morgan"], made.id, "archived: restore it first")
    assert [s.id for s in measures.scores_for_case(db, people["morgan"], case.id)] == [made.id]
    assert measures.struck_for_case(db, people["morgan"], case.id) == []
