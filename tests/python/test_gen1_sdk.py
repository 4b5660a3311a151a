"""The official Gen1 Python SDK (azure-datalake-store 0.0.52, Debian python3-azure-datalake-store) against the
Gen1 emulator of `lakeshift emulate` (HTTPS, bearer tokens from the local identity provider): what the SDK's own
test suite covers (listing in batches, file objects, BadOffset recovery, concat, multi-chunk transfers, globs,
ACLs including the recursive calls, expiry, odd names), the Gen1 ACL rules for OAuth principals, and bad tokens.

Most tests act as alice, an ordinary principal who owns her working directory; the admin (a superuser, like an
Owner of the account) prepares what she may not do herself."""
import contextlib
import json
import os
import pathlib
import re
import ssl
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import uuid

import jwt
import pytest
import requests

from azure.datalake.store import AzureDLFileSystem, multithread
from azure.datalake.store.core import _put_data_with_retry
from azure.datalake.store.exceptions import DatalakeBadOffsetException, DatalakeRESTException
from azure.datalake.store.lib import DataLakeCredential
from azure.datalake.store.retry import NoRetryPolicy

from conftest import LocalEmulators, fetch_token, lakeshift_binary, via_gateway

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
GROUP = "6b0f3d2e-1c4a-4e5b-9f7d-2a8c1e3b5d40"   # /proj's owning group; carol is a member
GROUP2 = "7c1a4e3f-2d5b-4f6c-8a9e-3b9d2f4c6e51"  # a group alice belongs to


def principal(object_id, groups=(), superuser=False):
    return {"client_id": str(uuid.uuid4()), "client_secret": "secret-" + object_id[:8], "object_id": object_id,
            "groups": list(groups), "superuser": superuser}


PRINCIPALS = {
    "alice": principal("a11ce000-0000-4000-8000-000000000001", [GROUP2]),  # owner of the test trees
    "bob": principal("b0b00000-0000-4000-8000-000000000002"),              # named user in the ACLs
    "carol": principal("ca401000-0000-4000-8000-000000000003", [GROUP]),   # member of the owning group
    "dave": principal("da4e0000-0000-4000-8000-000000000004"),             # everybody else
    "erin": principal("e4140000-0000-4000-8000-000000000005", superuser=True),
}


def oid(name):
    return PRINCIPALS[name]["object_id"]


@contextlib.contextmanager
def ca_bundle(path):
    """Trust the emulator's certificate: requests (inside the SDK) takes REQUESTS_CA_BUNDLE before any session
    default, and the recursive ACL calls' worker processes inherit it."""
    saved = os.environ.get("REQUESTS_CA_BUNDLE")
    os.environ["REQUESTS_CA_BUNDLE"] = path
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = saved


@pytest.fixture(scope="module")
def emulators():
    """The Gen1 emulator; with LAKESHIFT_GEN1_VIA=gateway, the compatibility gateway after a complete migration
    of that (empty) account to the Gen2 emulator, so that every test below runs against Gen2 through it."""
    e = LocalEmulators(principals=PRINCIPALS)
    gateway = None
    work = tempfile.TemporaryDirectory(prefix="lakeshift-gen1-sdk-")
    try:
        if os.environ.get("LAKESHIFT_GEN1_VIA") == "gateway":
            gateway = via_gateway(e, work.name)
        with ca_bundle(e.ca_file):
            yield e
    finally:
        if gateway:
            gateway.stop()
        e.stop()
        work.cleanup()


def credential_from(token_response, tenant):
    """The SDK's credential object (what lib.auth() returns) around a token we fetched ourselves."""
    return DataLakeCredential({"access": token_response["access_token"], "tokenType": "Bearer",
                               "expiresIn": int(token_response["expires_in"]), "time": time.time(),
                               "resource": "https://datalake.azure.net/", "tenant": tenant, "refresh": False})


def connect(emulators, credential):
    # The SDK builds https://<store_name>.<url_suffix>/webhdfs/v1/: split host:port at its first dot. Plain
    # constructor arguments (rather than patching the URL afterwards) survive the pickling that the recursive
    # ACL calls' worker processes may do.
    host = urllib.parse.urlsplit(emulators.info["gen1"]["url"]).netloc
    store, suffix = host.split(".", 1)
    return AzureDLFileSystem(token=credential, store_name=store, url_suffix=suffix)


_clients = {}


def client(emulators, who):
    key = (id(emulators), who)
    if key not in _clients:
        entry = emulators.info["admin"] if who == "admin" else PRINCIPALS[who]
        _clients[key] = connect(emulators, credential_from(fetch_token(emulators, entry), emulators.info["tenant_id"]))
    return _clients[key]


@pytest.fixture(scope="module")
def admin(emulators):
    fs = client(emulators, "admin")
    # Gen1 checks execute on every ancestor, the root included, and the SDK lists a parent to tell an empty
    # directory from a missing one: let everybody list the root (as Gen1 accounts in use do).
    fs.set_acl("/", "user::rwx,group::rwx,other::r-x")
    return fs


@pytest.fixture(scope="module")
def alice(emulators):
    return client(emulators, "alice")


@pytest.fixture
def work(admin, alice):
    """A fresh directory that alice owns (made by the admin, as the SDK tests' harness makes theirs)."""
    path = f"/sdk-{uuid.uuid4().hex[:8]}"
    admin.mkdir(path)
    admin.chown(path, owner=oid("alice"))
    yield path
    admin.rm(path, recursive=True)


@pytest.fixture
def tmp_path():
    """A local scratch directory removed afterwards (pytest's own tmp_path keeps the last runs)."""
    with tempfile.TemporaryDirectory(prefix="lakeshift-gen1-sdk-") as d:
        yield pathlib.Path(d)


