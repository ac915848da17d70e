"""Members of Congress by ZIP code: the imported data, its files, and the lookup.

* :mod:`bot.congress.model`: members, district offices, the compact ZIP table, and which
  Congress is in office on a given day;
* :mod:`bot.congress.files`: ``content/congress.yaml`` and ``content/congress-zips.txt``,
  and :class:`CongressFiles`, which the content holds and reads in full on first use;
* :mod:`bot.congress.importer`: ``outreach-bot import-congress`` from the public datasets;
* :mod:`bot.congress.lookup`: :func:`representatives_for_zip`.

Nothing here imports ``telegram`` or the content package.
"""

from bot.congress.files import MEMBERS_FILE, ZIPS_FILE, CongressFileError, CongressFiles
from bot.congress.lookup import Contact, HouseSeat, Representation, representatives_for_zip
from bot.congress.model import CongressData, District, Member, Office, congress_end

__all__ = [
    "MEMBERS_FILE",
    "ZIPS_FILE",
    "CongressData",
    "CongressFileError",
    "CongressFiles",
    "Contact",
    "District",
    "HouseSeat",
    "Member",
    "Office",
    "Representation",
    "congress_end",
    "representatives_for_zip",
]
