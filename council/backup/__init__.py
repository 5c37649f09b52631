"""Backups and restore: a consistent copy of the database and of the evidence files
it names, taken while the platform runs, with a manifest that says what it holds;
and the restore that puts it back into an empty database and proves it arrived
whole (every part's hash, the counts, the audit chain).

manifest.py: the manifest and the facts it records; sqlite.py and postgres.py: the
database snapshot per engine; files.py: the evidence files; services.py: the two
operations the CLI calls (``council backup`` / ``council restore``).
"""