def write(fs, path, data, **kwargs):
    with fs.open(path, "wb", **kwargs) as f:
        f.write(data)


# ---- listing -----------------------------------------------------------------------------------------------

def test_simple_write_and_read(alice, work):
    data = os.urandom(64 * 1024)
    with alice.open(f"{work}/a", "wb") as f:
        assert f.blocksize == 4 * 2**20
        f.write(data)
    assert alice.cat(f"{work}/a") == data
    assert alice.info(f"{work}/a")["length"] == len(data)


def test_ls_touch_and_names(alice, work):
    assert alice.ls(work) == []
    alice.touch(f"{work}/a")
    alice.touch(f"{work}/b")
    assert sorted(alice.ls(work)) == [f"{work[1:]}/a", f"{work[1:]}/b"]
    detail = alice.ls(work, detail=True)
    assert {d["type"] for d in detail} == {"FILE"}
    assert all(d["length"] == 0 and d["owner"] == oid("alice") for d in detail)
    with pytest.raises(FileNotFoundError):
        alice.ls(f"{work}/missing")


@pytest.mark.parametrize("batch, calls", [(2, 6), (9, 2), (10, 2), (11, 1), (100, 1)])
def test_ls_in_batches_follows_continuation_tokens(alice, work, batch, calls):
    names = [f"123{c}.txt" for c in "abcdefghij"]
    for name in names:
        alice.touch(f"{work}/{name}")
    seen = []
    real_call = alice.azure.call

    def counting(op, *args, **kwargs):
        if op == "LISTSTATUS":
            seen.append(kwargs.get("listAfter"))
        return real_call(op, *args, **kwargs)

    alice.azure.call = counting
    try:
        listed = alice._ls_batched(work, batch_size=batch)
    finally:
        del alice.azure.call
    assert [e["pathSuffix"] for e in listed] == names
    # A full page carries the last name as its token even when nothing follows (as the service does).
    assert len(seen) == calls
    assert seen[0] is None and all(token in names for token in seen[1:])


def test_ls_batch_of_one_is_refused(alice, work):
    with pytest.raises(ValueError):
        alice._ls_batched(work, batch_size=1)


def test_ls_of_a_file_lists_the_file(alice, work):
    alice.touch(f"{work}/only")
    listed = alice.ls(f"{work}/only", detail=True)
    assert [(e["name"], e["pathSuffix"], e["type"]) for e in listed] == [(f"{work[1:]}/only", "", "FILE")]


def test_glob_and_walk(alice, work):
    for name in ["x/a.csv", "x/b.csv", "x/c.txt", "x/y/d.csv", "z/e.csv"]:
        write(alice, f"{work}/{name}", name.encode())
    top = work[1:]
    assert sorted(alice.walk(work)) == sorted(f"{top}/{n}" for n in
                                              ["x/a.csv", "x/b.csv", "x/c.txt", "x/y/d.csv", "z/e.csv"])
    assert sorted(alice.glob(f"{work}/x/*.csv")) == [f"{top}/x/a.csv", f"{top}/x/b.csv"]
    assert sorted(alice.glob(f"{work}/*/e.csv")) == [f"{top}/z/e.csv"]
    assert alice.du(work, total=True, deep=True) == sum(len(n) for n in
                                                        ["x/a.csv", "x/b.csv", "x/c.txt", "x/y/d.csv", "z/e.csv"])
    assert alice.du(f"{work}/x") == {f"{top}/x/a.csv": 7, f"{top}/x/b.csv": 7, f"{top}/x/c.txt": 7,
                                     f"{top}/x/y": 0}
    assert alice.df(work) == {"directoryCount": 4, "fileCount": 5, "length": 37, "quota": -1, "spaceConsumed": 37,
                              "spaceQuota": -1}


def test_info_exists_and_the_root(alice, admin, work):
    alice.touch(f"{work}/f")
    info = alice.info(f"{work}/f")
    assert info["type"] == "FILE" and info["length"] == 0 and info["blockSize"] == 268435456
    assert info["replication"] == 1 and info["permission"] == "770" and info["aclBit"] is False
    assert info["msExpirationTime"] == 0
    assert alice.exists(f"{work}/f") and not alice.exists(f"{work}/nope")
    d = alice.info(work)
    assert d["type"] == "DIRECTORY" and d["blockSize"] == 0 and d["replication"] == 0
    assert "msExpirationTime" not in d
    root = admin.info("/")
    assert root["type"] == "DIRECTORY" and root["group"] == ZERO_GUID  # the account root's owning group


def test_get_content_summary_on_the_server(alice, work):
    write(alice, f"{work}/d/a", b"12345")
    write(alice, f"{work}/d/e/b", b"123")
    summary = alice.azure.call("GETCONTENTSUMMARY", f"{work}/d")["ContentSummary"]
    assert summary == {"directoryCount": 2, "fileCount": 2, "length": 8, "quota": -1, "spaceConsumed": 8,
                       "spaceQuota": -1}


# ---- file objects ------------------------------------------------------------------------------------------

def test_file_exists_right_after_open_and_write_blocks(alice, work):
    path = f"{work}/blocks"
    with alice.open(path, "wb", blocksize=5) as f:
        assert alice.exists(path)  # CREATE happens at open
        f.write(b"000")
        f.write(b"001")  # buffer above blocksize: a DATA append of 5 bytes
        f.write(b"002")
        assert alice.info(path)["length"] == 0  # DATA appends do not publish the length
    assert alice.cat(path) == b"000001002"
    assert alice.info(path)["length"] == 9


