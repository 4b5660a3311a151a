"""Leases on the Gen2 emulator: the official SDK's DataLakeLeaseClient (which goes through Blob comp=lease)
on files, directories and file systems, the lease actions of append and flush, the DFS Path Lease API
(POST with x-ms-lease-action) binding Blob calls, and leases surviving an emulator restart."""
import email.utils
import http.client
import re
import subprocess
import time
import urllib.parse
import uuid

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.filedatalake import DataLakeLeaseClient, DataLakeServiceClient

from conftest import DEV_ACCOUNT, DEV_KEY, lakeshift_binary
from gen2_replay import SharedKeySigner


def _service(url):
    return DataLakeServiceClient(account_url=url, credential={"account_name": DEV_ACCOUNT, "account_key": DEV_KEY})


@pytest.fixture
def service(gen2):
    return _service(gen2.url)


@pytest.fixture
def filesystem(service):
    fs = service.create_file_system(f"lease-{uuid.uuid4().hex[:12]}")
    yield fs
    fs.delete_file_system()


def _code(raises):
    return raises.value.error_code


def test_file_lease_acquire_renew_change_release(filesystem):
    f = filesystem.get_file_client("leased.txt")
    f.upload_data(b"v1", overwrite=True)
    lease = f.acquire_lease(lease_duration=15)
    props = f.get_file_properties()
    assert (props.lease.state, props.lease.status, props.lease.duration) == ("leased", "locked", "fixed")

    # Without the lease (or with another one), writes and deletes are refused ...
    with pytest.raises(HttpResponseError) as e:
        f.upload_data(b"v2", overwrite=True)
    assert _code(e) == "LeaseIdMissing"
    with pytest.raises(HttpResponseError) as e:
        f.set_metadata({"a": "b"})
    assert _code(e) == "LeaseIdMissing"
    with pytest.raises(HttpResponseError) as e:
        f.set_metadata({"a": "b"}, lease=str(uuid.uuid4()))
    assert _code(e) == "LeaseIdMismatchWithBlobOperation"
    with pytest.raises(HttpResponseError) as e:
        f.delete_file()
    assert _code(e) == "LeaseIdMissing"
    with pytest.raises(HttpResponseError) as e:
        filesystem.get_file_client("leased.txt").acquire_lease()
    assert _code(e) == "LeaseAlreadyPresent"
    # ... while reads are not.
    assert f.download_file().readall() == b"v1"

    # With the lease, they go through.
    f.upload_data(b"v2", overwrite=True, lease=lease)
    f.set_metadata({"a": "b"}, lease=lease)
    assert f.download_file().readall() == b"v2"
    assert f.get_file_properties().lease.state == "leased"  # an overwrite keeps the lease

    lease.renew()
    old, new = lease.id, str(uuid.uuid4())
    lease.change(new)
    assert lease.id == new
    with pytest.raises(HttpResponseError) as e:
        f.set_metadata({}, lease=old)
    assert _code(e) == "LeaseIdMismatchWithBlobOperation"
    f.set_metadata({"c": "d"}, lease=new)

    lease.release()
    props = f.get_file_properties()
    assert (props.lease.state, props.lease.status) == ("available", "unlocked")
    f.set_metadata({"free": "again"})
    f.delete_file()


def test_breaking_and_broken_lease(filesystem):
    f = filesystem.get_file_client("broken.txt")
    f.upload_data(b"x", overwrite=True)
    lease = f.acquire_lease(lease_duration=60)
    lease.break_lease(lease_break_period=2)  # (this SDK's DataLakeLeaseClient drops the x-ms-lease-time it gets)
    props = f.get_file_properties()
    assert (props.lease.state, props.lease.status) == ("breaking", "locked")
    with pytest.raises(HttpResponseError) as e:
        f.set_metadata({"a": "b"})
    assert _code(e) == "LeaseIdMissing"
    f.set_metadata({"a": "b"}, lease=lease)  # the breaking lease still holds
    with pytest.raises(HttpResponseError) as e:
        f.acquire_lease(lease_id=lease.id)
    assert _code(e) == "LeaseIsBreakingAndCannotBeAcquired"
    time.sleep(2.3)
    props = f.get_file_properties()
    assert (props.lease.state, props.lease.status) == ("broken", "unlocked")
    with pytest.raises(HttpResponseError) as e:
        lease.renew()
    assert _code(e) == "LeaseIsBrokenAndCannotBeRenewed"
    f.set_metadata({"after": "break"})  # a broken lease binds no one
    again = f.acquire_lease()
    assert f.get_file_properties().lease.duration == "infinite"
    again.break_lease()  # an infinite lease breaks at once
    assert f.get_file_properties().lease.state == "broken"


