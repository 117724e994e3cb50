"""Cohort frames and the engagement funnel on a hand-made extract whose answers are known."""
from __future__ import annotations

import pandas as pd
import pytest

from foundation_eval.cohort import monthly_list_size, person_frame, ppit_distribution, select, table_one
from foundation_eval.data import load_dataset
from foundation_eval.engagement import funnel

A1, A2, A3, A4 = "P000000A1", "P000000A2", "P000000A3", "P000000A4"
CRIT = ["crit_da_offence_2y", "crit_intimate_partner", "crit_family_setting", "crit_not_charged", "crit_age"]


def _screen(pid, month, district, eligible, listed):
    flags = dict.fromkeys(CRIT, "true")
    if not eligible:
        flags["crit_family_setting"] = "false"
    return {"person_id": pid, "month": month, "district_id": district, **flags,
            "eligible": str(eligible).lower(), "listed": str(listed).lower()}


@pytest.fixture(scope="module")
def tiny(small_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny")
    (d / "districts.csv").write_bytes((small_dir / "districts.csv").read_bytes())
    pd.DataFrame({
        "person_id": [A1, A2, A3, A4], "sex": ["male", "male", "female", "male"],
        "ethnicity_group": ["white", "asian", "white", "unknown"],
        "birth_ym": ["1995-01", "1998-06", "1996-03", "1999-09"],
        "home_district_id": ["SOU", "SOU", "EAS", "SOU"],
    }).to_csv(d / "people.csv", index=False)
    pd.DataFrame([
        _screen(A1, "2021-02", "SOU", True, True), _screen(A1, "2021-03", "SOU", True, True),
        _screen(A2, "2020-06", "SOU", True, False), _screen(A2, "2021-01", "SOU", True, True),
        _screen(A3, "2020-05", "EAS", True, False),
        _screen(A4, "2021-01", "SOU", False, False),
    ]).to_csv(d / "screening.csv", index=False)
    items = {f"ppit_{i:02d}": 1 for i in range(1, 11)}
    pd.DataFrame([{"assessment_id": "A0000000B", "person_id": A1, "assessor_id": "R00AB", "assessment_date": "2021-02-10",
                   "rating": "first", **items, "total": 10, "priority": "false"}]).to_csv(d / "ppit_assessments.csv", index=False)
    pd.DataFrame({
        "contact_id": ["C00000000A", "C00000000B"], "person_id": [A1, A2],
        "contact_date": ["2021-02-05", "2021-01-20"], "contact_type": ["unannounced_visit", "phone"],
        "staff": ["joint", "police"], "outcome": ["engaged", "no_contact"],
    }).to_csv(d / "contacts.csv", index=False)
    pd.DataFrame({
        "referral_id": ["F0000000A", "F0000000B"], "person_id": [A1, A2], "service": ["ADAPT", "HOUSING"],
        "pathway": ["attitudes_thinking_behaviour", "accommodation"],
        "referred_date": ["2021-03-01", "2020-07-01"], "accepted_date": ["2021-03-05", ""],
        "started_date": ["2021-03-10", ""], "completed_date": ["2021-05-01", ""], "dropped_date": ["", "2020-08-01"],
    }).to_csv(d / "referrals.csv", index=False)
    pd.DataFrame({
        "offence_id": ["O00000000A", "O00000000B", "O00000000C"], "person_id": [A1, A1, A2],
        "offence_date": ["2020-05-01", "2021-06-01", "2017-01-01"], "offence_type": ["common_assault"] * 3,
        "da_flag": ["true"] * 3, "victim_id": ["V0000000A", "V0000000A", "V0000000B"], "chi_days": [20, 20, 20],
    }).to_csv(d / "offences.csv", index=False)
    pd.DataFrame({"person_id": [A2], "exit_date": ["2022-01-01"], "exit_reason": ["moved_away"]}).to_csv(
        d / "exits.csv", index=False)
    return load_dataset(d)


def test_person_frame_index_dates_and_follow_up(tiny):
    f = person_frame(tiny).set_index("person_id")
    assert set(f.index) == {A1, A2, A3}  # A4 was never eligible
    assert f.at[A1, "index_date"] == pd.Timestamp("2021-02-01") and f.at[A1, "listed"]
    assert f.at[A2, "index_date"] == pd.Timestamp("2021-01-01")  # first listing, not first eligibility
    assert f.at[A3, "index_date"] == pd.Timestamp("2020-05-01") and not f.at[A3, "listed"]
    assert f.at[A1, "age_at_index"] == 26 and f.at[A1, "age_band"] == "26-30"
    assert f.at[A2, "followup_days"] == 365 and f.at[A2, "exit_reason"] == "moved_away"
    assert f.at[A1, "end_date"] == pd.Timestamp("2024-12-31")
    assert f.at[A1, "prior_da_2y"] == 1 and f.at[A2, "prior_da_2y"] == 0  # 2017 is more than 2 years before
    assert f.at[A1, "ppit_total"] == 10 and not f.at[A1, "ppit_priority"]
    assert f.at[A1, "district_id"] == "SOU" and f.at[A3, "district_id"] == "EAS"


def test_funnel_counts_people_in_nested_stages(tiny):
    persons = select(person_frame(tiny), "SOU")
    t = funnel(tiny, persons).table().set_index("stage")
    assert t.n.to_dict() == {"listed": 2, "assessed": 1, "contacted": 1, "engaged": 1, "referred": 1, "started": 1,
                             "completed": 1}
    assert t.at["engaged", "percent"] == pytest.approx(50.0)
    # Wilson interval for 1/2 at 95%: 0.0945 to 0.9055 (Newcombe 1998, method 3)
    assert t.at["engaged", "ci_low"] == pytest.approx(9.45, abs=0.01)
    assert t.at["engaged", "ci_high"] == pytest.approx(90.55, abs=0.01)
    assert t.at["assessed", "percent_of_previous"] == pytest.approx(50.0)


def test_monthly_list_size_and_table_one(tiny):
    sizes = monthly_list_size(tiny, "SOU").set_index("month")
    assert sizes.loc[pd.Period("2021-01", "M")].tolist() == [2, 1, 1]
    assert sizes.loc[pd.Period("2020-06", "M")].tolist() == [1, 1, 0]
    assert sizes.loc[pd.Period("2019-01", "M")].tolist() == [0, 0, 0]
    assert len(sizes) == 72
    t1 = table_one(person_frame(tiny).query("listed"))
    sex = t1[t1.characteristic == "Sex"].set_index("category").n
    assert sex["male"] == 2
    eth = t1[t1.characteristic == "Ethnic group"].set_index("category")
    assert eth.at["asian", "n"] == 1 and eth.at["asian", "percent"] == pytest.approx(50.0)


def test_ppit_distribution(tiny):
    dist = ppit_distribution(person_frame(tiny), 20)
    assert len(dist) == 21 and dist.n.sum() == 1 and dist.set_index("total").at[10, "n"] == 1
