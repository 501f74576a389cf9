"""Checks every HTML page the test client receives: a title, and no duplicate ids."""

from collections import Counter
from html.parser import HTMLParser


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids[value] += 1
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def check_page(html: str) -> str:
    """Assert the page has a title and unique ids; return the title."""
    parser = _PageParser()
    parser.feed(html)
    title = " ".join(parser.title.split())
    assert title, "The page has no <title>"
    duplicates = sorted(i for i, n in parser.ids.items() if n > 1)
    assert not duplicates, f"Duplicate ids on the page {title!r}: {duplicates}"
    return title
