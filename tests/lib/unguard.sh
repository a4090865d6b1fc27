# tests/lib/unguard.sh: the ledger is append-only (triggers, bf-load(1)):
# whoever tampers with it drops them first, as a superuser can. Tests that
# tamper run one of these before their statements (source after common.sh).
UNGUARD_SQLITE="DROP TRIGGER IF EXISTS ledger_append_only_update;
    DROP TRIGGER IF EXISTS ledger_append_only_delete;"
UNGUARD_PG="SET client_min_messages = warning;
    DROP TRIGGER IF EXISTS ledger_append_only ON ledger;
    DROP TRIGGER IF EXISTS ledger_append_only_truncate ON ledger;"
