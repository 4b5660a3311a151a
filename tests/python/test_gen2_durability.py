"""The Gen2 emulator keeps everything across restarts, loses no flushed file when killed with SIGKILL in the
middle of uploads, and injects the faults other components' tests ask for (--faults)."""
import hashlib
import os
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

from azure.storage.filedatalake import DataLakeServiceClient
from azure.storage.filedatalake import LinearRetry

from conftest import Gen2Emulator, lakeshift_binary


def service_for(emulator, **kwargs):
    return DataLakeServiceClient(account_url=emulator.url,
                                 credential={"account_name": emulator.account, "account_key": emulator.key}, **kwargs)


def test_everything_survives_a_restart():
    with tempfile.TemporaryDirectory(prefix="lakeshift-restart-") as data:
        first = Gen2Emulator(data_dir=data)
        try:
            fs = service_for(first).create_file_system("keep", metadata={"team": "lake"})
            d = fs.create_directory("dir one")
            d.set_access_control(acl="user::rwx,user:a11ce000-0000-4000-8000-000000000001:r-x,group::r-x,other::---")
            big = os.urandom(5 * 1024 * 1024 + 3)
            f = d.create_file("big.bin")
            f.upload_data(big, overwrite=True, metadata={"origin": "gen1"})
            fs.create_file("empty.txt")
            fs.create_directory("empty dir")
        finally:
            first.stop()
        second = Gen2Emulator(data_dir=data)
        try:
            fs = service_for(second).get_file_system_client("keep")
            assert fs.get_file_system_properties().metadata == {"team": "lake"}
            assert sorted(p.name for p in fs.get_paths()) == ["dir one", "dir one/big.bin", "empty dir", "empty.txt"]
            f = fs.get_file_client("dir one/big.bin")
            assert f.download_file().readall() == big
            assert f.get_file_properties().metadata == {"origin": "gen1"}
            acl = fs.get_directory_client("dir one").get_access_control()["acl"]
            assert "user:a11ce000-0000-4000-8000-000000000001:r-x" in acl
        finally:
            second.stop()


def test_flushed_files_are_intact_after_kill_9_during_uploads():
    with tempfile.TemporaryDirectory(prefix="lakeshift-kill9-") as data:
        first = Gen2Emulator(data_dir=data)
        fs = service_for(first, retry_total=0).create_file_system("crash")
        finished = {}  # name -> sha256 of what was flushed
        lock = threading.Lock()
        stop = threading.Event()

        def uploader(worker):
            n = 0
            while not stop.is_set():
                name = f"w{worker}/file-{n}.bin"
                payload = os.urandom(256 * 1024 + worker * 1000 + n)
                try:
                    f = fs.get_file_client(name)
                    f.create_file()
                    f.append_data(payload[:100000], offset=0, length=100000)
                    f.append_data(payload[100000:], offset=100000, length=len(payload) - 100000)
                    f.flush_data(len(payload))
                except Exception:  # the emulator died under us
                    return
                with lock:
                    finished[name] = hashlib.sha256(payload).hexdigest()
                n += 1

        threads = [threading.Thread(target=uploader, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        deadline = time.time() + 60
        while time.time() < deadline:
            with lock:
                if len(finished) >= 40:
                    break
            time.sleep(0.02)
        first.process.kill()  # SIGKILL, mid-upload
        first.process.wait()
        stop.set()
        for t in threads:
            t.join()
        with lock:
            completed = dict(finished)
        assert len(completed) >= 40

        check = subprocess.run([lakeshift_binary(), "store", "--data", os.path.join(data, "filesystems", "crash"),
                                "check"], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr

        second = Gen2Emulator(data_dir=data)
        try:
            fs = service_for(second).get_file_system_client("crash")
            for name, digest in completed.items():
                assert hashlib.sha256(fs.get_file_client(name).download_file().readall()).hexdigest() == digest, name
            # A file whose flush never returned shows no half-written data: it is empty or was flushed whole.
            for path in fs.get_paths(recursive=True):
                if path.is_directory or path.name in completed:
                    continue
                assert path.content_length in (0, 256 * 1024 + int(path.name.split("/")[0][1:]) * 1000 +
                                               int(path.name.split("-")[-1].split(".")[0])), path.name
        finally:
            second.stop()
        first.data.cleanup()


def test_injected_faults_are_retried_by_the_sdk():
    emulator = Gen2Emulator(extra_args=["--faults", "error=0.3,status=503,retry-after=1,drop=0.05,seed=7"])
    try:
        # Raw view: some answers are 503 ServerBusy with Retry-After, as asked.
        statuses = []
        for _ in range(60):
            try:
                urllib.request.urlopen(emulator.url + "?comp=list", timeout=10)
                statuses.append(200)
            except urllib.error.HTTPError as e:
                statuses.append(e.code)
                if e.code == 503:
                    assert e.headers["x-ms-error-code"] == "ServerBusy"
                    assert e.headers["Retry-After"] == "1"
            except (urllib.error.URLError, ConnectionError):
                statuses.append("dropped")
        assert 503 in statuses and "dropped" in statuses
        # The SDK's retries get every operation through.
        service = service_for(emulator, retry_policy=LinearRetry(
        backoff=0.01, random_jitter_range=0, retry_total=30, retry_status=30, retry_connect=30, retry_read=30))
        fs = service.create_file_system(f"faulty-{uuid.uuid4().hex[:6]}")
        data = os.urandom(64 * 1024)
        for i in range(10):
            fs.get_file_client(f"f{i}").upload_data(data, overwrite=True)
        for i in range(10):
            assert fs.get_file_client(f"f{i}").download_file().readall() == data
    finally:
        emulator.stop()


def test_bad_fault_spec_is_a_clear_error():
    with tempfile.TemporaryDirectory() as data:
        r = subprocess.run([lakeshift_binary(), "emulate", "gen2", "--data", data, "--faults", "error=3"],
                           capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "error=3 must be a fraction from 0 to 1" in r.stderr
