"""The Gen1 compatibility gateway (`lakeshift gateway`) in front of `lakeshift emulate`, driven by the official
Gen1 Python SDK: pass-through before the cutover (with the service's 307 redirects kept on the gateway), writes
refused with a retryable 429 while frozen, `lakeshift migrate --mode complete`, then the same SDK calls served
from Gen2 as the caller (on-behalf-of), the caller's Gen2 ACLs deciding, tokens for other audiences refused, and
`lakeshift cutover --abort` before and after the switch."""
import json
import os
import socket
import sqlite3
import ssl
import subprocess
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from azure.datalake.store import AzureDLFileSystem
from azure.datalake.store.lib import DataLakeCredential
from azure.datalake.store.retry import NoRetryPolicy

from conftest import Gateway, LocalEmulators, fetch_token, lakeshift_binary, run_lakeshift as run

GROUP = "6b0f3d2e-1c4a-4e5b-9f7d-2a8c1e3b5d40"


def principal(object_id, groups=(), superuser=False):
    return {"client_id": str(uuid.uuid4()), "client_secret": "secret-" + object_id[:8], "object_id": object_id,
            "groups": list(groups), "superuser": superuser}


PRINCIPALS = {
    "alice": principal("a11ce000-0000-4000-8000-000000000001"),
    "bob": principal("b0b00000-0000-4000-8000-000000000002", [GROUP]),
    "dave": principal("da4e0000-0000-4000-8000-000000000004"),
    "gateway": principal("9a7e0000-0000-4000-8000-000000000009"),  # the gateway's own Entra app
}


def sdk(emulators, base_url, who):
    """The Gen1 SDK pointed at `base_url` (https://host:port), acting as `who`."""
    entry = emulators.info["admin"] if who == "admin" else PRINCIPALS[who]
    token = fetch_token(emulators, entry)
    credential = DataLakeCredential({"access": token["access_token"], "tokenType": "Bearer",
                                     "expiresIn": int(token["expires_in"]), "time": 0, "resource":
                                     "https://datalake.azure.net/", "tenant": emulators.info["tenant_id"],
                                     "refresh": False})
    credential.token["time"] = __import__("time").time()
    store, suffix = urllib.parse.urlsplit(base_url).netloc.split(".", 1)
    return AzureDLFileSystem(token=credential, store_name=store, url_suffix=suffix)


def set_phase(journal, phase):
    """What `lakeshift migrate --mode complete` writes, for the tests that need one phase held."""
    db = sqlite3.connect(journal)
    with db:
        db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('cutover.phase', ?)", (phase,))
    db.close()


def raw(url, method="GET", token=None, body=None, ca=None):
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"Authorization": "Bearer " + token} if token else {})
    context = ssl.create_default_context(cafile=ca)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect)
    try:
        with opener.open(request) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def gen1_op(emulators, base_url, token, path, method, op, body=b"", **params):
    """One Gen1 REST call to `base_url` as `token`, under /WebHdfsExt for the operations served there."""
    query = urllib.parse.urlencode({"op": op, **params})
    prefix = "/WebHdfsExt" if op in ("CONCURRENTAPPEND", "SETEXPIRY") else "/webhdfs/v1"
    return raw(f"{base_url}{prefix}{path}?{query}", method, token, body, emulators.ca_file)


@pytest.fixture(scope="module")
def setup():
    emulators = LocalEmulators(principals=PRINCIPALS)
    work = tempfile.TemporaryDirectory(prefix="lakeshift-gateway-")
    journal = os.path.join(work.name, "migration.journal")
    run(emulators, "cutover", "--journal", journal)  # creates the journal: pass-through
    gateway = Gateway(emulators, journal, PRINCIPALS["gateway"])
    saved = os.environ.get("REQUESTS_CA_BUNDLE")
    os.environ["REQUESTS_CA_BUNDLE"] = emulators.ca_file
    admin = sdk(emulators, emulators.info["gen1"]["url"], "admin")
    admin.set_acl("/", "user::rwx,group::rwx,other::r-x")
    yield emulators, gateway, journal
    if saved is None:
        os.environ.pop("REQUESTS_CA_BUNDLE", None)
    else:
        os.environ["REQUESTS_CA_BUNDLE"] = saved
    gateway.stop()
    emulators.stop()
    work.cleanup()


