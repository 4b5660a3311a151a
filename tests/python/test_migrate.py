"""`lakeshift migrate` and `lakeshift verify` end to end, as a user runs them: the binary against the emulators of
`lakeshift emulate` (Gen1 source read with Entra client credentials from the local identity provider, Gen2 target
with Shared Key), a lake seeded with the official Gen1 SDK, and the results read back with the official SDKs.

Covered: a tree with every feature migrates and verifies clean, and OAuth principals are allowed and denied the
same things on both sides; kill -9 at five random moments, then resume: verify is clean and no finished file was
copied twice; 5% injected faults on both stores; a local directory as the source; bad input."""
import os
import random
import signal
import sqlite3
import stat
import subprocess
import tempfile
import time
import uuid

import pytest
from azure.core.exceptions import HttpResponseError
from azure.datalake.store.exceptions import PermissionError as Gen1PermissionError
from azure.storage.filedatalake import DataLakeServiceClient

from conftest import lakeshift_binary
import test_gen1_sdk
from test_gen1_sdk import PRINCIPALS, client, emulators, oid  # noqa: F401 (emulators is a fixture)

GROUP = "6b0f3d2e-1c4a-4e5b-9f7d-2a8c1e3b5d40"


@pytest.fixture
def workdir():
    with tempfile.TemporaryDirectory(prefix="lakeshift-migrate-") as d:
        yield d


def env_for(emulators):
    env = dict(os.environ)
    admin = emulators.info["admin"]
    env.update({"AZURE_TENANT_ID": emulators.info["tenant_id"], "AZURE_CLIENT_ID": admin["client_id"],
                "AZURE_CLIENT_SECRET": admin["client_secret"], "AZURE_AUTHORITY_HOST": emulators.info["identity"]["url"],
                "AZURE_STORAGE_KEY": emulators.info["gen2"]["key"], "LAKESHIFT_CA_FILE": emulators.ca_file})
    return env


def urls(emulators, name):
    return (emulators.info["gen1"]["webhdfs_url"] + "/" + name, emulators.info["gen2"]["url"] + "/gen1/" + name)


def lakeshift(emulators, *args, check=True, timeout=600):
    r = subprocess.run([lakeshift_binary(), *args], env=env_for(emulators), capture_output=True, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"lakeshift {' '.join(args)} exited {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def migrate(emulators, name, journal, *extra, check=True):
    src, dst = urls(emulators, name)
    return lakeshift(emulators, "migrate", "--from", src, "--to", dst, "--journal", journal, *extra, check=check)


def verify(emulators, name, journal, check=True):
    src, dst = urls(emulators, name)
    return lakeshift(emulators, "verify", "--from", src, "--to", dst, "--journal", journal, check=check)


def gen2_service(emulators, who=None):
    if who is None:
        credential = {"account_name": emulators.info["gen2"]["account"], "account_key": emulators.info["gen2"]["key"]}
    else:
        credential = emulators.credential(PRINCIPALS[who]["client_id"], PRINCIPALS[who]["client_secret"])
    return DataLakeServiceClient(emulators.info["gen2"]["url"], credential=credential, connection_verify=emulators.ca_file)


def seed(adl, root, small_files=40, big_sizes=(5 << 20, (9 << 20) + 17)):
    """A lake with every feature: nested and empty directories, empty files, files above the block size,
    named-user, group and default ACLs, an owner and group, a sticky directory, an expiring file, unicode."""
    rng = random.Random(7)
    adl.mkdir(root)
    adl.set_acl(root, "user::rwx,group::r-x,other::r-x")
    adl.mkdir(f"{root}/raw/2024/01")
    adl.mkdir(f"{root}/empty")
    for i in range(small_files):
        with adl.open(f"{root}/raw/2024/01/part-{i:04d}.csv", "wb") as f:
            f.write(bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 5000))))
    for i, size in enumerate(big_sizes):
        with adl.open(f"{root}/raw/big-{i}.bin", "wb") as f:
            f.write(os.urandom(size))
    adl.touch(f"{root}/raw/empty.txt")
    with adl.open(f"{root}/données/café ☕ 12,+3#456?.txt", "wb") as f:
        f.write("unicode\n".encode())
    adl.chown(f"{root}/raw", owner=oid("alice"), group=GROUP)
    adl.chmod(f"{root}/raw", "750")
    adl.modify_acl_entries(f"{root}/raw", f"user:{oid('bob')}:r-x,default:user:{oid('bob')}:r-x")
    adl.modify_acl_entries(f"{root}/raw/2024", f"user:{oid('bob')}:r-x")
    adl.modify_acl_entries(f"{root}/raw/2024/01", f"user:{oid('bob')}:r-x")
    adl.modify_acl_entries(f"{root}/raw/big-0.bin", f"user:{oid('bob')}:r--,group:{GROUP}:r--")
    adl.mkdir(f"{root}/shared")
    adl.chmod(f"{root}/shared", "1777")
    with adl.open(f"{root}/shared/expiring.txt", "wb") as f:
        f.write(b"temporary\n")
    adl.set_expiry(f"{root}/shared/expiring.txt", "Absolute", 4102444800000)


