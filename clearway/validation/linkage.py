"""Probabilistic linkage (Splink, DuckDB backend) for rows without a valid NHS number.

Compares given name, family name (Jaro-Winkler levels) and birth date (exact; day and
month swapped; one character different) between the undecided legacy rows and every PAS
patient, blocking on birth date OR full name. The m-probabilities are fixed (how often the
same child's records agree at each level, set from experience of hand-kept lists); the
u-probabilities are estimated from a random sample of this data (cheap, and they follow the
service's own name frequencies) when the extract is large enough to say, else fixed.
Training m by EM costs minutes and gigabytes at national scale and is not needed here.

A row is matched only when its best candidate's probability is at least
:data:`MATCH_AT` and no other candidate reaches :data:`AMBIGUOUS_AT`; otherwise it goes to
review, naming the closest candidate.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import duckdb

from clearway.validation.engine import scalar

if TYPE_CHECKING:
    from clearway.validation.engine import Progress

MATCH_AT = 0.95
"""A candidate at or above this probability is a match (when it is the only one)."""
AMBIGUOUS_AT = 0.5
"""A second candidate at or above this probability makes the row ambiguous: review."""
SAMPLE_PAIRS = 200_000
"""Random pairs sampled to estimate the u-probabilities."""
ESTIMATE_U_FROM = 1_000
"""Below this many PAS patients a sample says too little: the fixed u-probabilities stand."""


def _level(
    sql: str, label: str, m: float | None = None, u: float | None = None, null: bool = False
) -> dict[str, Any]:
    """One comparison level; ``u`` is the fallback when the sample cannot estimate it."""
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if null:
        level["is_null_level"] = True
    if m is not None:
        level["m_probability"] = m
        level["u_probability"] = u
    return level


def _name(column: str) -> dict[str, Any]:
    left, right = f'"{column}_l"', f'"{column}_r"'
    return {
        "output_column_name": column,
        "comparison_description": f"{column}: exact, close, similar, different",
        "comparison_levels": [
            _level(f"{left} IS NULL OR {right} IS NULL", "missing", null=True),
            _level(f"{left} = {right}", "exact", 0.88, 0.01),
            _level(f"jaro_winkler_similarity({left}, {right}) >= 0.92", "close", 0.07, 0.002),
            _level(f"jaro_winkler_similarity({left}, {right}) >= 0.80", "similar", 0.03, 0.03),
            _level("ELSE", "different", 0.02, 0.958),
        ],
    }


def _birth_date() -> dict[str, Any]:
    left, right = '"birth_date_l"', '"birth_date_r"'
    return {
        "output_column_name": "birth_date",
        "comparison_description": "birth date: exact, day and month swapped, a typo, different",
        "comparison_levels": [
            _level(f"{left} IS NULL OR {right} IS NULL", "missing", null=True),
            _level(f"{left} = {right}", "exact", 0.9, 0.0002),
            _level(
                f"day({left}) = month({right}) AND month({left}) = day({right}) "
                f"AND year({left}) = year({right})",
                "day and month swapped",
                0.03,
                0.0001,
            ),
            _level(
                f"levenshtein(strftime({left}, '%Y%m%d'), strftime({right}, '%Y%m%d')) <= 1",
                "one digit different",
                0.04,
                0.002,
            ),
            _level("ELSE", "different", 0.03, 0.9977),
        ],
    }


def link(con: duckdb.DuckDBPyConnection, report: Progress) -> None:
    """Match the undecided rows with no valid NHS number; add to ``matches``/``unmatched``."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE link_list AS
        SELECT CAST(source_row AS VARCHAR) AS unique_id, given_key, family_key, birth_date
        FROM legacy
        WHERE nhs_number IS NULL AND birth_date IS NOT NULL
          AND (given_key IS NOT NULL OR family_key IS NOT NULL)
          AND source_row NOT IN (SELECT source_row FROM matches)
          AND source_row NOT IN (SELECT source_row FROM unmatched);
        """
    )
    if not scalar(con, "SELECT count(*) FROM link_list"):
        con.execute("DROP TABLE link_list")
        return
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE link_pas AS
        SELECT pas_id AS unique_id, given_key, family_key, birth_date FROM pas_patients
        """
    )
    patients = scalar(con, "SELECT count(*) FROM link_pas")
    report("linking", 0, 3)

    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    db_api = DuckDBAPI(connection=con)
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[_name("given_key"), _name("family_key"), _birth_date()],
        blocking_rules_to_generate_predictions=[
            block_on("birth_date"),
            block_on("family_key", "given_key"),
        ],
        # Each list row has at most one true match among the PAS patients.
        probability_two_random_records_match=1 / max(patients, 2),
        retain_matching_columns=False,
    )
    linker = Linker(
        [
            db_api.register("link_list", dataset_display_name="list"),
            db_api.register("link_pas", dataset_display_name="pas"),
        ],
        settings,
        log_level=logging.WARNING,
    )
    if patients >= ESTIMATE_U_FROM:
        linker.training.estimate_u_using_random_sampling(max_pairs=SAMPLE_PAIRS, seed=1)
    report("linking", 1, 3)
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    report("linking", 2, 3)
    table = predictions.physical_name
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE link_pairs AS
        SELECT CAST(CASE WHEN source_dataset_l = 'list' THEN unique_id_l ELSE unique_id_r END
                    AS BIGINT) AS source_row,
               CASE WHEN source_dataset_l = 'list' THEN unique_id_r ELSE unique_id_l END
                    AS pas_id,
               match_probability AS p
        FROM {table};

        CREATE OR REPLACE TEMP TABLE link_best AS
        SELECT source_row,
               arg_max(pas_id, p) AS pas_id, max(p) AS best,
               count(*) FILTER (WHERE p >= {AMBIGUOUS_AT}) AS likely
        FROM link_pairs GROUP BY source_row;

        INSERT INTO matches
        SELECT b.source_row, b.pas_id, 'linkage',
               'name and birth date agree closely (linkage probability '
               || printf('%.3f', b.best) || '; PAS has '
               || concat_ws(' ', p.given_name, upper(p.family_name))
               || coalesce(', born ' || day_text(p.birth_date), '') || ')',
               'medium', b.best, p.nhs_number, p.given_name, p.family_name, p.birth_date
        FROM link_best b JOIN pas_patients p USING (pas_id)
        WHERE b.best >= {MATCH_AT} AND b.likely = 1;

        INSERT INTO unmatched
        SELECT b.source_row,
               CASE WHEN b.likely > 1 THEN
                        b.likely || ' PAS patients are likely matches (the closest is '
                        || who(p.given_name, p.family_name, p.birth_date, p.pas_id)
                        || '), so which one this is cannot be told'
                    ELSE 'No PAS patient matches with confidence: the closest is '
                        || who(p.given_name, p.family_name, p.birth_date, p.pas_id)
                        || ' (linkage probability ' || printf('%.3f', b.best) || ')'
               END
        FROM link_best b JOIN pas_patients p USING (pas_id)
        WHERE NOT (b.best >= {MATCH_AT} AND b.likely = 1);

        DROP TABLE link_pairs; DROP TABLE link_best; DROP TABLE link_list; DROP TABLE link_pas;
        """
    )
    predictions.drop_table_from_database_and_remove_from_cache()
    report("linking", 3, 3)