def test_pass_through_reaches_gen1_and_keeps_redirects_on_the_gateway(setup):
    emulators, gateway, journal = setup
    set_phase(journal, "pass-through")
    admin = sdk(emulators, gateway.url, "admin")
    admin.mkdir("/pt")
    admin.chown("/pt", owner=PRINCIPALS["alice"]["object_id"])
    alice = sdk(emulators, gateway.url, "alice")
    with alice.open("/pt/a.txt", "wb") as f:
        f.write(b"hello " * 1000)
    assert alice.cat("/pt/a.txt") == b"hello " * 1000
    # It is on Gen1 itself.
    direct = sdk(emulators, emulators.info["gen1"]["url"], "alice")
    assert direct.cat("/pt/a.txt") == b"hello " * 1000
    assert [os.path.basename(p) for p in alice.ls("/pt")] == ["a.txt"]
    # The service's 307 for a CREATE without write=true points back at the gateway.
    token = fetch_token(emulators, PRINCIPALS["alice"])["access_token"]
    status, headers, _ = raw(gateway.url + "/webhdfs/v1/pt/b.txt?op=CREATE", "PUT", token, b"", emulators.ca_file)
    assert status == 307
    assert headers["Location"].startswith(gateway.url + "/webhdfs/v1/pt/b.txt?"), headers["Location"]
    # Errors come back as Gen1 gave them.
    status, _, body = raw(gateway.url + "/webhdfs/v1/pt/missing?op=GETFILESTATUS", "GET", token, None,
                          emulators.ca_file)
    assert status == 404
    assert json.loads(body)["RemoteException"]["exception"] == "FileNotFoundException"


def test_frozen_gateway_serves_reads_and_holds_writes(setup):
    emulators, gateway, journal = setup
    set_phase(journal, "pass-through")
    admin = sdk(emulators, gateway.url, "admin")
    admin.mkdir("/fz")
    admin.chown("/fz", owner=PRINCIPALS["alice"]["object_id"])
    alice = sdk(emulators, gateway.url, "alice")
    with alice.open("/fz/r.txt", "wb") as f:
        f.write(b"frozen?")
    set_phase(journal, "frozen")
    try:
        assert alice.cat("/fz/r.txt") == b"frozen?"
        token = fetch_token(emulators, PRINCIPALS["alice"])["access_token"]
        status, headers, body = raw(gateway.url + "/webhdfs/v1/fz/w.txt?op=CREATE&write=true", "PUT", token, b"x",
                                    emulators.ca_file)
        assert status == 429
        assert int(headers["Retry-After"]) > 0
        assert json.loads(body)["RemoteException"]["exception"] == "ThrottledException"
        assert not sdk(emulators, emulators.info["gen1"]["url"], "alice").exists("/fz/w.txt")
        # A write that keeps retrying lands once the freeze ends.
        writer = sdk(emulators, gateway.url, "alice")
        done = threading.Event()

        def write():
            writer.mkdir("/fz/later")
            done.set()

        t = threading.Thread(target=write)
        t.start()
        __import__("time").sleep(0.5)
        assert not done.is_set()
    finally:
        set_phase(journal, "pass-through")
    t.join(timeout=30)
    assert done.is_set()
    assert sdk(emulators, emulators.info["gen1"]["url"], "alice").exists("/fz/later")


def test_abort_returns_to_pass_through(setup):
    emulators, _, journal = setup
    set_phase(journal, "frozen")
    r = run(emulators, "cutover", "--journal", journal, "--abort")
    assert "pass" in r.stdout
    assert "pass-through" in run(emulators, "cutover", "--journal", journal).stdout


