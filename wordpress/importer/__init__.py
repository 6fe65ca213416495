"""Import a WordPress export into commentaries and static pages.

- `wxr`: reading the files as a stream (several files, .zip, .gz), with the
  characters XML forbids filtered out and reported;
- `prepare`: what a post becomes, as pure functions;
- `index`: the run's in-memory index of the database, and its undo journal;
- `write`: writing posts one at a time or in batches;
- `report`: what happened to every post;
- `run`: the two passes that tie them together.
"""

from .report import ImportReport, PostLog
from .run import WxrImporter, use_fast_commits
from .wxr import WxrError

__all__ = ["ImportReport", "PostLog", "WxrError", "WxrImporter", "use_fast_commits"]
