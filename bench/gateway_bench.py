#!/usr/bin/python3
"""Gateway benchmark (issue 6): the Gen1 compatibility gateway after a complete migration, against the Gen2
emulator it serves from, with the same HTTP client (python requests, keep-alive sessions) and OAuth on both sides:

  OPEN      4 MB ranged reads of one file over 8 connections   gateway OPEN      vs Gen2 GET with Range
  APPEND    4 MB appends, one file per connection (8 files)    gateway APPEND    vs Gen2 append at position + flush
  LIST      10,000 migrated entries                            gateway LISTSTATUS vs Gen2 List Paths
  latency   1,000 sequential status requests                   gateway GETFILESTATUS vs Gen2 HEAD (p50, p99)

Prints figures and the gateway/direct ratios, and the CPU seconds each process spent on the appends; asserts
nothing. Target: >= 80% of direct throughput, < 1 ms added p50.
Each figure is the median of --rounds rounds, the two sides taking turns (single runs vary by half).

Two CPU placements are measured (--placement):
  shared     every process may run on every core. On a small machine the gateway's CPU (it decrypts and
             re-encrypts every byte) is taken from the client and the emulator, so the ratio shows the gateway's
             CPU cost as much as its throughput.
  dedicated  the gateway has the last core to itself; the client and the emulator share the others, in both
             the direct and the gateway runs. This is how a gateway is deployed (its own machine or pod, with
             the clients and the storage elsewhere): the ratio shows what the gateway does to the throughput
             the clients get, with the same CPU for the client and the storage on both sides.

Usage: bench/gateway_bench.py [--build build/release] [--mib 256] [--files 10000] [--rounds 3]
                              [--placement shared|dedicated|both]
"""
import argparse
import concurrent.futures
import json
import os
import re
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import migrate_bench as mb  # noqa: E402  (its Emulators helper)

CHUNK = 4 << 20


def token(emu, resource):
    admin = emu.info["admin"]
    body = {"grant_type": "client_credentials", "client_id": admin["client_id"],
            "client_secret": admin["client_secret"], "resource": resource}
    r = requests.post(emu.info["identity"]["token_url_v1"], data=body, verify=emu.info["ca_file"])
    r.raise_for_status()
    return r.json()["access_token"]


class Side:
    """One way in: the gateway's WebHDFS API, or the Gen2 emulator's DFS API."""

    def __init__(self, name, base, bearer, ca):
        self.name, self.base, self.ca = name, base, ca
        self.headers = {"Authorization": "Bearer " + bearer, "x-ms-version": "2021-12-02"}
        self.local = threading.local()

    def session(self):
        if not hasattr(self.local, "s"):
            self.local.s = requests.Session()
            self.local.s.verify = self.ca
            self.local.s.headers.update(self.headers)
        return self.local.s

    def call(self, method, url, expect, **kw):
        r = self.session().request(method, url, verify=self.ca, **kw)
        if r.status_code != expect:
            sys.exit(f"{self.name}: {method} {url} -> {r.status_code} {r.text[:300]}")
        return r


class Gen1Side(Side):
    def url(self, path, **q):
        return f"{self.base}/webhdfs/v1{path}?" + urllib.parse.urlencode(q)

    def write(self, path, total):
        self.call("PUT", self.url(path, op="CREATE", write="true", overwrite="true"), 201, data=b"")
        block = os.urandom(CHUNK)
        for offset in range(0, total, CHUNK):
            n = min(CHUNK, total - offset)
            flag = "CLOSE" if offset + n >= total else "DATA"
            self.call("POST", self.url(path, op="APPEND", append="true", offset=offset, syncFlag=flag), 200,
                      data=block[:n])

    def read(self, path, offset, n):
        return len(self.call("GET", self.url(path, op="OPEN", read="true", offset=offset, length=n), 200).content)

    def list_all(self, path):
        count, after = 0, None
        while True:
            q = {"op": "LISTSTATUS", "listSize": 4000}
            if after:
                q["listAfter"] = after
            doc = self.call("GET", self.url(path, **q), 200).json()["FileStatuses"]
            count += len(doc["FileStatus"])
            after = doc.get("continuationToken")
            if not after:
                return count

    def status(self, path):
        self.call("GET", self.url(path, op="GETFILESTATUS"), 200)