def test_a_lake_migrates_with_all_its_metadata_and_verifies_clean(emulators, workdir):
    admin = client(emulators, "admin")
    admin.set_acl("/", "user::rwx,group::rwx,other::r-x")
    seed(admin, "/lake")
    journal = os.path.join(workdir, "j.db")
    r = migrate(emulators, "lake", journal, "--json")
    assert '"event":"finished"' in r.stdout.replace(" ", ""), r.stdout
    assert "0 names Gen2 cannot hold" in r.stderr
    v = verify(emulators, "lake", journal)
    assert "no differences" in v.stdout, v.stdout

    gen2 = gen2_service(emulators).get_file_system_client("gen1")
    big = gen2.get_file_client("lake/raw/big-1.bin")
    assert big.get_file_properties().size == (9 << 20) + 17
    acl = gen2.get_directory_client("lake/raw").get_access_control()
    assert acl["owner"] == oid("alice") and acl["group"] == GROUP
    assert f"user:{oid('bob')}:r-x" in acl["acl"] and f"default:user:{oid('bob')}:r-x" in acl["acl"]
    assert gen2.get_directory_client("lake/shared").get_access_control()["permissions"] == "rwxrwxrwt"
    props = gen2.get_file_client("lake/raw/empty.txt").get_file_properties()
    assert props.size == 0
    assert props.metadata["lakeshift_source_mtime"] == str(admin.info("/lake/raw/empty.txt")["modificationTime"])
    expiring = gen2.get_file_client("lake/shared/expiring.txt").get_file_properties()
    assert expiring.expiry_time is not None and expiring.expiry_time.year == 2100
    unicode_file = gen2.get_file_client("lake/données/café ☕ 12,+3#456?.txt")
    assert unicode_file.download_file().readall() == "unicode\n".encode()

    # The same principal is allowed and denied the same things on both sides. /lake went to gen1/lake: the
    # ancestors outside the migrated tree are the target's own, so give its root the source root's ACL.
    gen2.get_directory_client("/").set_access_control(acl="user::rwx,group::rwx,other::r-x")
    def gen1_can(who, action, path):
        fs = client(emulators, who)
        try:
            if action == "read":
                with fs.open("/lake" + path, "rb") as f:
                    f.read(10)
            elif action == "list":
                fs.ls("/lake" + path, invalidate_cache=True)
            elif action == "write":
                with fs.open(f"/lake{path}/new-{who}-{uuid.uuid4().hex[:6]}", "wb") as f:
                    f.write(b"x")
            return True
        except (Gen1PermissionError, PermissionError, OSError, RuntimeError):
            return False

    def gen2_can(who, action, path):
        fs = gen2_service(emulators, who).get_file_system_client("gen1")
        try:
            if action == "read":
                fs.get_file_client("lake" + path).download_file(offset=0, length=10).readall()
            elif action == "list":
                list(fs.get_paths("lake" + path, recursive=False))
            elif action == "write":
                fs.get_file_client(f"lake{path}/new-{who}-{uuid.uuid4().hex[:6]}").upload_data(b"x", overwrite=True)
            return True
        except HttpResponseError as e:
            assert e.status_code == 403, e
            return False

    checks = [("read", "/raw/big-0.bin"), ("read", "/raw/2024/01/part-0001.csv"), ("list", "/raw"),
              ("list", "/raw/2024/01"), ("write", "/raw"), ("write", "/shared"), ("read", "/shared/expiring.txt")]
    outcomes = {}
    for who in ("alice", "bob", "carol", "dave"):
        for action, path in checks:
            before = gen1_can(who, action, path)
            after = gen2_can(who, action, path)
            assert before == after, f"{who} {action} {path}: Gen1 {before}, Gen2 {after}"
            outcomes[(who, action, path)] = before
    assert outcomes[("bob", "read", "/raw/big-0.bin")] and not outcomes[("dave", "read", "/raw/big-0.bin")]
    assert outcomes[("alice", "write", "/raw")] and not outcomes[("bob", "write", "/raw")]


def test_kill_9_at_five_moments_then_resume(emulators, workdir):
    admin = client(emulators, "admin")
    admin.set_acl("/", "user::rwx,group::rwx,other::r-x")
    seed(admin, "/killed", small_files=150, big_sizes=(12 << 20, 20 << 20, 7 << 20))
    journal = os.path.join(workdir, "j.db")
    src, dst = urls(emulators, "killed")
    rng = random.Random()
    finished_before = {}
    for _ in range(5):
        p = subprocess.Popen([lakeshift_binary(), "migrate", "--from", src, "--to", dst, "--journal", journal,
                              "--parallel", "4", "--block-size", "1M"],
                             env=env_for(emulators), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 2.5))
        p.send_signal(signal.SIGKILL)
        p.wait()
        if os.path.exists(journal):
            with sqlite3.connect(journal) as db:
                for path, copies in db.execute("SELECT path, copies FROM items WHERE state = 2 AND type = 0"):
                    finished_before.setdefault(path, copies)
    migrate(emulators, "killed", journal, "--block-size", "1M")
    verify(emulators, "killed", journal)
    with sqlite3.connect(journal) as db:
        rows = dict(db.execute("SELECT path, copies FROM items WHERE type = 0"))
        states = {s for (s,) in db.execute("SELECT DISTINCT state FROM items")}
    assert states == {2}
    assert len(rows) == 150 + 3 + 3
    twice = {p: c for p, c in rows.items() if c != 1}
    assert not twice, f"copied more than once: {twice}"
    for path, copies in finished_before.items():
        assert rows[path] == copies, path


