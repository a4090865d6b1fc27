#!/bin/sh
# json-differential: bf_json_parse (through tool-jsoncheck) against python3's
# json as a strict reference, on a deterministic set of 5000 lines mutated
# from a seed corpus of valid telemetry lines. Both must agree on valid or
# invalid for every line (any root value; error codes are not compared).
#
# The reference: bytes decoded as strict UTF-8 first (Python's codec refuses
# overlongs, encoded surrogates and code points above U+10FFFF), then
# json.loads with NaN/Infinity refused (parse_constant) and duplicate keys
# refused (object_pairs_hook, keys compared after unescaping). Python accepts
# \u escapes that leave a surrogate unpaired; the reference walks the parsed
# value and calls a line invalid when any key or string still holds a
# surrogate code point (a valid pair is combined by Python, so what remains
# came from a lone escape). It also calls a line invalid when containers nest
# deeper than BF_JSON_MAXDEPTH (64), which RFC 8259 leaves to implementations.
#
# For a longer hunt: BF_JSON_DIFF_LINES=200000 BF_JSON_DIFF_SEED=7 tests/run
# tests/t/json-differential.t (the checks below scale with the line count).
. "$(dirname "$0")/../lib/common.sh"

command -v python3 >/dev/null 2>&1 || skip_all "python3 not installed"
check=$BF_TOOLS/tool-jsoncheck
[ -x "$check" ] || skip_all "$check not built"

N=${BF_JSON_DIFF_LINES:-5000}
python3 - "$T/lines" "$T/want" "$T/class" "$N" \
    "${BF_JSON_DIFF_SEED:-20260101}" <<'EOF'
import json, random, re, sys

rng = random.Random(int(sys.argv[5]))
MAXDEPTH = 64
N = int(sys.argv[4])

seeds = [
    '{"type":"window","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","grid":"size=86400 phase=0 billing_day=1"}',
    '{"type":"sample","partition":"db-1","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","instance_id":"db-1","metric":"storage_bytes","ts":"2026-01-01T00:05:00Z","value":21474836480,"unit":"Bytes","source":"prometheus","resolution":300}',
    '{"type":"sample","partition":"db-2","instance_id":"db-2","metric":"cpu_seconds","ts":1767225900.5,"value":-0.25e-3,"unit":"s","source_value":1.5E+2,"ok":true,"note":null,"flag":false}',
    '{"type":"usage","partition":"db-1","instance_id":"db-1","metric":"storage_bytes","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z","aggregate":"integral","value":"1728000.000000000","samples":288,"expected_samples":288,"coverage":"1.000000000","quantity":"480.000000000","usage_unit":"GiB-Hours","unit_price":"0.000158","cost":"0.075840000","currency":"USD","tenant":"acme","allocations":[{"tenant":"acme","cost_center":"cc-1","cost":"0.075840000"}]}',
    '{"type":"window","partition":"db-3","window_start":"2026-02-01T00:00:00Z","window_end":"2026-02-02T00:00:00Z","status":"failed","error":{"stage":"bf-fetch","code":"unavailable","message":"source said \\"503\\" \\u2014 retry later\\n"},"fetched":0}',
    '{"type":"sample","partition":"d\u00e9-\u20ac-\U0001F600","instance_id":"\\u00e9\\ud83d\\ude00","metric":"a\\\\b\\/c\\t","value":0,"labels":{"zone":"eu-1","tags":["x","y",[],{}]}}',
    '  {"type" : "other" , "x" : [ 1 , 2.5 , -3 , 0.0 , 1e10 ] , "y" : { } }\t\r',
    '{"a":[[[[[[1]]]]]],"b":{"c":{"d":{"e":"\\u0000"}}}}',
    '[1,"two",{"three":3},null,true,false,-0]',
    '"just a string"',
    '12345',
    '{}',
]
seeds = [s.encode('utf-8', 'surrogatepass') for s in seeds]