class Gen2Side(Side):
    def url(self, path, **q):
        return f"{self.base}{urllib.parse.quote(path)}" + ("?" + urllib.parse.urlencode(q) if q else "")

    def write(self, path, total):
        self.call("PUT", self.url(path, resource="file"), 201)
        block = os.urandom(CHUNK)
        for offset in range(0, total, CHUNK):
            n = min(CHUNK, total - offset)
            self.call("PATCH", self.url(path, action="append", position=offset), 202, data=block[:n])
        self.call("PATCH", self.url(path, action="flush", position=total), 200)

    def read(self, path, offset, n):
        return len(self.call("GET", self.url(path), 206, headers={"Range": f"bytes={offset}-{offset + n - 1}"}).content)

    def list_all(self, path):
        count, token = 0, None
        root = self.base.rsplit("/", 1)[0]
        fsname = self.base.rsplit("/", 1)[1]
        while True:
            q = {"resource": "filesystem", "directory": path.lstrip("/"), "recursive": "false", "maxResults": 5000}
            if token:
                q["continuation"] = token
            r = self.call("GET", f"{root}/{fsname}?" + urllib.parse.urlencode(q), 200)
            count += len(r.json()["paths"])
            token = r.headers.get("x-ms-continuation")
            if not token:
                return count

    def status(self, path):
        self.call("HEAD", self.url(path), 200)


