#!/bin/sh
# The room a change has (issue 19, CONTRIBUTING.md): no file in src/ over
# 1,500 lines, no function over 120 (tests/lint/sizes, also `make lint`).
. "$(dirname "$0")/../lib/common.sh"
run_prog "$BF_TOP/tests/lint/sizes"
check_rc 0 "every file of src/ within 1,500 lines, every function within 120"
[ "$RC" -eq 0 ] || diag "$(grep ' over ' "$T/out")"
# The check itself finds a function over the limit.
run_prog env BF_LINT_FN_MAX=20 "$BF_TOP/tests/lint/sizes"
check_eq "$RC $(grep -c 'is [0-9]* lines, over 20$' "$T/out" | awk '$1 > 0 { print "some" }')" \
    "1 some" "with a limit of 20 lines it finds functions over it"
done_testing
