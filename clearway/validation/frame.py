"""A legacy list as one Arrow table: the rows the validation engine reads.

:func:`read_legacy_table` reads a legacy list into a :class:`LegacyTable`: its ``table``
has the columns of :data:`LEGACY_SCHEMA` (the engine's ``LEGACY_COLUMNS``), one row per
data row, with exactly the values, problems, skipped rows and row numbers that
:func:`~clearway.validation.readers.read_legacy` gives.

- **Spreadsheets** (xlsx, xls, ods) are read by ``read_legacy`` and converted row by row
  by :func:`legacy_table`. That is the reference; a spreadsheet is never large enough for
  it to be slow.
- **CSV files** (csv, tsv, txt) may hold a million rows, so they are read a column at a
  time, with Arrow (a million rows: about 2.5 s and 0.5 GB on two cores):

  1. Python's csv module reads the top of the file, as ``read_legacy`` does, to find the
     header row. Arrow's csv reader splits the rest (in one block and one thread, so that
     it numbers the rows it hands back: those with more or fewer cells than usual, which
     Python's csv module then reads). A file that Arrow cannot split, or whose header
     cannot be found, is left to ``read_legacy``, which reads or refuses it.
  2. Blank, footer and repeated-header rows: cheap tests on the columns pick out the few
     rows that may be one, and the reader's own test decides.
  3. Each column is normalised at once: cells in a common shape by Arrow kernels that
     agree with the normalisers (NHS numbers written ``9991234567``, ``999 123 4567``,
     ``999-123-4567`` or ``9991234567.0``, with the check digit computed in Arrow;
     dates written dd/mm/yyyy or yyyy-mm-dd; ASCII hospital numbers with a digit), every
     other cell by the normaliser itself, called once per distinct cell. Problems that
     depend on the row (a referral before the birth date, a date after the as-of date) are
     computed for all rows at once. Independent columns are worked on in two threads.

  The tests check that this gives what ``legacy_table(read_legacy(path))`` gives.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import string
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from clearway.validation import normalise, readers
from clearway.validation.normalise import Cell
from clearway.validation.readers import Column, LegacyList, ReadError, Skipped, read_legacy

__all__ = ["LEGACY_SCHEMA", "LegacyTable", "legacy_table", "read_legacy_table"]

LEGACY_SCHEMA = pa.schema(
    [
        ("source_sheet", pa.string()),
        ("source_row", pa.int64()),
        ("nhs_number", pa.string()),
        ("nhs_number_problem", pa.string()),
        ("hospital_number", pa.string()),
        ("given_name", pa.string()),
        ("family_name", pa.string()),
        ("birth_date", pa.date32()),
        ("referral_date", pa.date32()),
        ("referral_date_problem", pa.string()),
    ]
)
"""The columns of :attr:`LegacyTable.table`, as ``clearway.validation.engine`` takes them."""

NO_REFERRAL_DATE = "no referral date"
"""``referral_date_problem`` for a row whose referral date is blank."""

Progress = Callable[[str, int, int], None]
STAGE = "reading the list"
"""The stage name :func:`read_legacy_table` reports to ``progress``."""


@dataclass
class LegacyTable:
    """A legacy list as read: the rows as an Arrow table, and what was understood around them.

    ``skipped`` lists the rows that are not children (title, blank, footer, repeated header)
    and ``problem_count`` is the number of problems ``read_legacy`` reports for the file.
    """

    table: pa.Table
    source: str
    sheet: str
    header_row: int
    columns: list[Column]
    skipped: list[Skipped]
    problem_count: int


# --- the reference: a LegacyList, row by row ------------------------------------------------


def legacy_table(legacy: LegacyList) -> pa.Table:
    """The rows of ``legacy`` as a table with :data:`LEGACY_SCHEMA`."""
    rows = []
    for row in legacy.rows:
        nhs_problems = [problem.message for problem in row.problems_with("nhs_number")]
        referral_problems = [problem.message for problem in row.problems_with("referral_date")]
        if not referral_problems and row.referral_date is None:
            referral_problems = [NO_REFERRAL_DATE]
        rows.append(
            {
                "source_sheet": row.source_sheet,
                "source_row": row.source_row,
                "nhs_number": row.nhs_number,
                "nhs_number_problem": "; ".join(nhs_problems) or None,
                "hospital_number": row.hospital_number.upper() if row.hospital_number else None,
                "given_name": row.given_name,
                "family_name": row.family_name,
                "birth_date": row.birth_date,
                "referral_date": row.referral_date,
                "referral_date_problem": "; ".join(referral_problems) or None,
            }
        )
    return pa.Table.from_pylist(rows, schema=LEGACY_SCHEMA)


def read_legacy_table(
    path: str | Path,
    *,
    mapping: Mapping[str, str | None] | str | Path | None = None,
    as_of: dt.date | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    progress: Progress | None = None,
) -> LegacyTable:
    """Read a legacy list (xlsx, xls, ods or csv) into a :class:`LegacyTable`.

    The arguments are those of :func:`~clearway.validation.readers.read_legacy` (``sheet``
    is ignored for csv files). ``progress(stage, done, total)`` is called a few times as the
    work advances. Raises :class:`ReadError` for a file that cannot be read at all.
    """
    path = Path(path)
    report = progress or (lambda stage, done, total: None)
    report(STAGE, 0, 5)
    if path.suffix.lower() in readers.CSV_SUFFIXES:
        # Work on separate columns runs in two threads: Arrow's kernels release the GIL.
        with ThreadPoolExecutor(2, thread_name_prefix="clearway-frame") as pool:
            result = _read_csv(
                path, mapping=mapping, as_of=as_of, header_row=header_row, pool=pool, report=report
            )
        pa.default_memory_pool().release_unused()  # hand the working memory back at once
    else:
        legacy = read_legacy(path, sheet=sheet, mapping=mapping, as_of=as_of, header_row=header_row)
        result = _from_legacy(legacy)
    report(STAGE, 5, 5)
    return result


def _from_legacy(legacy: LegacyList) -> LegacyTable:
    return LegacyTable(
        table=legacy_table(legacy),
        source=legacy.source,
        sheet=legacy.sheet,
        header_row=legacy.header_row,
        columns=legacy.columns,
        skipped=legacy.skipped,
        problem_count=len(legacy.problems),
    )


# --- csv: the rows ---------------------------------------------------------------------------

_LINE_END = re.compile(r"\r\n|\r|\n")
# The characters str.strip() strips: all are below U+3001 (the tests check it).
_WHITESPACE = "".join(char for char in map(chr, range(0x3001)) if char.isspace())

OddRow = tuple[int, list[str]]
"""A row Arrow could not split (a number of cells other than the usual): number, cells."""


def _strip(cells: pa.Array) -> pa.Array:
    """``str.strip()`` of each cell."""
    return pc.utf8_trim(cells, characters=_WHITESPACE)


def _head(text: str, delimiter: str, count: int) -> tuple[list[list[Cell]], list[int]]:
    """The first ``count`` rows as ``read_legacy`` reads them, and where in ``text`` each ends."""
    ends: list[int] = []
    position = 0

    def lines() -> Iterator[str]:  # as io.StringIO(text, newline="") gives them, lazily
        nonlocal position
        for match in _LINE_END.finditer(text):
            line, position = text[position : match.end()], match.end()
            yield line
        if position < len(text):
            line, position = text[position:], len(text)
            yield line

    rows: list[list[Cell]] = []
    for row in csv.reader(lines(), delimiter=delimiter):
        rows.append(list[Cell](row))
        ends.append(position)
        if len(rows) == count:
            break
    return rows, ends


def _split(
    data: pa.Buffer, delimiter: str, width: int
) -> tuple[list[pa.Array], list[OddRow]] | None:
    """The cells of the csv rows in ``data``: one array per column for the rows with ``width``
    cells, and the odd rows (other numbers of cells) as Python's csv module reads them.

    Rows are numbered from 1, blank ones included, as Python's csv module counts them.
    None when Arrow cannot split the rows, or a cell is longer than the csv module allows.
    """
    names = [str(index) for index in range(width)]
    if not data.size:
        return [pa.array([], pa.string())] * width, []
    odd: list[tuple[int, str]] = []

    def keep_odd(row: pa_csv.InvalidRow) -> str:
        odd.append((row.number, row.text))
        return "skip"

    try:
        table = pa_csv.read_csv(
            data,
            # One thread, so that the reader numbers the rows it hands to keep_odd, and one
            # block: Arrow loses the \n of a quoted \r\n that straddles two blocks.
            read_options=pa_csv.ReadOptions(
                column_names=names, use_threads=False, block_size=data.size + 1
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=keep_odd,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,
            ),
        )
    except pa.ArrowInvalid:
        return None
    columns = [column.combine_chunks() for column in table.columns]
    try:
        odd_rows = [
            (number, next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), []))
            for number, text in odd
        ]
    except csv.Error:
        return None
    # A cell of more bytes than csv.field_size_limit() characters may be too long for it.
    longest = max((pc.max(pc.binary_length(column)).as_py() or 0 for column in columns), default=0)
    return None if longest > csv.field_size_limit() else (columns, odd_rows)


def _read_csv(
    path: Path,
    *,
    mapping: Mapping[str, str | None] | str | Path | None,
    as_of: dt.date | None,
    header_row: int | None,
    pool: ThreadPoolExecutor,
    report: Progress,
) -> LegacyTable:
    readers._check_file(path, readers.MAX_FILE_BYTES)
    as_of = as_of or normalise._today()
    checked = readers._any_mapping(mapping)
    sheet = path.name

    def reference() -> LegacyTable:
        """What read_legacy reads (or its ReadError), for the files left to it."""
        return _from_legacy(read_legacy(path, mapping=checked, as_of=as_of, header_row=header_row))

    # The header row and the rows above it, read as read_legacy reads them.
    text, delimiter = readers._csv_text(path)
    try:
        head, ends = _head(text, delimiter, max(readers.HEADER_SEARCH_ROWS, header_row or 0) + 50)
        header_index = readers._header_index(
            head, source=sheet, sheet=sheet, mapping=checked, header_row=header_row
        )
    except (csv.Error, ReadError):
        return reference()  # no header row, or a cell too long for the csv module
    header = head[header_index]
    columns = readers._columns(header, checked)
    header_keys = readers._header_keys(header)

    # The rows below it, split by Arrow: the rows with the usual number of cells are
    # numbered in order, the odd ones by the number Arrow gives them.
    lengths = Counter(len(row) for row in head[header_index + 1 :] if row)
    width = max(1, lengths.most_common(1)[0][0] if lengths else len(header))
    data = pa.py_buffer(text.encode("utf-8"))
    start = len(text[: ends[header_index]].encode("utf-8"))
    del text
    below = _split(data.slice(start), delimiter, width)
    del data
    if below is None:
        return reference()  # for Python's csv module to read (or refuse)
    split, odd = below
    del below
    report(STAGE, 1, 5)
    count = len(split[0])
    positions = pc.indices_nonzero(pa.repeat(True, count + len(odd))).cast(pa.int64())
    odd_numbers = pa.array([number for number, _ in odd], pa.int64())
    in_order = pc.invert(pc.is_in(pc.add(positions, 1), odd_numbers))
    record = pa.concat_arrays([pc.add(positions.filter(in_order), 1), odd_numbers])

    # One array of stripped cells per column (the normalisers strip cells first), the odd
    # rows last; as many columns as the header or the usual row has.
    strings = list(pool.map(_strip, split))
    strings += [pa.repeat("", count)] * (len(header) - width)
    del split
    if odd:
        strings = [
            pa.concat_arrays([column, pa.array([_cell(row, index) for _, row in odd])])
            for index, column in enumerate(strings)
        ]

    # Skipped rows. Blank rows after the last filled row are not reported: read_legacy
    # drops them before reading.
    reasons = _skip_reasons(strings, odd, columns, header_keys, pool)  # position -> why
    kept = pc.invert(pc.is_in(positions, pa.array(list(reasons), pa.int64())))
    numbers = record.take(pa.array(list(reasons), pa.int64())).to_pylist()
    number = dict(zip(reasons, numbers, strict=True))
    last = max(
        [pc.max(record.filter(kept)).as_py() or 0]
        + [number[position] for position, why in reasons.items() if why != "blank row"]
    )
    if last == 0 and all(readers._is_blank(cell) for cell in header):
        return reference()  # the header row named is blank, and so is all below: "no row"
    skipped = readers._rows_above_header(head, header_index, sheet)
    skipped += sorted(
        (
            Skipped(sheet, header_index + 1 + number[position], why)
            for position, why in reasons.items()
            if number[position] <= last
        ),
        key=lambda entry: entry.source_row,
    )
    source_row = pc.add(record.filter(kept), header_index + 1)
    report(STAGE, 2, 5)

    def cells(field: str) -> pa.Array:
        column = next((column for column in columns if column.field == field), None)
        return strings[column.index].filter(kept) if column else pa.repeat("", len(source_row))

    fields = {column.field for column in columns if column.field}
    values, problem_count = _normalise(cells, fields, as_of, pool, report)
    table = pa.table(
        {"source_sheet": pa.repeat(sheet, len(source_row)), "source_row": source_row} | values
    )
    return LegacyTable(
        table=table.sort_by("source_row") if odd else table,
        source=path.name,
        sheet=sheet,
        header_row=header_index + 1,
        columns=columns,
        skipped=skipped,
        problem_count=problem_count + len(readers._mapping_problems(columns, checked)),
    )


def _cell(row: list[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


# --- csv: skipped rows -----------------------------------------------------------------------

_ASCII_ALNUM = string.ascii_letters + string.digits
_FOOTER_START = "(?i)^(?:total|count|number|end|grand)"  # how every readers._FOOTER match starts


def _skip_reasons(
    strings: list[pa.Array],
    odd: list[OddRow],
    columns: list[Column],
    header_keys: list[str],
    pool: ThreadPoolExecutor,
) -> dict[int, str]:
    """Why each skipped row below the header is skipped, by its position in ``strings``.

    The reader's own test decides (``readers._skip_reason``), for the odd rows and for the
    few rows column tests pick out: those that may be blank (no cell filled), a footer (at
    most three cells filled, one starting with a footer word) or the header again (two
    cells that may read as their header cell).
    """
    count = len(strings[0]) - len(odd)
    cells = [column[:count] for column in strings]
    keys = [*header_keys, *[""] * (len(strings) - len(header_keys))]
    filled, header_like = pa.repeat(0, count), pa.repeat(0, count)
    for column_filled, column_header_like in pool.map(_cell_tests, cells, keys):
        filled = pc.add(filled, column_filled)
        header_like = pc.add(header_like, column_header_like)
    sparse = pc.indices_nonzero(pc.less_equal(filled, 3))
    footer = pc.equal(filled.take(sparse), 0)  # blank
    for column in cells:
        footer = pc.or_(footer, pc.match_substring_regex(column.take(sparse), _FOOTER_START))
    header = pc.indices_nonzero(pc.greater_equal(header_like, 2))
    candidates = pa.array(
        sorted({*sparse.filter(footer).to_pylist(), *header.to_pylist()}), pa.int64()
    )
    rows = zip(*(column.take(candidates).to_pylist() for column in strings), strict=True)
    reasons = {}
    for position, row in zip(candidates.to_pylist(), rows, strict=True):
        if why := readers._skip_reason(row, columns, header_keys):
            reasons[position] = why
    for position, (_, odd_row) in enumerate(odd, start=count):
        if why := readers._skip_reason(odd_row, columns, header_keys):
            reasons[position] = why
    return reasons


def _cell_tests(cells: pa.Array, key: str) -> tuple[pa.Array, pa.Array]:
    """1 where a stripped cell is filled, and 1 where it may read as the header key ``key``.

    A cell reads as the key when its letters and digits, lower-cased, are the key's
    (``readers._header_key``). So it is at least as long as the key, and it starts with the
    key's first letter (in either case), or with something other than an ASCII letter or
    digit.
    """
    filled = pc.not_equal(cells, "").cast(pa.int32())
    if not key:
        return filled, pa.repeat(0, len(cells)).cast(pa.int32())
    first = pc.binary_slice(cells.cast(pa.binary()), 0, 1)
    other = pa.array([char.encode() for char in _ASCII_ALNUM if char.lower() != key[0]])
    may = pc.and_(
        pc.greater_equal(pc.binary_length(cells), len(key)),
        pc.invert(pc.is_in(first, other)),
    )
    return filled, may.cast(pa.int32())


# --- csv: the columns ------------------------------------------------------------------------


def _each_distinct(
    func: Callable[[Any], tuple[object, ...]], cells: pa.Array, types: Sequence[pa.DataType]
) -> list[pa.Array]:
    """``func`` of every cell, called once per distinct cell: one array per item it returns."""
    encoded = cells.dictionary_encode()
    results = [func(value) for value in encoded.dictionary.to_pylist()]
    return [
        pa.array([result[item] for result in results], kind).take(encoded.indices)
        for item, kind in enumerate(types)
    ]


def _patch(
    arrays: list[pa.Array],
    where: pa.Array,
    func: Callable[[Any], tuple[object, ...]],
    cells: pa.Array,
) -> list[pa.Array]:
    """``arrays`` with the rows ``where`` is true replaced by ``func`` of their cells."""
    if not pc.any(where).as_py():
        return arrays
    fixes = _each_distinct(func, cells.filter(where), [array.type for array in arrays])
    return [
        pc.replace_with_mask(array, where, fix) for array, fix in zip(arrays, fixes, strict=True)
    ]


def _fill(
    array: pa.Array, where: pa.Array, func: Callable[..., pa.Array], *arrays: pa.Array
) -> pa.Array:
    """``array`` with the rows ``where`` is true replaced by ``func`` of those rows' values."""
    if not pc.any(where).as_py():
        return array
    return pc.replace_with_mask(array, where, func(*(each.filter(where) for each in arrays)))


