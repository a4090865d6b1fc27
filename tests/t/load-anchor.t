#!/bin/sh
# The chain anchor on SQLite (issue 14, item 2): a warehouse restored from
# a backup is recognised, recorded and billed again; a forged chain
# (tests/lib/forge.py) and a hand-edited checkpoint head are refused with
# exit 3 chain_mismatch until bf-ledger reanchor; a lost state directory
# trusts a chain that verifies. load-pg-anchor.t runs the same on
# PostgreSQL.
. "$(dirname "$0")/../lib/common.sh"
. "$BF_TOP/tests/lib/load.sh"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"

tgt() { echo "$T/$1.db"; }
mk() { :; }
backup() { sqlite3 "$T/$1.db" ".backup '$T/$2.db'"; }
restore() { rm -f "$T/$1.db-wal" "$T/$1.db-shm"; cp "$T/$2.db" "$T/$1.db"; }
forge() { python3 "$BF_TOP/tests/lib/forge.py" sqlite "$T/$1.db" "$2" 1; }
q() { sqlite3 -batch "$T/$1.db" "$2"; }

anchor_cases
done_testing
