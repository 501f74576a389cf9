"""Decide each legacy row's outcome from its match and the PAS events, then find duplicates.

Reads the DuckDB tables ``legacy``, ``matches``, ``unmatched``, ``pas_patients`` and
``pas_events`` and returns the result as an Arrow table with one row per legacy row and the
fields of :class:`clearway.validation.engine.Proposal`.

For a matched row with referral date R, validating as of D:

- ``deceased`` when PAS records a death, whenever it is dated (it wins over everything);
- ``seen`` when the child attended the panel clinic on a day in [R, D];
- ``discharged`` when PAS records a discharge on a day in [R, D] (and no such attendance);
- ``waiting`` otherwise (a cancelled or not-brought appointment, an attendance at another
  clinic, or an episode closed before R change nothing).

R is the list's referral date when it is usable (present, not before the birth date, not
after D); otherwise the matched PAS patient's referral to this service's clinic (the one
nearest the list's date, or the latest); with neither, the row goes to ``review``.

Duplicates: rows matched to the same PAS patient are one child. Sorted by referral date,
each row is the ``duplicate`` of the first row of its episode; a row referred after that
episode closed (the first row's attendance or discharge) starts a new episode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

if TYPE_CHECKING:
    from clearway.validation.engine import Progress


_OUTCOME = """
CASE
    WHEN pas_id IS NULL THEN 'review'
    WHEN died IS NOT NULL THEN 'deceased'
    WHEN referral_date IS NULL THEN 'review'
    WHEN attended IS NOT NULL THEN 'seen'
    WHEN discharged IS NOT NULL THEN 'discharged'
    ELSE 'waiting'
END
"""

_REFERRAL_NOTE = """
CASE WHEN d.pas_id IS NULL OR d.usable OR d.referral_date IS NULL THEN ''
     ELSE ' (the referral date ' || day_text(d.referral_date) || ' is from PAS: '
          || coalesce(d.referral_date_problem,
                      CASE WHEN d.list_referral > as_of()
                           THEN 'the list''s ' || day_text(d.list_referral)
                                || ' is after the validation date'
                           ELSE 'the list has none' END) || ')'
END
"""

_REASON = f"""
CASE d.outcome
    WHEN 'review' THEN coalesce(d.unmatched_reason,
        'Matched to ' || who(d.pas_given, d.pas_family, d.pas_birth, d.pas_id)
        || ' (' || d.agreement || '), but '
        || coalesce(d.referral_date_problem, 'the list has no referral date')
        || ', and PAS has no referral for them to take the date from')
    WHEN 'deceased' THEN 'PAS records that the child died on ' || day_text(d.died)
        || '. ' || d.agreement || ' (PAS ' || d.pas_id || ').'
    WHEN 'seen' THEN 'Seen: attended ' || panel_clinic() || ' on ' || day_text(d.attended)
        || ', on or after the referral of ' || day_text(d.referral_date) || '. '
        || d.agreement || ' (PAS ' || d.pas_id || ').'
    WHEN 'discharged' THEN 'Discharged in PAS on ' || day_text(d.discharged)
        || coalesce(' (' || nullif(d.discharge_note, '') || ')', '')
        || ', on or after the referral of ' || day_text(d.referral_date)
        || ', with no attendance at ' || panel_clinic() || '. '
        || d.agreement || ' (PAS ' || d.pas_id || ').'
    ELSE 'Still waiting: no attendance at ' || panel_clinic() || ' and no discharge in PAS since '
        || 'the referral of ' || day_text(d.referral_date) || '. '
        || d.agreement || ' (PAS ' || d.pas_id || ').'
