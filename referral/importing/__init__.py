"""The vendor system's exports brought into the hall (docs/design.md §11, "Import"): its
registration list and its employer-contract list, each a CSV file, every row or, if any
row is wrong, none, each problem named by its row (the header is row 1) and column.

A registration list is the books' order as the vendor kept it. Its APNs repeat, and the
only tie-break it wrote down is the order of its rows: so each book's rows must come in the
book's order (tier, then APN), and each row's `sequence` is drawn in the file's order, after
the book's last, under the book's lock. After the import the book's list (selectors.
book_list) holds the file's rows in the file's order, row for row, and each registration has
its REGISTERED event at the time the file gives, so the list as it stood at any earlier
instant (book_list_as_of) is rebuilt as well.

The file's columns are ours (REGISTRATION_LAYOUT, CONTRACT_LAYOUT) unless the caller gives
the file's header for some of them (`layout`: our column → theirs); a command or an upload
gives it each time, as the vendor's export is read once, when the hall changes systems."""

from .contracts import CONTRACT_LAYOUT, CONTRACT_PREVIEW, employer_contracts_import
from .files import IMPORT_PERMISSION, ImportLayout, ReferralImport
from .registrations import REGISTRATION_LAYOUT, REGISTRATION_PREVIEW, registrations_import

__all__ = [
    "CONTRACT_LAYOUT",
    "CONTRACT_PREVIEW",
    "IMPORT_PERMISSION",
    "REGISTRATION_LAYOUT",
    "REGISTRATION_PREVIEW",
    "ImportLayout",
    "ReferralImport",
    "employer_contracts_import",
    "registrations_import",
]
