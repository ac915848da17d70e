"""Write ``ice-287g-sample-2025-07-18.xlsx``: a small stand-in for ICE's spreadsheet.

ICE publishes its list of 287(g) agreements as an Excel workbook (one sheet; ``STATE, LAW
ENFORCEMENT AGENCY, TYPE, COUNTY, SUPPORT TYPE, SIGNED, MOA, ADDENDUM``). The rows below are
real agreements from ICE's list of July 18, 2025, chosen for the untidiness the importer must
handle, and written the way ICE's file stores them:

* trailing spaces in ``SUPPORT TYPE`` ("Task Force Model "), agency names and counties;
* blank trailing rows: cells with a style (borders) and no value, as Excel leaves them;
* "link pending" (with and without trailing spaces) in ``MOA``;
* "link" cells whose address is a hyperlink (an external relationship of the sheet, not the
  cell's text), including Outlook "safe links" and a plain ``http://`` link, and an
  ``ADDENDUM`` column with a few links of its own;
* ``#N/A``, ``#NA`` and ``N/A`` as the county of state agencies and city police, and two state
  agencies that ICE does place in a county;
* the same county name in two states (Hillsborough County, Florida and New Hampshire);
* a county misspelt ("Flagere County", "Alleghany County"), a county written without
  "County" ("Decatur"), a Louisiana "County" that is a parish;
* dates as Excel dates, dates typed as text ("7/72025", "05/082025") and an impossible year
  (5025).

The safe links' tracking parameters are shortened (they named ICE staff). Regenerate with::

    .venv/bin/python tests/data/make_ice_sample.py

The output is byte-for-byte reproducible for a given openpyxl version (fixed timestamps);
``tests/test_agreements.py`` checks that the committed file holds exactly these rows.
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

NAME = "ice-287g-sample-2025-07-18.xlsx"
HEADER = [
    "STATE",
    "LAW ENFORCEMENT AGENCY",
    "TYPE",
    "COUNTY",
    "SUPPORT TYPE",
    "SIGNED",
    "MOA",
    "ADDENDUM",
]
BLANK_TRAILING_ROWS = 12
DOCLIB = "https://www.ice.gov/doclib/287gMOA/"
FIXED_TIME = datetime(2025, 7, 18, 12, 0, 0)


def safelink(url: str) -> str:
    """An Outlook "safe link" wrapping ``url``, as ICE's staff pasted them."""
    return (
        "https://gcc02.safelinks.protection.outlook.com/?url="
        + quote(url, safe="")
        + "&data=05%7C02%7CERO287g%40ice.dhs.gov%7C0%7C0%7C638852590291873164"
        + "&sdata=c2FtcGxl&reserved=0"
    )


def d(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day)


Link = tuple[str, str | None]  # the cell's text, and its hyperlink (None: no hyperlink)
PENDING: Link = ("link pending", None)
PENDING_: Link = ("link pending ", None)

