#!/bin/sh
# bf-validate --plain against the official JSON-Schema-Test-Suite (draft
# 2020-12), read from $BF_TOP/../shared/testdata (kept out of the repository).
# For the file of every supported keyword, each group's schema and data go
# through bf-validate; a test passes when its line is passed on (valid) or
# sent to the DLQ (invalid) as the suite says. One TAP line per file with
# its pass count. Every case passes, except the groups whose schemas use a
# feature bf-validate refuses at load time: each must be refused with an
# "unsupported" message, be listed below, and be named in bf-validate(1)
# (section CONFORMANCE) with the reason.
. "$(dirname "$0")/../lib/common.sh"
suite=$SHARED/testdata/json-schema-test-suite/tests/draft2020-12
[ -d "$suite" ] || skip_all "no JSON-Schema-Test-Suite at $suite"
tool=$BF_TOOLS/tool-schemasuite
[ -x "$tool" ] || skip_all "no $tool (run make)"
man=$BF_TOP/man/bf-validate.1

files="type.json properties.json required.json additionalProperties.json
patternProperties.json propertyNames.json minProperties.json
maxProperties.json dependentRequired.json dependentSchemas.json enum.json
const.json minimum.json maximum.json exclusiveMinimum.json
exclusiveMaximum.json multipleOf.json minLength.json maxLength.json
pattern.json format.json items.json prefixItems.json contains.json
minContains.json maxContains.json minItems.json maxItems.json
uniqueItems.json allOf.json anyOf.json oneOf.json not.json if-then-else.json
ref.json defs.json anchor.json boolean_schema.json
infinite-loop-detection.json content.json default.json
optional/format/date-time.json optional/bignum.json
optional/float-overflow.json optional/non-bmp-regex.json
optional/ecmascript-regex.json"

# The documented exceptions: FILE|GROUP DESCRIPTION (the man page gives the
# reason for each).
exceptions='pattern.json|pattern with Unicode property escape requires unicode mode
patternProperties.json|patternProperties with Unicode property escape
not.json|collect annotations inside a '"'"'not'"'"', even if collection is disabled
ref.json|remote ref, containing refs itself
ref.json|ref creates new scope when adjacent to keywords
defs.json|validate definition against metaschema
optional/ecmascript-regex.json|patterns always use unicode semantics with pattern
optional/ecmascript-regex.json|pattern with non-ASCII digits
optional/ecmascript-regex.json|patterns always use unicode semantics with patternProperties
optional/ecmascript-regex.json|patternProperties with non-ASCII digits'

# Every exception is in the man page.
if [ -f "$man" ]; then
	missing=$(printf '%s\n' "$exceptions" | while IFS='|' read -r f d; do
		grep -qF -- "$d" "$man" || echo "$f: $d"
	done)
	check_eq "$missing" "" "every conformance exception is listed in bf-validate.1"
else
	fail "man/bf-validate.1 exists"
fi

total_pass=0 total_cases=0
for f in $files; do
	if [ ! -f "$suite/$f" ]; then
		fail "$f: in the suite"
		continue
	fi
	fa=
	case $f in optional/format/*) fa=--format-assert ;; esac
	d=$T/suite; rm -rf "$d"; mkdir "$d"
	if ! "$tool" "$suite/$f" "$d" >"$d/index"; then
		fail "$f: split by tool-schemasuite"
		continue
	fi
	pass=0 cases=0 refused=0 bad=
	tab=$(printf '\t')
	while IFS="$tab" read -r g nt desc; do
		cases=$((cases + nt))
		rc=0
		bf-validate --plain $fa -r 1 -c "$d/$g.schema" \
		    --dlq "$d/$g.dlq" "$d/$g.data" >"$d/$g.out" 2>"$d/$g.err" ||
		    rc=$?
		if [ "$rc" = 2 ]; then
			if grep -q 'unsupported' "$d/$g.err" &&
			    printf '%s\n' "$exceptions" |
			    grep -qxF -- "$f|$desc"; then
				refused=$((refused + nt))
			else
				bad="$bad
refused, not a documented exception: [$desc]: $(cat "$d/$g.err")"
			fi
			continue
		fi
		if [ "$rc" != 0 ]; then
			bad="$bad
exit $rc: [$desc]: $(head -3 "$d/$g.err")"
			continue
		fi
		if [ -s "$d/$g.dlq" ]; then
			rej=" $(grep -o '"line":[0-9]*' "$d/$g.dlq" |
			    sed 's/.*://' | tr '\n' ' ')"
		else
			rej=" "
		fi
		i=0
		while read -r want; do
			i=$((i + 1))
			case $rej in *" $i "*) got=0 ;; *) got=1 ;; esac
			if [ "$got" = "$want" ]; then
				pass=$((pass + 1))
			else
				bad="$bad
[$desc] test $i: want valid=$want, got $got: $(sed -n "${i}p" "$d/$g.data" | cut -c1-120)"
			fi
		done <"$d/$g.expect"
	done <"$d/index"
	total_pass=$((total_pass + pass))
	total_cases=$((total_cases + cases))
	msg="$f: $pass/$cases pass"
	[ "$refused" -gt 0 ] && msg="$msg, $refused refused as documented"
	if [ -z "$bad" ] && [ $((pass + refused)) -eq "$cases" ]; then
		pass "$msg"
	else
		fail "$msg"
		diag "$bad"
	fi
done
echo "# total: $total_pass/$total_cases cases pass"
done_testing