def cpu_seconds(pid):
    """User + system CPU time of a process so far (from /proc; None where there is no /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


def cpu_snapshot(pids):
    own = os.times()
    return {name: cpu_seconds(pid) for name, pid in pids.items()} | {"client": own.user + own.system}


def place(pids, cores, dedicated):
    """Pins every thread of the gateway, of the emulator and of this client to its cores for one placement."""
    gateway_cores = {cores[-1]} if dedicated else set(cores)
    others = set(cores[:-1]) if dedicated else set(cores)
    for name, pid in pids.items():
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except FileNotFoundError:
            sys.exit(f"gateway_bench: the {name} (pid {pid}) has exited")
        for tid in tids:
            try:
                os.sched_setaffinity(int(tid), gateway_cores if name == "gateway" else others)
            except (ProcessLookupError, FileNotFoundError):
                pass  # a thread that just ended
    # This thread's mask is inherited by the client threads measure() starts.
    os.sched_setaffinity(0, others)


def measure(side, mib, files_dir, files, results, pids):
    total = mib << 20
    per_file = total // 8
    before = cpu_snapshot(pids)
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda t: side.write(f"/bench-{side.name}/big{t}", per_file), range(8)))
    results["append"] = mib / (time.monotonic() - start)
    after = cpu_snapshot(pids)
    # Where the CPU went during the appends: on 2 cores every process here competes for the same CPU.
    for name in after:
        if before.get(name) is not None and after[name] is not None:
            results["append_cpu_" + name] = after[name] - before[name]
    ranges = [(t, o) for t in range(8) for o in range(0, per_file, CHUNK)]
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        got = sum(pool.map(lambda r: side.read(f"/bench-{side.name}/big{r[0]}", r[1], CHUNK), ranges))
    results["open"] = (got >> 20) / (time.monotonic() - start)
    start = time.monotonic()
    listed = side.list_all(files_dir)
    results["list"] = listed / (time.monotonic() - start)
    assert listed == files, (listed, files)
    samples = []
    for _ in range(1000):
        t = time.perf_counter()
        side.status(f"{files_dir}/f00000")
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    results["p50"] = statistics.median(samples)
    results["p99"] = samples[int(len(samples) * 0.99) - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--placement", choices=("shared", "dedicated", "both"), default="both",
                        help="CPU placement of the gateway (see above); dedicated needs 2 cores or more")
    a = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    placements = ["shared", "dedicated"] if a.placement == "both" else [a.placement]
    if len(cores) < 2 and "dedicated" in placements:
        if a.placement == "dedicated":
            sys.exit("gateway_bench: --placement dedicated needs at least 2 usable cores")
        placements = ["shared"]
    lakeshift = os.path.join(a.build, "lakeshift")
    with tempfile.TemporaryDirectory(prefix="lakeshift-gateway-bench-") as work:
        emu = mb.Emulators(lakeshift, work)
        gateway = None
        try:
            env = emu.env()
            # The listed directory is made on Gen1 and migrated, as a Gen1 application's data is: the gateway then
            # finds each entry in the journal and shows its preserved Gen1 times.
            emu.webhdfs("PUT", "/many", "MKDIRS")
            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                list(pool.map(lambda i: emu.webhdfs("PUT", f"/many/f{i:05d}", "CREATE", b"", write="true"),
                              range(a.files)))
            journal = os.path.join(work, "bench.journal")
            subprocess.run([lakeshift, "migrate", "--mode", "complete", "--yes", "--freeze-grace", "0", "--from",
                            emu.info["gen1"]["webhdfs_url"], "--to", emu.info["gen2"]["url"] + "/gen1", "--journal",
                            journal], env=env, check=True, capture_output=True)
            tls = os.path.dirname(emu.info["ca_file"])
            gateway = subprocess.Popen(
                [lakeshift, "gateway", "--listen", "127.0.0.1:0", "--gen1", emu.info["gen1"]["webhdfs_url"], "--gen2",
                 emu.info["gen2"]["url"] + "/gen1", "--journal", journal, "--cert", os.path.join(tls, "cert.pem"),
                 "--cert-key", os.path.join(tls, "key.pem"), "--superuser", emu.info["admin"]["object_id"]],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            gw_url = re.search(r"(https://\S+)/webhdfs", gateway.stdout.readline()).group(1)
            threading.Thread(target=lambda: [None for _ in gateway.stdout], daemon=True).start()
            ca = emu.info["ca_file"]
            gen1 = Gen1Side("gateway", gw_url, token(emu, "https://datalake.azure.net/"), ca)
            gen2 = Gen2Side("direct", emu.info["gen2"]["url"] + "/gen1", token(emu, "https://storage.azure.com/"), ca)
            print(f"gateway benchmark on {len(cores)} cores: {a.mib} MiB in 4 MB requests, "
                  f"{a.files} entries, 1,000 status requests; medians of {a.rounds} rounds", flush=True)
            pids = {"gateway": gateway.pid, "emulator": emu.process.pid}
            rounds = {(p, s): [] for p in placements for s in ("direct", "gateway")}
            for _ in range(max(1, a.rounds)):
                for placement in placements:
                    place(pids, cores, placement == "dedicated")
                    for side in (gen2, gen1):
                        one = {}
                        measure(side, a.mib, "/many", a.files, one, pids)
                        rounds[(placement, side.name)].append(one)
            place(pids, cores, False)
            for placement in placements:
                d, g = ({key: statistics.median(r[key] for r in rounds[(placement, name)])
                         for key in rounds[(placement, name)][0]} for name in ("direct", "gateway"))
                if placement == "shared":
                    print("shared CPU (every process on every core):")
                else:
                    print(f"dedicated core (the gateway on core {cores[-1]}; the client and the emulator on the others"
                          " in both runs):")
                for key, unit in (("open", "MiB/s"), ("append", "MiB/s"), ("list", "entries/s")):
                    print(f"  {key:<8} gateway {g[key]:10.1f} {unit:<10} direct {d[key]:10.1f} {unit:<10} "
                          f"ratio {g[key] / d[key]:.2f}", flush=True)
                print(f"  latency  gateway p50 {g['p50']:.2f} ms p99 {g['p99']:.2f} ms   direct p50 {d['p50']:.2f} ms "
                      f"p99 {d['p99']:.2f} ms   added p50 {g['p50'] - d['p50']:+.2f} ms")
                cpu = lambda r: "  ".join(f"{n} {r['append_cpu_' + n]:.2f}" for n in ("gateway", "emulator", "client")
                                          if "append_cpu_" + n in r)
                print(f"  append CPU seconds: through the gateway: {cpu(g)}; direct: {cpu(d)}")
                below = [f"{key} {g[key] / d[key]:.2f}" for key in ("open", "append", "list") if g[key] / d[key] < 0.80]
                if g["p50"] - d["p50"] >= 1.0:
                    below.append(f"added p50 {g['p50'] - d['p50']:+.2f} ms")
                print("  targets: " + ("all met" if not below else "below target: " + ", ".join(below)))
            print("Targets: ratios >= 0.80, added p50 < 1 ms. On shared cores the gateway's CPU (it decrypts and"
                  " re-encrypts every byte) comes out of the client's and the emulator's: see the CPU seconds.")
        finally:
            if gateway:
                gateway.terminate()
                gateway.wait(timeout=30)
            emu.stop()


if __name__ == "__main__":
    main()
