"""Match legacy rows to PAS patients, most certain evidence first; never guess.

Works on the DuckDB tables :func:`clearway.validation.engine.validate` prepares
(``legacy``, ``pas_patients``) and leaves two: ``matches`` (source_row, pas_id, match,
agreement, confidence, match_probability, and the PAS patient's NHS number, names and birth
date) and ``unmatched`` (source_row, reason) — every
legacy row ends in exactly one of them.

The stages, each for the rows the earlier ones did not settle:

1. **NHS number** (valid on the list and present in PAS): a match when the given name agrees
   and so does the family name or the birth date (day and month swapped counts), or when
   the family name and birth date agree exactly and the given name is one letter out with
   no one else in PAS sharing that family name and birth date. A number whose name and
   birth date belong to someone else — a sibling's, a twin's — is not a match: the row goes
   to review saying whose number it is.
2. **Hospital number** (= PAS ``pas_id``): the same check, and the NHS numbers must not
   disagree.
3. **Exact name and birth date**: a match only when exactly one PAS patient has them and
   no NHS number disagrees; namesakes with the same birth date go to review.
4. **Probabilistic linkage** (``linkage="full"``) for rows with no valid NHS number:
   see :mod:`clearway.validation.linkage`.

"Agrees" for names means a Jaro-Winkler similarity of at least :data:`NAME_AGREES` on the
letters of the name (so "Thompon" agrees with "THOMPSON"); a match is ``high`` confidence
only when the identifier, both names and the birth date agree exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from clearway.validation.engine import Progress, Settings

NAME_AGREES = 0.88
"""Jaro-Winkler similarity at or above which two spellings of a name are taken to agree."""

# Similarities are worked out only where the keys differ: most pairs agree exactly, and the
# string functions are the costly part at national scale.
_AGREEMENT_COLUMNS = f"""
    l.source_row, p.pas_id, p.nhs_number AS pas_nhs, l.nhs_number AS list_nhs,
    p.given_name AS pas_given, p.family_name AS pas_family, p.birth_date AS pas_birth,
    coalesce(l.given_key = p.given_key, false) AS given_exact,
    coalesce(l.family_key = p.family_key, false) AS family_exact,
    CASE WHEN l.given_key = p.given_key THEN true
         ELSE coalesce(jaro_winkler_similarity(l.given_key, p.given_key) >= {NAME_AGREES}, false)
    END AS given_agree,
    CASE WHEN l.family_key = p.family_key THEN true
         ELSE coalesce(jaro_winkler_similarity(l.family_key, p.family_key) >= {NAME_AGREES}, false)
    END AS family_agree,
    coalesce(l.birth_date = p.birth_date, false) AS birth_agree,
    CASE WHEN l.birth_date = p.birth_date THEN false
         ELSE coalesce(day(l.birth_date) = month(p.birth_date)
                       AND month(l.birth_date) = day(p.birth_date)
                       AND year(l.birth_date) = year(p.birth_date)
                       AND day(l.birth_date) <> month(l.birth_date), false)
    END AS birth_swapped,
    CASE WHEN l.given_key = p.given_key THEN false
         ELSE coalesce(damerau_levenshtein(l.given_key, p.given_key) <= 1, false)
    END AS given_typo,
    p.family_key AS pas_family_key,
    false AS typo_alone
"""

_ACCEPT = "(given_agree AND (family_agree OR birth_agree OR birth_swapped)) OR typo_alone"

# A given name one letter out ("Nuah" for Noah) when the family name and birth date agree
# exactly is a typo, unless PAS has someone else with that family name and birth date: then
# it may be a twin's number, and the row goes to review.
_TYPO_ALONE = """
UPDATE candidates c SET typo_alone = true
WHERE n = 1 AND NOT given_agree AND given_typo AND family_exact AND birth_agree
  AND NOT EXISTS (
      SELECT 1 FROM pas_patients q
      WHERE q.family_key = c.pas_family_key AND q.birth_date = c.pas_birth
        AND q.pas_id <> c.pas_id)
"""

_MACROS = """
CREATE OR REPLACE TEMP MACRO and_join(a, b, c) AS
    CASE WHEN a IS NOT NULL AND b IS NOT NULL AND c IS NOT NULL THEN a || ', ' || b || ' and ' || c
         ELSE concat_ws(' and ', a, b, c) END;
CREATE OR REPLACE TEMP MACRO day_text(d) AS strftime(d, '%-d %b %Y');
CREATE OR REPLACE TEMP MACRO who(given, family, birth, pas_id) AS
    concat_ws(' ', given, upper(family)) || coalesce(', born ' || day_text(birth), '')
    || ' (PAS ' || pas_id || ')';
