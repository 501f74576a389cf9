"""Small formatting rules shared by pages, letters and the command line."""

from nhs_number import standardise_format


def format_nhs_number(value: str | None) -> str:
    """999 123 4560 — the NHS style: three, three, four digits."""
    if not value:
        return ""
    digits = standardise_format(str(value)) or str(value)
    if len(digits) != 10:
        return str(value)
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
