#!/bin/sh
# The engine examples: examples/kubernetes/ (an Indexed Job, a nightly
# CronJob, their ConfigMap and the image's Dockerfile) and examples/slurm/
# (a job array). No cluster is needed: the manifests are parsed with
# python3-yaml and checked (shards, JOB_COMPLETION_INDEX, PGPASSWORD from a
# Secret, state on an emptyDir, the config from a ConfigMap where the
# command reads it), the pods' command lines run against the ConfigMap's
# files with --dry-run, the Slurm script runs its 4 tasks for real, and the
# Dockerfile is built where a docker daemon answers and the Debian base
# image is already present.
. "$(dirname "$0")/../lib/common.sh"
command -v python3 >/dev/null || skip_all "python3 is not installed"
python3 -c 'import yaml' 2>/dev/null || skip_all "python3-yaml is not installed (.ci/deps)"
K=$BF_TOP/examples/kubernetes
S=$BF_TOP/examples/slurm

# tap: turn the checker's "ok MSG" / "not ok MSG" / "# DIAG" lines into TAP.
tap() {
	while IFS= read -r line; do
		case $line in
		"ok "*) pass "${line#ok }" ;;
		"not ok "*) fail "${line#not ok }" ;;
		"# "*) diag "${line#\# }" ;;
		esac
	done <"$1"
}

# --- the manifests -------------------------------------------------------
# check-k8s.py prints one line per check and writes, for each Indexed Job
# (job, cron), its shard count, its pod's shell command, and the
# ConfigMap's files under $T/etc/bf.
cat >"$T/check-k8s.py" <<'EOF'
import os, re, shlex, sys, glob, yaml

K, out = sys.argv[1], sys.argv[2]
def res(ok, msg, *why):
    print(("ok " if ok else "not ok ") + msg)
    if not ok:
        for w in why:
            print("# " + str(w))

docs = {}
for f in sorted(glob.glob(os.path.join(K, "*.yaml"))):
    name = os.path.basename(f)
    try:
        ds = [d for d in yaml.safe_load_all(open(f)) if d is not None]
        good = bool(ds) and all(isinstance(d, dict) and d.get("apiVersion")
                                and d.get("kind") and d.get("metadata", {}).get("name")
                                for d in ds)
        res(good, name + ": valid YAML, every document has apiVersion, kind, name")
    except yaml.YAMLError as e:
        res(False, name + ": valid YAML", e)
        continue
    for d in ds:
        docs[(d["kind"], d["metadata"]["name"])] = d
res(len(docs) >= 3, "the manifests: a Job, a CronJob, a ConfigMap", sorted(docs))
cms = {n: d.get("data", {}) for (k, n), d in docs.items() if k == "ConfigMap"}

def conf_keys(text):
    keys = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            keys.setdefault(k.strip(), []).append(v.strip())
    return keys