def test_write_empty_and_overwrite(alice, work):
    alice.touch(f"{work}/e")
    assert alice.info(f"{work}/e")["length"] == 0
    assert alice.cat(f"{work}/e") == b""
    write(alice, f"{work}/e", b"longer content")
    write(alice, f"{work}/e", b"short")
    assert alice.cat(f"{work}/e") == b"short"


def test_append_across_three_opens(alice, work):
    path = f"{work}/append"
    for part in [b"123", b"456", b"789"]:
        with alice.open(path, "ab") as f:
            f.write(part)
    assert alice.cat(path) == b"123456789"


def test_delimited_flushes(alice, work):
    path = f"{work}/lines"
    with alice.open(path, "wb", blocksize=10, delimiter=b"\n") as f:
        f.write(b"alpha\nbeta\ngamma\ndelta\n")
    assert alice.cat(path) == b"alpha\nbeta\ngamma\ndelta\n"
    assert alice.read_block(path, 0, 13, delimiter=b"\n") == b"alpha\nbeta\n"  # cut at the last delimiter
    assert alice.read_block(path, 1, 8, delimiter=b"\n") == b"lpha\n"
    assert alice.read_block(path, 0, 3) == b"alp"


def test_read_seek_readline(alice, work):
    path = f"{work}/r"
    data = b"".join(b"line %d\n" % i for i in range(200))
    write(alice, path, data)
    with alice.open(path, "rb", blocksize=100) as f:
        assert f.read(10) == data[:10]
        assert f.seek(0, 2) == len(data)
        assert f.read() == b""
        f.seek(-7, 2)
        assert f.read() == data[-7:]
        f.seek(5)
        assert f.tell() == 5
        with pytest.raises(ValueError):
            f.seek(len(data) + 1)
        with pytest.raises(ValueError):
            f.seek(-1)
        f.seek(0)
        assert f.readline() == b"line 0\n"
        buffer = bytearray(7)
        assert f.readinto(buffer) == 7 and bytes(buffer) == b"line 1\n"
        assert f.readlines()[-1] == b"line 199\n"
    assert alice.head(path, 7) == b"line 0\n"
    assert alice.tail(path, 9) == b"line 199\n"


def test_text_mode_and_directories_are_refused(alice, work):
    with pytest.raises(NotImplementedError):
        alice.open(f"{work}/t", "w")
    alice.mkdir(f"{work}/dir")
    with pytest.raises(IOError):
        alice.open(f"{work}/dir", "rb")
    with pytest.raises(FileNotFoundError):
        alice.open(f"{work}/missing", "rb")
    with alice.open(f"{work}/w", "wb") as f:
        with pytest.raises(ValueError):
            f.read()


def test_open_past_the_end_is_a_bad_offset(alice, work):
    write(alice, f"{work}/short", b"abc")
    with pytest.raises(DatalakeBadOffsetException):
        alice.azure.call("OPEN", f"{work}/short", offset=4, length=1, read="true")
    assert alice.azure.call("OPEN", f"{work}/short", offset=1, length=100, read="true").content == b"bc"


def test_bad_offset_recovery(alice, work):
    """_put_data_with_retry answers a BadOffset with a zero-length append at offset + len(data): success means
    an earlier, unanswered attempt had landed."""
    path = f"{work}/offsets"
    session = str(uuid.uuid4())
    common = dict(append="true", leaseid=session, filesessionid=session)
    _put_data_with_retry(alice.azure, "CREATE", path, data=None, overwrite="true", write="true", syncFlag="DATA",
                         leaseid=session, filesessionid=session)
    _put_data_with_retry(alice.azure, "APPEND", path, data=b"12345", offset=0, syncFlag="DATA", **common)
    # The same append again (as after a lost response): BadOffset, then the probe at 5 succeeds.
    _put_data_with_retry(alice.azure, "APPEND", path, data=b"12345", offset=0, syncFlag="DATA", **common)
    # A genuinely wrong offset: the probe at 1 + 3 fails too, and the BadOffset surfaces.
    with pytest.raises(DatalakeBadOffsetException):
        _put_data_with_retry(alice.azure, "APPEND", path, data=b"xyz", offset=1, syncFlag="DATA", **common)
    _put_data_with_retry(alice.azure, "APPEND", path, data=b"678", offset=5, syncFlag="CLOSE", **common)
    assert alice.cat(path) == b"12345678"


def test_skip_existing_block(alice, work):
    path = f"{work}/skip"
    write(alice, path, b"0123456789")
    with pytest.raises(DatalakeBadOffsetException):
        alice.azure.call("APPEND", path, data=b"xx", offset=3, append="true", syncFlag="CLOSE")
    assert alice.cat(path) == b"0123456789"


# ---- namespace -----------------------------------------------------------------------------------------------

def test_concat(alice, work):
    write(alice, f"{work}/a+file1", b"hello ")
    write(alice, f"{work}/b+file2", b"world")
    alice.concat(f"{work}/c+res", [f"{work}/a+file1", f"{work}/b+file2"])
    assert alice.cat(f"{work}/c+res") == b"hello world"
    assert not alice.exists(f"{work}/a+file1") and not alice.exists(f"{work}/b+file2")
    write(alice, f"{work}/d", b"!")
    alice.concat(f"{work}/c+res", [f"{work}/d"])  # an existing target is appended to
    assert alice.cat(f"{work}/c+res") == b"hello world!"


def test_rm_and_rmdir(alice, work):
    write(alice, f"{work}/d/f", b"x")
    with pytest.raises(ValueError):
        alice.rmdir(f"{work}/d")
    with pytest.raises(PermissionError):  # non-empty directory without recursive: the service's IOException 403
        alice.rm(f"{work}/d")
    alice.rm(f"{work}/d/f")
    alice.rmdir(f"{work}/d")
    assert not alice.exists(f"{work}/d")
    write(alice, f"{work}/t/u/v", b"x")
    alice.rm(f"{work}/t", recursive=True)
    assert not alice.exists(f"{work}/t")
    with pytest.raises(FileNotFoundError):
        alice.rm(f"{work}/t")