# STATE, AGENCY, TYPE, COUNTY, SUPPORT TYPE, SIGNED, MOA, ADDENDUM — in ICE's order.
ROWS: list[tuple[str, str, str, str, str, Any, Link, Link | None]] = [
    ("ALABAMA", "Colbert County Sheriff's Office", "County", "Colbert County",
     "Task Force Model", d(2025, 7, 2), PENDING, None),
    ("ALABAMA", "Colbert County Sheriff's Office", "County", "Colbert County",
     "Warrant Service Officer", d(2025, 5, 8),
     ("link", safelink(DOCLIB + "ColbertCoSheriffsOfficeAL_WSO_MOA_05.08.25.pdf")), None),
    ("ALABAMA", "Colbert County Sheriff's Office", "County", "Colbert County",
     "Jail Enforcement Model", d(2025, 5, 8),
     ("link", safelink(DOCLIB + "ColbertCoSheriffsOfficeAL_JEM_MOA_05.08.2025.pdf")), None),
    ("ALABAMA", "Level Plains Police Department", "Municipality", "#N/A",
     "Task Force Model", d(2025, 6, 18), PENDING, None),
    ("ARKANSAS", "Miller County Sheriff's Office", "County", "Miller County",
     "Task Force Model ", d(2025, 7, 11), PENDING, None),
    ("FLORIDA", "Apopka Police Department", "Municipality", "#N/A",
     "Task Force Model", d(2025, 7, 2), PENDING, None),
    ("FLORIDA", "Bunnell Police Department ", "Municipality", "Flagere County",
     "Task Force Model", d(2025, 7, 15), PENDING_, None),
    ("FLORIDA", "Davenport Police Department", "Municipality", "#N/A",
     "Task Force Model", d(2025, 4, 25),
     ("link  ", safelink(DOCLIB + "DavenportPoliceDeptFL_TFM_MOA_04282025.pdf")), None),
    ("FLORIDA", "Flagler County Sheriff's Office", "County", "Flagler County ",
     "Task Force Model", d(2025, 2, 26),
     ("link ", safelink(DOCLIB + "FlaglerCoSheriffsOfficeFL_TFM_MOA_02262025.pdf")), None),
    ("FLORIDA", "Flagler County Sheriff's Office", "County", "Flagler County ",
     "Warrant Service Officer", d(2019, 9, 9),
     ("link", DOCLIB + "287gWSO_FlaglerCoFl2019-09-09.pdf"), None),
    ("FLORIDA", "Florida Department of Corrections", "State Agency", "#N/A",
     "Jail Enforcement Model", d(2020, 8, 21),
     ("link", DOCLIB + "287gJEM_FL_DOC_FL_08-21-2020.pdf"), None),
    ("FLORIDA",
     "Florida Department of Highway Safety and Motor Vehicles, Division of Highway Patrol",
     "State Agency", "#N/A", "Task Force Model", d(2025, 2, 7),
     ("link", DOCLIB + "floridaHighwayPatrol_02.07.2025.pdf"), None),
    ("FLORIDA", "Florida International University Police Department", "State Agency", "#N/A",
     "Task Force Model", d(2025, 7, 2), PENDING_, None),
    ("FLORIDA", "Hillsborough County Sheriff's Office", "County", "Hillsborough County ",
     "Task Force Model", d(2025, 2, 26),
     ("link", DOCLIB + "HillsboroughCoSheriffsOffice_TFM_MOA_02.26.2025.pdf"), None),
    ("FLORIDA", "Hillsborough County Sheriff's Office", "County", "Hillsborough County ",
     "Warrant Service Officer", d(2025, 2, 26),
     ("link", DOCLIB + "hIllsboroughCountySherrifsOffice_WSO_MOA_03122025.pdf"),
     ("link", safelink(DOCLIB + "hIllsboroughCountySherrifsOffice_WSO_MOA_06102025.pdf"))),
    ("FLORIDA", "Lee County Port Authority Police", "County", "Lee County",
     "Task Force Model", d(2025, 7, 2), PENDING, None),
    ("FLORIDA", "Lee County Sheriff's Office", "County", "Lee County ",
     "Task Force Model", d(2025, 2, 24),
     ("link", DOCLIB + "leeCountySheriffsOffice_TF_MOA_03122025.pdf"), None),
    ("FLORIDA", "Lee County Sheriff's Office", "County", "Lee County ",
     "Warrant Service Officer", d(2025, 2, 26),
     ("link", DOCLIB + "leeCountySheriffsOffice_WSO_MOA_03122025.pdf"),
     ("link", safelink(DOCLIB + "leeCountySheriffsOffice_WSO_MOA_06252025.pdf"))),
    ("FLORIDA", "Lee County Sheriff's Office", "County", "Lee County ",
     "Jail Enforcement Model", d(2025, 3, 3),
     ("link", DOCLIB + "LeeCoSheriffsOffice_JEM_MOA_02.20.2025.pdf"), None),
    ("FLORIDA", "St. Johns County Sheriff's Office", "County", "St. Johns County ",
     "Jail Enforcement Model ", d(2025, 7, 18), PENDING, None),
    ("GEORGIA", "Decatur County Sheriff's Office", "County", "Decatur",
     "Warrant Service Officer", d(2025, 3, 26),
     ("link", DOCLIB + "DecaturCountySheriffGA_WSO_MOA_031825.pdf"), None),
    ("GEORGIA", "Harris County Sheriff's Office", "County", "Harris County",
     "Warrant Service Officer", d(2025, 5, 22),
     ("link", safelink(DOCLIB + "HarrisCoSheriffsOfficeGA_WSO_MOA_05.22.25.pdf")), None),
    ("IDAHO", "Idaho State Police Department ", "State Agency", "Jerome County",
     "Task Force Model", d(2025, 6, 5),
     ("link ", safelink(DOCLIB + "IdahoStatePolice_TFM_MOA_06052025.pdf")), None),
    ("IOWA", "Iowa Department of Public Safety", "State Agency", "N/A",
     "Task Force Model", d(2025, 3, 26),
     ("link", DOCLIB + "IowaDeptPublicSafety_TFM_MOA_03.24.2025.pdf"), None),
    ("LOUISIANA", "Arnaudville Police Department", "Municipality", "Saint Landry County",
     "Task Force Model ", d(2025, 7, 11), PENDING_, None),
    ("LOUISIANA", "Greenwood Police Department", "Municipality", "#NA",
     "Task Force Model ", d(2025, 7, 15), PENDING_, None),
    ("NEW HAMPSHIRE", "Belknap County Sheriff's Office", "County", "Belknap County ",
     "Task Force Model", d(2025, 3, 3),
     ("link", DOCLIB + "BelknapCoNH_TFM_MOA_03.03.25.pdf"), None),
    ("NEW HAMPSHIRE", "Hillsborough County Sheriff's Office", "County", "Hillsborough County",
     "Task Force Model", d(2025, 5, 22), PENDING_, None),
    ("NEW HAMPSHIRE", "New Hampshire State Police Department", "State Agency", "#N/A",
     "Task Force Model", d(2025, 4, 25), ("link", DOCLIB + "NHSPD_TFM_MOA_042525.pdf"), None),
    ("PENNSYLVANIA", "Office of Constable Monroeville 6th Ward", "County", "Alleghany County ",
     "Task Force Model ", d(2025, 7, 15), PENDING, None),
    ("TENNESSEE", "Grundy County Sheriff's Office ", "County", "Grundy County",
     "Warrant Service Officer", d(5025, 7, 7), PENDING, None),
    ("TEXAS", "Deaf Smith County Sheriff's Office", "County", "Deaf Smith County",
     "Warrant Service Officer", d(2025, 3, 17),
     ("link", "http://www.ice.gov/doclib/287gMOA/DeafSmithCoTX_WSO_MOA_031725.pdf"), None),
    ("TEXAS", "Harrison County Sheriff's Office", "County", "Harrison County ",
     "Warrant Service Officer", d(2025, 2, 24),
     ("link", DOCLIB + "HarrisonCoTS_WSO_MOA_02.24.2025.pdf"), None),
    ("TEXAS", "Texas National Guard", "State Agency", "#N/A",
     "Task Force Model", d(2025, 4, 10),
     ("link", DOCLIB + "TexasNationalGuard_TFM_MOA_04.10.2025.pdf"), None),
    ("TEXAS", "Texas Office of the Attorney General", "State Agency", "#N/A",
     "Task Force Model", d(2025, 1, 30),
     ("link", DOCLIB + "TexasOfficeAttorneyGeneral_TFM_MOA_01.30.25.pdf"), None),
    ("UTAH", "Tooele County Sheriff's Office", "County", "Tooele County",
     "Task Force Model", d(2025, 7, 2), PENDING, None),
    ("UTAH", "Tooele County Sheriff's Office", "County", "Tooele County",
     "Warrant Service Officer", "7/72025", PENDING, None),
    ("VIRGINIA", "Campbell County Sheriff's Office", "County", "Campbell County",
     "Task Force Model", "05/082025", PENDING, None),
    ("VIRGINIA", "Virginia Department of Corrections", "State Agency", "#N/A",
     "Jail Enforcement Model", d(2025, 2, 28), ("link", DOCLIB + "VADOC_JEM_MOA_022825.pdf"), None),
    ("VIRGINIA", "Virginia Department of Wildlife Resources", "State Agency", "Henrico County",
     "Task Force Model", d(2025, 6, 11),
     ("link ", safelink(DOCLIB + "VirginiaDeptWildlifeResources_TFM_MOA_06112025.pdf")), None),
]  # fmt: skip