def check_job(tag, spec, extra):
    res(spec.get("completionMode") == "Indexed", tag + ": completionMode Indexed",
        spec.get("completionMode"))
    n = spec.get("completions")
    res(isinstance(n, int) and n > 1 and spec.get("parallelism") == n,
        tag + ": completions == parallelism == N > 1",
        (n, spec.get("parallelism")))
    pod = spec["template"]["spec"]
    res(pod.get("restartPolicy") in ("Never", "OnFailure"), tag + ": restartPolicy")
    cs = pod.get("containers", [])
    res(len(cs) == 1, tag + ": one container")
    c = cs[0]
    argv = (c.get("command") or []) + (c.get("args") or [])
    if argv[:2] == ["sh", "-c"] and len(argv) == 3:
        line, shell = argv[2], True
    else:
        line, shell = " ".join(argv), False
    # The shard: JOB_COMPLETION_INDEX (expanded by sh, or by Kubernetes
    # as $(VAR)) over the Job's N.
    pat = (r'--shard[ =]"?\$\{?JOB_COMPLETION_INDEX\}?/(\d+)"?' if shell
           else r'--shard[ =]\$\(JOB_COMPLETION_INDEX\)/(\d+)')
    m = re.search(pat, line)
    res(m is not None, tag + ": the command has --shard $JOB_COMPLETION_INDEX/N", line)
    res(m is not None and int(m.group(1)) == n,
        tag + ": the shard count of the command is the Job's N",
        (m and m.group(1), n))
    m = re.search(r'(?:^|\s)(?:exec\s+)?bf-backfill\s.*-c\s+(\S+)', line)
    res(m is not None, tag + ": the command runs bf-backfill -c CONFIG", line)
    for w in extra:
        res(w in line, tag + ": the command has " + w, line)
    conf = m.group(1) if m else "/nonexistent/x"
    env = {e["name"]: e for e in c.get("env", [])}
    ref = env.get("PGPASSWORD", {}).get("valueFrom", {}).get("secretKeyRef", {})
    res(bool(ref.get("name")) and bool(ref.get("key")),
        tag + ": PGPASSWORD from a Secret (secretKeyRef)", env.get("PGPASSWORD"))
    res("PGPASSWORD" not in line and "password" not in line.lower(),
        tag + ": no password in the command line", line)
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = c.get("volumeMounts", [])
    def volume_at(path):
        best = None
        for mt in mounts:
            mp = mt["mountPath"].rstrip("/")
            if (path == mp or path.startswith(mp + "/")) and \
               (best is None or len(mp) > len(best["mountPath"].rstrip("/"))):
                best = mt
        return best, (vols.get(best["name"]) if best else None)
    mt, vol = volume_at(conf)
    cm = (vol or {}).get("configMap", {}).get("name")
    rel = os.path.relpath(conf, mt["mountPath"]) if mt else None
    res(cm in cms and rel in cms.get(cm, {}),
        tag + ": the config is a key of a ConfigMap mounted where the command reads it",
        conf, mt, vol, sorted(cms))
    text = cms.get(cm, {}).get(rel, "") if cm else ""
    keys = conf_keys(text)
    state = (keys.get("state") or [""])[-1]
    smt, svol = volume_at(state)
    res(state.startswith("/") and svol is not None and "emptyDir" in svol,
        tag + ": the state directory (" + state + ") is on an emptyDir", smt, svol)
    db = (keys.get("db") or [""])[-1]
    res(db.startswith("postgresql://") and not re.search(r'://[^/@]*:[^/@]*@', db)
        and not re.search(r'password\s*=', text, re.I),
        tag + ": the warehouse is PostgreSQL, with no password in the config", db)
    # Every file the config names under the ConfigMap's mount is in it.
    missing = [v for vs in keys.values() for v in vs
               if v.startswith(mt["mountPath"].rstrip("/") + "/")
               and os.path.relpath(v, mt["mountPath"]) not in cms[cm]] if mt and cm in cms else ["?"]
    res(not missing, tag + ": every file the config reads from the ConfigMap is in it", missing)
    with open(os.path.join(out, tag + ".n"), "w") as f:
        f.write("%s\n" % n)
    with open(os.path.join(out, tag + ".sh"), "w") as f:
        f.write(line + "\n")
    with open(os.path.join(out, tag + ".mount"), "w") as f:
        f.write("%s %s\n" % (mt["mountPath"] if mt else "", cm))

jobs = [d for (k, _), d in docs.items() if k == "Job"]
crons = [d for (k, _), d in docs.items() if k == "CronJob"]
res(len(jobs) == 1 and len(crons) == 1, "one Job and one CronJob")
if jobs:
    check_job("job", jobs[0]["spec"], [])
if crons:
    cj = crons[0]["spec"]
    res(len(str(cj.get("schedule", "")).split()) == 5, "cron: a 5-field schedule",
        cj.get("schedule"))
    res(cj.get("concurrencyPolicy") == "Forbid", "cron: runs never overlap (Forbid)")
    check_job("cron", cj["jobTemplate"]["spec"], ["--to"])
for cm, data in cms.items():
    d = os.path.join(out, "cm", cm)
    os.makedirs(d, exist_ok=True)
    for k, v in data.items():
        with open(os.path.join(d, k), "w") as f:
            f.write(v)
