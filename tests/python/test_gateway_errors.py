"""Bad input through the Gen1 compatibility gateway after a complete migration (issue 6): every malformed or
unsupported request gets the same HTTP status and RemoteException as the Gen1 emulator gives for it, and the
gateway keeps serving. The same requests go to both, on the same migrated tree: Gen1 is left as it was by the
migration, so each side holds the same data and every request changes both alike."""
import http.client
import json
import os
import socket
import ssl
import tempfile
import urllib.parse
import uuid

import pytest

from conftest import LocalEmulators, fetch_token, via_gateway


def principal(object_id):
    return {"client_id": str(uuid.uuid4()), "client_secret": "secret-" + object_id[:8], "object_id": object_id,
            "groups": [], "superuser": False}


DAVE = principal("da4e0000-0000-4000-8000-000000000004")  # neither owner nor in any ACL

# (method, path, query). In order: some change the tree (on both sides alike), and later ones rely on that.
CASES = [
    # Unknown, missing or misspelt operations, and operations under the wrong method.
    ("GET", "/t", "op=BOGUS"), ("GET", "/t", ""), ("GET", "/t", "op="), ("GET", "/t", "op=liststatus"),
    ("PUT", "/t/f.txt", "op=OPEN&read=true"), ("DELETE", "/t", "op=GETFILESTATUS"),
    ("GET", "/t/f.txt", "op=APPEND&append=true"), ("PUT", "/t/d", "op=DELETE&recursive=true"),
    ("GET", "/t", "op=GETFILECHECKSUM"), ("GET", "/t", "op=GETHOMEDIRECTORY"), ("GET", "/t", "op=GETDELEGATIONTOKEN"),
    ("PUT", "/t", "op=CREATESYMLINK&destination=/x"), ("PUT", "/t", "op=SETREPLICATION&replication=3"),
    # Paths that do not exist, or go through a file.
    ("GET", "/nope", "op=GETFILESTATUS"), ("GET", "/t/f.txt/x", "op=GETFILESTATUS"), ("GET", "/nope", "op=LISTSTATUS"),
    ("GET", "/nope", "op=OPEN&read=true"), ("GET", "/nope", "op=GETACLSTATUS"), ("GET", "/nope", "op=GETCONTENTSUMMARY"),
    ("GET", "/nope", "op=CHECKACCESS&fsaction=r--"), ("PUT", "/nope", "op=SETPERMISSION&permission=755"),
    ("PUT", "/nope", "op=SETOWNER&owner=x"), ("PUT", "/nope", "op=SETTIMES&modificationtime=1"),
    ("PUT", "/nope", "op=SETEXPIRY&expiryOption=NeverExpire"), ("POST", "/nope", "op=APPEND&append=true"),
    ("PUT", "/t/f.txt/sub", "op=MKDIRS"), ("PUT", "/t/f.txt/child", "op=CREATE&write=true"),
    ("GET", "/t%00x", "op=GETFILESTATUS"), ("GET", "/t/../t", "op=GETFILESTATUS"), ("GET", "//t", "op=GETFILESTATUS"),
    # Values that do not parse, or are out of range.
    ("GET", "/t", "op=LISTSTATUS&listSize=abc"), ("GET", "/t", "op=LISTSTATUS&listSize=-1"),
    ("GET", "/t", "op=LISTSTATUS&listSize=0"), ("GET", "/t", "op=OPEN&read=true"),
    ("GET", "/t/f.txt", "op=OPEN&read=true&offset=-5"), ("GET", "/t/f.txt", "op=OPEN&read=true&offset=abc"),
    ("GET", "/t/f.txt", "op=OPEN&read=true&offset=100"), ("GET", "/t/f.txt", "op=OPEN&read=true&offset=11"),
    ("GET", "/t/f.txt", "op=OPEN&read=true&length=xyz"), ("PUT", "/t", "op=MKDIRS&permission=999"),
    ("PUT", "/t/new1", "op=CREATE&write=true&permission=abc"), ("PUT", "/t/new2", "op=CREATE&write=true&permission=8888"),
    ("POST", "/t/f.txt", "op=APPEND&append=true&offset=abc"), ("POST", "/t/f.txt", "op=APPEND&append=true&offset=3"),
    ("POST", "/t/f.txt", "op=APPEND&append=true&syncFlag=BOGUS"), ("PUT", "/t/f.txt", "op=SETPERMISSION&permission=xyz"),
    ("PUT", "/t/f.txt", "op=SETPERMISSION&permission=12345"), ("PUT", "/t/f.txt", "op=SETOWNER"),
    ("PUT", "/t/f.txt", "op=SETOWNER&owner=&group="), ("PUT", "/t/f.txt", "op=SETACL&aclspec=garbage"),
    ("PUT", "/t/f.txt", "op=SETACL"), ("PUT", "/t/f.txt", "op=MODIFYACLENTRIES&aclspec=user:bad"),
    ("PUT", "/t/f.txt", "op=SETACL&aclspec=default:user::rwx,user::rwx,group::r-x,other::---"),
    ("PUT", "/t/f.txt", "op=RENAME"), ("DELETE", "/t", "op=DELETE&recursive=maybe"),
    ("PUT", "/t/f.txt", "op=SETEXPIRY"), ("PUT", "/t/f.txt", "op=SETEXPIRY&expiryOption=Bogus"),
    ("PUT", "/t/f.txt", "op=SETEXPIRY&expiryOption=RelativeToNow&expireTime=abc"),
    ("PUT", "/t/d", "op=SETEXPIRY&expiryOption=RelativeToNow&expireTime=1000"),
    ("GET", "/t/f.txt", "op=CHECKACCESS"), ("GET", "/t/f.txt", "op=CHECKACCESS&fsaction=zzz"),
    ("GET", "/t", "op=CHECKACCESS&fsaction=rw"), ("PUT", "/t/f.txt", "op=SETTIMES&modificationtime=abc"),
    ("POST", "/t/f.txt", "op=CONCAT&sources="), ("POST", "/t/f.txt", "op=CONCAT&sources=/nope"),
    ("POST", "/t/f.txt", "op=MSCONCAT"), ("POST", "/t/f.txt", "op=CONCURRENTAPPEND&appendMode=bogus"),
    # Conflicts with what is there.
    ("PUT", "/t/f.txt", "op=MKDIRS"), ("PUT", "/t/f.txt", "op=CREATE&write=true"),
    ("PUT", "/t/f.txt", "op=CREATE&write=true&overwrite=false"), ("PUT", "/t/d", "op=CREATE&write=true&overwrite=true"),
    ("POST", "/t/d", "op=APPEND&append=true"), ("DELETE", "/t", "op=DELETE&recursive=false"),
    ("PUT", "/t/f.txt", "op=RENAME&destination=/nope/x"), ("PUT", "/nope", "op=RENAME&destination=/t/z"),
    ("PUT", "/t/d", "op=RENAME&destination=/t/d/inside"), ("PUT", "/t/f.txt", "op=RENAME&destination=relative"),
    ("DELETE", "/nope", "op=DELETE"),
    # Names both hold (escaped on the wire); a name over 255 bytes, which neither does.
    ("PUT", "/t/q%3Fmark%23%25", "op=CREATE&write=true"), ("PUT", "/t/sp%20ace%C3%A9", "op=MKDIRS"),
    ("PUT", "/t/" + "a" * 256, "op=CREATE&write=true"),
    # Offsets and flags on appends in sequence.
    ("POST", "/t/f.txt", "op=APPEND&append=true&offset=11&syncFlag=DATA"),
    ("POST", "/t/f.txt", "op=APPEND&append=true&offset=11&syncFlag=DATA"),
    ("POST", "/t/f.txt", "op=APPEND&append=true&offset=14&syncFlag=CLOSE"), ("GET", "/t/f.txt", "op=OPEN&read=true"),
    ("GET", "/t", "op=LISTSTATUS"),
]