def build() -> bytes:
    """The workbook's bytes."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sheet1"
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    for column, title in enumerate(HEADER, start=1):
        cell = sheet.cell(row=1, column=column, value=title)
        cell.font = Font(bold=True)
        cell.border = border
    for number, values in enumerate(ROWS, start=2):
        *plain, moa, addendum = values
        for column, value in enumerate(plain, start=1):
            cell = sheet.cell(row=number, column=column, value=value)
            cell.border, cell.alignment = border, wrap
            if isinstance(value, datetime):
                cell.number_format = "mm-dd-yy"
        for column, link in ((7, moa), (8, addendum)):
            cell = sheet.cell(row=number, column=column, value=link[0] if link else None)
            if link and link[1]:
                cell.hyperlink = link[1]
                cell.style = "Hyperlink"
            cell.border, cell.alignment = border, wrap
    # Blank rows at the end that Excel keeps because their cells have a style.
    for number in range(len(ROWS) + 2, len(ROWS) + 2 + BLANK_TRAILING_ROWS):
        for column in range(1, len(HEADER) + 1):
            sheet.cell(row=number, column=column).border = border
    sheet.auto_filter.ref = f"A1:H{len(ROWS) + 1}"
    book.properties.creator = "U.S. Immigration and Customs Enforcement (sample)"
    book.properties.created = FIXED_TIME
    raw = io.BytesIO()
    book.save(raw)
    return _reproducible(raw.getvalue())


def _reproducible(xlsx: bytes) -> bytes:
    """The archive as Excel writes it, with fixed timestamps (regenerating changes no byte)."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    parts["docProps/core.xml"] = re.sub(
        rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, parts["docProps/core.xml"]
    )
    _shared_strings(parts)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            fixed = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, data)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIP = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