def test_complete_migration_then_gen2_through_the_gateway(setup):
    emulators, gateway, journal = setup
    set_phase(journal, "pass-through")
    admin = sdk(emulators, gateway.url, "admin")
    admin.mkdir("/cm")
    admin.set_acl("/cm", f"user::rwx,group::r-x,other::---,user:{PRINCIPALS['bob']['object_id']}:r-x,mask::r-x")
    with admin.open("/cm/data.bin", "wb") as f:
        f.write(os.urandom(3 << 20))
    expected = admin.cat("/cm/data.bin")
    admin.set_acl("/cm/data.bin",
                  f"user::rw-,group::r--,other::---,user:{PRINCIPALS['bob']['object_id']}:r--,mask::r--")
    # A subdirectory with more items than the gateway reads from the journal ahead of a small listing page, and
    # a file after it: its kept time must still be found (by path, past what was read ahead).
    for i in range(80):
        admin.touch(f"/cm/a/f{i:02d}")
    admin.touch("/cm/z.txt")
    gen1_admin = sdk(emulators, emulators.info["gen1"]["url"], "admin")
    before = gen1_admin.info("/cm/data.bin")
    before_z = gen1_admin.info("/cm/z.txt")
    __import__("time").sleep(1.1)  # so that a time Gen2 makes up cannot pass for the preserved one
    src = emulators.info["gen1"]["webhdfs_url"]
    dst = emulators.info["gen2"]["url"] + "/gen1"
    # No terminal and no --yes: refused before anything happens.
    refused = run(emulators, "migrate", "--mode", "complete", "--from", src, "--to", dst, "--journal", journal,
                  check=False)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    done = run(emulators, "migrate", "--mode", "complete", "--yes", "--freeze-grace", "1", "--from", src, "--to", dst,
               "--journal", journal)
    assert "Switched" in done.stdout, done.stdout
    assert "switched" in run(emulators, "cutover", "--journal", journal).stdout
    assert run(emulators, "cutover", "--journal", journal, "--abort", check=False).returncode == 1

    # Served from Gen2 now, as the caller.
    bob = sdk(emulators, gateway.url, "bob")
    assert bob.cat("/cm/data.bin") == expected
    # The Gen1 times, kept by the migration, while the file is unchanged since (Gen2 cannot set them).
    after = bob.info("/cm/data.bin")
    assert (after["modificationTime"], after["accessTime"]) == (before["modificationTime"], before["accessTime"])
    listed = [e for e in bob.ls("/cm", detail=True) if e["pathSuffix"] == "data.bin"][0]
    assert listed["modificationTime"] == before["modificationTime"]
    # Page by page (listSize 1): each page's kept times are read ahead from the journal while Gen2 lists.
    admin_token = fetch_token(emulators, emulators.info["admin"])["access_token"]
    paged, after = {}, ""
    while True:
        status, _, body = raw(gateway.url + "/webhdfs/v1/cm?op=LISTSTATUS&listSize=1&api-version=2018-09-01"
                              + (f"&listAfter={after}" if after else ""), "GET", admin_token, None, emulators.ca_file)
        assert status == 200, body
        page = json.loads(body)["FileStatuses"]
        paged.update({e["pathSuffix"]: e for e in page["FileStatus"]})
        after = page.get("continuationToken")
        if not after:
            break
    assert sorted(paged) == ["a", "data.bin", "z.txt"]
    assert paged["data.bin"]["modificationTime"] == before["modificationTime"]
    assert (paged["z.txt"]["modificationTime"], paged["z.txt"]["accessTime"]) == (
        before_z["modificationTime"], before_z["accessTime"])
    acl = bob.get_acl_status("/cm/data.bin")
    assert f"user:{PRINCIPALS['bob']['object_id']}:r--" in acl["entries"]
    dave = sdk(emulators, gateway.url, "dave")
    with pytest.raises(PermissionError):
        dave.cat("/cm/data.bin")
    with pytest.raises(PermissionError):
        bob.touch("/cm/bob-was-here")
    admin = sdk(emulators, gateway.url, "admin")
    with admin.open("/cm/new.txt", "wb") as f:
        f.write(b"written after the switch")
    assert admin.cat("/cm/new.txt") == b"written after the switch"
    # It went to Gen2, and Gen1 was left as it was.
    assert not sdk(emulators, emulators.info["gen1"]["url"], "admin").exists("/cm/new.txt")
    # A chunked-encoding append (which Microsoft's compatibility layer refused).
    import requests
    admin_token = fetch_token(emulators, emulators.info["admin"])["access_token"]
    r = requests.post(gateway.url + "/webhdfs/v1/cm/new.txt",
                      params={"op": "APPEND", "append": "true", "offset": "24", "syncFlag": "CLOSE"},
                      data=(piece for piece in [b" and", b" chunked"]), verify=emulators.ca_file,
                      headers={"Authorization": "Bearer " + admin_token})
    assert r.status_code == 200, r.text
    assert admin.cat("/cm/new.txt") == b"written after the switch and chunked"
    # SETTIMES after the switch: kept in the path properties, shown while the file stays as it is.
    status, _, body = raw(gateway.url + "/webhdfs/v1/cm/new.txt?op=SETTIMES&modificationtime=1500000000123"
                          "&accesstime=1500000000456", "PUT", admin_token, b"", emulators.ca_file)
    assert status == 200, body
    assert (admin.info("/cm/new.txt")["modificationTime"], admin.info("/cm/new.txt")["accessTime"]) == (
        1500000000123, 1500000000456)
    # A file changed after the switch shows Gen2's time of the change.
    with admin.open("/cm/data.bin", "ab") as f:
        f.write(b"more")
    assert admin.info("/cm/data.bin")["modificationTime"] > before["modificationTime"] + 1000
    # Tokens for another audience are refused.
    arm = fetch_token(emulators, PRINCIPALS["alice"], "https://management.azure.com/")["access_token"]
    status, _, body = raw(gateway.url + "/webhdfs/v1/cm?op=LISTSTATUS", "GET", arm, None, emulators.ca_file)
    assert status == 401, body
    assert json.loads(body)["RemoteException"]["exception"] == "SecurityException"
    status, _, _ = raw(gateway.url + "/webhdfs/v1/cm?op=LISTSTATUS", "GET", "not.a.token", None, emulators.ca_file)
    assert status == 401


