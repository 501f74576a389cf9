"""The validation engine: pure Python on DuckDB and Arrow, importable without Django.

- :mod:`~clearway.validation.normalise` turns one messy cell into a clean value and, when it
  cannot, a plain-words problem (NHS numbers, UK dates, names, requirement states);
- :mod:`~clearway.validation.readers` finds the header row of a spreadsheet or csv file,
  recognises its columns and reads every row, accounting for each one (a data row, or a
  skipped blank, title or footer row with the reason);
- :mod:`~clearway.validation.frame` gives the same rows as an Arrow table, reading a large csv
  file column by column;
- :mod:`~clearway.validation.engine` validates those rows against a PAS extract, through
  :mod:`~clearway.validation.matching` (and :mod:`~clearway.validation.linkage`, Splink) and
  :mod:`~clearway.validation.decide`;
- :mod:`~clearway.validation.command` is ``clearway validate``;
- :mod:`~clearway.validation.synthetic` makes labelled messy lists for the tests.

Nothing in this package may import Django (``tests/validation/test_readers.py`` and
``test_command.py`` check).
"""
