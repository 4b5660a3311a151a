"""Fixtures that run the lakeshift emulators as real processes on free ports, with their own data dirs."""
import os
import re
import subprocess
import tempfile

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
    def __init__(self, tls=False):
        self.data = tempfile.TemporaryDirectory(prefix="lakeshift-gen2-")
        args = [lakeshift_binary(), "emulate", "gen2", "--listen", "127.0.0.1:0", "--data", self.data.name]
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
