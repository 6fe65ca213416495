"""Summarise a bench/run.sh run as Markdown; exit 1 on errors or lost/duplicate rows."""

import csv
import json
import sys
from pathlib import Path


def main(out, rows, before, after, duration, users, workers, commentaries):
    out = Path(out)
    rows, before, after = int(rows), int(before), int(after)
    stats = list(csv.DictReader((out / "locust_stats.csv").open()))
    submissions = json.loads((out / "submissions.json").read_text())
    print(
        f"\nRun {out.name}: {users} users for {duration}, {workers} gunicorn workers, "
        f"{commentaries} commentaries in the database; raw data in {out}/\n"
    )
    print("| page type | requests | req/s | median ms | p99 ms | failures |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    failures = 0
    for row in stats:
        name = row["Name"]
        failures += int(row["Failure Count"]) if name != "Aggregated" else 0
        label = "**all**" if name == "Aggregated" else name
        print(
            f"| {label} | {row['Request Count']} | {float(row['Requests/s']):.1f} | "
            f"{row['50%']} | {row['99%']} | {row['Failure Count']} |"
        )
    succeeded = submissions["succeeded"]
    print(
        f"\nSubscription submissions: {submissions['attempted']} attempted, {succeeded} "
        f"succeeded; new rows for this run: {rows} (table {before} -> {after})."
    )
    problems = []
    if failures:
        problems.append(f"{failures} failed requests (see {out}/locust_failures.csv)")
    if rows != succeeded or after - before != succeeded:
        problems.append("subscription rows differ from successful submissions")
    if problems:
        print("\nFAILED: " + "; ".join(problems))
        sys.exit(1)
    print("\nOK: no errors, every successful submission stored exactly once.")


if __name__ == "__main__":
    main(*sys.argv[1:])
