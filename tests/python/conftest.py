"""Fixtures that run the lakeshift emulators as real processes on free ports, with their own data dirs."""
import collections
import json
import os
import re
import ssl
import subprocess
import tempfile
import threading
import urllib.parse
import urllib.request

import pytest

DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def lakeshift_binary():
    path = os.environ.get("LAKESHIFT")
    if not path:
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.join(here, "..", "..", "build", "release", "lakeshift")
    if not os.path.exists(path):
        pytest.exit(f"lakeshift binary not found at {path}; build it or set LAKESHIFT", returncode=2)
    return path


class Gen2Emulator:
    def __init__(self, tls=False, extra_args=(), data_dir=None):
        self.data = tempfile.TemporaryDirectory(prefix="lakeshift-gen2-")
        self.data_dir = data_dir or self.data.name
        args = [lakeshift_binary(), "emulate", "gen2", "--listen", "127.0.0.1:0", "--data", self.data_dir]
        args += list(extra_args)
        self.cert = None
        if tls:
            self.cert = os.path.join(self.data.name, "cert.pem")
            key = os.path.join(self.data.name, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                            "-nodes", "-keyout", key, "-out", self.cert, "-days", "1", "-subj", "/CN=localhost",
                            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                           check=True, capture_output=True)
            args += ["--cert", self.cert, "--cert-key", key]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        match = re.search(r"(https?://\S+)", line)
        if not match:
            self.process.kill()
            raise RuntimeError(f"emulator did not start: {line!r} {self.process.stderr.read()}")
        self.url = match.group(1)
        self.account = DEV_ACCOUNT
        self.key = DEV_KEY

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.data.cleanup()


@pytest.fixture(scope="module")
def gen2():
    emulator = Gen2Emulator()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def gen2_tls():
    emulator = Gen2Emulator(tls=True)
    yield emulator
    emulator.stop()


class LocalEmulators:
    """`lakeshift emulate --data DIR`: the identity provider and the stores over HTTPS, on free ports.

    `info` is DIR/emulators.json; `principals` maps a name to the entry passed with --principals."""

    def __init__(self, principals=None, extra_args=()):
        self.data = tempfile.TemporaryDirectory(prefix="lakeshift-emulate-")
        self.principals = principals or {}
        self._start(extra_args)

    def restart(self, extra_args=()):
        """Stops the emulators and starts them again on the same data (new ports), e.g. with --faults."""
        self.process.terminate()
        self.process.wait(timeout=20)
        self._start(extra_args)

    def _start(self, extra_args):
        args = [lakeshift_binary(), "emulate", "--data", self.data.name, "--identity-port", "0", "--gen2-port", "0",
                "--gen1-port", "0"]
        if self.principals:
            path = os.path.join(self.data.name, "principals.json")
            with open(path, "w") as f:
                json.dump(list(self.principals.values()), f)
            args += ["--principals", path]
        self.process = subprocess.Popen(args + list(extra_args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        lines = []
        for line in self.process.stdout:
            lines.append(line)
            if line.startswith("Connection details:"):
                break
        else:
            self.process.kill()
            raise RuntimeError(f"emulators did not start: {''.join(lines)} {self.process.stderr.read()}")
        with open(os.path.join(self.data.name, "emulators.json")) as f:
            self.info = json.load(f)
        self.ca_file = self.info["ca_file"]
        # The access log goes to stderr: keep reading both pipes, or a long test fills them and the emulators
        # block. The last lines stay in `log` for debugging.
        self.log = collections.deque(maxlen=200)
        for pipe in (self.process.stdout, self.process.stderr):
            threading.Thread(target=self._drain, args=(pipe,), daemon=True).start()

    def _drain(self, pipe):
        for line in pipe:
            self.log.append(line)

    def credential(self, client_id, client_secret):
        """An azure-identity credential that gets its tokens from the local identity provider."""
        from azure.identity import ClientSecretCredential
        return ClientSecretCredential(self.info["tenant_id"], client_id, client_secret,
                                      authority=self.info["identity"]["url"], instance_discovery=False,
                                      connection_verify=self.ca_file)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.data.cleanup()


class Gateway:
    """`lakeshift gateway` in front of the emulators, on a free port, with their TLS certificate. `app` is the
    principal whose client credentials the gateway uses for its on-behalf-of exchanges."""

    def __init__(self, emulators, journal, app, extra_env=None, superusers=(), listen="127.0.0.1:0"):
        tls = os.path.dirname(emulators.ca_file)
        gw = app
        env = dict(os.environ, AZURE_TENANT_ID=emulators.info["tenant_id"], AZURE_CLIENT_ID=gw["client_id"],
                   AZURE_CLIENT_SECRET=gw["client_secret"], AZURE_AUTHORITY_HOST=emulators.info["identity"]["url"],
                   LAKESHIFT_CA_FILE=emulators.ca_file, **(extra_env or {}))
        self.process = subprocess.Popen(
            [lakeshift_binary(), "gateway", "--listen", listen, "--gen1", emulators.info["gen1"]["webhdfs_url"],
             "--gen2", emulators.info["gen2"]["url"] + "/gen1", "--journal", journal,
             "--cert", os.path.join(tls, "cert.pem"), "--cert-key", os.path.join(tls, "key.pem"),
             *[arg for oid in superusers for arg in ("--superuser", oid)]],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        line = self.process.stdout.readline()
        if "gateway on" not in line:
            self.process.kill()
            raise RuntimeError(f"gateway did not start: {line} {self.process.stderr.read()}")
        self.url = line.split(" on ", 1)[1].split("/webhdfs")[0].strip()
        self.log = []
        for pipe in (self.process.stdout, self.process.stderr):
            threading.Thread(target=lambda p: self.log.extend(p), args=(pipe,), daemon=True).start()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)

    def kill(self):
        self.process.kill()
        self.process.wait(timeout=20)


def fetch_token(emulators, entry, resource="https://datalake.azure.net/"):
    """A v1 client-credentials token response straight from the local identity provider's token endpoint."""
    body = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": entry["client_id"],
                                   "client_secret": entry["client_secret"], "resource": resource}).encode()
    context = ssl.create_default_context(cafile=emulators.ca_file)
    with urllib.request.urlopen(emulators.info["identity"]["token_url_v1"], data=body, context=context) as r:
        return json.load(r)


