"""Keep identifiers out of the application's logs.

Django logs only the path of a refused or failed request, never its body, but a server's
request line carries the query string, and a search puts a child's name or NHS number there.
This filter, on every handler, cuts query strings out of each message before it is written.
"""

import logging
import re

QUERY_STRING = re.compile(r"\?(?=[^\s\"']*=)[^\s\"']*")


class NoQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            record.msg = QUERY_STRING.sub("?[query removed]", message)
            record.args = ()
        return True
