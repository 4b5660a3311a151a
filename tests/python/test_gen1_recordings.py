"""Conformance with the real Gen1 service: replays the Python SDK's own VCR cassettes (recorded against live
ADLS Gen1 accounts) against the Gen1 emulator and compares every answer with the recorded one.

Each cassette holds one or more runs ("episodes") of one SDK test, recorded on four accounts over the years
(2017: `fakestore`, API 2016-11-01, the test principal an ordinary user; 2018: `akharitadls`, the test
principal a superuser, root 440; 2019: `akharitadls` recreated, root group all-zero GUID and a default ACL
naming the test principal; a dogfood account in 2018 with such a default ACL too). Before each episode the root
gets the state that account had, as the recorded root statuses and ACLs show it, the run's working directory is
made (the SDK tests' harness made it outside the recording), and the requests are sent as that account's test
principal.

Compared: status code; the `Status` (internal code) and `Content-Type` headers and whether `Location`,
`x-ms-webhdfs-version` and `x-ms-request-id` are there; JSON field names (and order) and value types; the
RemoteException's exception, Java class and message (without its request id and timestamp); and every value
that does not depend on time or ids: lengths, types, permissions, aclBit, booleans, continuation tokens, ACL
entries (object ids masked), content summaries and the bytes OPEN returns. Times and object ids compare by
type. Listings of the root compare by shape only (the real root held other tests' data).

The recordings are read from $LAKESHIFT_GEN1_RECORDINGS (default tests/data/gen1-recordings, a copy kept in the
project; see its NOTICE.md).
"""
import datetime
import email.utils
import glob
import gzip
import json
import os
import re
import ssl
import urllib.parse
import urllib.request
import uuid

import pytest
import requests

from conftest import LocalEmulators

yaml = pytest.importorskip("yaml")

RECORDINGS = os.environ.get(
    "LAKESHIFT_GEN1_RECORDINGS",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "gen1-recordings"))
CASSETTES = sorted(os.path.relpath(p, RECORDINGS) for p in glob.glob(os.path.join(RECORDINGS, "*", "*.yaml")))

# Cassettes that do not match: the interactions that differ, and why. The test fails when anything else differs
# and when a listed interaction starts matching (then update this list and docs/gen1-conformance.md).
EXPECTED_MISMATCHES = {
    "test_lib/test_auth_refresh.yaml": (
        [0], "ADAL's refresh-token grant for https://management.core.windows.net/ (an interactive user's token); "
             "the local identity provider issues client-credentials and on-behalf-of tokens only"),
    "test_lib/test_auth_refresh_for_service_principal.yaml": (
        [0], "a token for the classic https://management.core.windows.net/ resource, which the local identity "
             "provider does not know (the Gen1 emulator only accepts https://datalake.azure.net/ anyway)"),
}

# State a cassette found in its working directory, left there by the tests that ran before it.
LEFTOVERS = {
    # test_skip_existing_block fails on purpose halfway and leaves its 15-byte file "a" behind.
    "test_core/test_gzip.yaml": {"a": b"123456789012345"},
}

ZERO_GUID = "00000000-0000-0000-0000-000000000000"


def principal(object_id, superuser=False):
    return {"client_id": str(uuid.uuid4()), "client_secret": "secret-" + object_id[:8], "object_id": object_id,
            "groups": [], "superuser": superuser}


# The test principal of each recorded account (see the module docstring).
PRINCIPALS = {
    "2017": principal("9a23860e-0000-4000-8000-000000002017"),
    "2018": principal("a0b3cb87-0000-4000-8000-000000002018", superuser=True),
    "2019": principal("a0b3cb87-0000-4000-8000-000000002019"),
    "dogfood": principal("c3a586ce-0000-4000-8000-0000000000df"),
}
ROOT_OWNER = {"2017": "2e6c02d2-0000-4000-8000-000000000017", "2018": "6d86a146-0000-4000-8000-000000000018",
              "2019": "6d86a146-0000-4000-8000-000000000019", "dogfood": "6c239a52-0000-4000-8000-0000000000df"}


def root_state(profile):
    """(owner, group, ACL spec) of the root of each recorded account."""
    t = PRINCIPALS[profile]["object_id"]
    owner = ROOT_OWNER[profile]
    if profile == "2017":  # 770, aclBit true, no default ACL: the principal is a named user
        return owner, owner, f"user::rwx,user:{t}:rwx,group::rwx,mask::rwx,other::---"
    if profile == "2018":  # 440, aclBit true; the principal is a superuser
        return owner, owner, f"user::r--,user:{t}:rwx,group::r--,mask::r--,other::---"
    # 770 and a default ACL that gives every new item a named entry for the principal (all-zero group in 2019)
    group = ZERO_GUID if profile == "2019" else owner
    return owner, group, (f"user::rwx,user:{t}:rwx,group::rwx,mask::rwx,other::---,default:user::rwx,"
                          f"default:user:{t}:rwx,default:group::rwx,default:mask::rwx,default:other::---")