def answer(base, token, method, path, query, body=None, ca=None):
    """(status, RemoteException name or None, body) of one request, on a fresh connection."""
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPSConnection(url.hostname, url.port, timeout=30,
                                             context=ssl.create_default_context(cafile=ca))
    try:
        headers = {"Authorization": "Bearer " + token} if token else {}
        connection.request(method, "/webhdfs/v1" + path + ("?" + query if query else ""), body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    try:
        exception = json.loads(data)["RemoteException"]["exception"]
    except (ValueError, KeyError, TypeError):
        exception = None
    return response.status, exception, data


@pytest.fixture(scope="module")
def sides():
    emulators = LocalEmulators(principals={"dave": DAVE})
    work = tempfile.TemporaryDirectory(prefix="lakeshift-gateway-errors-")
    admin = fetch_token(emulators, emulators.info["admin"])["access_token"]
    gen1 = emulators.info["gen1"]["url"]
    for method, path, query, body in [("PUT", "/t", "op=MKDIRS&permission=777", None),
                                      ("PUT", "/t/d", "op=MKDIRS", None),
                                      ("PUT", "/t/f.txt", "op=CREATE&write=true&overwrite=true", b"hello world"),
                                      ("PUT", "/t/private", "op=CREATE&write=true&permission=700", b"secret")]:
        status, _, data = answer(gen1, admin, method, path, query, body, emulators.ca_file)
        assert status in (200, 201), data
    gateway = via_gateway(emulators, work.name)
    yield emulators, gen1, gateway, admin
    gateway.stop()
    emulators.stop()
    work.cleanup()


def test_bad_requests_get_the_gen1_answer_through_the_gateway(sides):
    emulators, gen1, gateway, admin = sides
    differences = []
    for method, path, query in CASES:
        body = b"xyz" if method in ("PUT", "POST") else None
        want = answer(gen1, admin, method, path, query, body, emulators.ca_file)
        got = answer(gateway.url, admin, method, path, query, body, emulators.ca_file)
        if want[:2] != got[:2] or (want[0] < 300 and want[2] != got[2] and query.startswith("op=OPEN")):
            differences.append(f"{method} {path[:40]}?{query}: Gen1 {want[0]} {want[1]} {want[2][:120]!r}, "
                               f"gateway {got[0]} {got[1]} {got[2][:120]!r}")
    assert not differences, "\n".join(differences)
    assert gateway.process.poll() is None


def test_names_gen2_cannot_hold_are_refused_with_the_reason_and_nothing_changes(sides):
    """Gen1 takes these names; Gen2 cannot hold them (naming rules, docs/known-issues.md): the gateway refuses
    them itself, before anything is created or moved, and says why."""
    emulators, gen1, gateway, admin = sides
    status, _, data = answer(gateway.url, admin, "PUT", "/t/src.txt", "op=CREATE&write=true", b"kept",
                             emulators.ca_file)
    assert status == 201, data
    for method, path, query, reason in [
        ("PUT", "/t/trail.", "op=CREATE&write=true", "ends with '.'"),
        ("PUT", "/t/col%3Aon", "op=MKDIRS", "contains ':'"),
        ("PUT", "/t/new/ctl%01/x", "op=MKDIRS", "control character"),
        ("PUT", "/t/%20%09", "op=CREATE&write=true&overwrite=true", "spaces"),
        ("PUT", "/t/back%5Cslash", "op=CREATE&write=true", "'\\'"),
        ("PUT", "/t/src.txt", "op=RENAME&destination=/t/moved.", "ends with '.'"),
        ("POST", "/t/cat:x", "op=MSCONCAT", "contains ':'"),
    ]:
        body = b"sources=/t/src.txt" if "MSCONCAT" in query else b"xyz"
        status, exception, data = answer(gateway.url, admin, method, path, query, body, emulators.ca_file)
        assert (status, exception) == (400, "IllegalArgumentException"), (path, data)
        message = json.loads(data)["RemoteException"]["message"]
        assert "cannot hold the name" in message and reason in message, message
    status, _, data = answer(gateway.url, admin, "GET", "/t", "op=LISTSTATUS", None, emulators.ca_file)
    names = [e["pathSuffix"] for e in json.loads(data)["FileStatuses"]["FileStatus"]]
    assert "src.txt" in names and not [n for n in names if n.endswith(".") or ":" in n or n == "new"], names


def test_callers_without_the_right_get_the_gen1_refusal_through_the_gateway(sides):
    emulators, gen1, gateway, _ = sides
    dave = fetch_token(emulators, DAVE)["access_token"]
    arm = fetch_token(emulators, DAVE, "https://management.azure.com/")["access_token"]
    for token, method, path, query in [(dave, "GET", "/t/private", "op=OPEN&read=true"),
                                       (dave, "PUT", "/t/private", "op=SETPERMISSION&permission=777"),
                                       (dave, "DELETE", "/t/private", "op=DELETE"),
                                       (None, "GET", "/t", "op=LISTSTATUS"),
                                       ("not.a.token", "GET", "/t", "op=LISTSTATUS"),
                                       (arm, "GET", "/t", "op=LISTSTATUS")]:
        want = answer(gen1, token, method, path, query, None, emulators.ca_file)
        got = answer(gateway.url, token, method, path, query, None, emulators.ca_file)
        assert want[0] in (401, 403) and want[:2] == got[:2], (method, path, query, want, got)


def raw_exchange(base, ca, request):
    """Sends bytes as they are over TLS; returns the answer's status line ('' when the server just closed) and
    everything after it that came before the server closed."""
    url = urllib.parse.urlsplit(base)
    context = ssl.create_default_context(cafile=ca)
    data = b""
    with socket.create_connection((url.hostname, url.port), timeout=30) as plain:
        with context.wrap_socket(plain, server_hostname=url.hostname) as tls:
            tls.sendall(request)
            try:
                while True:
                    piece = tls.recv(65536)
                    if not piece:
                        break
                    data += piece
            except (ConnectionResetError, ssl.SSLError):
                pass
    line, _, rest = data.partition(b"\r\n")
    return line.decode("latin-1"), rest


def test_malformed_http_is_refused_and_the_gateway_keeps_serving(sides):
    emulators, _, gateway, admin = sides
    status, _, data = answer(gateway.url, admin, "PUT", "/t/chunked.txt", "op=CREATE&write=true", b"hello world",
                             emulators.ca_file)
    assert status == 201, data
    host = urllib.parse.urlsplit(gateway.url).netloc
    auth = f"Authorization: Bearer {admin}\r\n".encode()
    append = (b"POST /webhdfs/v1/t/chunked.txt?op=APPEND&append=true HTTP/1.1\r\nHost: " + host.encode() + b"\r\n" +
              auth + b"Transfer-Encoding: chunked\r\n\r\n")
    for request, status, exception in [
        (b"THIS IS NOT HTTP\r\n\r\n", "400", None),
        (b"GET /webhdfs/v1/t?op=LISTSTATUS HTTP/1.1\r\nHost: " + host.encode() + b"\r\nX-Big: " + b"a" * 70000 +
         b"\r\n\r\n", "431", None),
        # A chunk size that is not hexadecimal; a chunk longer than its size (after a good first part).
        (append + b"zz\r\nabc\r\n0\r\n\r\n", "400", b"IllegalArgumentException"),
        (append + b"3\r\nabcdef\r\n0\r\n\r\n", "400", b"IllegalArgumentException"),
    ]:
        line, rest = raw_exchange(gateway.url, emulators.ca_file, request)
        assert line.startswith("HTTP/1.1 " + status), (request[:60], line)
        assert exception is None or exception in rest, rest
    status, _, data = answer(gateway.url, admin, "GET", "/t/chunked.txt", "op=OPEN&read=true", None,
                             emulators.ca_file)
    assert status == 200 and data == b"hello world", data  # the malformed append added nothing
