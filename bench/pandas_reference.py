"""A plain pandas script of validation's exact-match rules: the benchmark's reference.

The kind of script a competent analyst writes to validate a legacy waiting list against a
PAS extract (vectorised, nothing done row by row, pandas's fast pyarrow csv reader,
categoricals for the repetitive columns, but no tricks), kept honest so that
:mod:`bench.validation` compares Clearway with a fair baseline. It writes
``validation.csv`` and ``summary.json`` with the columns and shape of ``clearway
validate``'s, and takes the same arguments::

    python -m bench.pandas_reference LEGACY.csv --pas PAS.csv --as-of 2021-05-03 --out DIR

The rules (the exact-match core of Clearway's, without its name similarity, hospital
numbers, name-and-birth-date matching, swapped birth dates or episodes):

- the legacy list is a csv with the sample spreadsheet's headers (``NHS Number``,
  ``Surname``, ``Forename``, ``Date of Birth``, ``Referral Received``, ...) and
  ``dd/mm/yyyy`` dates; rows with no name, number or dates (blank rows, a "Total" footer)
  are skipped;
- an NHS number is valid when it has ten digits (anything else in the cell ignored) and
  its check digit is right;
- a row matches the PAS patient with its valid NHS number when the given name, the family
  name or the birth date agree (names compared on their letters, case ignored); otherwise,
  and when it has no valid NHS number, the row goes to ``review``;
- the referral date is the list's, else the patient's earliest PAS referral up to the
  validation date; without one the row goes to ``review``;
- ``deceased`` (a death in PAS, whenever recorded) wins; rows with the same valid NHS number
  are the ``duplicate`` of the one with the earliest referral (then the earliest row);
  ``seen`` is an attendance at the panel clinic on or after the referral and on or before
  the validation date; ``discharged`` a discharge in that window with no such attendance;
  anything else is ``waiting``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

OUTCOMES = ("waiting", "seen", "discharged", "deceased", "duplicate", "review")
OUTPUT_COLUMNS = (
    "source_sheet",
    "source_row",
    "outcome",
    "duplicate_of_row",
    "pas_id",
    "nhs_number",
    "reason",
)
LEGACY_NAMES = {
    "NHS Number": "nhs_cell",
    "Surname": "family_name",
    "Forename": "given_name",
    "Date of Birth": "birth_cell",
    "Referral Received": "referral_cell",
}


def valid_nhs_numbers(cells: pd.Series) -> pd.Series:
    """Each cell's NHS number as ten digits when it is valid, else NA."""
    digits = cells.str.replace(r"\D", "", regex=True)
    ten = digits.str.fullmatch(r"\d{10}").fillna(False).astype(bool)
    number = digits[ten].astype("int64")
    total = sum((number // 10 ** (10 - i) % 10) * (11 - i) for i in range(1, 10))
    check = (11 - total % 11) % 11
    valid = check == number % 10
    return digits[ten][valid].reindex(cells.index)


def name_key(names: pd.Series) -> pd.Series:
    """A name's letters, upper case: "O'Neill" and "ONEILL" agree."""
    return names.str.upper().str.replace(r"[^A-Z]", "", regex=True)


def iso(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%Y-%m-%d")


def validate(
    legacy_path: Path, pas_path: Path, as_of: dt.date, panel_clinic: str = "SCD Panel"
) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """One row per legacy data row (:data:`OUTPUT_COLUMNS`), and the rows skipped."""
    as_of_ts = pd.Timestamp(as_of)

    # --- the legacy list --------------------------------------------------------------
    legacy = pd.read_csv(legacy_path, engine="pyarrow", dtype=str, usecols=list(LEGACY_NAMES))
    legacy = legacy.rename(columns=LEGACY_NAMES)
    legacy["source_row"] = np.arange(len(legacy)) + 2  # the header is row 1
    empty = legacy[["nhs_cell", "given_name", "birth_cell", "referral_cell"]].isna().all(axis=1)
    footer = legacy["family_name"].str.strip().str.lower().str.startswith("total")
    footer = footer.fillna(False).astype(bool)
    skip = empty & (legacy["family_name"].isna() | footer)
    skipped: list[dict[str, object]] = [
        {"source_row": int(row), "reason": "a footer row" if is_footer else "a blank row"}
        for row, is_footer in zip(legacy.loc[skip, "source_row"], footer[skip], strict=True)
    ]
    legacy = legacy[~skip].reset_index(drop=True)

    legacy["nhs_number"] = valid_nhs_numbers(legacy["nhs_cell"])
    legacy["family_key"] = name_key(legacy["family_name"])
    legacy["given_key"] = name_key(legacy["given_name"])
    legacy["birth_date"] = pd.to_datetime(legacy["birth_cell"], format="%d/%m/%Y", errors="coerce")
    legacy["referral_date"] = pd.to_datetime(
        legacy["referral_cell"], format="%d/%m/%Y", errors="coerce"
    )

    # --- the PAS extract --------------------------------------------------------------
    pas = pd.read_csv(
        pas_path,
        engine="pyarrow",
        dtype={"nhs_number": str, "birth_date": str, "event_date": str},
    )
    pas["event_date"] = pd.to_datetime(pas["event_date"], format="%Y-%m-%d", errors="coerce")
    pas["event"] = pas["event"].astype("category")
    pas["clinic"] = pas["clinic"].astype("category")
    patients = pas.drop_duplicates("pas_id")[
        ["pas_id", "nhs_number", "family_name", "given_name", "birth_date"]
    ].dropna(subset=["nhs_number"])
    patients["birth_date"] = pd.to_datetime(
        patients["birth_date"], format="%Y-%m-%d", errors="coerce"
    )
    patients["family_key"] = name_key(patients["family_name"])
    patients["given_key"] = name_key(patients["given_name"])

    # --- match by NHS number ----------------------------------------------------------
    candidates = legacy.loc[
        legacy["nhs_number"].notna(),
        ["source_row", "nhs_number", "family_key", "given_key", "birth_date"],
    ].merge(
        patients[["pas_id", "nhs_number", "family_key", "given_key", "birth_date"]],
        on="nhs_number",
        suffixes=("", "_pas"),
    )
    candidates["score"] = (
        (candidates["family_key"] == candidates["family_key_pas"]).astype(int)
        + (candidates["given_key"] == candidates["given_key_pas"]).astype(int)
        + (candidates["birth_date"] == candidates["birth_date_pas"]).astype(int)
    )
    matches = (
        candidates[candidates["score"] > 0]
        .sort_values(["source_row", "score"], ascending=[True, False])
        .drop_duplicates("source_row")[["source_row", "pas_id"]]
    )
    legacy = legacy.merge(matches, on="source_row", how="left")
    legacy["in_pas"] = legacy["source_row"].isin(candidates["source_row"])

    # --- referral dates: the list's, else the earliest PAS referral -------------------
    referrals = (
        pas[(pas["event"] == "referral") & (pas["event_date"] <= as_of_ts)]
        .groupby("pas_id")["event_date"]
        .min()
        .rename("pas_referral")
    )
    legacy = legacy.merge(referrals, left_on="pas_id", right_index=True, how="left")
    legacy["referral_date"] = legacy["referral_date"].fillna(legacy["pas_referral"])

    # --- the matched patients' events -------------------------------------------------
    events = (
        legacy.loc[legacy["pas_id"].notna(), ["source_row", "pas_id", "referral_date"]]
        .merge(
            pas.loc[
                pas["event"].isin(["attended", "discharged", "deceased"]),
                ["pas_id", "event", "event_date", "clinic"],
            ],
            on="pas_id",
        )
        .sort_values(["source_row", "event_date"])
    )
    in_window = (events["event_date"] >= events["referral_date"]) & (
        events["event_date"] <= as_of_ts
    )
    seen = events[
        in_window & (events["event"] == "attended") & (events["clinic"] == panel_clinic)
    ].drop_duplicates("source_row")
    discharged = events[in_window & (events["event"] == "discharged")].drop_duplicates("source_row")
    died = events[events["event"] == "deceased"].drop_duplicates("source_row")
    legacy.index = pd.Index(legacy["source_row"].to_numpy())
    legacy["seen_on"] = seen.set_index("source_row")["event_date"]
    legacy["discharged_on"] = discharged.set_index("source_row")["event_date"]
    legacy["discharged_from"] = discharged.set_index("source_row")["clinic"].astype(str)
    legacy["died_on"] = died.set_index("source_row")["event_date"]

    # --- duplicates: the same valid NHS number, earliest referral first ---------------
    numbered = legacy[legacy["nhs_number"].notna()].sort_values(
        ["nhs_number", "referral_date", "source_row"], na_position="last"
    )
    first_row = numbered.groupby("nhs_number")["source_row"].transform("first")
    duplicate_of = first_row[first_row != numbered["source_row"]]
    legacy["duplicate_of_row"] = duplicate_of.astype("Int64")

    # --- outcomes, weakest first so that the stronger ones overwrite ------------------
    out = pd.DataFrame(
        {
            "source_sheet": legacy_path.name,
            "source_row": legacy["source_row"],
            "outcome": "waiting",
            "duplicate_of_row": legacy["duplicate_of_row"],
            "pas_id": legacy["pas_id"],
            "nhs_number": legacy["nhs_number"],
            "reason": "referred "
            + iso(legacy["referral_date"]).fillna("")
            + f"; not seen at {panel_clinic} or discharged by {as_of.isoformat()}",
        }
    )
    mask = legacy["discharged_on"].notna()
    out.loc[mask, "outcome"] = "discharged"
    out.loc[mask, "reason"] = (
        "discharged ("
        + legacy.loc[mask, "discharged_from"]
        + ") on "
        + iso(legacy.loc[mask, "discharged_on"])
    )
    mask = legacy["seen_on"].notna()
    out.loc[mask, "outcome"] = "seen"
    out.loc[mask, "reason"] = f"attended {panel_clinic} on " + iso(legacy.loc[mask, "seen_on"])

    mask = legacy["pas_id"].notna() & legacy["referral_date"].isna()
    out.loc[mask, "outcome"] = "review"
    out.loc[mask, "reason"] = "no referral date on the list or in PAS"
    mask = legacy["pas_id"].isna() & legacy["nhs_number"].notna()
    out.loc[mask, "outcome"] = "review"
    out.loc[mask & legacy["in_pas"], "reason"] = (
        "the NHS number is in PAS but the name and birth disagree"
    )
    out.loc[mask & ~legacy["in_pas"], "reason"] = "the NHS number is not in the PAS extract"
    mask = legacy["nhs_number"].isna()
    out.loc[mask, "outcome"] = "review"
    out.loc[mask, "reason"] = (
        "'" + legacy.loc[mask, "nhs_cell"].fillna("") + "' is not a valid NHS number"
    )
    out.loc[mask & legacy["nhs_cell"].isna(), "reason"] = "no NHS number"

    mask = legacy["duplicate_of_row"].notna()
    out.loc[mask, "outcome"] = "duplicate"
    out.loc[mask, "reason"] = "same NHS number as row " + legacy.loc[
        mask, "duplicate_of_row"
    ].astype(str)
    mask = legacy["died_on"].notna()
    out.loc[mask, "outcome"] = "deceased"
    out.loc[mask, "reason"] = "died on " + iso(legacy.loc[mask, "died_on"])
    return out.reset_index(drop=True), skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pandas_reference", description=__doc__)
    parser.add_argument("legacy", type=Path)
    parser.add_argument("--pas", type=Path, required=True)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--panel-clinic", default="SCD Panel")
    args = parser.parse_args(argv)

    out, skipped = validate(args.legacy, args.pas, args.as_of, args.panel_clinic)
    args.out.mkdir(parents=True, exist_ok=True)
    out.to_csv(args.out / "validation.csv", index=False, columns=list(OUTPUT_COLUMNS))
    counts = out["outcome"].value_counts()
    summary = {
        "rows": len(out),
        "outcomes": {outcome: int(counts.get(outcome, 0)) for outcome in OUTCOMES},
        "skipped": skipped,
        "as_of": args.as_of.isoformat(),
        "panel_clinic": args.panel_clinic,
        "linkage": "exact",
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