def test_listings_over_4000_entries_are_complete_through_the_gateway(setup):
    """After the switch: a directory of 4,500 files lists completely, in pages with continuation tokens, through
    the SDK and with explicit listSize/listAfter/listBefore."""
    emulators, gateway, journal = setup
    assert "switched" in run(emulators, "cutover", "--journal", journal).stdout
    import concurrent.futures
    import requests
    token = fetch_token(emulators, emulators.info["admin"])["access_token"]
    session = requests.Session()
    session.verify = emulators.ca_file
    session.headers["Authorization"] = "Bearer " + token
    names = [f"f{i:05d}" for i in range(4500)]

    def create(name):
        r = session.put(f"{gateway.url}/webhdfs/v1/big/{name}", params={"op": "CREATE", "write": "true"})
        assert r.status_code == 201, r.text

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(create, names))
    admin = sdk(emulators, gateway.url, "admin")
    assert [os.path.basename(p) for p in admin.ls("/big")] == names
    r = session.get(f"{gateway.url}/webhdfs/v1/big", params={"op": "LISTSTATUS", "listSize": "1000",
                                                              "listAfter": "f00999", "listBefore": "f01500",
                                                              "api-version": "2018-09-01"})
    page = r.json()["FileStatuses"]
    assert [e["pathSuffix"] for e in page["FileStatus"]] == names[1000:1500]


