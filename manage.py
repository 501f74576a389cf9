#!/usr/bin/env python
"""Django's manage.py, for those who expect it: the same as `clearway manage`."""

import sys

from clearway.cli import setup_django

if __name__ == "__main__":
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