def test_mv(alice, work):
    write(alice, f"{work}/a", b"a")
    alice.mv(f"{work}/a", f"{work}/b")
    assert not alice.exists(f"{work}/a") and alice.cat(f"{work}/b") == b"a"
    alice.mkdir(f"{work}/dir")
    alice.mv(f"{work}/b", f"{work}/dir")  # onto a directory: moved into it
    assert alice.cat(f"{work}/dir/b") == b"a"
    alice.mv(f"{work}/dir", f"{work}/dir2")
    assert alice.ls(f"{work}/dir2") == [f"{work[1:]}/dir2/b"]
    with pytest.raises(DatalakeRESTException):  # the service answers {"boolean": false}
        alice.mv(f"{work}/missing", f"{work}/x")


@pytest.mark.parametrize("name", ["12,+3#456?.txt", "with space.csv", "ünïcødé-文件.txt", "a%20b&c=d;e"])
def test_special_names(alice, work, name):
    path = f"{work}/dir {name}/{name}"
    write(alice, path, name.encode())
    assert alice.ls(f"{work}/dir {name}") == [f"{work[1:]}/dir {name}/{name}"]
    assert alice.cat(path) == name.encode()
    alice.mv(path, f"{work}/{name}")
    assert alice.info(f"{work}/{name}")["length"] == len(name.encode())
    alice.rm(f"{work}/{name}")
    assert not alice.exists(f"{work}/{name}")


def test_errors(alice, work):
    with pytest.raises(FileNotFoundError):
        alice.info(f"{work}/shfoshf/xxx")
    with pytest.raises(ValueError):
        alice.azure.call("NOSUCHOP", work)
    with pytest.raises(ValueError):
        alice.azure.call("RENAME", work)  # destination missing
    with pytest.raises(ValueError):
        alice.azure.call("MKDIRS", work, permission="777")  # not an allowed parameter
    with pytest.raises(DatalakeRESTException):  # a folder has no expiry
        alice.set_expiry(work, "Absolute", int(time.time() * 1000) + 60000)


# ---- transfers -----------------------------------------------------------------------------------------------

def test_upload_and_download_in_chunks(alice, work, tmp_path):
    local = tmp_path / "up"
    (local / "sub").mkdir(parents=True)
    (local / "empty-dir").mkdir()
    big = os.urandom(1024 * 1024 + 12345)
    (local / "big.bin").write_bytes(big)
    (local / "sub" / "small.txt").write_bytes(b"small")
    (local / "sub" / "empty.txt").write_bytes(b"")
    ops = []
    real_call = alice.azure.call
    alice.azure.call = lambda op, *args, **kwargs: ops.append(op) or real_call(op, *args, **kwargs)
    try:
        up = multithread.ADLUploader(alice, f"{work}/up", str(local), nthreads=4, chunksize=256 * 1024,
                                     buffersize=64 * 1024, blocksize=64 * 1024, overwrite=True)
    finally:
        del alice.azure.call
    assert up.successful()
    assert ops.count("MSCONCAT") == 1  # big.bin went up in 5 chunks, joined on the server
    assert alice.cat(f"{work}/up/big.bin") == big
    assert not [p for p in alice.ls(f"{work}/up") if ".segments." in p]  # the chunks' folder is gone
    assert alice.cat(f"{work}/up/sub/small.txt") == b"small"
    assert alice.info(f"{work}/up/sub/empty.txt")["length"] == 0
    assert alice.ls(f"{work}/up/empty-dir") == []
    assert sorted(alice.ls(f"{work}/up")) == sorted(f"{work[1:]}/up/{n}" for n in ["big.bin", "empty-dir", "sub"])
    with pytest.raises(FileExistsError):
        multithread.ADLUploader(alice, f"{work}/up", str(local), nthreads=2, chunksize=256 * 1024)

    down = tmp_path / "down"
    d = multithread.ADLDownloader(alice, f"{work}/up", str(down), nthreads=4, chunksize=256 * 1024,
                                  buffersize=64 * 1024, blocksize=64 * 1024, overwrite=True)
    assert d.successful()
    assert (down / "big.bin").read_bytes() == big
    assert (down / "sub" / "small.txt").read_bytes() == b"small"
    assert (down / "sub" / "empty.txt").read_bytes() == b""
    glob_down = tmp_path / "glob"
    multithread.ADLDownloader(alice, f"{work}/up/sub/*.txt", str(glob_down), nthreads=2, overwrite=True)
    assert sorted(os.listdir(glob_down)) == ["empty.txt", "small.txt"]
    with pytest.raises(FileNotFoundError):
        multithread.ADLDownloader(alice, f"{work}/nothing", str(tmp_path / "none"))


def test_single_files_and_empty_ones(alice, work, tmp_path):
    (tmp_path / "one.txt").write_bytes(b"one")
    (tmp_path / "empty.txt").write_bytes(b"")
    alice.mkdir(f"{work}/into")
    multithread.ADLUploader(alice, f"{work}/into", str(tmp_path / "one.txt"), nthreads=2)  # into the directory
    multithread.ADLUploader(alice, f"{work}/empty.txt", str(tmp_path / "empty.txt"), nthreads=2)
    assert alice.cat(f"{work}/into/one.txt") == b"one"
    assert alice.info(f"{work}/empty.txt")["length"] == 0
    multithread.ADLDownloader(alice, f"{work}/into/one.txt", str(tmp_path / "back.txt"), nthreads=2)
    multithread.ADLDownloader(alice, f"{work}/empty.txt", str(tmp_path / "back-empty.txt"), nthreads=2)
    assert (tmp_path / "back.txt").read_bytes() == b"one"
    assert (tmp_path / "back-empty.txt").read_bytes() == b""
    with pytest.raises(FileExistsError):
        multithread.ADLDownloader(alice, f"{work}/into/one.txt", str(tmp_path / "back.txt"), nthreads=2)