def test_a_gateway_killed_mid_upload_loses_no_acknowledged_append(setup):
    """kill -9 of the gateway between the DATA appends of an upload (after the switch), a new gateway on the same
    address, and the upload goes on: every acknowledged append is in the file."""
    emulators, _, journal = setup
    assert "switched" in run(emulators, "cutover", "--journal", journal).stdout
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    listen = f"127.0.0.1:{port}"
    superusers = [emulators.info["admin"]["object_id"]]
    gateway = Gateway(emulators, journal, PRINCIPALS["gateway"], superusers=superusers, listen=listen)
    token = fetch_token(emulators, emulators.info["admin"])["access_token"]
    parts = [os.urandom(1 << 20) for _ in range(3)]

    def call(method, op, body=b"", **params):
        query = urllib.parse.urlencode({"op": op, **params})
        return raw(f"{gateway.url}/webhdfs/v1/cm/restart.bin?{query}", method, token, body, emulators.ca_file)

    try:
        assert call("PUT", "CREATE", write="true", overwrite="true")[0] == 201
        assert call("POST", "APPEND", parts[0], append="true", offset=0, syncFlag="DATA")[0] == 200
        gateway.kill()
        gateway = Gateway(emulators, journal, PRINCIPALS["gateway"], superusers=superusers, listen=listen)
        assert call("POST", "APPEND", parts[1], append="true", offset=1 << 20, syncFlag="DATA")[0] == 200
        # A wrong offset is still refused once the gateway knows the file again.
        assert call("POST", "APPEND", b"x", append="true", offset=5, syncFlag="DATA")[0] == 400
        assert call("POST", "APPEND", parts[2], append="true", offset=2 << 20, syncFlag="CLOSE")[0] == 200
        status, _, body = call("GET", "OPEN", None, read="true")
        assert status == 200 and body == b"".join(parts)
    finally:
        gateway.stop()


