# focus-rules.jq: checks a FOCUS dataset against the machine-readable rules
# of the FinOps Foundation's validator (model-1.2.json).
#
# jq -n -f focus-rules.jq --slurpfile model model-1.2.json \
#    --slurpfile data DATA.ndjson --rawfile currencies currency_codes.csv \
#    --argjson claims '["SUB_ACCOUNT_SUPPORTED", ...]'
# DATA.ndjson: tool-csvjson's output (the header array, then the rows).
#
# Walks the rules from CostAndUsage-D-000-M through CheckModelRule links,
# as the validator does, and prints one object per rule reached:
#   {"id":..., "result":"pass"|"fail"|"skip", "strength":"must"|"should",
#    "why":..., "rows":N}
# skip: a rule whose applicability criteria are not claimed, a MAY rule,
# a Dynamic rule (a requirement the model states only in prose: relations
# between rows, value meaning), a column rule of a column the dataset
# leaves out (its presence rule decides), or a check function this file
# does not know. Rules under a conditional composite inherit its
# condition; SHOULD under MUST is a should.

def rules: $model[0].ModelRules;
# Errata: rules whose machine-readable condition contradicts their own
# MustSatisfy text are checked as the text says.
# ConsumedQuantity-C-006-C: "ConsumedQuantity MUST NOT be null when
# ChargeClass is not \"Correction\"", but its Condition is ChargeClass ==
# "Correction".
def errata: {"ConsumedQuantity-C-006-C": {"CheckFunction": "CheckNotValue",
    "ColumnName": "ChargeClass", "Value": "Correction"}};
def rule($id): rules[$id] | if . != null and errata[$id] != null
    then .ValidationCriteria.Condition = errata[$id] else . end;
