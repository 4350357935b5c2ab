"""`coact manage air_import FILE [--format cnemc|china_sites|generic] [--skip-bad-rows]`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coact.air import services
from coact.core.importing import ImportRejected

SHOWN = 30


class Command(BaseCommand):
    help = (
        "Import hourly station data. All-or-nothing per file: any bad row rejects the file, "
        "unless --skip-bad-rows imports the good rows. Re-importing is idempotent."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument(
            "--format",
            choices=["cnemc", "china_sites", "generic"],
            help="release format (default: detected from the header)",
        )
        parser.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help="import the good rows and list the bad ones instead of rejecting the file",
        )
        parser.add_argument(
            "--source", default="", help="where the data come from (shown with the values)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        failed = 0
        for path in options["files"]:
            if not path.exists():
                raise CommandError(f"{path}: no such file")
            try:
                batch = services.import_file(
                    path,
                    options["format"],
                    skip_bad_rows=options["skip_bad_rows"],
                    source=options["source"],
                )
            except ImportRejected as exc:
                failed += 1
                self.stderr.write(
                    f"{path}: rejected, nothing imported ({len(exc.errors)} problem(s)):"
                )
                for error in exc.errors[:SHOWN]:
                    self.stderr.write(f"  {error}")
                continue
            self.stdout.write(
                f"{path}: {batch.created} new, {batch.updated} corrected, {batch.unchanged} "
                f"unchanged, {batch.skipped} bad row(s) skipped, {batch.seconds:.2f} s"
            )
            for problem in batch.problems[:SHOWN]:
                self.stdout.write(
                    f"  skipped: {problem['file']}, row {problem['row']}, "
                    f"{problem['column']}: {problem['message']}"
                )
        if failed:
            raise CommandError(f"{failed} file(s) rejected")