EOF
mkdir "$T/k8s"
python3 "$T/check-k8s.py" "$K" "$T/k8s" >"$T/k8s.tap" 2>"$T/k8s.err" ||
	{ fail "the manifest checker ran"; diag "$(cat "$T/k8s.err")"; }
tap "$T/k8s.tap"

# The ConfigMap carries the files of examples/prometheus/: the same.
for f in databases.txt metrics.csv rates.csv tenants.csv contract.json; do
	check_file "$T/k8s/cm/bf-config/$f" "$BF_TOP/examples/prometheus/$f" \
	    "ConfigMap bf-config: $f is examples/prometheus/$f"
done

# --- the pods' command lines, run ----------------------------------------
# Each pod's command runs under sh with its JOB_COMPLETION_INDEX, against
# the ConfigMap's files (the mount and the state directory moved under $T,
# the warehouse a SQLite file: no cluster, no server), bf-backfill given
# --dry-run: the pipeline it prints is the shard's.
today=$(date -u +%Y-%m-%d)
mkdir "$T/wrap"
printf '#!/bin/sh\nexec "%s/bin/bf-backfill" "$@" --dry-run\n' "$BF_TOP" >"$T/wrap/bf-backfill"
chmod +x "$T/wrap/bf-backfill"
for tag in job cron; do
	[ -s "$T/k8s/$tag.sh" ] || { fail "$tag: a command line to run"; continue; }
	n=$(cat "$T/k8s/$tag.n")
	read -r mnt cm <"$T/k8s/$tag.mount"
	rm -rf "$T/pod"; mkdir -p "$T/pod/var"
	cp -R "$T/k8s/cm/$cm" "$T/pod/etc"
	# The ConfigMap's paths, moved under $T/pod; the warehouse, SQLite.
	sed -i -e "s|$mnt|$T/pod/etc|g" -e "s|/var/lib/bf|$T/pod/var|g" \
	    -e "s|^db = .*|db = $T/pod/var/ledger.db|" "$T/pod/etc/backfill.conf"
	cmd=$(sed "s|$mnt|$T/pod/etc|g" "$T/k8s/$tag.sh")
	ok=1 i=0
	while [ "$i" -lt "$n" ]; do
		RC=0
		(cd "$T/pod" && PATH="$T/wrap:$PATH" JOB_COMPLETION_INDEX=$i sh -c "$cmd") \
		    >"$T/out" 2>"$T/err" || RC=$?
		w=$(grep '^bf-window ' "$T/out" | tail -n 1)
		case " $w " in
		*" --shard $i/$n "*) ;;
		*) ok=0; diag "$tag pod $i: exit $RC" "$w" "$(tail -3 "$T/err")" ;;
		esac
		if [ "$tag" = cron ]; then
			case " $w " in *" --to $today "*) ;;
			*) ok=0; diag "$tag pod $i: no --to $today: $w" ;; esac
		fi
		[ "$RC" = 0 ] || ok=0
		i=$((i + 1))
	done
	check_eq "$ok" 1 "$tag: pod I of $n runs bf-window --shard I/$n with the ConfigMap's config"
done

# --- the Dockerfile ------------------------------------------------------
df=$K/Dockerfile
froms=$(awk 'toupper($1) == "FROM" { print $2 }' "$df" | sort -u | tr '\n' ' ')
check_eq "$froms" "debian:bookworm-slim " "Dockerfile: every stage FROM debian:bookworm-slim"
if grep -q 'apt-get install' "$df" && grep -q 'make -j' "$df" &&
    grep -q 'make install' "$df"; then
	pass "Dockerfile: apt-get install, make, make install"
else
	fail "Dockerfile: apt-get install, make, make install"
fi
user=$(awk 'toupper($1) == "USER" { u = $2 } END { print u }' "$df")
case ${user%%:*} in
"" | 0 | root) fail "Dockerfile: runs as a non-root user (USER $user)" ;;
*) pass "Dockerfile: runs as a non-root user (USER $user)" ;;
esac
uid=$(awk '/runAsUser:/ { print $2; exit }' "$K/job.yaml")
check_eq "$uid" "${user%%:*}" "job.yaml runs as the image's user"
if ! command -v docker >/dev/null 2>&1; then
	echo "ok $((_n += 1)) - docker build # SKIP docker is not installed"