def test_two_gateways_behind_one_address_share_an_upload(setup):
    """Two gateway processes on the same journal (scale-out behind a load balancer, no session affinity): the
    appends of one upload land on either, alternately, committed or not; the upload is whole. An append that
    leaves a gap is caught, at the latest by the flush that closes the file, and nothing after the gap commits."""
    emulators, gateway, journal = setup
    assert "switched" in run(emulators, "cutover", "--journal", journal).stdout
    other = Gateway(emulators, journal, PRINCIPALS["gateway"], superusers=[emulators.info["admin"]["object_id"]])
    token = fetch_token(emulators, emulators.info["admin"])["access_token"]

    def call(via, path, method, op, body=b"", **params):
        return gen1_op(emulators, via.url, token, path, method, op, body, **params)

    try:
        for flag in ("DATA", "CLOSE"):
            path, data = f"/lb/{flag}.bin", b""
            assert call(gateway, path, "PUT", "CREATE", write="true", overwrite="true")[0] == 201
            for i in range(6):
                piece = os.urandom(1000 + i)
                status, _, body = call((gateway, other)[i % 2], path, "POST", "APPEND", piece, append="true",
                                       offset=len(data), syncFlag=flag)
                assert status == 200, (flag, i, body)
                data += piece
            # The SDKs' check that a retried append already landed: an offset before the end, on either.
            assert call(other, path, "POST", "APPEND", b"x", append="true", offset=5, syncFlag=flag)[0] == 400
            assert call(gateway, path, "POST", "APPEND", b"", append="true", offset=len(data), syncFlag="CLOSE")[0] == 200
            status, _, body = call(other, path, "GET", "OPEN", None, read="true")
            assert status == 200 and body == data
        # A gap: the append past the end is taken on trust, the close finds the gap, and nothing after it commits.
        # The writer then goes on from the real end, on the same gateway.
        gap = "/lb/gap.bin"
        assert call(gateway, gap, "PUT", "CREATE", b"abc", write="true", overwrite="true")[0] == 201
        assert call(other, gap, "POST", "APPEND", b"later", append="true", offset=10, syncFlag="DATA")[0] == 200
        status, _, body = call(other, gap, "POST", "APPEND", b"", append="true", offset=15, syncFlag="CLOSE")
        assert status == 400 and b"BadOffsetException" in body, body
        assert call(other, gap, "GET", "OPEN", None, read="true")[2] == b"abc"
        assert call(other, gap, "POST", "APPEND", b"def", append="true", offset=3, syncFlag="CLOSE")[0] == 200
        assert call(gateway, gap, "GET", "OPEN", None, read="true")[2] == b"abcdef"
        # The same path uploaded again, the new upload starting on the other gateway: what the first gateway
        # remembers of the old upload's unflushed appends is out of date (the re-create dropped them).
        again = "/lb/again.bin"
        assert call(gateway, again, "PUT", "CREATE", write="true", overwrite="true")[0] == 201
        assert call(gateway, again, "POST", "APPEND", b"x" * 100, append="true", offset=0, syncFlag="DATA")[0] == 200
        assert call(other, again, "POST", "APPEND", b"", append="true", offset=100, syncFlag="CLOSE")[0] == 200
        assert call(other, again, "PUT", "CREATE", write="true", overwrite="true")[0] == 201
        assert call(other, again, "POST", "APPEND", b"y" * 10, append="true", offset=0, syncFlag="DATA")[0] == 200
        status, _, body = call(gateway, again, "POST", "APPEND", b"z", append="true", offset=10, syncFlag="CLOSE")
        assert status == 200, body
        assert call(other, again, "GET", "OPEN", None, read="true")[2] == b"y" * 10 + b"z"
        # CONCURRENTAPPEND through both: each lands at the end, wherever the last one landed.
        both = "/lb/concurrent.bin"
        for i, via in enumerate((gateway, other, gateway, gateway, other, other, gateway)):
            status, _, body = call(via, both, "POST", "CONCURRENTAPPEND", str(i).encode(), appendMode="autocreate")
            assert status == 200, (i, body)
        assert call(gateway, both, "GET", "OPEN", None, read="true")[2] == b"0123456"
    finally:
        other.stop()


def test_one_gateway_keeps_gen1_append_order(setup):
    """Through one gateway: unflushed (DATA) appends count for the next append's offset and for CONCURRENTAPPEND,
    also after a metadata change; many CONCURRENTAPPENDs at once all land, none on another."""
    emulators, gateway, journal = setup
    assert "switched" in run(emulators, "cutover", "--journal", journal).stdout
    token = fetch_token(emulators, emulators.info["admin"])["access_token"]

    def call(path, method, op, body=b"", **params):
        return gen1_op(emulators, gateway.url, token, path, method, op, body, **params)

    assert call("/order/a.bin", "PUT", "CREATE", write="true", overwrite="true")[0] == 201
    assert call("/order/a.bin", "POST", "APPEND", b"aaa", append="true", offset=0, syncFlag="DATA")[0] == 200
    assert call("/order/a.bin", "PUT", "SETPERMISSION", permission="750")[0] == 200
    assert call("/order/a.bin", "POST", "CONCURRENTAPPEND", b"bbb", appendMode="autocreate")[0] == 200
    assert call("/order/a.bin", "GET", "OPEN", None, read="true")[2] == b"aaabbb"
    assert call("/order/b.bin", "PUT", "CREATE", b"abc", write="true", overwrite="true")[0] == 201
    assert call("/order/b.bin", "POST", "APPEND", b"de", append="true", offset=3, syncFlag="DATA")[0] == 200
    status, _, body = call("/order/b.bin", "POST", "APPEND", b"xy", append="true", offset=4, syncFlag="CLOSE")
    assert status == 400 and b"BadOffsetException" in body, body
    assert call("/order/b.bin", "POST", "APPEND", b"", append="true", offset=5, syncFlag="CLOSE")[0] == 200
    assert call("/order/b.bin", "GET", "OPEN", None, read="true")[2] == b"abcde"
    import concurrent.futures
    pieces = [f"<{i:02d}>".encode() for i in range(24)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda piece: call("/order/c.bin", "POST", "CONCURRENTAPPEND", piece,
                                                   appendMode="autocreate"), pieces))
    assert [a[0] for a in answers] == [200] * len(pieces), [a[2][:200] for a in answers if a[0] != 200]
    content = call("/order/c.bin", "GET", "OPEN", None, read="true")[2]
    assert len(content) == 4 * len(pieces) and sorted(content[i:i + 4] for i in range(0, len(content), 4)) == pieces