def profile_of(interaction):
    uri = urllib.parse.urlsplit(interaction["request"]["uri"])
    if uri.hostname.startswith("fakestore"):
        return "2017"
    if uri.hostname.endswith(".caboaccountdogfood.net"):
        return "dogfood"
    date = (interaction["response"].get("headers") or {}).get("Date") or \
        (interaction["response"].get("headers") or {}).get("date")
    when = email.utils.parsedate_to_datetime(date[0]) if date else None
    if when and when >= datetime.datetime(2019, 3, 1, tzinfo=datetime.timezone.utc):
        return "2019"
    return "2018"


def as_bytes(body):
    if body is None:
        return b""
    if isinstance(body, dict):
        body = body.get("string", b"")
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body)


def header(headers, name):
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value[0] if isinstance(value, list) else value
    return None


class Replayer:
    def __init__(self, emulators):
        self.emulators = emulators
        self.info = emulators.info
        self.base = self.info["gen1"]["url"]
        self.session = requests.Session()
        self.verify = emulators.ca_file  # per call: REQUESTS_CA_BUNDLE would override a session default
        self.tokens = {}
        self.profile = None
        self.leftovers = {}

    def token(self, who):
        if who not in self.tokens:
            p = self.info["admin"] if who == "admin" else PRINCIPALS[who]
            body = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": p["client_id"],
                                           "client_secret": p["client_secret"],
                                           "resource": "https://datalake.azure.net/"}).encode()
            context = ssl.create_default_context(cafile=self.emulators.ca_file)
            with urllib.request.urlopen(self.info["identity"]["token_url_v1"], data=body, context=context) as r:
                self.tokens[who] = json.load(r)["access_token"]
        return self.tokens[who]

    def admin(self, method, path, **params):
        params.setdefault("api-version", "2018-09-01")
        r = self.session.request(method, self.base + "/webhdfs/v1" + urllib.parse.quote(path), params=params,
                                 headers={"Authorization": "Bearer " + self.token("admin")}, verify=self.verify)
        assert r.status_code < 300, f"setup {method} {path} {params}: {r.status_code} {r.text}"
        return r

    def reset(self):
        """An empty account: everything under the root removed."""
        listing = self.admin("GET", "/", op="LISTSTATUS").json()["FileStatuses"]["FileStatus"]
        for entry in listing:
            self.admin("DELETE", "/" + entry["pathSuffix"], op="DELETE", recursive="true")
        self.profile = None

    def enter(self, profile):
        if profile == self.profile:
            return
        owner, group, acl = root_state(profile)
        self.admin("PUT", "/", op="SETOWNER", owner=owner, group=group)
        self.admin("PUT", "/", op="REMOVEDEFAULTACL")  # SETACL keeps the default ACL unless it names one
        self.admin("PUT", "/", op="SETACL", aclSpec=acl)
        self.profile = profile
        self.work_dir = None

    def enter_work_dir(self, path):
        """Each run worked in a directory the test harness had made beforehand (outside the recording)."""
        match = re.match(r"/webhdfs/v1/(azure_test_dir|azure_python_sdk_test_dir[0-9a-f-]+)(/|$)", path)
        if not match or match.group(1) == self.work_dir:
            return
        self.work_dir = match.group(1)
        r = self.session.put(self.base + "/webhdfs/v1/" + self.work_dir, params={"op": "MKDIRS"},
                             headers={"Authorization": "Bearer " + self.token(self.profile)}, verify=self.verify)
        assert r.status_code == 200, r.text
        for name, data in self.leftovers.items():
            r = self.session.put(f"{self.base}/webhdfs/v1/{self.work_dir}/{name}",
                                 params={"op": "CREATE", "write": "true", "overwrite": "true"}, data=data,
                                 headers={"Authorization": "Bearer " + self.token(self.profile)}, verify=self.verify)
            assert r.status_code == 201, r.text

    def send(self, interaction):
        """Sends the recorded request; returns (status, headers, body)."""
        request = interaction["request"]
        uri = urllib.parse.urlsplit(request["uri"])
        body = as_bytes(request.get("body"))
        headers = {}
        content_type = header(request.get("headers"), "Content-Type")
        if uri.hostname == "login.microsoftonline.com":
            # Token requests go to the local identity provider, with the admin's credentials instead of the
            # recorded (scrubbed) application's.
            form = dict(urllib.parse.parse_qsl(body.decode()))
            if "client_secret" in form:
                form["client_id"] = self.info["admin"]["client_id"]
                form["client_secret"] = self.info["admin"]["client_secret"]
            url = self.info["identity"]["token_url_v1"]
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            self.enter(profile_of(interaction))
            self.enter_work_dir(uri.path)
            url = self.base + uri.path + ("?" + uri.query if uri.query else "")
            headers["Authorization"] = "Bearer " + self.token(self.profile)
            if content_type:
                headers["Content-Type"] = content_type
        prepared = self.session.prepare_request(requests.Request(request["method"], url, data=body, headers=headers))
        prepared.url = url  # exactly as recorded: no re-quoting
        r = self.session.send(prepared, allow_redirects=False, verify=self.verify)
        return r.status_code, r.headers, r.content


