"""The validation engine: pure Python, importable without Django (DESIGN.md, principle 4).

This first layer reads the legacy waiting list a service really has and makes sense of its
cells:

- :mod:`clearway.validation.normalise` turns one messy cell into a clean value and, when it
  cannot, a plain-words problem (NHS numbers, UK dates, names, requirement states);
- :mod:`clearway.validation.readers` finds the header row of a spreadsheet or csv file,
  recognises its columns and reads every row, accounting for each one (a data row, or a
  skipped blank, title or footer row with the reason).

Nothing in this package may import Django.
"""
