"""Side by side with Twilio's official libraries, on one standalone emulator, interleaved.

    # once, outside the repository:
    npm install --prefix /tmp/peers twilio@6.3.1
    python3 -m venv /tmp/peers/venv && /tmp/peers/venv/bin/pip install twilio==9.13.0
    # then, from the repository:
    cargo build --release -p twilio-connect-apps-cli -p twilio-connect-apps-testbed \
        -p twilio-connect-apps-benches --examples
    python3 benches/peers/side_by_side.py /tmp/peers [APPS] [ROUNDS]

With BASELINE_RELEASE=<another build's target/release> (the same examples built from an
older commit), that build's contenders run in the same rounds too, marked "before".

Lists APPS apps (default 100,000) at page size 1,000, ROUNDS times (default 7) each, the
contenders interleaved round by round; prints the median in-process and whole-process
times and each one's ratio to the faster peer (node or python), in process and as whole
processes. Whole processes write NDJSON to a file (the CLI by `> file`, the peers with
JSON.stringify / json.dumps per record). A ratio above 1 means faster than that peer.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

peers = sys.argv[1] if len(sys.argv) > 1 else "/tmp/peers"
apps = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 7
here = os.path.dirname(os.path.abspath(__file__))
release = os.path.join(here, "..", "..", "target", "release")

emu = subprocess.Popen(
    [os.path.join(release, "twilio-emulator"), "--port", "0", "--apps", str(apps), "--no-gzip"],
    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
)
env = dict(os.environ)
while len([k for k in env if k in ("TWILIO_BASE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")]) < 3:
    k, v = emu.stdout.readline().strip().split("=", 1)
    env[k] = v
for k in list(env):
    if k.lower().endswith("_proxy"):
        del env[k]
node_path = os.path.join(peers, "node_modules")
python = os.path.join(peers, "venv", "bin", "python")
out = tempfile.mktemp(suffix=".ndjson")

contenders = {
    # name: (command for the in-process time, command for the whole process, or None)
    "twilio-node 6.3.1": (["node", os.path.join(here, "list.js")], ["node", os.path.join(here, "list.js"), out]),
    "twilio-python 9.13.0": ([python, os.path.join(here, "list.py")], [python, os.path.join(here, "list.py"), out]),
    "owned records (ureq)": ([os.path.join(release, "examples", "list_timed"), "ureq"], None),
    "owned records (hyper)": ([os.path.join(release, "examples", "list_timed"), "hyper"], None),
    "borrowed views (ureq)": ([os.path.join(release, "examples", "list_timed"), "ureq_views"], None),
    "borrowed views (hyper)": ([os.path.join(release, "examples", "list_timed"), "hyper_views"], None),
    "floor: the pages read, not parsed (ureq)": ([os.path.join(release, "examples", "list_timed"), "ureq_floor"], None),
    "connect-apps list --json (ureq)": (None, ["sh", "-c", f"exec {release}/connect-apps list --json --no-compression > {out}"]),
    "connect-apps list --json (hyper)": (None, ["sh", "-c", f"exec {release}/connect-apps --transport hyper list --json --no-compression > {out}"]),
}
baseline = os.environ.get("BASELINE_RELEASE")
if baseline:
    for name, (inp, wp) in list(contenders.items()):
        if name.startswith("twilio-") or name.startswith("floor"):
            continue
        swap = lambda cmd: [c.replace(release, baseline) for c in cmd] if cmd else None
        contenders["before: " + name] = (swap(inp), swap(wp))
inproc = {k: [] for k in contenders}
whole = {k: [] for k in contenders}
envn = dict(env, NODE_PATH=node_path)
for r in range(rounds):
    for name, (inp, wp) in contenders.items():
        if inp:
            got = subprocess.run(inp, env=envn, capture_output=True, text=True, cwd=peers)
            ms, n = got.stdout.split()
            assert int(n) == apps, (name, got.stdout, got.stderr)
            inproc[name].append(float(ms))
        if wp:
            t = time.perf_counter()
            got = subprocess.run(wp, env=envn, capture_output=True, text=True, cwd=peers)
            whole[name].append((time.perf_counter() - t) * 1000)
            assert got.returncode == 0, (name, got.stderr)
            with open(out) as f:
                assert sum(1 for _ in f) == apps, name
emu.kill()
os.remove(out)

med = {k: (statistics.median(v) if v else None) for k, v in inproc.items()}
medw = {k: (statistics.median(v) if v else None) for k, v in whole.items()}
best_in = min(med["twilio-node 6.3.1"], med["twilio-python 9.13.0"])
best_whole = min(medw["twilio-node 6.3.1"], medw["twilio-python 9.13.0"])
print(f"{apps} apps, page size 1000, median of {rounds} interleaved rounds")
print(f"| contender | in process (ms) | vs the faster peer | whole process (ms) | vs the faster peer's whole process |")
print("|---|---|---|---|---|")
for k in contenders:
    a = f"{med[k]:.0f}" if med[k] else "–"
    ra = f"{best_in / med[k]:.1f}x" if med[k] else "–"
    b = f"{medw[k]:.0f}" if medw[k] else "–"
    rb = f"{best_whole / medw[k]:.1f}x" if medw[k] else "–"
    print(f"| {k} | {a} | {ra} | {b} | {rb} |")
