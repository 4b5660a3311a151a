"""Replays recorded Azure Storage (ADLS Gen2) service exchanges against the Gen2 emulator and compares.

A recording (azure test-proxy JSON, see tests/data/gen2-recordings/README.md) lists the requests an SDK test
sent to the real service and the responses it got. Replay sends each request to the emulator in order,
mapped from host-style URLs (https://<account>.{dfs,blob}.core.windows.net/<fs>/<path>) to the emulator's
path-style URLs, signed with Shared Key for the emulator's account, with what the recorder scrubbed put
back (rename sources, lease ids), and then compares the emulator's answer with the recorded one:

- status code;
- the headers clients read, by presence and value (exact), or by form where the value depends on time, ids
  or etags (ETag, Last-Modified, creation/expiry times, lease ids, continuation tokens);
- bodies: JSON by field names, value types and values (volatile fields such as etags and times by form,
  error messages by their first line), XML by element structure and text (volatile elements by form),
  binary bodies byte for byte.

Replay keeps the recorded pacing where it matters: before an entry it sleeps the time that passed between
the recorded requests (their x-ms-date), so leases expire and breaks end as they did for the service.
"""
import base64
import concurrent.futures
import email.utils
import hashlib
import hmac
import http.client
import json
import re
import time
import urllib.parse
import xml.etree.ElementTree as ET

RECORDED_ACCOUNT = "fakestorageaccount"

# Headers that clients read: present in the recording <=> present in the emulator's answer, same value.
EXACT_HEADERS = {
    "x-ms-error-code", "x-ms-resource-type", "x-ms-owner", "x-ms-group", "x-ms-permissions", "x-ms-acl",
    "x-ms-properties", "x-ms-lease-state", "x-ms-lease-status", "x-ms-lease-duration", "x-ms-lease-time",
    "content-type", "content-range", "accept-ranges", "content-encoding", "content-language",
    "content-disposition", "cache-control", "content-md5", "x-ms-content-crc64", "x-ms-blob-content-md5",
    "x-ms-blob-type", "x-ms-request-server-encrypted", "x-ms-server-encrypted", "x-ms-namespace-enabled",
    "x-ms-delete-type-permanent", "x-ms-existing-resource-type", "x-ms-version", "x-ms-client-request-id",
    "x-ms-access-tier", "x-ms-access-tier-inferred", "x-ms-has-immutability-policy", "x-ms-has-legal-hold",
    "x-ms-default-encryption-scope", "x-ms-deny-encryption-scope-override",
    "x-ms-immutable-storage-with-versioning-enabled",
}
RFC1123 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                     r"\d{4} \d\d:\d\d:\d\d GMT$")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Headers whose value depends on time, ids or etags: same presence, and the same form.
FORM_HEADERS = {
    "etag": re.compile(r'^"0x[0-9A-F]+"$'),
    "last-modified": RFC1123,
    "x-ms-creation-time": RFC1123,
    "x-ms-expiry-time": RFC1123,
    "x-ms-continuation": re.compile(r"^\S+$"),
    "x-ms-lease-id": GUID,
    "x-ms-deletion-id": re.compile(r"^\d+$"),
}
# JSON fields (List Paths, errors) whose values depend on time or etags.
JSON_FORMS = {
    "etag": re.compile(r"^0x[0-9A-F]+$"),
    "creationTime": re.compile(r"^\d+$"),
    "expiryTime": re.compile(r"^\d+$"),
    "lastModified": RFC1123,
}
# XML elements whose text depends on time or etags.
XML_FORMS = {
    "Last-Modified": RFC1123,
    "Etag": re.compile(r'^"0x[0-9A-F]+"$'),
}


def _lower_keys(headers):
    return {k.lower(): v for k, v in headers.items()}


def _recorded_time(entry):
    value = entry["RequestHeaders"].get("x-ms-date") or entry["RequestHeaders"].get("Date")
    return email.utils.parsedate_to_datetime(value).timestamp() if value else None


