"""AzCopy itself (installed by scripts/setup.sh; tests/CMakeLists.txt passes its path in AZCOPY) against the Gen2
emulator: a local tree goes in through the DFS API (--from-to LocalBlobFS) and through the Blob API (LocalBlob:
Put Blob, Put Block, Put Block List), and comes back out (BlobFSLocal: List Blobs, ranged Get Blob) byte for byte.
AzCopy accepts the emulator's path-style http:// URLs with an account SAS as they are."""
import os
import re
import subprocess
import tempfile
from datetime import datetime, timedelta, timezone

import pytest
from azure.storage.blob import AccountSasPermissions, BlobServiceClient, ResourceTypes, generate_account_sas

from conftest import DEV_ACCOUNT, DEV_KEY, lakeshift_binary

BIG = 9 * 1024 * 1024 + 12345  # over AzCopy's 8 MiB block size: several Put Block calls


def azcopy_binary():
    path = os.environ.get("AZCOPY", "")
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"AzCopy not found at {path or '(AZCOPY is not set)'}: scripts/setup.sh installs it there "
                    "(scripts/install-azcopy.sh); cmake -DLAKESHIFT_AZCOPY=... points the test elsewhere")
    return path


class Emulator:
    """The emulator with its log in a file (AzCopy makes many requests; a pipe nobody reads would fill up)."""

    def __init__(self, workdir):
        self.log_path = os.path.join(workdir, "emulator.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([lakeshift_binary(), "-v", "emulate", "gen2", "--listen", "127.0.0.1:0",
                                         "--data", os.path.join(workdir, "data")],
                                        stdout=subprocess.PIPE, stderr=self.log, text=True)
        match = re.search(r"(https?://\S+)", self.process.stdout.readline())
        if not match:
            self.stop()
            raise RuntimeError(f"emulator did not start: {self.log_tail()}")
        self.url = match.group(1)

    def log_tail(self, lines=60):
        with open(self.log_path) as f:
            return "".join(f.readlines()[-lines:])

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.log.close()


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="lakeshift-azcopy-") as path:
        yield path


@pytest.fixture(scope="module")
def emulator(workdir):
    emulator = Emulator(workdir)
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def sas():
    return generate_account_sas(DEV_ACCOUNT, DEV_KEY, ResourceTypes(service=True, container=True, object=True),
                                AccountSasPermissions(read=True, write=True, delete=True, list=True, add=True,
                                                      create=True),
                                expiry=datetime.now(timezone.utc) + timedelta(hours=2))


# name -> content; None is an (empty) directory.
TREE = {
    "top.txt": b"top level\n",
    "empty.txt": b"",
    "nested/deeper/deepest/leaf.txt": b"leaf\n",
    "nested/sibling.txt": b"sibling\n",
    "big/large.bin": None,  # filled with random bytes below
    "names/with space.txt": b"space\n",
    "names/ünïcødé-日本語.txt": "unicode\n".encode(),
    "names/per%cent.txt": b"percent\n",
    "names/plus+sign.txt": b"plus\n",
    "names/hash#tag.txt": b"hash\n",
    "names/12,+3#456?.txt": b"awkward\n",
    "empty dir": None,
}


def make_tree(root):
    for name, content in TREE.items():
        path = os.path.join(root, name)
        if name == "empty dir":
            os.makedirs(path)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(os.urandom(BIG) if name == "big/large.bin" else content)


def snapshot(root):
    """Relative path -> bytes for files, None for directories."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = None
        for f in filenames:
            with open(os.path.join(dirpath, f), "rb") as fh:
                out[os.path.relpath(os.path.join(dirpath, f), root)] = fh.read()
    return out


def run_azcopy(workdir, emulator, *args):
    env = dict(os.environ)
    env.update({
        "AZCOPY_LOG_LOCATION": os.path.join(workdir, "azcopy-logs"),
        "AZCOPY_JOB_PLAN_LOCATION": os.path.join(workdir, "azcopy-plans"),
        "AZCOPY_DISABLE_SYSLOG": "true",
        "AZCOPY_CONCURRENCY_VALUE": "8",
        "HOME": os.path.join(workdir, "home"),  # nothing of AzCopy's is left behind in the real home
    })
    result = subprocess.run([azcopy_binary(), *args], env=env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    if result.returncode != 0 or "Final Job Status: Completed" not in output:
        pytest.fail(f"azcopy {args[0]} failed ({result.returncode}):\n{output}\n--- emulator log ---\n"
                    f"{emulator.log_tail()}")
    return output


def url(emulator, path, sas):
    return f"{emulator.url}/{path}?{sas}"


@pytest.fixture(scope="module")
def source(workdir):
    root = os.path.join(workdir, "src")
    make_tree(root)
    return root


@pytest.fixture(scope="module")
def filesystem(emulator):
    service = BlobServiceClient(emulator.url, credential={"account_name": DEV_ACCOUNT, "account_key": DEV_KEY})
    return service.create_container("azcopy")


def test_copy_in_through_dfs_and_back(workdir, emulator, sas, source, filesystem):
    run_azcopy(workdir, emulator, "copy", source, url(emulator, "azcopy/via-dfs", sas), "--recursive",
               "--from-to", "LocalBlobFS", "--put-md5")
    out = os.path.join(workdir, "out-dfs")
    os.makedirs(out)
    run_azcopy(workdir, emulator, "copy", url(emulator, "azcopy/via-dfs/src", sas), out, "--recursive",
               "--from-to", "BlobFSLocal", "--check-md5", "FailIfDifferentOrMissing")
    assert snapshot(os.path.join(out, "src")) == snapshot(source)  # empty directories included


def test_copy_in_through_blob_and_back(workdir, emulator, sas, source, filesystem):
    run_azcopy(workdir, emulator, "copy", source, url(emulator, "azcopy/via-blob", sas), "--recursive",
               "--from-to", "LocalBlob", "--put-md5")
    # The large file was committed from several blocks; its parents appeared with it.
    large = filesystem.get_blob_client("via-blob/src/big/large.bin")
    committed, uncommitted = large.get_block_list("all")
    assert len(committed) >= 2 and sum(b.size for b in committed) == BIG and uncommitted == []
    assert filesystem.get_blob_client("via-blob/src/big").get_blob_properties().metadata == {"hdi_isfolder": "true"}
    out = os.path.join(workdir, "out-blob")
    os.makedirs(out)
    run_azcopy(workdir, emulator, "copy", url(emulator, "azcopy/via-blob/src", sas), out, "--recursive",
               "--from-to", "BlobFSLocal", "--check-md5", "FailIfDifferentOrMissing")
    expected = snapshot(source)
    del expected["empty dir"]  # AzCopy carries no empty folders to a Blob destination
    assert snapshot(os.path.join(out, "src")) == expected
