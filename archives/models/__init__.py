"""Models of archives/, one module per area: the hand-over of a paper file after a transfer, the
paper file's checklist and box, and the semester audit's roll-calls (学籍核查, not the audit log)."""

from archives.models.handover import ArchiveHandover
from archives.models.paper import PaperFile, PaperMark
from archives.models.rollcall import RollCall, RollCallEntry

__all__ = ["ArchiveHandover", "PaperFile", "PaperMark", "RollCall", "RollCallEntry"]