def _recorded_body_bytes(body):
    if body is None:
        return b""
    if isinstance(body, list):
        return "".join(body).encode()
    return body.encode()


def _is_xml_text(text):
    return text.lstrip("\ufeff").lstrip().startswith("<?xml") or text.lstrip("\ufeff").lstrip().startswith("<")


class SharedKeySigner:
    """Shared Key (version 2009-09-19 and later) for the emulator's account."""

    def __init__(self, account, key):
        self.account = account
        self.key = base64.b64decode(key)

    def sign(self, method, path, query, headers):
        h = _lower_keys(headers)
        length = h.get("content-length", "")
        standard = [method, h.get("content-encoding", ""), h.get("content-language", ""),
                    "" if length == "0" else length, h.get("content-md5", ""), h.get("content-type", ""),
                    h.get("date", ""), h.get("if-modified-since", ""), h.get("if-match", ""),
                    h.get("if-none-match", ""), h.get("if-unmodified-since", ""), h.get("range", "")]
        canonical_headers = "".join(f"{name}:{h[name].strip()}\n" for name in sorted(h) if name.startswith("x-ms-"))
        resource = f"/{self.account}{path}"
        params = {}
        for piece in query.split("&") if query else []:
            name, _, value = piece.partition("=")
            params.setdefault(urllib.parse.unquote(name).lower(), []).append(urllib.parse.unquote(value))
        for name in sorted(params):
            resource += f"\n{name}:{','.join(sorted(params[name]))}"
        string_to_sign = "\n".join(standard) + "\n" + canonical_headers + resource
        digest = hmac.new(self.key, string_to_sign.encode(), hashlib.sha256).digest()
        return f"SharedKey {self.account}:{base64.b64encode(digest).decode()}"