def test_an_application_writing_through_a_complete_migration_loses_nothing():
    """An application writes and reads back through the gateway for the whole of `migrate --mode complete`:
    every acknowledged write is in Gen2 afterwards, no read returns stale data, and the writes refused during
    the freeze (429) succeed on the SDK's retries."""
    emulators = LocalEmulators(principals=PRINCIPALS)
    work = tempfile.TemporaryDirectory(prefix="lakeshift-gateway-app-")
    saved = os.environ.get("REQUESTS_CA_BUNDLE")
    os.environ["REQUESTS_CA_BUNDLE"] = emulators.ca_file
    gateway = None
    try:
        journal = os.path.join(work.name, "app.journal")
        run(emulators, "cutover", "--journal", journal)
        gateway = Gateway(emulators, journal, PRINCIPALS["gateway"],
                          superusers=[emulators.info["admin"]["object_id"]])
        admin = sdk(emulators, gateway.url, "admin")
        admin.mkdir("/app/seed")
        for i in range(150):  # something to copy, so the run takes a moment
            with admin.open(f"/app/seed/s{i}", "wb") as f:
                f.write(os.urandom(2048))
        acknowledged, stale, stop = {}, [], threading.Event()

        def application():
            app = sdk(emulators, gateway.url, "admin")
            i = 0
            while not stop.is_set():
                data = f"write {i} ".encode() * 50
                with app.open(f"/app/w{i:04d}", "wb") as f:
                    f.write(data)
                acknowledged[f"/app/w{i:04d}"] = data
                if app.cat(f"/app/w{i:04d}") != data:
                    stale.append(i)
                i += 1

        writer = threading.Thread(target=application)
        writer.start()
        __import__("time").sleep(1.0)
        done = run(emulators, "migrate", "--mode", "complete", "--yes", "--freeze-grace", "1", "--from",
                   emulators.info["gen1"]["webhdfs_url"], "--to", emulators.info["gen2"]["url"] + "/gen1",
                   "--journal", journal)
        assert "Switched" in done.stdout, done.stdout
        before_switch = len(acknowledged)
        __import__("time").sleep(1.5)  # some writes after the switch
        stop.set()
        writer.join(timeout=120)
        assert not writer.is_alive()
        assert len(acknowledged) > before_switch > 0
        assert stale == []
        assert any('" 429 ' in line for line in gateway.log), "no write met the freeze"
        # Every acknowledged write is in Gen2: through the gateway (now on Gen2) and straight from Gen2.
        reader = sdk(emulators, gateway.url, "admin")
        for path, data in acknowledged.items():
            assert reader.cat(path) == data, path
        sys_path = __import__("sys").path
        sys_path.insert(0, "/usr/lib/python3/dist-packages")
        from azure.storage.filedatalake import DataLakeServiceClient
        service = DataLakeServiceClient(emulators.info["gen2"]["url"], credential={
            "account_name": emulators.info["gen2"]["account"], "account_key": emulators.info["gen2"]["key"]},
            connection_verify=emulators.ca_file)
        fs = service.get_file_system_client("gen1")
        names = {"/" + p.name for p in fs.get_paths("app") if not p.is_directory}
        assert set(acknowledged) <= names
    finally:
        if saved is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = saved
        if gateway:
            gateway.stop()
        emulators.stop()
        work.cleanup()