# ---- comparison -------------------------------------------------------------------------------------------

TIME_KEYS = {"accessTime", "modificationTime", "expires_in", "ext_expires_in", "expires_on", "not_before"}
ID_KEYS = {"owner", "group", "access_token", "refresh_token", "id_token"}
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Response headers compared by value (the service's internal status code, the body's type) and by presence.
HEADERS_BY_VALUE = ["Status", "Content-Type"]
HEADERS_BY_PRESENCE = ["Location", "x-ms-webhdfs-version", "x-ms-request-id"]
# Gen1 error messages end with " [<server request id>][<timestamp>]".
MESSAGE_SUFFIX = re.compile(r" \[[0-9a-fA-F-]{36}\]\[[0-9T:.+-]+\]$")


def same_type(a, b):
    return type(a) is type(b) or (isinstance(a, (int, float)) and isinstance(b, (int, float))
                                  and not isinstance(a, bool) and not isinstance(b, bool))


def compare(recorded, ours, where, shape_only=False):
    """Differences between two JSON values, as messages."""
    if not same_type(recorded, ours):
        return [f"{where}: type {type(ours).__name__}, recorded {type(recorded).__name__} ({recorded!r})"]
    if isinstance(recorded, dict):
        if list(recorded) != list(ours):
            return [f"{where}: fields {list(ours)}, recorded {list(recorded)}"]
        out = []
        for key in recorded:
            if key in TIME_KEYS or key in ID_KEYS:
                if not same_type(recorded[key], ours[key]):
                    out.append(f"{where}.{key}: type {type(ours[key]).__name__}, recorded "
                               f"{type(recorded[key]).__name__}")
            elif key == "msExpirationTime" and not shape_only:
                if (recorded[key] == 0) != (ours[key] == 0) or not same_type(recorded[key], ours[key]):
                    out.append(f"{where}.{key}: {ours[key]!r}, recorded {recorded[key]!r}")
            elif key == "message" and isinstance(recorded[key], str) and MESSAGE_SUFFIX.search(recorded[key]):
                mine = ours[key] if isinstance(ours[key], str) else ""
                if not MESSAGE_SUFFIX.search(mine):
                    out.append(f"{where}.message: {mine!r} lacks the [request id][timestamp] suffix")
                elif not shape_only and MESSAGE_SUFFIX.sub("", mine) != MESSAGE_SUFFIX.sub("", recorded[key]):
                    out.append(f"{where}.message: {MESSAGE_SUFFIX.sub('', mine)!r}, recorded "
                               f"{MESSAGE_SUFFIX.sub('', recorded[key])!r}")
            elif key == "entries" and not shape_only:
                masked = [GUID.sub("<id>", e) for e in recorded[key]]
                mine = [GUID.sub("<id>", e) for e in ours[key]] if isinstance(ours[key], list) else ours[key]
                if masked != mine:
                    out.append(f"{where}.entries: {mine}, recorded {masked}")
            else:
                out += compare(recorded[key], ours[key], f"{where}.{key}", shape_only)
        return out
    if isinstance(recorded, list):
        if shape_only:
            out = []
            for i, item in enumerate(ours):
                kinds = [r for r in recorded if isinstance(r, dict) and isinstance(item, dict)
                         and r.get("type") == item.get("type")]
                if kinds and all(compare(k, item, "", True) for k in kinds):
                    out += compare(kinds[0], item, f"{where}[{i}]", True)
            return out
        if len(recorded) != len(ours):
            return [f"{where}: {len(ours)} items, recorded {len(recorded)}"]
        out = []
        for i, (a, b) in enumerate(zip(recorded, ours)):
            out += compare(a, b, f"{where}[{i}]", shape_only)
        return out
    if shape_only or recorded == ours:
        return []
    return [f"{where}: {ours!r}, recorded {recorded!r}"]


