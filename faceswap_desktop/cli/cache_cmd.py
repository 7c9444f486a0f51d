"""``faceswap-desktop cache [--clear] [--json]``: what the per-user cache holds (cast scans, source
preparations: both contain faces), and removing it."""

from __future__ import annotations

import argparse
import json


def add_cache_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``cache`` command to the main CLI's subparsers."""
    parser = commands.add_parser(
        "cache", help="show or clear the cached cast scans and source preparations (they hold faces)"
    )
    parser.add_argument("--clear", action="store_true", help="remove every cached entry")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=run_cache_command)


def run_cache_command(args: argparse.Namespace) -> int:
    """Print the cache's use, or clear it; 1 when some file could not be removed."""
    # Imported here: the cache modules import numpy and the cast scan, which other commands' start
    # need not pay for.
    from ..app.cache_maintenance import cache_usage, clear_caches, describe_size

    if args.clear:
        removed, freed, problems = clear_caches()
        if args.json:
            print(json.dumps({"removed_files": removed, "freed_bytes": freed, "not_removed": problems}))
        else:
            print(f"removed {removed} cached file(s), {describe_size(freed)}")
            for line in problems:
                print(f"  not removed: {line}")
        return 1 if problems else 0
    usage = cache_usage()
    if args.json:
        rows = [{"kind": u.kind, "folder": str(u.folder), "files": u.files, "bytes": u.bytes} for u in usage]
        print(json.dumps(rows, indent=2))
        return 0
    for entry in usage:
        print(f"{entry.kind}: {entry.files} file(s), {describe_size(entry.bytes)} in {entry.folder}")
    print("faceswap-desktop cache --clear removes them (they are made again when needed).")
    return 0
