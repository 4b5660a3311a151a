#!/usr/bin/python3
"""Migration benchmark (issue 5): prints figures, asserts nothing.

  (a) Gen1 emulator -> Gen2 emulator, 1 GiB in four 256 MiB files: MB/s
  (b) Gen1 emulator -> Gen2 emulator, 10,000 files of 4 KiB with named ACL entries: files/s
  (c) a local directory -> Gen2 emulator, lakeshift and AzCopy (--from-to LocalBlobFS) side by side, the four large
      files and the 10,000 small ones: rates and ratios, measured in the same run
each with the copier's peak RSS (wait4). (a)/(b) use `lakeshift emulate` (HTTPS, OAuth on Gen1, Shared Key on
Gen2); (c) uses one plain-HTTP `lakeshift emulate gen2` for both tools, since AzCopy needs http for path-style
URLs. Rates are end to end: the whole `lakeshift migrate` command (preflight and scan included) and the whole
`azcopy copy` command.

Usage: bench/migrate_bench.py [--build build/release] [--large-mib 256] [--small-count 10000] [--skip-azcopy]
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
NAMED_USER = "b0b00000-0000-4000-8000-000000000002"
NAMED_GROUP = "6b0f3d2e-1c4a-4e5b-9f7d-2a8c1e3b5d40"


def run_measured(args, env=None, cwd=None):
    """Runs a command; returns (seconds, peak RSS in MiB, stdout, stderr)."""
    start = time.monotonic()
    p = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = [], []
    threads = [threading.Thread(target=lambda s, b: b.extend(s), args=(p.stdout, out)),
               threading.Thread(target=lambda s, b: b.extend(s), args=(p.stderr, err))]
    for t in threads:
        t.start()
    _, status, usage = os.wait4(p.pid, 0)
    for t in threads:
        t.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - start
    if p.returncode != 0:
        sys.exit(f"{' '.join(args[:2])} failed ({p.returncode}):\n{''.join(out)[-3000:]}\n{''.join(err)[-3000:]}")
    run_measured.cpu = usage.ru_utime + usage.ru_stime
    return seconds, usage.ru_maxrss / 1024, "".join(out), "".join(err)


class Emulators:
    def __init__(self, lakeshift, workdir):
        self.dir = os.path.join(workdir, "emulators")
        self.process = subprocess.Popen([lakeshift, "emulate", "--data", self.dir, "--identity-port", "0",
                                         "--gen2-port", "0", "--gen1-port", "0"],
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for line in self.process.stdout:
            if line.startswith("Connection details:"):
                break
        threading.Thread(target=lambda: [None for _ in self.process.stdout], daemon=True).start()
        with open(os.path.join(self.dir, "emulators.json")) as f:
            self.info = json.load(f)
        self.context = ssl.create_default_context(cafile=self.info["ca_file"])
        admin = self.info["admin"]
        body = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": admin["client_id"],
                                       "client_secret": admin["client_secret"],
                                       "resource": "https://datalake.azure.net/"}).encode()
        with urllib.request.urlopen(self.info["identity"]["token_url_v1"], data=body, context=self.context) as r:
            self.token = json.load(r)["access_token"]

    def env(self):
        env = dict(os.environ)
        admin = self.info["admin"]
        env.update({"AZURE_TENANT_ID": self.info["tenant_id"], "AZURE_CLIENT_ID": admin["client_id"],
                    "AZURE_CLIENT_SECRET": admin["client_secret"], "AZURE_AUTHORITY_HOST": self.info["identity"]["url"],
                    "AZURE_STORAGE_KEY": self.info["gen2"]["key"], "LAKESHIFT_CA_FILE": self.info["ca_file"]})
        return env

    def webhdfs(self, method, path, op, body=None, **params):
        query = urllib.parse.urlencode({"op": op, **params})
        url = f"{self.info['gen1']['webhdfs_url']}{urllib.parse.quote(path)}?{query}"
        req = urllib.request.Request(url, data=body, method=method, headers={"Authorization": "Bearer " + self.token})
        with urllib.request.urlopen(req, context=self.context) as r:
            return r.read()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def seed_gen1(emu, large_count, large_bytes, small_count, small_bytes):
    emu.webhdfs("PUT", "/bench/large", "MKDIRS")
    chunk = os.urandom(4 << 20)
    for i in range(large_count):
        path = f"/bench/large/f{i}.bin"
        emu.webhdfs("PUT", path, "CREATE", b"", write="true", overwrite="true")
        for offset in range(0, large_bytes, len(chunk)):
            emu.webhdfs("POST", path, "APPEND", chunk[:large_bytes - offset], append="true", offset=str(offset))
    emu.webhdfs("PUT", "/bench/small", "MKDIRS")
    # Files inherit named entries from the directory's default ACL, so each one has an extended ACL.
    emu.webhdfs("PUT", "/bench/small", "SETACL",
                aclspec=f"user::rwx,group::r-x,other::---,user:{NAMED_USER}:r-x,group:{NAMED_GROUP}:r-x,"
                        f"default:user::rwx,default:group::r-x,default:other::---,default:user:{NAMED_USER}:r--,"
                        f"default:group:{NAMED_GROUP}:r--")
    data = os.urandom(small_bytes)

    def create(i):
        emu.webhdfs("PUT", f"/bench/small/d{i // 1000:02d}/f{i:05d}.dat", "CREATE", data, write="true",
                    overwrite="true")

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(create, range(small_count)))


def seed_local(root, large_count, large_bytes, small_count, small_bytes):
    os.makedirs(os.path.join(root, "large"))
    chunk = os.urandom(8 << 20)
    for i in range(large_count):
        with open(os.path.join(root, "large", f"f{i}.bin"), "wb") as f:
            for offset in range(0, large_bytes, len(chunk)):
                f.write(chunk[:large_bytes - offset])
    data = os.urandom(small_bytes)
    for i in range(small_count):
        d = os.path.join(root, "small", f"d{i // 1000:02d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i:05d}.dat"), "wb") as f:
            f.write(data)


def account_sas():
    sys.path.insert(0, "/usr/lib/python3/dist-packages")
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas
    return generate_account_sas(DEV_ACCOUNT, DEV_KEY, ResourceTypes(service=True, container=True, object=True),
                                AccountSasPermissions(read=True, write=True, delete=True, list=True, add=True,
                                                      create=True),
                                expiry=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=4))


def report_line(name, seconds, rss, amount, unit):
    rate = amount / seconds
    print(f"  {name:<44} {seconds:7.1f} s  {rate:10.1f} {unit}  peak RSS {rss:6.0f} MiB  "
          f"CPU {run_measured.cpu:5.1f} s", flush=True)
    return rate


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    parser.add_argument("--large-count", type=int, default=4)
    parser.add_argument("--large-mib", type=int, default=256)
    parser.add_argument("--small-count", type=int, default=10000)
    parser.add_argument("--small-kib", type=int, default=4)
    parser.add_argument("--skip-azcopy", action="store_true")
    parser.add_argument("--lakeshift-args", default="", help="extra options for lakeshift migrate, e.g. '--parallel 32'")
    parser.add_argument("--azcopy", default=os.path.expanduser("~/.local/share/lakeshift/bin/azcopy"))
    a = parser.parse_args()
    lakeshift = os.path.join(a.build, "lakeshift")
    large_bytes, small_bytes = a.large_mib << 20, a.small_kib << 10
    large_total = a.large_count * large_bytes

    with tempfile.TemporaryDirectory(prefix="lakeshift-migrate-bench-") as work:
        print(f"lakeshift migrate benchmark on {os.cpu_count()} cores ({a.large_count} x {a.large_mib} MiB, "
              f"{a.small_count} x {a.small_kib} KiB)", flush=True)
        emu = Emulators(lakeshift, work)
        try:
            seed_gen1(emu, a.large_count, large_bytes, a.small_count, small_bytes)
            gen1 = emu.info["gen1"]["webhdfs_url"]
            gen2 = emu.info["gen2"]["url"] + "/gen1"
            results = {}
            for name, part, amount, unit in (("(a) Gen1 -> Gen2, large files", "large", large_total / 1e6, "MB/s"),
                                             ("(b) Gen1 -> Gen2, small files with ACLs", "small", a.small_count,
                                              "files/s")):
                seconds, rss, out, _ = run_measured(
                    [lakeshift, "migrate", "--from", f"{gen1}/bench/{part}", "--to", f"{gen2}/{part}", "--journal",
                     os.path.join(work, f"{part}.journal"), *a.lakeshift_args.split()], env=emu.env())
                results[part] = report_line(name, seconds, rss, amount, unit)
        finally:
            emu.stop()

        local = os.path.join(work, "local")
        seed_local(local, a.large_count, large_bytes, a.small_count, small_bytes)
        data = os.path.join(work, "gen2-http")
        gen2p = subprocess.Popen([lakeshift, "emulate", "gen2", "--listen", "127.0.0.1:0", "--data", data],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        url = re.search(r"(https?://\S+)", gen2p.stdout.readline()).group(1)
        threading.Thread(target=lambda: [None for _ in gen2p.stdout], daemon=True).start()
        try:
            env = dict(os.environ, AZURE_STORAGE_KEY=DEV_KEY)
            sas = None if a.skip_azcopy else account_sas()
            if sas:
                # AzCopy needs the filesystem to exist; lakeshift creates its own.
                subprocess.run([lakeshift, "migrate", "--from", "file://" + os.path.join(local, "large"), "--to",
                                f"{url}/azcopy/warmup", "--journal", os.path.join(work, "warm.journal"), "--dry-run"],
                               env=env, capture_output=True)
            for part, amount, unit in (("large", large_total / 1e6, "MB/s"), ("small", a.small_count, "files/s")):
                seconds, rss, _, _ = run_measured(
                    [lakeshift, "migrate", "--from", "file://" + os.path.join(local, part), "--to",
                     f"{url}/gen1/local-{part}", "--journal", os.path.join(work, f"local-{part}.journal"),
                     *a.lakeshift_args.split()], env=env)
                ours = report_line(f"(c) local -> Gen2, {part}: lakeshift", seconds, rss, amount, unit)
                if not sas:
                    continue
                azenv = dict(os.environ, AZCOPY_LOG_LOCATION=os.path.join(work, "azlogs"),
                             AZCOPY_JOB_PLAN_LOCATION=os.path.join(work, "azplans"), AZCOPY_DISABLE_SYSLOG="true",
                             HOME=os.path.join(work, "home"))
                # AzCopy stores no MD5 unless asked; lakeshift always computes and stores one (and has Gen2 check
                # it). Both are measured: the --put-md5 run does the same work as lakeshift.
                for label, extra in (("AzCopy", []), ("AzCopy --put-md5", ["--put-md5"])):
                    seconds, az_rss, _, _ = run_measured(
                        [a.azcopy, "copy", os.path.join(local, part), f"{url}/azcopy/{part}{len(extra)}?{sas}",
                         "--recursive", "--from-to", "LocalBlobFS", *extra], env=azenv)
                    theirs = report_line(f"(c) local -> Gen2, {part}: {label}", seconds, az_rss, amount, unit)
                    print(f"      lakeshift / {label}: {ours / theirs:.2f}x the rate, {rss / az_rss:.2f}x the memory",
                          flush=True)
        finally:
            gen2p.terminate()
            gen2p.wait(timeout=30)
        print("Targets: (a) >= 300 MB/s, (b) >= 1,500 files/s, (c) >= 1.5x AzCopy's rate with <= 0.5x its memory")


if __name__ == "__main__":
    main()