class Bad(Exception):
    pass


def no_dups(pairs):
    keys = set()
    for k, _ in pairs:
        if k in keys:
            raise Bad('duplicate key')
        keys.add(k)
    return dict(pairs)


def bad_constant(name):
    raise Bad('constant ' + name)


def has_surrogate(s):
    return any(0xD800 <= ord(c) <= 0xDFFF for c in s)


def walk(v, depth):
    if isinstance(v, (dict, list)):
        depth += 1
        if depth > MAXDEPTH:
            raise Bad('too deep')
        items = v.items() if isinstance(v, dict) else enumerate(v)
        for k, x in items:
            if isinstance(k, str) and has_surrogate(k):
                raise Bad('lone surrogate in key')
            walk(x, depth)
    elif isinstance(v, str) and has_surrogate(v):
        raise Bad('lone surrogate')


def reference(b):
    try:
        s = b.decode('utf-8', 'strict')
        v = json.loads(s, parse_constant=bad_constant,
                       object_pairs_hook=no_dups)
        walk(v, 0)
    except (Bad, ValueError, RecursionError):
        return 'invalid'
    return 'valid'


def strings_at(b):
    """Offsets just after each opening quote of a string (approximate on
    mutated input; exact on seeds)."""
    out, i, n = [], 0, len(b)
    while i < n:
        if b[i] == 0x22:
            out.append(i + 1)
            i += 1
            while i < n and b[i] != 0x22:
                i += 2 if b[i] == 0x5C else 1
        i += 1
    return out


def pos(b):
    return rng.randrange(len(b) + 1)


def ins(b, at, x):
    return b[:at] + x + b[at:]


def in_string(b, x):
    s = strings_at(b)
    at = rng.choice(s) if s else pos(b)
    if s and rng.random() < 0.5:
        # somewhere inside the string rather than at its start
        end = b.find(b'"', at)
        if end > at:
            at = rng.randrange(at, end + 1)
    return ins(b, at, x)


BYTES = [bytes([c]) for c in range(256) if c != 0x0A]
STRUCT = [c.encode() for c in '{}[],:"\\ 0123456789-+.eEtfn\t\r']
BAD_UTF8 = [b'\xc0\xaf', b'\xc1\xbf', b'\xe0\x80\xaf', b'\xe0\x9f\xbf',
            b'\xf0\x80\x80\xaf', b'\xf0\x8f\xbf\xbf', b'\xed\xa0\x80',
            b'\xed\xbf\xbf', b'\xf4\x90\x80\x80', b'\xf5\x80\x80\x80',
            b'\xff', b'\xfe', b'\x80', b'\xbf', b'\xe2\x82', b'\xf0\x9f\x98',
            b'\xc3', b'\xe2\x28\xa1', b'\xc3\xa9', b'\xe2\x82\xac',
            b'\xf0\x9f\x98\x80', b'\xf4\x8f\xbf\xbf', b'\xed\x9f\xbf',
            b'\xee\x80\x80', b'\xef\xbb\xbf', b'\xc2\xa0']
NUMBERS = [b'0', b'-0', b'01', b'-01', b'00', b'1.', b'.5', b'-', b'1e',
           b'1e+', b'1E-', b'+1', b'1E5', b'0.0e-0', b'-0.0', b'1.5e308',
           b'1e999', b'-1e-999', b'0x1', b'1.2.3', b'1e5e5', b'1-2', b'--1',
           b'-.5', b'0.', b'0e', b'0e1', b'1_000', b'2147483648',
           b'123456789012345678901234567890', b'1.0E+10', b'- 1', b'1 2',
           b'NaN', b'Infinity', b'-Infinity', b'nan', b'inf', b'1f', b'1d']