def test_two_clients_see_each_others_changes(emulators, alice, work):
    other = connect(emulators, credential_from(fetch_token(emulators, PRINCIPALS["alice"]),
                                               emulators.info["tenant_id"]))
    assert other.ls(work) == []
    alice.touch(f"{work}/new")
    assert other.ls(work, invalidate_cache=False) == []  # the SDK's own directory cache
    assert other.ls(work) == [f"{work[1:]}/new"]
    other.rm(f"{work}/new")
    assert not alice.exists(f"{work}/new")


def test_unreachable_store(emulators):
    fs = AzureDLFileSystem(token=credential_from(fetch_token(emulators, PRINCIPALS["alice"]), "t"),
                           store_name="127", url_suffix="0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(DatalakeRESTException):
        fs.azure.call("LISTSTATUS", "/", retry_policy=NoRetryPolicy())


def test_put_and_get(alice, work, tmp_path):
    source = tmp_path / "src"
    source.write_bytes(b"x" * 100000)
    alice.put(str(source), f"{work}/put")
    alice.get(f"{work}/put", str(tmp_path / "back"))
    assert (tmp_path / "back").read_bytes() == b"x" * 100000


# ---- permissions, ACLs, expiry -----------------------------------------------------------------------------

def test_chmod(alice, work):
    write(alice, f"{work}/f", b"1")
    alice.chmod(f"{work}/f", "0555")
    assert alice.info(f"{work}/f")["permission"] == "555"
    with pytest.raises(PermissionError):  # the owner too is held to user::r-x
        with alice.open(f"{work}/f", "ab") as f:
            f.write(b"2")
    alice.chmod(f"{work}/f", "0770")
    alice.mkdir(f"{work}/deep")
    alice.touch(f"{work}/deep/file")
    alice.chmod(f"{work}/deep", "660")
    with pytest.raises(PermissionError):
        alice.ls(f"{work}/deep")
    alice.chmod(f"{work}/deep", "1770")
    assert alice.info(f"{work}/deep")["permission"] == "1770"
    assert alice.get_acl_status(f"{work}/deep")["stickyBit"] is True


def test_chown(alice, admin, work):
    alice.touch(f"{work}/f")
    with pytest.raises(PermissionError):  # only a superuser gives files away
        alice.chown(f"{work}/f", owner=oid("bob"))
    with pytest.raises(PermissionError):  # the owner may only pick a group she belongs to
        alice.chown(f"{work}/f", group=GROUP)
    alice.chown(f"{work}/f", group=GROUP2)
    admin.chown(f"{work}/f", owner=oid("bob"), group=GROUP)
    info = alice.info(f"{work}/f")
    assert (info["owner"], info["group"]) == (oid("bob"), GROUP)


def test_acl_calls(alice, work):
    bob = oid("bob")
    path = f"{work}/a"
    alice.touch(path)
    status = alice.get_acl_status(path)
    assert status == {"entries": ["user::rwx", "group::rwx", "other::---"], "owner": oid("alice"),
                      "group": alice.info(work)["group"], "permission": "770", "stickyBit": False}
    alice.set_acl(path, f"user::rwx,group::rwx,other::---,user:{bob}:rwx")
    assert alice.get_acl_status(path)["entries"] == ["user::rwx", f"user:{bob}:rwx", "group::rwx", "mask::rwx",
                                                     "other::---"]
    assert alice.info(path)["aclBit"] is True
    alice.modify_acl_entries(path, f"user:{bob}:-w-")
    assert f"user:{bob}:-w-" in alice.get_acl_status(path)["entries"]
    alice.remove_acl_entries(path, f"user:{bob}")
    assert alice.get_acl_status(path)["entries"] == ["user::rwx", "group::rwx", "mask::rwx", "other::---"]
    alice.remove_default_acl(path)  # nothing to do on a file
    alice.remove_acl(path)
    assert alice.get_acl_status(path)["entries"] == ["user::rwx", "group::rwx", "other::---"]
    assert alice.info(path)["aclBit"] is False

    alice.mkdir(f"{work}/d")
    alice.modify_acl_entries(f"{work}/d", f"default:user:{bob}:r-x,user:{bob}:r-x")
    entries = alice.get_acl_status(f"{work}/d")["entries"]
    assert f"default:user:{bob}:r-x" in entries and f"user:{bob}:r-x" in entries
    alice.remove_default_acl(f"{work}/d")
    assert not [e for e in alice.get_acl_status(f"{work}/d")["entries"] if e.startswith("default:")]
    with pytest.raises(DatalakeRESTException):  # a malformed spec is the service's 400
        alice.set_acl(path, "user::rwx,bogus")


def test_recursive_acl_calls(alice, work):
    bob, carol = oid("bob"), oid("carol")
    for name in ["t/a", "t/b", "t/s/c", "t/s/u/d"]:
        write(alice, f"{work}/{name}", b"x")
    dirs = [f"{work}/t", f"{work}/t/s", f"{work}/t/s/u"]
    files = [f"{work}/t/a", f"{work}/t/b", f"{work}/t/s/c", f"{work}/t/s/u/d"]

    alice.modify_acl_entries(f"{work}/t", f"user:{bob}:r-x,default:user:{bob}:r-x", recursive=True,
                             number_of_sub_process=2)
    for d in dirs:
        entries = alice.get_acl_status(d)["entries"]
        assert f"user:{bob}:r-x" in entries and f"default:user:{bob}:r-x" in entries, d
    for f in files:  # default entries are left out for files
        entries = alice.get_acl_status(f)["entries"]
        assert f"user:{bob}:r-x" in entries and not [e for e in entries if e.startswith("default:")], f

    alice.remove_acl_entries(f"{work}/t", f"user:{bob},default:user:{bob}", recursive=True, number_of_sub_process=2)
    for p in dirs + files:
        assert not [e for e in alice.get_acl_status(p)["entries"] if bob in e], p

    alice.set_acl(f"{work}/t", f"user::rwx,group::r-x,other::---,user:{carol}:rwx", recursive=True,
                  number_of_sub_process=2)
    for p in dirs + files:
        status = alice.get_acl_status(p)
        assert f"user:{carol}:rwx" in status["entries"] and status["permission"] == "770", p


def test_set_expiry(alice, work):
    path = f"{work}/expiring"
    alice.touch(path)
    when = int(time.time() * 1000) + 7 * 24 * 3600 * 1000
    alice.set_expiry(path, "Absolute", when)
    assert abs(alice.info(path)["msExpirationTime"] - when) <= 100
    alice.set_expiry(path, "relativetonow", 3600 * 1000)  # the option's case does not matter
    assert abs(alice.info(path)["msExpirationTime"] - (time.time() * 1000 + 3600 * 1000)) < 60000
    alice.set_expiry(path, "NeverExpire")
    assert alice.info(path)["msExpirationTime"] == 0
    with pytest.raises(ValueError):
        alice.set_expiry(path, "BadEnumValue")
    with pytest.raises(ValueError):
        alice.set_expiry(path, "Absolute")
    alice.set_expiry(path, "Absolute", int(time.time() * 1000) + 500)
    time.sleep(1.5)
    assert not alice.exists(path)  # expired items vanish


# ---- the Gen1 ACL rules for OAuth principals ---------------------------------------------------------------

@pytest.fixture(scope="module")
def tree(emulators, admin):
    """The admin builds:
      /             user::rwx,group::rwx,other::r-x
      /proj         owner alice, group GROUP: user::rwx,user:bob:rwx,group::r-x,mask::rwx,other::---
      /proj/data.txt     user::rw-,user:bob:rw-,group::r--,mask::rw-,other::---
      /proj/masked.txt   user::rw-,user:bob:rw-,group::r--,mask::r--,other::---
      /pub          other::r-x (anyone may list, not create)
      /pub/other.txt     other::r--, no extended ACL
      /pub/masked.txt    user:bob:rw-, mask::---, other::r-- (the mask limits other too)
    """
    admin.mkdir("/proj")
    admin.chown("/proj", owner=oid("alice"), group=GROUP)
    admin.set_acl("/proj", f"user::rwx,user:{oid('bob')}:rwx,group::r-x,mask::rwx,other::---")
    for name, acl in [("data.txt", f"user::rw-,user:{oid('bob')}:rw-,group::r--,mask::rw-,other::---"),
                      ("masked.txt", f"user::rw-,user:{oid('bob')}:rw-,group::r--,mask::r--,other::---")]:
        write(admin, f"/proj/{name}", b"payload")
        admin.chown(f"/proj/{name}", owner=oid("alice"), group=GROUP)
        admin.set_acl(f"/proj/{name}", acl)
    admin.mkdir("/pub")
    admin.set_acl("/pub", "user::rwx,group::r-x,other::r-x")
    write(admin, "/pub/other.txt", b"public")
    admin.set_acl("/pub/other.txt", "user::rw-,group::---,other::r--")
    write(admin, "/pub/masked.txt", b"masked")
    admin.set_acl("/pub/masked.txt", f"user::rw-,user:{oid('bob')}:rw-,group::---,mask::---,other::r--")
    return "/proj"


def restore(admin):
    write(admin, "/proj/data.txt", b"payload")
    admin.chown("/proj/data.txt", owner=oid("alice"), group=GROUP)
    admin.set_acl("/proj/data.txt", f"user::rw-,user:{oid('bob')}:rw-,group::r--,mask::rw-,other::---")


def append_one(fs, path):
    with fs.open(path, "ab") as f:
        f.write(b"!")


def delete_victim(fs, admin):
    name = f"/proj/victim-{uuid.uuid4().hex[:6]}"
    admin.touch(name)
    fs.rm(name)


OPERATIONS = {
    "read": lambda fs, admin: fs.cat("/proj/data.txt"),
    "write": lambda fs, admin: append_one(fs, "/proj/data.txt"),
    "list": lambda fs, admin: fs.ls("/proj"),
    "create": lambda fs, admin: fs.touch(f"/proj/new-{uuid.uuid4().hex[:6]}"),
    "delete": delete_victim,
    "set_acl": lambda fs, admin: fs.set_acl("/proj/data.txt",
                                            f"user::rw-,user:{oid('bob')}:rw-,group::r--,mask::rw-,other::---"),
    "chown": lambda fs, admin: fs.chown("/proj/data.txt", owner=oid("carol")),
    "chgrp": lambda fs, admin: fs.chown("/proj/data.txt", group=GROUP2),
    "write_masked": lambda fs, admin: append_one(fs, "/proj/masked.txt"),
    "list_pub": lambda fs, admin: fs.ls("/pub"),
    "create_in_pub": lambda fs, admin: fs.touch(f"/pub/new-{uuid.uuid4().hex[:6]}"),
    "read_other": lambda fs, admin: fs.cat("/pub/other.txt"),
    "read_other_masked": lambda fs, admin: fs.cat("/pub/masked.txt"),
}

A, D = "allow", "deny"
# From the ACLs above with the Gen1 rules: the owner by user:: (never masked), bob by his named entry & mask,
# carol by group:: & mask, dave by other:: (& mask), superusers always; chown needs a superuser, chgrp the owner
# and a group she is in.
EXPECTED = {
    #        read write list create delete set_acl chown chgrp w_mask l_pub c_pub r_other r_other_mask
    "alice": (A, A, A, A, A, A, D, A, A, A, D, A, D),
    "bob": (A, A, A, A, A, D, D, D, D, A, D, A, D),
    "carol": (A, D, A, D, D, D, D, D, D, A, D, A, D),
    "dave": (D, D, D, D, D, D, D, D, D, A, D, A, D),
    "erin": (A, A, A, A, A, A, A, A, A, A, A, A, A),
    "admin": (A, A, A, A, A, A, A, A, A, A, A, A, A),
}


def attempt(action):
    """'allow' when the call succeeds, 'deny' on 403 (the SDK's PermissionError, which its read path wraps in a
    RuntimeError after retrying); anything else fails."""
    try:
        action()
        return A
    except PermissionError:
        return D
    except RuntimeError as e:
        if "PermissionError" in str(e):
            return D
        raise


@pytest.mark.parametrize("who", list(EXPECTED))
def test_permission_matrix(emulators, admin, tree, who):
    fs = client(emulators, who)
    got = {}
    for name, op in OPERATIONS.items():
        got[name] = attempt(lambda: op(fs, admin))
        restore(admin)
    assert got == dict(zip(OPERATIONS, EXPECTED[who]))


def test_new_items_belong_to_the_caller_and_the_parents_group(emulators, admin, tree):
    alice = client(emulators, "alice")
    name = f"/proj/owned-{uuid.uuid4().hex[:6]}"
    alice.mkdir(f"{name}/sub")
    alice.touch(f"{name}/sub/f")
    for p in [name, f"{name}/sub", f"{name}/sub/f"]:
        info = alice.info(p)
        # the parent's group, not the caller's; 770: Gen1's mode for items made without a default ACL
        assert (info["owner"], info["group"], info["permission"]) == (oid("alice"), GROUP, "770"), p
    erin = client(emulators, "erin")
    erin.touch(f"/top-{uuid.uuid4().hex[:6]}")
    top = [e for e in erin.ls("/", detail=True) if e["pathSuffix"].startswith("top-")][0]
    assert top["group"] == ZERO_GUID and top["owner"] == oid("erin")


def test_default_acl_is_inherited_with_the_fixed_umask(emulators, tree):
    alice = client(emulators, "alice")
    bob = oid("bob")
    d = f"/proj/inherit-{uuid.uuid4().hex[:6]}"
    alice.mkdir(d)
    default = f"default:user::rwx,default:user:{bob}:r-x,default:group::rwx,default:mask::rwx,default:other::rwx"
    alice.modify_acl_entries(d, default)
    alice.touch(f"{d}/f")
    alice.mkdir(f"{d}/sub")
    # A child's access ACL is the default ACL with umask 007 (other cleared); requested modes play no part.
    assert alice.get_acl_status(f"{d}/f")["entries"] == ["user::rwx", f"user:{bob}:r-x", "group::rwx", "mask::rwx",
                                                         "other::---"]
    sub = alice.get_acl_status(f"{d}/sub")
    assert sub["entries"][:5] == ["user::rwx", f"user:{bob}:r-x", "group::rwx", "mask::rwx", "other::---"]
    # A child folder takes the default ACL as it is.
    assert sub["entries"][5:] == ["default:user::rwx", f"default:user:{bob}:r-x", "default:group::rwx",
                                  "default:mask::rwx", "default:other::rwx"]
    assert alice.info(f"{d}/f")["permission"] == "770"


def raw(emulators, who, method, path, **params):
    """A WebHDFS call outside the SDK (which never sends `permission` or `umask`)."""
    entry = emulators.info["admin"] if who == "admin" else PRINCIPALS[who]
    token = fetch_token(emulators, entry)["access_token"]
    return requests.request(method, emulators.info["gen1"]["url"] + "/webhdfs/v1" + path, params=params,
                            headers={"Authorization": "Bearer " + token}, verify=emulators.ca_file)


def test_no_umask_parameter_and_exact_explicit_permissions(emulators, tree):
    base = f"/proj/modes-{uuid.uuid4().hex[:6]}"
    assert raw(emulators, "alice", "PUT", base, op="MKDIRS", permission="0777", umask="0077").status_code == 200
    alice = client(emulators, "alice")
    assert alice.info(base)["permission"] == "777"  # kept exactly: Gen1 has no umask parameter
    r = raw(emulators, "alice", "PUT", f"{base}/f", op="CREATE", write="true", permission="640")
    assert r.status_code == 201
    assert alice.info(f"{base}/f")["permission"] == "640"
    r = raw(emulators, "alice", "PUT", f"{base}/f", op="SETPERMISSION")
    assert r.status_code == 200 and alice.info(f"{base}/f")["permission"] == "770"  # missing permission: 770


def test_listing_the_root_needs_r_x(emulators, admin, tree):
    dave = client(emulators, "dave")
    admin.set_acl("/", "user::rwx,group::rwx,other::--x")
    try:
        assert attempt(lambda: dave.ls("/")) == D  # Gen1 (unlike Gen2) wants r-x on "/" to list it
        assert attempt(lambda: dave.ls("/pub")) == A  # traversing it is enough below
        assert attempt(lambda: client(emulators, "erin").ls("/")) == A
    finally:
        admin.set_acl("/", "user::rwx,group::rwx,other::r-x")


def test_sticky_bit_protects_other_users_files(emulators, admin, tree):
    admin.mkdir("/tmp-sticky")
    admin.chmod("/tmp-sticky", "1777")
    alice, bob = client(emulators, "alice"), client(emulators, "bob")
    mine = f"/tmp-sticky/alice-{uuid.uuid4().hex[:6]}"
    alice.touch(mine)
    assert attempt(lambda: bob.rm(mine)) == D
    assert attempt(lambda: bob.mv(mine, "/tmp-sticky/stolen")) == D
    his = f"/tmp-sticky/bob-{uuid.uuid4().hex[:6]}"
    bob.touch(his)
    assert attempt(lambda: bob.rm(his)) == A
    assert attempt(lambda: alice.rm(mine)) == A


def test_check_access(emulators, tree):
    assert raw(emulators, "bob", "GET", "/proj/data.txt", op="CHECKACCESS", fsaction="rw-").status_code == 200
    r = raw(emulators, "carol", "GET", "/proj/data.txt", op="CHECKACCESS", fsaction="-w-")
    assert r.status_code == 403 and r.json()["RemoteException"]["exception"] == "AccessControlException"


# ---- authentication --------------------------------------------------------------------------------------------

def refused(emulators, token):
    """An SDK client with this token, without retries (the SDK retries 401s with long back-offs)."""
    fs = connect(emulators, DataLakeCredential({"access": token, "tokenType": "Bearer", "expiresIn": 3600,
                                                "time": time.time(), "refresh": False}))
    with pytest.raises(DatalakeRESTException):
        fs.azure.call("LISTSTATUS", "/", retry_policy=NoRetryPolicy())
    r = requests.get(emulators.info["gen1"]["url"] + "/webhdfs/v1/?op=LISTSTATUS",
                     headers={"Authorization": "Bearer " + token}, verify=emulators.ca_file)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer authorization_uri=https://")
    assert r.json()["RemoteException"]["exception"] == "SecurityException"
    return r.headers.get("x-lakeshift-detail", "")


def test_tokens_for_another_audience_are_refused(emulators):
    storage = fetch_token(emulators, emulators.info["admin"], "https://storage.azure.com/")["access_token"]
    assert "audience" in refused(emulators, storage).lower()


def test_expired_forged_and_missing_tokens_are_refused(emulators):
    good = fetch_token(emulators, emulators.info["admin"])["access_token"]
    claims = jwt.decode(good, options={"verify_signature": False})
    header = jwt.get_unverified_header(good)
    with open(f"{emulators.data.name}/identity/signing-key.pem", "rb") as f:
        key = f.read()
    claims.update(iat=int(time.time()) - 7200, nbf=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    refused(emulators, jwt.encode(claims, key, algorithm="RS256", headers={"kid": header["kid"]}))
    head, payload, signature = good.split(".")
    refused(emulators, ".".join([head, payload, ("A" if signature[0] != "A" else "B") + signature[1:]]))
    r = requests.get(emulators.info["gen1"]["url"] + "/webhdfs/v1/?op=LISTSTATUS", verify=emulators.ca_file)
    assert r.status_code == 401


# ---- `lakeshift emulate gen1` on its own ----------------------------------------------------------------------

def test_emulate_gen1_alone_serves_its_own_identity_provider():
    """One port for both: the WebHDFS API and the token endpoint (the SDK wants https, so --cert)."""
    with tempfile.TemporaryDirectory(prefix="lakeshift-gen1-alone-") as data:
        cert, key = os.path.join(data, "cert.pem"), os.path.join(data, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
        principals = os.path.join(data, "principals.json")
        with open(principals, "w") as f:
            json.dump([PRINCIPALS["dave"]], f)
        process = subprocess.Popen([lakeshift_binary(), "emulate", "gen1", "--listen", "127.0.0.1:0", "--data",
                                    os.path.join(data, "lake"), "--cert", cert, "--cert-key", key,
                                    "--principals", principals],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            lines = [process.stdout.readline(), process.stdout.readline()]
            url = re.search(r"Gen1 emulator: (https://\S+)/webhdfs/v1/", lines[0]).group(1)
            authority, client_id, secret = re.search(
                r"Identity provider: (\S+) \(admin client id (\S+), secret (\S+)\)", lines[1]).groups()
            assert authority.startswith(url)
            body = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client_id,
                                           "client_secret": secret, "resource": "https://datalake.azure.net/"})
            context = ssl.create_default_context(cafile=cert)
            with urllib.request.urlopen(authority + "/oauth2/token", data=body.encode(), context=context) as r:
                token = json.load(r)
            with ca_bundle(cert):
                store, suffix = urllib.parse.urlsplit(url).netloc.split(".", 1)
                fs = AzureDLFileSystem(token=credential_from(token, "alone"), store_name=store, url_suffix=suffix)
                write(fs, "/hello/world.txt", b"hello")
                assert fs.cat("/hello/world.txt") == b"hello"
                assert fs.info("/")["group"] == ZERO_GUID
                assert fs.info("/hello/world.txt")["group"] == ZERO_GUID
                # --principals: dave gets tokens from the same provider, and the ACLs (root 770) keep him out.
                body = urllib.parse.urlencode({"grant_type": "client_credentials",
                                               "client_id": PRINCIPALS["dave"]["client_id"],
                                               "client_secret": PRINCIPALS["dave"]["client_secret"],
                                               "resource": "https://datalake.azure.net/"})
                with urllib.request.urlopen(authority + "/oauth2/token", data=body.encode(), context=context) as r:
                    dave = AzureDLFileSystem(token=credential_from(json.load(r), "alone"), store_name=store,
                                             url_suffix=suffix)
                with pytest.raises(PermissionError):
                    dave.cat("/hello/world.txt")
        finally:
            process.terminate()
            process.wait(timeout=20)
