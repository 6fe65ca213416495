"""What an import did, post by post.

Every post of the archive gets one `PostLog`: created, updated, unchanged or
skipped (with the reason), its warnings, its redirects and files. A log is
kept only once its transaction has committed, so what the report says is what
the database holds; the totals are sums over the logs.
"""

import csv
from collections import Counter
from dataclasses import dataclass, field

from .wxr import WxrItem

CREATED, UPDATED, UNCHANGED, SKIPPED = "created", "updated", "unchanged", "skipped"
MAX_LISTED = 200  # lines printed per section; the CSV report has them all


@dataclass
class PostLog:
    post_id: int | None
    post_type: str
    title: str
    source: str
    line: int
    old_url: str = ""
    outcome: str = ""
    reason: str = ""
    new_url: str = ""
    kind: str = ""  # "commentary" or "page"
    warnings: list[str] = field(default_factory=list)
    redirects: int = 0
    copied_files: int = 0
    missing_files: list[str] = field(default_factory=list)
    comments: int = 0
    seq: int = 0  # position in the archive, to list posts in file order
    id_text: str = ""  # wp:post_id as written, when it is not a usable id

    @classmethod
    def of(cls, item: WxrItem):
        log = cls(
            post_id=item.post_id,
            post_type=item.post_type,
            title=item.title,
            source=item.source,
            line=item.line,
            old_url=item.link,
            comments=item.comments,
            id_text=item.post_id_text[:40] if item.post_id is None else "",
        )
        for cleaned in item.cleaned:
            log.warn(f"removed the control character {cleaned} (not allowed in XML)")
        return log

    @property
    def key(self):
        if self.post_id is not None:
            return f"post {self.post_id}"
        return f"post {self.id_text}" if self.id_text else "post without an id"

    def __str__(self):
        return f"{self.key} “{self.title}”" if self.title else self.key

    def warn(self, message):
        if message not in self.warnings:
            self.warnings.append(message)


@dataclass
class ImportReport:
    total: int = 0
    posts: list[PostLog] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the run, not one post
    responses_linked: int = 0
    seconds: float = 0.0
    interrupted: str = ""  # why the run stopped before the end, if it did

    def add(self, log: PostLog, outcome: str, reason: str = ""):
        log.outcome, log.reason = outcome, reason
        self.posts.append(log)

    def count(self, outcome):
        return sum(1 for log in self.posts if log.outcome == outcome)

    @property
    def created(self):
        return self.count(CREATED)

    @property
    def updated(self):
        return self.count(UPDATED)

    @property
    def unchanged(self):
        return self.count(UNCHANGED)

    @property
    def skipped(self) -> Counter:
        return Counter(log.reason for log in self.posts if log.outcome == SKIPPED)

    @property
    def written(self):
        return sum(1 for log in self.posts if log.outcome in (CREATED, UPDATED))

    @property
    def processed(self):
        return len(self.posts)

    @property
    def redirects(self):
        return sum(log.redirects for log in self.posts)

    @property
    def copied_files(self):
        return sum(log.copied_files for log in self.posts)

    @property
    def comments(self):
        return sum(log.comments for log in self.posts)

    @property
    def warning_count(self):
        return len(self.notes) + sum(len(log.warnings) for log in self.posts)

    def warnings(self):
        """Every warning as one line, run notes first."""
        yield from self.notes
        for log in self.posts:
            for warning in log.warnings:
                yield f"{log} (line {log.line}): {warning}"

    def missing_files(self):
        return sorted({path for log in self.posts for path in log.missing_files})

    def write_csv(self, handle):
        writer = csv.writer(handle)
        writer.writerow(
            [
                "wp_post_id",
                "post_type",
                "title",
                "outcome",
                "reason",
                "warnings",
                "old_url",
                "new_url",
                "redirects",
                "comments_not_imported",
                "file",
                "line",
            ]
        )
        for log in self.posts:
            writer.writerow(
                [
                    "" if log.post_id is None else log.post_id,
                    log.post_type,
                    log.title,
                    log.outcome,
                    log.reason,
                    " | ".join(log.warnings),
                    log.old_url,
                    log.new_url,
                    log.redirects,
                    log.comments,
                    log.source,
                    log.line,
                ]
            )