def header: $data[0];
def rows: $data[1:];
def curset: ($currencies | split("\n") | map(split(",") | .[1] // empty)
    | map(select(. != null and . != "currency_codes")));
def claimed($r): (($r.ApplicabilityCriteria // []) - $claims) == [];
def strength($k):
  if $k == "MUST" or $k == "MUST NOT" then "must"
  elif $k == "SHOULD" or $k == "SHOULD NOT" or $k == "RECOMMENDED" then "should"
  else "may" end;

def num: test("^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$");
def dt: test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$");
def unitfmt: test("^[A-Za-z][A-Za-z0-9]*( [A-Za-z0-9]+)*(-[A-Za-z]+)?(/[A-Za-z]+)?$");
def eqval($v; $want):
  if $want == null then $v == null
  elif $v == null then false
  elif ($want | type) == "number" then (($v | tonumber?) // null) == $want
  else $v == $want end;

# ev(node; row): true when the row satisfies the requirement node; null
# when the node uses a function this file does not know.
def ev($n; $row):
  if $n == {} or $n == null then true
  else $n.CheckFunction as $f
  | if $f == "AND" then ([$n.Items[] | ev(.; $row)] | if any(. == null) then null else all end)
  elif $f == "OR" then ([$n.Items[] | ev(.; $row)] | if any(. == true) then true elif any(. == null) then null else false end)
  elif $f == "CheckModelRule" then
    rule($n.ModelRuleId) as $r
    | if ($r | claimed($r)) | not then true
      elif $r.Type == "Dynamic" then true
      elif ($r.ValidationCriteria.Condition // {}) != {} and ev($r.ValidationCriteria.Condition;$row) != true then true
      else ev($r.ValidationCriteria.Requirement;$row) end
  elif $f == "ColumnPresent" then (header | any(.[]; . == $n.ColumnName))
  elif $f == "CheckValue" then eqval($row[$n.ColumnName]; $n.Value)
  elif $f == "CheckNotValue" then eqval($row[$n.ColumnName]; $n.Value) | not
  elif $f == "CheckSameValue" then $row[$n.ColumnAName] == $row[$n.ColumnBName]
  elif $f == "CheckNotSameValue" then $row[$n.ColumnAName] != $row[$n.ColumnBName]
  elif $f == "TypeDecimal" or $f == "FormatNumeric" or $f == "CheckDecimalValue" then
    ($row[$n.ColumnName] | . == null or num)
  elif $f == "TypeString" then ($row[$n.ColumnName] | . == null or type == "string")
  elif $f == "FormatString" then ($row[$n.ColumnName] | . == null or test("^\\S(.*\\S)?$"))
  elif $f == "TypeDateTime" or $f == "FormatDateTime" then ($row[$n.ColumnName] | . == null or dt)
  elif $f == "FormatCurrency" or $f == "CheckNationalCurrency" then
    ($row[$n.ColumnName] | . == null or (. as $c | curset | any(.[]; . == $c)))
  elif $f == "FormatUnit" then ($row[$n.ColumnName] | . == null or unitfmt)
  elif $f == "FormatKeyValue" then ($row[$n.ColumnName] | . == null or ((fromjson? | type) == "object"))
  elif $f == "CheckGreaterOrEqualThanValue" then
    ($row[$n.ColumnName] | . == null or ((tonumber? // -1e300) >= $n.Value))
  elif $f == "ColumnByColumnEqualsColumnValue" then
    ([$row[$n.ColumnAName], $row[$n.ColumnBName], $row[$n.ResultColumnName]]
     | if any(. == null) then true
       else map(tonumber) | ((.[0] * .[1] - .[2]) | fabs) < 1e-6 end)
  else null end
  end;

# Dataset-level checks.
def dataset($n):
  if $n.CheckFunction == "CheckDistinctCount" then
    [rows | group_by(.[$n.ColumnAName])[] | map(.[$n.ColumnBName]) | unique | length]
    | all(. == $n.ExpectedCount)
  else null end;

def leafcols($n): [$n | .. | objects | (.ColumnName // empty), (.ColumnAName // empty),
    (.ColumnBName // empty), (.ResultColumnName // empty)];

# walk(id; conds; st): the rules reached from id.
def walk($id; $conds; $st):
  rule($id) as $r
  | ($r.ValidationCriteria // {}) as $vc
  | (if $st == "should" then "should" else strength($vc.Keyword) end) as $s
  | if $r == null then {id: $id, result: "skip", why: "no such rule"}
  elif claimed($r) | not then
    {id: $id, result: "skip", why: ("not applicable: " + ($r.ApplicabilityCriteria | join(", ")))}
  elif strength($vc.Keyword) == "may" then {id: $id, result: "skip", why: "MAY (optional)"}
  else
    ($conds + (if ($vc.Condition // {}) != {} then [$vc.Condition] else [] end)) as $c
    | if $r.Function == "Composite" and ($vc.Requirement.CheckFunction == "AND") and
         all($vc.Requirement.Items[]; .CheckFunction == "CheckModelRule") then
        $vc.Requirement.Items[] | walk(.ModelRuleId; $c; $s)
      elif $r.Type == "Dynamic" then
        {id: $id, result: "skip", why: "dynamic rule: stated in prose only"}
      elif $r.Function != "Presence" and $r.Function != "Composite" and
           (leafcols($vc.Requirement) | any(.[]; . as $x | header | all(.[]; . != $x))) then
        {id: $id, result: "skip", why: "column not in this dataset"}
      elif $vc.Requirement.CheckFunction == "CheckDistinctCount" then
        dataset($vc.Requirement) as $ok
        | if $ok == null then {id: $id, result: "skip", why: "unknown check"}
          else {id: $id, result: (if $ok then "pass" else "fail" end), strength: $s,
            function: $r.Function, rows: (rows | length)} end
      else
        [rows[] as $row
         | if all($c[]; ev(.; $row) == true) then ev($vc.Requirement; $row) else true end]
        | if any(. == null) then {id: $id, result: "skip", why: "unknown check function"}
          else {id: $id, result: (if all then "pass" else "fail" end), strength: $s,
            function: $r.Function, rows: (map(select(. == false)) | length)} end
      end
  end;

[walk("CostAndUsage-D-000-M"; []; "must")] | unique_by(.id) | .[]