def test_directory_lease_binds_acl_changes_delete_and_rename(filesystem):
    d = filesystem.create_directory("dir")
    d.create_file("child.txt")
    lease = d.acquire_lease()
    props = d.get_directory_properties()
    assert (props.lease.state, props.lease.duration) == ("leased", "infinite")
    with pytest.raises(HttpResponseError) as e:
        d.set_access_control(permissions="rwxr-x--x")
    assert _code(e) == "LeaseIdMissing"
    d.set_access_control(permissions="rwxr-x--x", lease=lease)
    with pytest.raises(HttpResponseError) as e:
        d.delete_directory()
    assert _code(e) == "LeaseIdMissing"
    with pytest.raises(HttpResponseError) as e:
        d.rename_directory(f"{filesystem.file_system_name}/moved")
    assert _code(e) == "LeaseIdMissing"
    # The lease goes with the path it leases.
    moved = d.rename_directory(f"{filesystem.file_system_name}/moved", source_lease=lease)
    assert moved.get_directory_properties().lease.state == "leased"
    assert filesystem.get_file_client("moved/child.txt").download_file().readall() == b""
    moved_lease = DataLakeLeaseClient(moved, lease_id=lease.id)
    with pytest.raises(HttpResponseError) as e:
        moved.delete_directory(lease=str(uuid.uuid4()))
    assert _code(e) == "LeaseIdMismatch"
    moved.delete_directory(lease=moved_lease)
    # A new directory at the same path starts without a lease.
    again = filesystem.create_directory("moved")
    assert again.get_directory_properties().lease.state == "available"


def test_file_system_lease(service):
    name = f"fslease-{uuid.uuid4().hex[:10]}"
    fs = service.create_file_system(name)
    lease = fs.acquire_lease(lease_duration=-1)
    props = fs.get_file_system_properties()
    assert (props.lease.state, props.lease.status, props.lease.duration) == ("leased", "locked", "infinite")
    listed = [f for f in service.list_file_systems(name_starts_with=name)]
    assert listed[0].lease.state == "leased"
    with pytest.raises(HttpResponseError) as e:
        fs.delete_file_system()
    assert _code(e) == "LeaseIdMissing"
    with pytest.raises(HttpResponseError) as e:
        fs.delete_file_system(lease=str(uuid.uuid4()))
    assert _code(e) == "LeaseIdMismatchWithContainerOperation"
    fs.set_file_system_metadata({"k": "v"})  # metadata does not need the container's lease
    lease.renew()
    lease.change(str(uuid.uuid4()))
    fs.get_file_system_properties(lease=lease)
    lease.release()
    lease = fs.acquire_lease(lease_duration=15)
    lease.break_lease(lease_break_period=0)
    assert fs.get_file_system_properties().lease.state == "broken"
    fs.delete_file_system()  # a broken lease binds no one


def test_append_and_flush_lease_actions(filesystem):
    f = filesystem.create_file("actions.txt")
    lease_id = str(uuid.uuid4())
    f.append_data(b"abc", 0, 3, lease_action="acquire", lease_duration=15, lease=lease_id)
    props = f.get_file_properties()
    assert (props.lease.state, props.lease.duration) == ("leased", "fixed")
    with pytest.raises(HttpResponseError) as e:
        f.append_data(b"def", 3, 3)
    assert _code(e) == "LeaseIdMissing"
    f.append_data(b"def", 3, 3, lease_action="auto-renew", lease=lease_id)
    with pytest.raises(HttpResponseError) as e:
        f.flush_data(6)
    assert _code(e) == "LeaseIdMissing"
    f.flush_data(6, lease_action="release", lease=lease_id)
    assert f.get_file_properties().lease.state == "available"
    f.append_data(b"g", 6, 1, flush=True, lease_action="acquire-release", lease=str(uuid.uuid4()))
    assert f.get_file_properties().lease.state == "available"
    assert f.download_file().readall() == b"abcdefg"
    # Creating with a proposed lease id leases the new file.
    created = filesystem.get_file_client("created-leased.txt")
    created.create_file(lease_id=lease_id, lease_duration=20)
    assert created.get_file_properties().lease.state == "leased"
    with pytest.raises(HttpResponseError) as e:
        created.create_file()
    assert _code(e) == "LeaseIdMissing"


