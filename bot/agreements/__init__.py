"""ICE's list of 287(g) agreements: imported from ICE's spreadsheet, kept as YAML, looked up.

* :mod:`bot.agreements.model`: an :class:`Agreement`, and the :class:`AgreementList` of one
  date with the indexes that answer "is there an agreement in my county?";
* :mod:`bot.agreements.files`: ``content/agreements.yaml``, written and read back, every entry
  checked;
* :mod:`bot.agreements.placing`: the county of a city agency ICE gives none for, from the
  place in its name (the importer writes it into the file);
* :mod:`bot.agreements.importer`: ICE's spreadsheet, tidied, into that file
  (``outreach-bot import-agreements``). Only the importer loads openpyxl, and only the command
  imports the importer: this package's names below are what the bot itself uses.

Places are named as :mod:`bot.placenames` keys them. This package imports neither
``telegram`` nor the content package (which imports it).
"""

from bot.agreements.files import ImportProblem, dump_agreements, load_agreements, parse_agreements
from bot.agreements.model import (
    KINDS,
    MODELS,
    Agreement,
    AgreementList,
    Inferred,
    Kind,
    Model,
    by_agency,
)

__all__ = [
    "KINDS",
    "MODELS",
    "Agreement",
    "AgreementList",
    "ImportProblem",
    "Inferred",
    "Kind",
    "Model",
    "by_agency",
    "dump_agreements",
    "load_agreements",
    "parse_agreements",
]