SST_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _shared_strings(parts: dict[str, bytes]) -> None:
    """Store text in a shared-strings table and point to the sheet relatively, as Excel does
    (openpyxl writes each text inside its cell, and an absolute path to the sheet)."""
    strings: dict[bytes, int] = {}
    count = 0

    def shared(match: re.Match[bytes]) -> bytes:
        nonlocal count
        count += 1
        index = strings.setdefault(match[2], len(strings))
        return b't="s"><v>%d</v>' % index

    parts[SHEET] = re.sub(
        rb't="inlineStr"><is><t( xml:space="preserve")?>(.*?)</t></is>', shared, parts[SHEET]
    )
    items = b"".join(
        b'<si><t xml:space="preserve">%s</t></si>' % text
        if text != text.strip()
        else b"<si><t>%s</t></si>" % text
        for text in strings
    )
    parts["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<sst xmlns="%s" count="%d" uniqueCount="%d">%s</sst>'
        % (MAIN_NS, count, len(strings), items)
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="%s"/></Types>' % SST_TYPE,
    )
    rels = parts["xl/_rels/workbook.xml.rels"].replace(
        b'Target="/xl/worksheets/sheet1.xml"', b'Target="worksheets/sheet1.xml"'
    )
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(
        b"</Relationships>",
        b'<Relationship Type="%s" Target="sharedStrings.xml" Id="rId9"/></Relationships>'
        % RELATIONSHIP,
    )


def main() -> int:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name(NAME)
    target.write_bytes(build())
    print(f"wrote {len(ROWS)} agreements and {BLANK_TRAILING_ROWS} blank rows to {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