def test_five_percent_faults_on_both_stores(emulators, workdir):
    admin = client(emulators, "admin")
    admin.set_acl("/", "user::rwx,group::rwx,other::r-x")
    seed(admin, "/faulty", small_files=60, big_sizes=(6 << 20,))
    emulators.restart(["--faults", "error=0.05,status=503,retry-after=0,seed=11"])
    test_gen1_sdk._clients.clear()
    try:
        journal = os.path.join(workdir, "j.db")
        r = migrate(emulators, "faulty", journal, "--block-size", "1M")
        assert "failed      0" in r.stdout, r.stdout
        verify(emulators, "faulty", journal)
    finally:
        emulators.restart()
        test_gen1_sdk._clients.clear()  # the SDK clients know the old ports


def test_a_local_directory_migrates_with_posix_permissions_and_times(emulators, workdir):
    src = os.path.join(workdir, "local")
    os.makedirs(os.path.join(src, "a", "b"))
    with open(os.path.join(src, "a", "b", "data.bin"), "wb") as f:
        f.write(os.urandom(3 << 20))
    with open(os.path.join(src, "a", "note.txt"), "w") as f:
        f.write("hello\n")
    os.chmod(os.path.join(src, "a", "note.txt"), 0o640)
    os.chmod(os.path.join(src, "a", "b"), 0o1750)
    os.utime(os.path.join(src, "a", "note.txt"), (1600000000.123, 1500000000.5))
    journal = os.path.join(workdir, "j.db")
    dst = emulators.info["gen2"]["url"] + "/gen1/from-local"
    lakeshift(emulators, "migrate", "--from", "file://" + src, "--to", dst, "--journal", journal)
    lakeshift(emulators, "verify", "--from", "file://" + src, "--to", dst, "--journal", journal)
    gen2 = gen2_service(emulators).get_file_system_client("gen1")
    note = gen2.get_file_client("from-local/a/note.txt")
    assert note.download_file().readall() == b"hello\n"
    assert note.get_access_control()["permissions"] == "rw-r-----"
    # Host account names are not Gen2 identities: without an identity map the target's defaults stay.
    assert note.get_access_control()["owner"] == "$superuser"
    assert note.get_file_properties().metadata["lakeshift_source_mtime"] == "1500000000500"
    assert gen2.get_directory_client("from-local/a/b").get_access_control()["permissions"] == "rwxr-x--T"


def test_bad_input_gets_clear_errors(emulators, workdir):
    journal = os.path.join(workdir, "j.db")
    r = lakeshift(emulators, "migrate", "--from", "ftp://nowhere/x", "--to", "abfss://fs@acct.dfs.core.windows.net/",
                  "--journal", journal, check=False)
    assert r.returncode != 0 and "--from" in r.stderr, r.stderr
    src, dst = urls(emulators, "does-not-exist")
    r = lakeshift(emulators, "migrate", "--from", src, "--to", dst, "--journal", journal, check=False)
    assert r.returncode != 0 and "does-not-exist" in r.stderr, r.stderr
    r = lakeshift(emulators, "migrate", "--from", src, "--to", dst, "--block-size", "lots", check=False)
    assert r.returncode == 2 and "--block-size" in r.stderr, r.stderr
    r = lakeshift(emulators, "migrate", "--from", src, "--to", src, check=False)
    assert r.returncode != 0 and "target must be" in r.stderr, r.stderr
    # A journal made for one migration refuses another.
    admin = client(emulators, "admin")
    admin.mkdir("/one")
    migrate(emulators, "one", journal)
    admin.mkdir("/two")
    r = migrate(emulators, "two", journal, check=False)
    assert r.returncode == 2 and "belongs to the migration from" in r.stderr, r.stderr


def test_names_gen2_cannot_hold_stop_the_run_before_any_copy(emulators, workdir):
    admin = client(emulators, "admin")
    admin.mkdir("/names")
    with admin.open("/names/ok.txt", "wb") as f:
        f.write(b"ok")
    with admin.open("/names/bad:colon.txt", "wb") as f:
        f.write(b"bad")
    journal = os.path.join(workdir, "j.db")
    r = migrate(emulators, "names", journal, check=False)
    assert r.returncode == 1 and "/bad:colon.txt" in r.stdout and "Stopped before copying" in r.stdout, r.stdout
    gen2 = gen2_service(emulators).get_file_system_client("gen1")
    assert not gen2.get_file_client("names/ok.txt").exists()
    migrate(emulators, "names", journal, "--names", "rename")
    verify(emulators, "names", journal)