class RecordingReplay:
    """Replays one recording against the emulator and collects mismatches per entry."""

    def __init__(self, name, recording, host, port, account, key, rename_sources=None):
        self.name = name
        self.entries = recording["Entries"]
        self.variables = recording.get("Variables", {})
        self.host = host
        self.port = port
        self.account = account
        self.signer = SharedKeySigner(account, key)
        self.rename_sources = rename_sources or {}
        self.tokens = {}  # recorded continuation tokens and markers -> the emulator's
        self.leases = {}  # emulator path -> the lease id the emulator gave out (the recording scrubbed it)
        self.mismatches = {}  # entry index -> list of differences

    # ---- requests -------------------------------------------------------------------------------

    def _map_url(self, uri):
        parts = urllib.parse.urlsplit(uri)
        api = "dfs" if ".dfs." in parts.netloc else "blob"
        path = f"/{self.account}{parts.path}"
        pieces = []
        for piece in parts.query.split("&") if parts.query else []:
            name, sep, value = piece.partition("=")
            decoded = urllib.parse.unquote(value)
            if decoded in self.tokens:
                value = urllib.parse.quote(self.tokens[decoded], safe="")
            pieces.append(name + sep + value)
        return api, path, "&".join(pieces)

    def _map_text(self, text):
        """A recorded value that names the recorded account or endpoint, as the emulator would write it."""
        text = re.sub(r"https://" + RECORDED_ACCOUNT + r"\.(dfs|blob)\.core\.windows\.net/",
                      f"http://{self.host}:{self.port}/{self.account}/", text)
        return text.replace(f"/{RECORDED_ACCOUNT}/", f"/{self.account}/")

    def _rename_source(self, index):
        fs_var, path_var = self.rename_sources[index]
        fs = self.variables.get(fs_var, fs_var)
        path = self.variables.get(path_var, path_var)
        return f"/{self.account}/{urllib.parse.quote(fs, safe='')}/" + urllib.parse.quote(path, safe="/")

    def _build(self, index, entry):
        method = entry["RequestMethod"]
        api, path, query = self._map_url(entry["RequestUri"])
        headers = {}
        for name, value in entry["RequestHeaders"].items():
            if name.lower() in ("authorization", "host", "x-ms-date", "date"):
                continue
            headers[name] = value
        headers["x-ms-date"] = email.utils.formatdate(usegmt=True)
        lowered = _lower_keys(headers)
        # Scrubbed by the recorder: the rename source ...
        if index in self.rename_sources:
            headers["x-ms-rename-source"] = self._rename_source(index)
        # ... and the lease ids of lease calls that need one (the ids the emulator handed out instead).
        action = lowered.get("x-ms-lease-action")
        if "comp=lease" in query and action in ("release", "renew", "change") and "x-ms-lease-id" not in lowered:
            if path in self.leases:
                headers["x-ms-lease-id"] = self.leases[path]
        # Absolute times move with the replay: the same distance from the request as recorded.
        if lowered.get("x-ms-expiry-option") == "Absolute":
            at = email.utils.parsedate_to_datetime(lowered["x-ms-expiry-time"]).timestamp()
            shifted = time.time() + (at - _recorded_time(entry))
            for name in list(headers):
                if name.lower() == "x-ms-expiry-time":
                    headers[name] = email.utils.formatdate(shifted, usegmt=True)
        body = _recorded_body_bytes(entry["RequestBody"])
        if body or "content-length" in lowered:
            for name in list(headers):
                if name.lower() == "content-length":
                    headers[name] = str(len(body))
        headers["Authorization"] = self.signer.sign(method, path, query, headers)
        target = path + ("?" + query if query else "")
        return api, method, target, headers, body

    # ---- comparison -----------------------------------------------------------------------------

    def _diff(self, index, what):
        self.mismatches.setdefault(index, []).append(what)

    def _compare_headers(self, index, entry, ours):
        recorded = _lower_keys(entry["ResponseHeaders"])
        mine = _lower_keys(ours)
        names = {n for n in set(recorded) | set(mine)
                 if n in EXACT_HEADERS or n in FORM_HEADERS or n.startswith("x-ms-meta-")}
        lease_action = _lower_keys(entry["RequestHeaders"]).get("x-ms-lease-action")
        for name in sorted(names):
            want, got = recorded.get(name), mine.get(name)
            if want is None and got is not None:
                # The recorder removed lease ids from some lease answers; the service always sends them.
                if name == "x-ms-lease-id" and lease_action in ("acquire", "renew", "change"):
                    continue
                self._diff(index, f"header {name}: not in the recording, emulator sent {got!r}")
            elif want is not None and got is None:
                self._diff(index, f"header {name}: recorded {want!r}, emulator sent none")
            elif want is not None:
                pattern = FORM_HEADERS.get(name)
                if pattern is not None:
                    if not pattern.match(got):
                        self._diff(index, f"header {name}: {got!r} does not have the form of {want!r}")
                    elif name == "x-ms-lease-id" and GUID.match(want) and want != got:
                        self._diff(index, f"header {name}: recorded {want!r}, emulator sent {got!r}")
                elif want != got:
                    self._diff(index, f"header {name}: recorded {want!r}, emulator sent {got!r}")
        if "content-length" in recorded and "transfer-encoding" not in recorded:
            got = mine.get("content-length")
            if got is None and "transfer-encoding" not in mine:
                self._diff(index, "header content-length: recorded, emulator sent none")
            body = entry["ResponseBody"]
            exact = body is None or (isinstance(body, str) and not _is_xml_text(body))
            if exact and got is not None and got != recorded["content-length"]:
                self._diff(index, f"header content-length: recorded {recorded['content-length']}, emulator sent {got}")

    def _compare_json(self, index, where, want, got):
        if type(want) is not type(got):
            self._diff(index, f"body {where}: recorded {type(want).__name__} {want!r}, "
                              f"emulator sent {type(got).__name__} {got!r}")
        elif isinstance(want, dict):
            for key in sorted(set(want) - set(got)):
                self._diff(index, f"body {where}.{key}: missing")
            for key in sorted(set(got) - set(want)):
                self._diff(index, f"body {where}.{key}: not in the recording ({got[key]!r})")
            for key in sorted(set(want) & set(got)):
                sub = f"{where}.{key}"
                if key in JSON_FORMS and isinstance(want[key], str) and isinstance(got[key], str):
                    if want[key] == "0" and key == "expiryTime":
                        if got[key] != "0":
                            self._diff(index, f"body {sub}: recorded '0', emulator sent {got[key]!r}")
                    elif not JSON_FORMS[key].match(got[key]):
                        self._diff(index, f"body {sub}: {got[key]!r} does not have the form of {want[key]!r}")
                elif key == "message" and isinstance(want[key], str) and isinstance(got[key], str):
                    if want[key].split("\n")[0] != got[key].split("\n")[0]:
                        self._diff(index, f"body {sub}: recorded {want[key].splitlines()[0]!r}, "
                                          f"emulator sent {got[key].splitlines()[0]!r}")
                else:
                    self._compare_json(index, sub, want[key], got[key])
        elif isinstance(want, list):
            if len(want) != len(got):
                self._diff(index, f"body {where}: recorded {len(want)} items, emulator sent {len(got)}")
            for i, (w, g) in enumerate(zip(want, got)):
                self._compare_json(index, f"{where}[{i}]", w, g)
        elif want != got:
            self._diff(index, f"body {where}: recorded {want!r}, emulator sent {got!r}")

    def _compare_xml(self, index, want_text, got_text):
        if want_text.startswith("\ufeff") != got_text.startswith("\ufeff"):
            self._diff(index, "body: the recorded XML starts with a byte order mark, the emulator's does not"
                       if want_text.startswith("\ufeff") else "body: unexpected byte order mark")
        try:
            want = ET.fromstring(want_text.lstrip("\ufeff").encode())
            got = ET.fromstring(got_text.lstrip("\ufeff").encode())
        except ET.ParseError as e:
            self._diff(index, f"body: XML does not parse: {e}: {got_text[:200]!r}")
            return
        self._compare_element(index, want.tag, want, got)

    def _compare_element(self, index, where, want, got):
        if want.tag != got.tag:
            self._diff(index, f"body {where}: element <{got.tag}> where the recording has <{want.tag}>")
            return
        for attr in sorted(set(want.attrib) | set(got.attrib)):
            w, g = want.attrib.get(attr), got.attrib.get(attr)
            if w is None or g is None or self._map_text(w) != g:
                self._diff(index, f"body {where}@{attr}: recorded {w!r}, emulator sent {g!r}")
        want_children, got_children = list(want), list(got)
        if [c.tag for c in want_children] != [c.tag for c in got_children]:
            self._diff(index, f"body {where}: children {[c.tag for c in got_children]}, "
                              f"recorded {[c.tag for c in want_children]}")
            return
        if not want_children:
            w, g = (want.text or ""), (got.text or "")
            if want.tag in XML_FORMS:
                if not XML_FORMS[want.tag].match(g):
                    self._diff(index, f"body {where}: {g!r} does not have the form of {w!r}")
            elif want.tag == "Message":
                if w.split("\n")[0] != g.split("\n")[0]:
                    self._diff(index, f"body {where}: recorded {w.splitlines()[0]!r}, emulator sent "
                                      f"{g.splitlines()[0] if g else ''!r}")
            elif want.tag in ("NextMarker", "Marker"):
                if bool(w) != bool(g):
                    self._diff(index, f"body {where}: recorded {w!r}, emulator sent {g!r}")
                elif w and not g.startswith(f"/{self.account}/"):
                    self._diff(index, f"body {where}: {g!r} does not have the form of {w!r}")
            elif self._map_text(w) != g:
                self._diff(index, f"body {where}: recorded {w!r}, emulator sent {g!r}")
        for w, g in zip(want_children, got_children):
            self._compare_element(index, f"{where}/{w.tag}", w, g)

    def _compare_body(self, index, entry, body):
        want = entry["ResponseBody"]
        if want is None:
            if body:
                self._diff(index, f"body: none recorded, emulator sent {body[:200]!r}")
            return
        if isinstance(want, dict):
            try:
                got = json.loads(body)
            except ValueError:
                self._diff(index, f"body: recorded JSON, emulator sent {body[:200]!r}")
                return
            self._compare_json(index, "", want, got)
            return
        text = "".join(want) if isinstance(want, list) else want
        if _is_xml_text(text):
            self._compare_xml(index, text, body.decode("utf-8", "replace"))
            return
        data = base64.b64decode(text)
        try:
            recorded_json = json.loads(data)
        except ValueError:
            recorded_json = None
        if isinstance(recorded_json, (dict, list)):
            try:
                got = json.loads(body)
            except ValueError:
                self._diff(index, f"body: recorded JSON, emulator sent {body[:200]!r}")
                return
            self._compare_json(index, "", recorded_json, got)
        elif data != body:
            self._diff(index, f"body: recorded {len(data)} bytes {data[:40]!r}, emulator sent {len(body)} bytes "
                              f"{body[:40]!r}")

    # ---- learning from answers ------------------------------------------------------------------

    def _learn(self, entry, path, headers, body):
        recorded = _lower_keys(entry["ResponseHeaders"])
        mine = _lower_keys(headers)
        if recorded.get("x-ms-continuation") and mine.get("x-ms-continuation"):
            self.tokens[recorded["x-ms-continuation"]] = mine["x-ms-continuation"]
        if mine.get("x-ms-lease-id"):
            self.leases[path] = mine["x-ms-lease-id"]
        want = entry["ResponseBody"]
        text = "".join(want) if isinstance(want, list) else want if isinstance(want, str) else ""
        if "<NextMarker>" in text and b"<NextMarker>" in body:
            w = re.search(r"<NextMarker>(.*?)</NextMarker>", text)
            g = re.search(rb"<NextMarker>(.*?)</NextMarker>", body)
            if w and g and w.group(1):
                self.tokens[w.group(1)] = g.group(1).decode()

    # ---- driver ---------------------------------------------------------------------------------

    def run(self):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        previous = None
        try:
            for index, entry in enumerate(self.entries):
                recorded_at = _recorded_time(entry)
                if previous is not None and recorded_at is not None and recorded_at > previous:
                    # The service saw this much time pass (x-ms-date has whole seconds): leases expire,
                    # breaks end and expiry times pass just as they did.
                    time.sleep(recorded_at - previous + 0.25)
                previous = recorded_at if recorded_at is not None else previous
                api, method, target, headers, body = self._build(index, entry)
                try:
                    conn.request(method, target, body=body or None, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                except (OSError, http.client.HTTPException) as e:
                    self._diff(index, f"request failed: {e!r}")
                    conn.close()
                    conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                    continue
                got_headers = dict(response.getheaders())
                if response.status != entry["StatusCode"]:
                    code = got_headers.get("x-ms-error-code", "")
                    detail = got_headers.get("x-lakeshift-detail", "")
                    self._diff(index, f"status: recorded {entry['StatusCode']}, emulator answered {response.status} "
                                      f"{code} {detail}".rstrip())
                self._compare_headers(index, entry, got_headers)
                self._compare_body(index, entry, data)
                self._learn(entry, target.split("?")[0], got_headers, data)
        finally:
            conn.close()
        return self.mismatches


def replay_all(recordings, host, port, account, key, rename_sources):
    """Replays every recording (name -> parsed JSON) at once, each in its own thread (most of a replay is
    sleeping through recorded pauses); returns name -> {entry index: [differences]}."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(recordings))) as pool:
        futures = {name: pool.submit(RecordingReplay(name, recording, host, port, account, key,
                                                     rename_sources.get(name)).run)
                   for name, recording in recordings.items()}
        return {name: future.result() for name, future in futures.items()}