def _dfs(url, method, path, headers):
    """A DFS request signed with Shared Key (the SDK has no Path Lease call)."""
    parts = urllib.parse.urlsplit(url)
    headers = dict(headers, **{"x-ms-date": email.utils.formatdate(usegmt=True), "x-ms-version": "2021-12-02"})
    if method in ("POST", "PUT"):
        headers["Content-Length"] = "0"
    headers["Authorization"] = SharedKeySigner(DEV_ACCOUNT, DEV_KEY).sign(method, path, "", headers)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_dfs_path_lease_binds_the_blob_api(gen2, filesystem):
    f = filesystem.get_file_client("dfs leased.txt")
    f.upload_data(b"x", overwrite=True)
    path = f"/{DEV_ACCOUNT}/{filesystem.file_system_name}/dfs%20leased.txt"
    lease_id = str(uuid.uuid4())
    status, headers, _ = _dfs(gen2.url, "POST", path, {"x-ms-lease-action": "acquire", "x-ms-lease-duration": "-1",
                                                      "x-ms-proposed-lease-id": lease_id.replace("-", "")})
    assert status == 201 and headers["x-ms-lease-id"] == lease_id
    assert re.match(r'^"0x[0-9A-F]+"$', headers["etag"])
    assert f.get_file_properties().lease.state == "leased"
    with pytest.raises(HttpResponseError) as e:
        f.set_metadata({"a": "b"})
    assert _code(e) == "LeaseIdMissing"

    status, headers, body = _dfs(gen2.url, "POST", path, {"x-ms-lease-action": "release",
                                                         "x-ms-lease-id": str(uuid.uuid4())})
    assert status == 409 and headers["x-ms-error-code"] == "LeaseIdMismatchWithLeaseOperation"
    assert b'"code":"LeaseIdMismatchWithLeaseOperation"' in body
    status, headers, _ = _dfs(gen2.url, "POST", path, {"x-ms-lease-action": "break", "x-ms-lease-break-period": "0"})
    assert (status, headers["x-ms-lease-time"]) == (202, "0")
    assert f.get_file_properties().lease.state == "broken"
    status, headers, _ = _dfs(gen2.url, "POST", path + "-missing", {"x-ms-lease-action": "acquire",
                                                                   "x-ms-lease-duration": "15"})
    assert (status, headers["x-ms-error-code"]) == (404, "PathNotFound")
    status, headers, _ = _dfs(gen2.url, "POST", path, {"x-ms-lease-action": "acquire", "x-ms-lease-duration": "5"})
    assert (status, headers["x-ms-error-code"]) == (400, "InvalidHeaderValue")


class _Restartable:
    """The emulator on a data directory that outlives the process."""

    def __init__(self, data):
        self.process = subprocess.Popen([lakeshift_binary(), "emulate", "gen2", "--listen", "127.0.0.1:0", "--data",
                                         str(data)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        match = re.search(r"(https?://\S+)", self.process.stdout.readline())
        if not match:
            self.process.kill()
            raise RuntimeError(f"emulator did not start: {self.process.stderr.read()}")
        self.url = match.group(1)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        finally:
            if self.process.poll() is None:
                self.process.kill()


def test_leases_survive_a_restart(tmp_path):
    emulator = _Restartable(tmp_path)
    try:
        fs = _service(emulator.url).create_file_system("restart")
        f = fs.get_file_client("kept.txt")
        f.upload_data(b"x", overwrite=True)
        lease = f.acquire_lease(lease_duration=-1)
        fs_lease = fs.acquire_lease(lease_duration=60)
    finally:
        emulator.stop()
    emulator = _Restartable(tmp_path)
    try:
        fs = _service(emulator.url).get_file_system_client("restart")
        f = fs.get_file_client("kept.txt")
        props = f.get_file_properties()
        assert (props.lease.state, props.lease.duration) == ("leased", "infinite")
        assert fs.get_file_system_properties().lease.duration == "fixed"
        with pytest.raises(HttpResponseError) as e:
            f.set_metadata({"a": "b"})
        assert _code(e) == "LeaseIdMissing"
        DataLakeLeaseClient(f, lease_id=lease.id).release()
        f.set_metadata({"a": "b"})
        DataLakeLeaseClient(fs, lease_id=fs_lease.id).release()
        fs.delete_file_system()
    finally:
        emulator.stop()