def compare_interaction(interaction, status, headers, body):
    request, response = interaction["request"], interaction["response"]
    uri = urllib.parse.urlsplit(request["uri"])
    op = dict((k.lower(), v) for k, v in urllib.parse.parse_qsl(uri.query)).get("op", "token")
    what = f"{request['method']} {urllib.parse.unquote(uri.path)} {op}"
    if status != response["status"]["code"]:
        return [f"{what}: status {status}, recorded {response['status']['code']} ({body[:300]!r})"]
    differences = []
    if uri.hostname != "login.microsoftonline.com":
        for name in HEADERS_BY_VALUE:
            if name == "Status" and "/webhdfsext/" in uri.path.lower() and not header(response.get("headers"), name):
                continue  # the service added it to /WebHdfsExt answers in late October 2018
            if header(response.get("headers"), name) != headers.get(name):
                differences.append(f"{what}: header {name} {headers.get(name)!r}, recorded "
                                   f"{header(response.get('headers'), name)!r}")
        for name in HEADERS_BY_PRESENCE:
            if (header(response.get("headers"), name) is None) != (headers.get(name) is None):
                differences.append(f"{what}: header {name} {headers.get(name)!r}, recorded "
                                   f"{header(response.get('headers'), name)!r}")
    return differences + compare_body(interaction, what, op, headers, body)


def compare_body(interaction, what, op, headers, body):
    request, response = interaction["request"], interaction["response"]
    uri = urllib.parse.urlsplit(request["uri"])
    recorded = as_bytes(response.get("body"))
    if header(response.get("headers"), "Content-Encoding") == "gzip":
        recorded = gzip.decompress(recorded)
    recorded_type = header(response.get("headers"), "Content-Type") or ""
    if recorded_type.startswith("application/json"):
        try:
            ours = json.loads(body)
        except ValueError:
            return [f"{what}: not JSON: {body[:200]!r}"]
        root_listing = op.upper() == "LISTSTATUS" and urllib.parse.unquote(uri.path).rstrip("/.") == "/webhdfs/v1"
        return [f"{what}: {d}" for d in compare(json.loads(recorded), ours, "", shape_only=root_listing)]
    if recorded != body:
        return [f"{what}: body {body[:120]!r} ({len(body)} bytes), recorded {recorded[:120]!r} ({len(recorded)} bytes)"]
    return []


def replay(replayer, cassette):
    with open(os.path.join(RECORDINGS, cassette), "rb") as f:
        interactions = yaml.safe_load(f)["interactions"]
    replayer.reset()
    replayer.leftovers = LEFTOVERS.get(cassette, {})
    mismatches = {}  # interaction index -> differences
    for i, interaction in enumerate(interactions):
        status, headers, body = replayer.send(interaction)
        differences = compare_interaction(interaction, status, headers, body)
        if differences:
            mismatches[i] = differences
    return mismatches


@pytest.fixture(scope="module")
def replayer():
    if not CASSETTES:
        pytest.skip(f"no recordings in {RECORDINGS} (set LAKESHIFT_GEN1_RECORDINGS)")
    emulators = LocalEmulators(principals=PRINCIPALS)
    yield Replayer(emulators)
    emulators.stop()


@pytest.mark.parametrize("cassette", CASSETTES or ["none"])
def test_recording(replayer, cassette):
    mismatches = replay(replayer, cassette)
    expected, reason = EXPECTED_MISMATCHES.get(cassette, ([], ""))
    unexpected = [f"#{i} {d}" for i in sorted(mismatches) if i not in expected for d in mismatches[i]]
    assert not unexpected, "\n".join(unexpected[:30])
    now_matching = [i for i in expected if i not in mismatches]
    assert not now_matching, (f"interactions {now_matching} match now ({reason}): update EXPECTED_MISMATCHES and "
                              f"docs/gen1-conformance.md")


def test_expected_mismatches_name_real_cassettes():
    if not CASSETTES:
        pytest.skip(f"no recordings in {RECORDINGS}")
    assert set(EXPECTED_MISMATCHES) <= set(CASSETTES)
    assert all(indexes and reason for indexes, reason in EXPECTED_MISMATCHES.values())
