"""argparse that reports usage errors as one CCError line instead of printing and exiting."""

from __future__ import annotations

import argparse
from typing import NoReturn

from ccplugin.errors import CCError


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CCError(message, f"see `{self.prog} --help`")


def add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