END || {_REFERRAL_NOTE}
"""


def _outcomes(con: duckdb.DuckDBPyConnection) -> None:
    """``outcomes``: every row with its outcome, reason and evidence (one pass)."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE outcomes AS
        WITH rows AS (
            SELECT l.source_sheet, l.source_row, l.nhs_number AS list_nhs,
                   l.referral_date AS list_referral, l.referral_date_problem, l.birth_date,
                   m.pas_id, coalesce(m.match, '') AS match,
                   coalesce(m.agreement, '') AS agreement,
                   coalesce(m.confidence, '') AS confidence, m.match_probability,
                   m.pas_nhs, m.pas_given, m.pas_family, m.pas_birth,
                   u.reason AS unmatched_reason,
                   (l.referral_date IS NOT NULL AND l.referral_date_problem IS NULL
                    AND l.referral_date <= as_of()) AS usable
            FROM legacy l
            LEFT JOIN matches m USING (source_row)
            LEFT JOIN unmatched u USING (source_row)
        ),
        -- A referral date the list cannot give is taken from PAS, from this service's
        -- referrals: the one nearest the list's date, or the latest.
        pas_referrals AS (
            SELECT r.source_row,
                   arg_min(e.event_date,
                           CASE WHEN r.list_referral IS NULL
                                THEN -epoch(e.event_date)
                                ELSE abs(epoch(e.event_date) - epoch(r.list_referral)) END
                   ) AS pas_referral
            FROM rows r JOIN pas_events e ON e.pas_id = r.pas_id
            WHERE NOT r.usable AND e.event = 'referral' AND e.event_date <= as_of()
              AND (referral_clinic() = '' OR lower(trim(e.clinic)) = lower(referral_clinic()))
            GROUP BY r.source_row
        ),
        dated AS (
            SELECT r.*,
                   CASE WHEN r.usable THEN r.list_referral ELSE p.pas_referral END
                       AS referral_date
            FROM rows r LEFT JOIN pas_referrals p USING (source_row)
        ),
        -- The events that count: any death; attendance at the panel clinic and discharge
        -- from the referral to the validation date.
        row_events AS (
            SELECT d.source_row,
                   min(e.event_date) FILTER (WHERE e.event = 'deceased') AS died,
                   min(e.event_date) FILTER (
                       WHERE e.event = 'attended' AND e.event_date >= d.referral_date)
                       AS attended,
                   min(e.event_date) FILTER (
                       WHERE e.event = 'discharged' AND e.event_date >= d.referral_date)
                       AS discharged,
                   arg_min(e.clinic, e.event_date) FILTER (
                       WHERE e.event = 'discharged' AND e.event_date >= d.referral_date)
                       AS discharge_note
            FROM dated d
            JOIN (
                SELECT pas_id, event, event_date, clinic FROM pas_events
                WHERE event = 'deceased'
                   OR (event = 'attended' AND lower(trim(clinic)) = lower(panel_clinic())
                       AND event_date <= as_of())
                   OR (event = 'discharged' AND event_date <= as_of())
            ) e ON e.pas_id = d.pas_id
            GROUP BY d.source_row
        ),
        d AS (
            SELECT *, {_OUTCOME} AS outcome
            FROM dated LEFT JOIN row_events USING (source_row)
        )
        SELECT d.source_sheet, d.source_row, d.outcome,
               {_REASON} AS reason,
               NULL::BIGINT AS duplicate_of_row, d.pas_id,
               coalesce(d.list_nhs, d.pas_nhs) AS nhs_number,
               d.match, d.agreement, d.confidence,
               CASE d.outcome WHEN 'deceased' THEN 'deceased' WHEN 'seen' THEN 'attended'
                    WHEN 'discharged' THEN 'discharged' ELSE '' END AS event,
               CASE d.outcome WHEN 'deceased' THEN d.died WHEN 'seen' THEN d.attended
                    WHEN 'discharged' THEN d.discharged END AS event_date,
               d.referral_date, d.match_probability, d.birth_date
        FROM d
        """
    )


def _duplicates(con: duckdb.DuckDBPyConnection) -> None:
    """Mark the later rows of one child's episode as duplicates of its first row."""
    rows = con.execute(
        """
        WITH candidates AS (
            SELECT pas_id AS child, source_row, outcome, referral_date, event_date
            FROM outcomes WHERE pas_id IS NOT NULL AND outcome <> 'deceased'
            UNION ALL
            SELECT 'nhs:' || nhs_number || ':' || birth_date, source_row, outcome,
                   referral_date, event_date
            FROM outcomes
            WHERE pas_id IS NULL AND nhs_number IS NOT NULL AND birth_date IS NOT NULL
        ),
        repeated AS (SELECT child FROM candidates GROUP BY child HAVING count(*) > 1)
        SELECT c.* FROM candidates c SEMI JOIN repeated r ON r.child = c.child
        ORDER BY c.child, c.referral_date NULLS LAST, c.source_row
        """
    ).fetchall()
    marks: list[tuple[int, int]] = []
    keeper: tuple[str, int, str, object, object] | None = None
    for child, row, outcome, referral, event_date in rows:
        if keeper is None or keeper[0] != child:
            keeper = (child, row, outcome, referral, event_date)
            continue
        if referral is None:
            continue  # no referral date: cannot tell which episode; it stays as decided
        closed = keeper[4] if keeper[2] in ("seen", "discharged") else None
        if closed is not None and referral > closed:
            keeper = (child, row, outcome, referral, event_date)  # a new episode
            continue
        marks.append((row, keeper[1]))
    if not marks:
        return
    duplicate_marks = pa.table(
        {
            "source_row": pa.array([row for row, _ in marks], pa.int64()),
            "of_row": pa.array([of_row for _, of_row in marks], pa.int64()),
        }
    )
    con.register("duplicate_marks", duplicate_marks)
    con.execute(
        """
        UPDATE outcomes o SET outcome = 'duplicate', duplicate_of_row = m.of_row,
            event = '', event_date = NULL,
            reason = 'The same child as row ' || m.of_row || ', in the same episode: '
                || CASE WHEN o.agreement <> '' THEN o.agreement || ' (PAS ' || o.pas_id || ')'
                        ELSE 'the same NHS number and birth date' END
                || coalesce('; this row''s referral is ' || day_text(o.referral_date), '')
                || '.'
        FROM duplicate_marks m WHERE o.source_row = m.source_row
        """
    )
    con.unregister("duplicate_marks")


def decide(con: duckdb.DuckDBPyConnection, report: Progress) -> pa.Table:
    """The outcome of every legacy row, in row order, as an Arrow table."""
    report("deciding", 0, 2)
    _outcomes(con)
    report("deciding", 1, 2)
    _duplicates(con)
    table = con.sql(
        """
        SELECT source_sheet, source_row, outcome, reason, duplicate_of_row, pas_id,
               nhs_number, match, agreement, confidence, event, event_date, referral_date,
               match_probability
        FROM outcomes ORDER BY source_sheet, source_row
        """
    ).to_arrow_table()
    report("deciding", 2, 2)
    return table