ESCAPES = [b'\\ud800', b'\\udc00', b'\\udbff\\udfff', b'\\ud83d\\ude00',
           b'\\ud800\\u0041', b'\\ud800\\ud800', b'\\udc00\\ud800',
           b'\\ud800\\', b'\\ud800\\u', b'\\ud800\\udc0',
           b'\\u00e9', b'\\u0000', b'\\u001f', b'\\u12', b'\\u12g4',
           b'\\U0041', b'\\x41', b'\\/', b"\\'", b'\\a', b'\\0', b'\\',
           b'\\"', b'\\\\', b'\\b\\f\\n\\r\\t', b'\\uD834\\uDD1E',
           b'\x01', b'\x1f', b'\t', b'\r', b'\x7f', b'\x00']
LITERALS = [b'true', b'false', b'null', b'tru', b'nul', b'fals', b'True',
            b'NULL', b'truex', b'true1', b'nulll', b'undefined', b'NaN',
            b'Infinity', b'-Infinity', b"'x'", b'[]', b'{}', b'[,]', b'{,}',
            b'[1,]', b'{"a":1,}', b'{"a"}', b'{"a":}', b'{:1}', b'{1:2}',
            b'[1 2]', b'""', b'"\\u0061"']
SPACES = [b' ', b'\t', b'\r', b'\x0c', b'\x0b', b'\xc2\xa0', b'\x00',
          b'\xef\xbb\xbf', b'  \t\r ']

num_re = re.compile(rb'-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?')
val_re = re.compile(rb'(?<=:)(?:"(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null)')


def m_flip(b):
    if not b:
        return rng.choice(BYTES)
    i = rng.randrange(len(b))
    return b[:i] + rng.choice(BYTES) + b[i + 1:]


def m_delete(b):
    if not b:
        return b
    i = rng.randrange(len(b))
    return b[:i] + b[i + rng.randint(1, 3):]


def m_struct(b):
    return ins(b, pos(b), rng.choice(STRUCT))


def m_truncate(b):
    return b[:rng.randrange(len(b))] if b else b


def render(v, dup):
    """JSON text of v; dup: probability of repeating a key per object."""
    if isinstance(v, dict):
        items = list(v.items())
        if items and rng.random() < dup:
            k, x = rng.choice(items)
            k2 = rng.choice([k, esc_first(k), k.upper(), k + ' '])
            items.insert(rng.randrange(len(items) + 1), (k2, x))
        return b'{' + b','.join(render_key(k) + b':' + render(x, dup)
                                for k, x in items) + b'}'
    if isinstance(v, list):
        return b'[' + b','.join(render(x, dup) for x in v) + b']'
    return json.dumps(v, ensure_ascii=rng.random() < 0.5).encode('utf-8', 'surrogatepass')


def esc_first(k):
    return '\0ESC' + k


def render_key(k):
    if k.startswith('\0ESC'):
        k = k[4:]
        if k:
            return b'"\\u%04x' % ord(k[0]) + \
                json.dumps(k[1:], ensure_ascii=False).encode('utf-8', 'surrogatepass')[1:]
    return json.dumps(k, ensure_ascii=False).encode('utf-8', 'surrogatepass')


def m_dupkey(b):
    try:
        v = json.loads(b.decode('utf-8'))
    except ValueError:
        return b
    return render(v, 0.8)


def m_utf8(b):
    return in_string(b, rng.choice(BAD_UTF8))


def m_utf8_anywhere(b):
    return ins(b, pos(b), rng.choice(BAD_UTF8))


def m_number(b):
    ms = list(num_re.finditer(b))
    x = rng.choice(NUMBERS)
    if not ms:
        return ins(b, pos(b), x)
    m = rng.choice(ms)
    return b[:m.start()] + x + b[m.end():]


def m_escape(b):
    return in_string(b, rng.choice(ESCAPES))


def m_literal(b):
    ms = list(val_re.finditer(b))
    x = rng.choice(LITERALS)
    if not ms:
        return ins(b, pos(b), x)
    m = rng.choice(ms)
    return b[:m.start()] + x + b[m.end():]