"""


def _agreement(identifier: str) -> str:
    """SQL for the words saying which identifiers agree (from the candidate columns)."""
    return f"""and_join(
        {identifier},
        CASE WHEN given_exact AND family_exact THEN 'name'
             WHEN (given_agree OR typo_alone) AND family_agree
                 THEN 'name (PAS spells it ' || concat_ws(' ', pas_given, upper(pas_family)) || ')'
             WHEN given_agree THEN 'given name' END,
        CASE WHEN birth_agree THEN 'birth date'
             WHEN birth_swapped THEN 'birth date (day and month swapped)' END
    ) || ' agree'"""


def _confidence(strong_identifier: bool) -> str:
    if not strong_identifier:
        return "'medium'"
    return "CASE WHEN given_exact AND family_exact AND birth_agree THEN 'high' ELSE 'medium' END"


def _disagreement() -> str:
    """SQL naming whose identifier it is and what disagrees."""
    return """who(pas_given, pas_family, pas_birth, pas_id) || ': ' || and_join(
        CASE WHEN NOT given_agree THEN 'the given name' END,
        CASE WHEN NOT family_agree THEN 'the family name' END,
        CASE WHEN NOT (birth_agree OR birth_swapped) THEN 'the birth date' END
    ) || ' disagree'"""


def _stage(
    con: duckdb.DuckDBPyConnection,
    *,
    match: str,
    identifier_words: str,
    join: str,
    where: str,
    conflict: str | None,
    strong: bool,
    ambiguous_reason: str,
    refused_reason: str,
) -> None:
    """Match the undecided rows that satisfy ``where`` to PAS patients joined by ``join``."""
    conflict_sql = conflict or "false"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE candidates AS
        SELECT {_AGREEMENT_COLUMNS}, count(*) OVER (PARTITION BY l.source_row) AS n
        FROM legacy l JOIN pas_patients p ON {join}
        WHERE {where}
          AND l.source_row NOT IN (SELECT source_row FROM matches)
          AND l.source_row NOT IN (SELECT source_row FROM unmatched);
        {_TYPO_ALONE};

        INSERT INTO unmatched
        SELECT source_row, {ambiguous_reason}
        FROM candidates WHERE n > 1
        QUALIFY row_number() OVER (PARTITION BY source_row ORDER BY pas_id) = 1;

        INSERT INTO unmatched
        SELECT source_row,
               CASE WHEN {conflict_sql} THEN
                        'The NHS numbers disagree: the list has ' || list_nhs || ', '
                        || who(pas_given, pas_family, pas_birth, pas_id) || ' has ' || pas_nhs
                        || coalesce(' (' || {identifier_words} || ' agree)', '')
                    ELSE {refused_reason} || ' ' || {_disagreement()} END
        FROM candidates WHERE n = 1 AND (NOT ({_ACCEPT}) OR {conflict_sql});

        INSERT INTO matches
        SELECT source_row, pas_id, '{match}', {_agreement(identifier_words)},
               {_confidence(strong)}, NULL::DOUBLE, pas_nhs, pas_given, pas_family, pas_birth
        FROM candidates WHERE n = 1 AND {_ACCEPT} AND NOT ({conflict_sql});
        DROP TABLE candidates;
        """
    )


def match(con: duckdb.DuckDBPyConnection, settings: Settings, report: Progress) -> None:
    """Fill ``matches`` and ``unmatched`` so that every legacy row is in one of them."""
    con.execute(_MACROS)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE matches (source_row BIGINT, pas_id VARCHAR,
            match VARCHAR, agreement VARCHAR, confidence VARCHAR, match_probability DOUBLE,
            pas_nhs VARCHAR, pas_given VARCHAR, pas_family VARCHAR, pas_birth DATE);
        CREATE OR REPLACE TEMP TABLE unmatched (source_row BIGINT, reason VARCHAR);
        """
    )
    report("matching", 0, 4)
    _stage(
        con,
        match="nhs_number",
        identifier_words="'NHS number'",
        join="l.nhs_number = p.nhs_number",
        where="l.nhs_number IS NOT NULL",
        conflict=None,
        strong=True,
        ambiguous_reason="'The NHS number ' || list_nhs || ' is on ' || n || ' PAS records'",
        refused_reason="'The NHS number ' || list_nhs || ' belongs to'",
    )
    report("matching", 1, 4)
    _stage(
        con,
        match="hospital_number",
        identifier_words="'hospital number'",
        join="l.hospital_number = p.pas_id",
        where="l.hospital_number IS NOT NULL",
        conflict="list_nhs IS NOT NULL AND pas_nhs IS NOT NULL AND list_nhs <> pas_nhs",
        strong=True,
        ambiguous_reason="'The hospital number is on ' || n || ' PAS records'",
        refused_reason="'The hospital number belongs to'",
    )
    report("matching", 2, 4)
    _stage(
        con,
        match="name_birth_date",
        identifier_words="NULL",
        join="l.family_key = p.family_key AND l.given_key = p.given_key "
        "AND l.birth_date = p.birth_date",
        where="l.family_key IS NOT NULL AND l.given_key IS NOT NULL AND l.birth_date IS NOT NULL",
        conflict="list_nhs IS NOT NULL AND pas_nhs IS NOT NULL AND list_nhs <> pas_nhs",
        strong=False,
        ambiguous_reason="n || ' PAS patients share this name and birth date, so which one "
        "this is cannot be told without an NHS number'",
        refused_reason="'The name and birth date belong to'",
    )
    report("matching", 4, 4)
    if settings.linkage == "full":
        from clearway.validation import linkage

        linkage.link(con, report)
    con.execute(
        """
        INSERT INTO unmatched
        SELECT l.source_row,
            CASE
                WHEN l.nhs_number IS NOT NULL THEN
                    'The NHS number ' || l.nhs_number || ' is not in the PAS extract, and no '
                    || 'PAS patient has this name and birth date'
                WHEN l.family_key IS NULL AND l.given_key IS NULL THEN
                    'The row has no name and no valid NHS number'
                WHEN l.birth_date IS NULL THEN
                    'The row has no valid NHS number or birth date, and no PAS patient '
                    || 'matches its name with confidence'
                ELSE 'No PAS patient matches with confidence'
                    || coalesce(' (' || l.nhs_number_problem || ')', ' (no NHS number)')
            END
        FROM legacy l
        WHERE l.source_row NOT IN (SELECT source_row FROM matches)
          AND l.source_row NOT IN (SELECT source_row FROM unmatched)
        """
    )
