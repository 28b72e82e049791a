from pathlib import Path

import pytest

from worksheets.stages import StageDataError, load_stages, stages

GUIDE = Path(__file__).resolve().parents[2] / "shared" / "guide" / "reconciliation-guide.txt"


def test_shipped_stages_are_the_guides_eight_in_order():
    names = [s.name for s in stages()]
    assert names == [
        "Reflect on the relationship",
        "Give space and time",
        "Improve yourself",
        "Re-establish communication",
        "Address past issues",
        "Rebuild trust",
        "Rekindle the romance",
        "Seek professional help",
    ]
    assert all(s.asks for s in stages())


def test_the_stages_that_ask_for_contact_with_the_partner_are_marked():
    # CLINICAL.md: a protective order makes stage 4 and stage 7 work potentially unlawful.
    assert [s.number for s in stages() if s.contact] == [4, 7]


@pytest.mark.skipif(not GUIDE.exists(), reason="the shared guide is not beside this checkout")
def test_every_bulleted_point_of_the_guide_is_an_ask():
    bullets = [
        line.split("•", 1)[1].split(":", 1)[0].strip().lower().replace("apologize", "apologise")
        for line in GUIDE.read_text(encoding="utf-8").splitlines()
        if "•" in line
    ]
    titles = {a.title.lower() for s in stages() for a in s.asks}
    assert bullets and set(bullets) <= titles


GOOD_STAGE = 'number = 1\nname = "A"\nsummary = "S"\nasks = [{ title = "T", text = "X" }]\n'


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "no [[stage]] entries"),
        ("[[stage]\n", "not valid TOML"),
        (
            "[[stage]]\n" + GOOD_STAGE.replace("number = 1", "number = 2"),
            "stage 1.number must be 1",
        ),
        ("[[stage]]\n" + GOOD_STAGE.replace('name = "A"', 'name = ""'), "stage 1.name"),
        ("[[stage]]\n" + GOOD_STAGE.replace('summary = "S"', "summary = 3"), "stage 1.summary"),
        ("[[stage]]\n" + GOOD_STAGE.replace('[{ title = "T", text = "X" }]', "[]"), "stage 1.asks"),
        ("[[stage]]\n" + GOOD_STAGE.replace('title = "T"', 'title = " "'), "asks[1].title"),
        ("[[stage]]\n" + GOOD_STAGE + "[[stage]]\n" + GOOD_STAGE, "stage 2.number must be 2"),
        ("[[stage]]\n" + GOOD_STAGE + 'contact = "yes"\n', "stage 1.contact must be true or false"),
    ],
)
def test_malformed_stage_file_is_refused_naming_file_and_field(tmp_path, content, message):
    path = tmp_path / "my-stages.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(StageDataError) as err:
        load_stages(path)
    assert "my-stages.toml" in str(err.value)
    assert message in str(err.value)


def test_missing_stage_file_is_a_plain_error(tmp_path):
    with pytest.raises(StageDataError, match="missing.toml: cannot be read"):
        load_stages(tmp_path / "missing.toml")