elif ! docker info >/dev/null 2>&1; then
	echo "ok $((_n += 1)) - docker build # SKIP no docker daemon answers"
elif ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
	echo "ok $((_n += 1)) - docker build # SKIP the image debian:bookworm-slim is not present"
else
	img=bf-example-test:$$
	at_exit "docker image rm -f $img"
	RC=0
	docker build -q -f "$df" -t "$img" "$BF_TOP" >"$T/docker.out" 2>&1 || RC=$?
	check_eq "$RC" 0 "docker build of examples/kubernetes/Dockerfile"
	[ "$RC" = 0 ] || diag "$(tail -20 "$T/docker.out")"
	got=$(docker run --rm "$img" id -u 2>&1 || :)
	check_eq "$got" "${user%%:*}" "the image runs as its user"
	RC=0
	docker run --rm "$img" sh -c 'bf-backfill --help >/dev/null && bf-window --version >/dev/null' \
	    >"$T/out" 2>&1 || RC=$?
	check_eq "$RC" 0 "the image's bf-backfill finds its programs"
fi

# --- Slurm ---------------------------------------------------------------
sb=$S/backfill.sbatch
RC=0; bash -n "$sb" 2>"$T/err" || RC=$?
check_eq "$RC" 0 "slurm: bash -n backfill.sbatch"
arr=$(sed -n 's/^#SBATCH --array=0-\([0-9][0-9]*\)$/\1/p' "$sb")
shards=$(sed -n 's/^SHARDS=\([0-9][0-9]*\)$/\1/p' "$sb")
check_eq "$((${arr:--1} + 1))" "${shards:-none}" "slurm: --array=0-(N-1) with N = SHARDS"
if grep -q -- '--shard "$SLURM_ARRAY_TASK_ID/$SHARDS"' "$sb"; then
	pass "slurm: --shard \$SLURM_ARRAY_TASK_ID/\$SHARDS"
else
	fail "slurm: --shard \$SLURM_ARRAY_TASK_ID/\$SHARDS"
fi
# Its tasks, run one after the other as Slurm would run them, on the demo
# fixture (2 instances, 2 days, daily windows, SQLite): together they
# commit each partition's 2 windows once and fetch every sample once, and
# leave no scratch behind.
mkdir "$T/sl" "$T/scratch"
cp "$BF_TOP"/tests/man-fixtures/backfill-* "$T/sl/"
cd "$T/sl"
bf-gen -n 2 -d 2 >samples.ndjson
ok=1 i=0
while [ "$i" -lt "${shards:-0}" ]; do
	RC=0
	SLURM_ARRAY_JOB_ID=77 SLURM_ARRAY_TASK_ID=$i TMPDIR=$T/scratch \
	    BF_CONFIG=backfill-demo.conf bash "$sb" >"$T/out" 2>"$T/err" || RC=$?
	[ "$RC" = 0 ] || { ok=0; diag "task $i: exit $RC" "$(tail -3 "$T/err")"; }
	i=$((i + 1))
done
check_eq "$ok" 1 "slurm: the $shards tasks exit 0"
got=$(sqlite3 ledger.db 'SELECT partition || ":" || count(*) FROM windows GROUP BY partition ORDER BY partition' |
	tr '\n' ' ')
want=$(sort -u backfill-instances.txt | sed 's/$/:2/' | tr '\n' ' ')
check_eq "$got" "$want" "slurm: each partition's 2 windows committed once"
got=$(sqlite3 ledger.db "SELECT sum(json_extract(counts, '\$.fetched')) FROM windows")
check_eq "$got" "$(awk 'END { print NR }' samples.ndjson)" "slurm: every sample fetched once"
check_eq "$(ls -A "$T/scratch")" "" "slurm: no scratch left on the node"
cd "$T"
done_testing