def _count(array: pa.Array) -> int:
    """How many values are true (booleans) or present (anything else)."""
    if pa.types.is_boolean(array.type):
        return int(pc.sum(array).as_py() or 0)
    return len(array) - array.null_count


_NOTHING = pa.scalar(None, pa.string())
_WHOLE_NUMBER = r"^[0-9]{10}\.0+$"  # "9991234567.0": a number cell saved as text


def _nhs_numbers(cells: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(number, problem) for each stripped cell, as ``normalise.nhs_number`` reads them.

    Arrow reads the cells of digits, spaces and dashes (``999 123 4567``) and ``.0``
    decimals: ten digits are checked here, unless they start 0 to 3 (Scottish CHI numbers,
    which nhs-number also checks against a date); other numbers of digits are refused.
    The other cells (blanks, "TBC", ...) are read by the normaliser, once per distinct cell.
    """
    digits = pc.replace_substring(pc.replace_substring(cells, " ", ""), "-", "")
    plain = pc.ascii_is_decimal(digits)  # false for "", which is blank
    whole = _fill(pa.repeat(False, len(cells)), pc.invert(plain), _whole_number, cells)
    digits = pc.if_else(whole, pc.utf8_slice_codeunits(cells, 0, 10), digits)
    length = pc.binary_length(digits)
    checked = pc.and_(
        pc.and_(pc.or_(plain, whole), pc.equal(length, 10)), pc.greater_equal(digits, "4")
    )
    value = pc.cast(pc.if_else(checked, digits, "0"), pa.int64())
    weighted = pc.multiply(value, 0)
    for position in range(9):  # the digits from the left weigh 10, 9, ... 2
        digit = pc.remainder(pc.divide(value, 10 ** (9 - position)), 10)
        weighted = pc.add(weighted, pc.multiply(digit, 10 - position))
    check = pc.remainder(pc.subtract(11, pc.remainder(weighted, 11)), 11)  # 10 matches nothing
    valid = pc.and_(checked, pc.equal(check, pc.remainder(value, 10)))
    number = pc.if_else(valid, digits, _NOTHING)
    problem = pa.nulls(len(cells), pa.string())
    problem = _fill(problem, pc.and_(checked, pc.invert(valid)), _check_digit_wrong, cells)
    miscounted = pc.and_(plain, pc.not_equal(length, 10))
    problem = _fill(problem, miscounted, _digits_wrong, cells, length)
    others = pc.invert(pc.or_(checked, miscounted))
    number, problem = _patch([number, problem], others, normalise.nhs_number, cells)
    return number, problem


def _whole_number(cells: pa.Array) -> pa.Array:
    return pc.match_substring_regex(cells, _WHOLE_NUMBER)


def _digits_wrong(cells: pa.Array, length: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(
        "'",
        cells,
        "' is not an NHS number: it has ",
        length.cast(pa.string()),
        " digits, not 10",
        "",
    )


def _check_digit_wrong(cells: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(
        "'", cells, "' is not a valid NHS number: its check digit is wrong", ""
    )


_ASCII_NOT_DIGIT = "".join(chr(code) for code in range(1, 128) if not chr(code).isdigit())


def _hospital_number(cell: str) -> tuple[str | None]:
    text = normalise.text_value(cell)
    return (None if normalise.is_placeholder(text) else text.upper(),)


def _hospital_numbers(cells: pa.Array) -> pa.Array:
    """Hospital numbers, upper-cased; blanks and placeholders ("TBC", "N/K") are null.

    An ASCII cell with a digit in it is never a placeholder; the others go to the reader's
    rules, once per distinct cell.
    """
    with_digit = pc.not_equal(pc.utf8_trim(cells, characters=_ASCII_NOT_DIGIT), "")
    plain = pc.and_(pc.string_is_ascii(cells), with_digit)
    number = pc.if_else(plain, pc.ascii_upper(cells), _NOTHING)
    return _patch([number], pc.invert(plain), _hospital_number, cells)[0]


def _names(
    given: pa.Array, family: pa.Array, full: pa.Array
) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    """(given, family, problem, has a name) for each row, as ``read_legacy`` reads names:
    from the given and family name cells when either is filled, else from the name cell."""

    def given_part(cell: str) -> tuple[str | None]:
        person = normalise.person_name(given=cell)
        return (person.given if person else None,)

    def family_part(cell: str) -> tuple[str | None]:
        person = normalise.person_name(family=cell)
        return (person.family if person else None,)

    def whole(cell: str) -> tuple[str | None, str | None, str | None]:
        person = normalise.person_name(cell)
        return (person.given, person.family, person.problem) if person else (None, None, None)

    from_parts = pc.or_(pc.not_equal(given, ""), pc.not_equal(family, ""))
    from_whole = pc.and_(pc.invert(from_parts), pc.not_equal(full, ""))
    (given_name,) = _each_distinct(given_part, given, [pa.string()])
    (family_name,) = _each_distinct(family_part, family, [pa.string()])
    nothing = pa.nulls(len(full), pa.string())
    given_name, family_name, problem = _patch(
        [
            pc.if_else(from_parts, given_name, nothing),
            pc.if_else(from_parts, family_name, nothing),
            nothing,
        ],
        from_whole,
        whole,
        full,
    )
    return given_name, family_name, problem, pc.or_(from_parts, from_whole)


_DATE_SHAPES = ("%d/%m/%Y", "%Y-%m-%d")  # the usual shapes, which Arrow reads as uk_date does
_YEAR_ONE = pa.scalar(dt.date(1, 1, 1))


def _dates(
    cells: pa.Array, as_of: dt.date, allow_future: bool = False
) -> tuple[pa.Array, pa.Array]:
    """(date, problem) for each cell, as ``normalise.uk_date`` reads them.

    Each distinct cell is read once: by Arrow when it is a real date in a usual shape (it
    prints back as the cell), else by ``uk_date``.
    """
    encoded = cells.dictionary_encode()
    distinct = encoded.dictionary
    date = pa.nulls(len(distinct), pa.date32())
    for shape in _DATE_SHAPES:
        parsed = pc.strptime(distinct, format=shape, unit="s", error_is_null=True)
        parsed = pc.cast(parsed, pa.date32())
        same = pc.and_(
            pc.equal(pc.strftime(parsed, format=shape), distinct),
            pc.greater_equal(parsed, _YEAR_ONE),
        )
        date = pc.if_else(pc.fill_null(same, False), parsed, date)

    def read(cell: str) -> tuple[dt.date | None, str | None]:
        return normalise.uk_date(cell, as_of=as_of, allow_future=allow_future)

    problem = pa.nulls(len(distinct), pa.string())
    date, problem = _patch([date, problem], pc.is_null(date), read, distinct)
    return date.take(encoded.indices), problem.take(encoded.indices)


def _days(dates: pa.Array) -> pa.Array:
    """Each date as problems write it ("3 May 2021")."""
    return _each_distinct(lambda day: (readers._day(day),), dates, [pa.string()])[0]


def _normalise(
    cells: Callable[[str], pa.Array],
    fields: set[str],
    as_of: dt.date,
    pool: ThreadPoolExecutor,
    report: Progress,
) -> tuple[dict[str, pa.Array], int]:
    """The table's columns from each field's (stripped) cells, and how many problems.

    ``fields`` are the fields the list has; the others' cells are all blank.
    """
    nhs = pool.submit(_nhs_numbers, cells("nhs_number"))
    hospital = pool.submit(_hospital_numbers, cells("hospital_number"))
    names = pool.submit(_names, cells("given_name"), cells("family_name"), cells("name"))
    births = pool.submit(_dates, cells("birth_date"), as_of)
    referrals = pool.submit(_dates, cells("referral_date"), as_of)
    nhs_number, nhs_problem = nhs.result()
    hospital_number = hospital.result()
    report(STAGE, 3, 5)
    given, family, name_problem, has_name = names.result()
    birth_date, birth_problem = births.result()
    referral_date, referral_problem = referrals.result()
    report(STAGE, 4, 5)

    # Problems that depend on the row: dates after the as-of date, a referral before birth.
    def after_as_of(referral: pa.Array) -> pa.Array:
        return pc.binary_join_element_wise(
            _days(referral), f" is after the as-of date, {readers._day(as_of)}", ""
        )

    def before_birth(referral: pa.Array, birth: pa.Array) -> pa.Array:
        return pc.binary_join_element_wise(
            "referral date ", _days(referral), " is before the birth date ", _days(birth), ""
        )

    nothing = pa.nulls(len(referral_date), pa.string())
    birth_after = pc.fill_null(pc.greater(birth_date, as_of), False)
    referral_after = _fill(
        nothing, pc.fill_null(pc.greater(referral_date, as_of), False), after_as_of, referral_date
    )
    referral_before = _fill(
        nothing,
        pc.fill_null(pc.less(referral_date, birth_date), False),
        before_birth,
        referral_date,
        birth_date,
    )
    problems = sum(
        _count(array)
        for array in (
            *(nhs_problem, name_problem, birth_problem, birth_after),
            *(referral_problem, referral_after, referral_before),
        )
    )
    referral_problem = pc.coalesce(
        referral_problem,  # an unreadable date, which cannot be after or before anything
        pc.binary_join_element_wise(referral_after, referral_before, "; "),
        referral_after,
        referral_before,
        pc.if_else(pc.is_null(referral_date), NO_REFERRAL_DATE, _NOTHING),
    )

    # Problems that are only counted: panel dates, requirement states, no identifier at all.
    def panel_problem(cell: str) -> str | None:
        return normalise.uk_date(cell, as_of=as_of, allow_future=True)[1]

    def requirement_problem(cell: str) -> str | None:
        return normalise.requirement_state(cell)[1]

    for field in fields & {"panel_date", *readers.REQUIREMENT_FIELDS}:
        problem_of = panel_problem if field == "panel_date" else requirement_problem
        counts = pc.value_counts(cells(field))
        for value, number in zip(
            counts.field(0).to_pylist(), counts.field(1).to_pylist(), strict=True
        ):
            problems += number if problem_of(value) else 0
    identified = pc.or_(
        pc.or_(pc.is_valid(nhs_number), pc.is_valid(hospital_number)),
        pc.or_(has_name, pc.is_valid(birth_date)),
    )
    problems += _count(pc.invert(identified))

    columns = {
        "nhs_number": nhs_number,
        "nhs_number_problem": nhs_problem,
        "hospital_number": hospital_number,
        "given_name": given,
        "family_name": family,
        "birth_date": birth_date,
        "referral_date": referral_date,
        "referral_date_problem": referral_problem,
    }
    return columns, problems