def run_lakeshift(emulators, *args, check=True, input=None):
    """Runs the lakeshift binary as the emulators' admin (Gen1 by client credentials, Gen2 by Shared Key)."""
    admin = emulators.info["admin"]
    env = dict(os.environ, AZURE_TENANT_ID=emulators.info["tenant_id"], AZURE_CLIENT_ID=admin["client_id"],
               AZURE_CLIENT_SECRET=admin["client_secret"], AZURE_AUTHORITY_HOST=emulators.info["identity"]["url"],
               AZURE_STORAGE_KEY=emulators.info["gen2"]["key"], LAKESHIFT_CA_FILE=emulators.ca_file)
    r = subprocess.run([lakeshift_binary(), *args], env=env, capture_output=True, text=True, timeout=600, input=input)
    if check and r.returncode != 0:
        raise AssertionError(f"lakeshift {' '.join(args)} exited {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def via_gateway(emulators, workdir):
    """Completes a migration of the emulators' Gen1 account to their Gen2 `gen1` filesystem, starts a gateway
    that serves it, and points `emulators.info["gen1"]["url"]` at the gateway: what Gen1 applications see after
    a complete migration. Returns the gateway (stop it before the emulators)."""
    journal = os.path.join(workdir, "gateway.journal")
    run_lakeshift(emulators, "migrate", "--mode", "complete", "--yes", "--freeze-grace", "0", "--from",
                  emulators.info["gen1"]["webhdfs_url"], "--to", emulators.info["gen2"]["url"] + "/gen1", "--journal",
                  journal)
    superusers = [emulators.info["admin"]["object_id"]] + [
        p["object_id"] for p in emulators.principals.values() if p.get("superuser")]
    gateway = Gateway(emulators, journal, emulators.info["admin"], superusers=superusers)
    emulators.info["gen1"]["direct_url"] = emulators.info["gen1"]["url"]
    emulators.info["gen1"]["url"] = gateway.url
    return gateway


# Tests of the Gen1 SDK suite that cannot pass through the gateway, each with its entry in docs/known-issues.md.
# With LAKESHIFT_GEN1_VIA=gateway they are expected to fail; strictly where they always fail (one that starts
# passing then fails the run, so the list and the document stay true).
GATEWAY_KNOWN_GAPS = {
    # Not strict: the test allows 100 ms, so it passes by chance when the expiry's milliseconds are under 100.
    "test_set_expiry": ("Gen2 keeps expiry times to the second; Gen1 to the millisecond (known-issues.md: 1)", False),
}


def pytest_collection_modifyitems(config, items):
    if os.environ.get("LAKESHIFT_GEN1_VIA") != "gateway":
        return
    for item in items:
        gap = GATEWAY_KNOWN_GAPS.get(item.name)
        if gap:
            reason, strict = gap
            item.add_marker(pytest.mark.xfail(reason=reason, strict=strict))