def m_space(b):
    return ins(b, rng.choice([0, len(b), pos(b)]), rng.choice(SPACES))


def m_trailing(b):
    return b + rng.choice([b'{}', b' ', b'\t', b',', b'x', b'\r', b'0',
                           b'"', b']', b'}', b' {"a":1}', b'\r\r'])


def m_deep(b):
    k = rng.randint(58, 66)
    return b'[' * k + b + b']' * k


def m_multi(b):
    for _ in range(rng.randint(2, 4)):
        b = rng.choice(SIMPLE)[1](b)
    return b


SIMPLE = [('flip', m_flip), ('delete', m_delete), ('struct', m_struct),
          ('truncate', m_truncate), ('dupkey', m_dupkey), ('utf8', m_utf8),
          ('utf8-any', m_utf8_anywhere), ('number', m_number),
          ('escape', m_escape), ('literal', m_literal), ('space', m_space),
          ('trailing', m_trailing), ('deep', m_deep)]
CLASSES = SIMPLE + [('multi', m_multi)]

lines, want, cls = [], [], []
for s in seeds:
    lines.append(s)
    cls.append('seed')
while len(lines) < N:
    name, f = rng.choice(CLASSES)
    b = f(rng.choice(seeds)).replace(b'\n', b' ')
    lines.append(b)
    cls.append(name)
with open(sys.argv[1], 'wb') as fp:
    for b in lines:
        fp.write(b + b'\n')
with open(sys.argv[2], 'w') as fp:
    for b in lines:
        fp.write(reference(b) + '\n')
with open(sys.argv[3], 'w') as fp:
    for c in cls:
        fp.write(c + '\n')
EOF

nl=$(wc -l <"$T/lines")
check_eq "$nl" "$N" "generated $N lines"
"$check" <"$T/lines" | cut -d' ' -f1 >"$T/got"
check_eq "$(wc -l <"$T/got")" "$N" "tool-jsoncheck answered every line"

# Both verdicts must be well represented, or the test proves little.
nv=$(grep -c '^valid$' "$T/want" || true)
ni=$(grep -c '^invalid$' "$T/want" || true)
if [ "$nv" -ge $((N / 10)) ] && [ "$ni" -ge $((N * 2 / 5)) ]; then
	pass "reference: $nv valid, $ni invalid"
else
	fail "reference: too few of one kind ($nv valid, $ni invalid)"
fi

# Seeds are valid for both.
if [ "$(head -12 "$T/got" | sort -u)" = valid ] &&
    [ "$(head -12 "$T/want" | sort -u)" = valid ]; then
	pass "seed lines valid for both"
else
	fail "seed lines valid for both"
fi

# Every mutation class produced both verdicts or at least invalid ones.
for c in flip delete struct truncate dupkey utf8 utf8-any number escape \
    literal space trailing deep multi; do
	n=$(paste -d' ' "$T/class" "$T/want" | grep -c "^$c invalid$" || true)
	if [ "$n" -gt 0 ]; then pass "class $c yields invalid lines ($n)"
	else fail "class $c yields invalid lines"; fi
done

paste -d' ' "$T/want" "$T/got" "$T/class" | awk '$1 != $2 { print NR }' \
    >"$T/diff"
if [ -s "$T/diff" ]; then
	fail "bf_json_parse and python3 json agree on all $N lines" \
	    "($(wc -l <"$T/diff") disagree)"
	head -20 "$T/diff" | while read -r n; do
		w=$(sed -n "${n}p" "$T/want")
		g=$(sed -n "${n}p" "$T/lines" | "$check" -p)
		c=$(sed -n "${n}p" "$T/class")
		l=$(sed -n "${n}p" "$T/lines" | cat -v | cut -c1-300)
		diag "line $n ($c): python $w, bf $g: $l"
	done
else
	pass "bf_json_parse and python3 json agree on all $N lines"
fi

done_testing
