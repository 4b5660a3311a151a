"""Block blobs (Put Block, Put Block List, Get Block List) and List Blobs on the Gen2 emulator, driven by the
official SDK (azure.storage.blob), and files crossing between the Blob and DFS APIs (azure.storage.filedatalake)."""
import base64
import hashlib
import os
import re
import subprocess
import tempfile
import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceModifiedError
from azure.storage.blob import BlobBlock, BlobServiceClient, BlockState, ContentSettings
from azure.storage.filedatalake import DataLakeServiceClient

from conftest import DEV_ACCOUNT, DEV_KEY, lakeshift_binary

BLOCK = 4 * 1024  # small blocks, so that uploads of a few KiB go through stage_block + commit_block_list


def credential():
    return {"account_name": DEV_ACCOUNT, "account_key": DEV_KEY}


def blob_service(url):
    return BlobServiceClient(url, credential=credential(), max_block_size=BLOCK, max_single_put_size=2 * BLOCK)


@pytest.fixture(scope="module")
def blob(gen2):
    return blob_service(gen2.url)


@pytest.fixture(scope="module")
def dfs(gen2):
    return DataLakeServiceClient(gen2.url, credential=credential())


@pytest.fixture
def container(blob):
    client = blob.create_container("blk" + uuid.uuid4().hex[:12])
    yield client
    client.delete_container()


def error_code(excinfo):
    return excinfo.value.error_code


def test_chunked_upload_stages_blocks_and_commits(container, dfs):
    data = os.urandom(50_000)
    client = container.get_blob_client("dir/sub/chunked.bin")
    client.upload_blob(data, max_concurrency=4, metadata={"origin": "test"},
                       content_settings=ContentSettings(content_type="application/x-test"))
    committed, uncommitted = client.get_block_list("all")
    assert len(committed) == -(-len(data) // BLOCK)
    assert sum(b.size for b in committed) == len(data)
    assert uncommitted == []
    props = client.get_blob_properties()
    assert props.size == len(data)
    assert props.content_settings.content_type == "application/x-test"
    assert props.metadata == {"origin": "test"}
    assert client.download_blob().readall() == data
    # The parents appeared at commit, as directories, and DFS reads the same bytes.
    fs = dfs.get_file_system_client(container.container_name)
    assert fs.get_directory_client("dir/sub").get_directory_properties().metadata.get("hdi_isfolder") == "true"
    assert fs.get_file_client("dir/sub/chunked.bin").download_file().readall() == data


def test_stage_then_commit_and_reuse_committed_blocks(container):
    client = container.get_blob_client("staged.txt")
    client.stage_block("block-1", b"hello ")
    client.stage_block("block-2", b"world")
    client.stage_block("block-2", b"WORLD")  # restaging an id replaces the block
    assert not client.exists()  # nothing is visible before the commit
    _, uncommitted = client.get_block_list("uncommitted")
    assert [(b.id, b.size) for b in uncommitted] == [("block-1", 6), ("block-2", 5)]

    client.commit_block_list([BlobBlock("block-2"), BlobBlock("block-1")])
    assert client.download_blob().readall() == b"WORLDhello "
    committed, uncommitted = client.get_block_list("all")
    assert [(b.id, b.size) for b in committed] == [("block-2", 5), ("block-1", 6)]
    assert uncommitted == []

    # A new version made of a committed block and a new one; the old block bytes come from the blob.
    client.stage_block("block-3", b"!")
    client.commit_block_list([BlobBlock("block-1", state=BlockState.Committed),
                              BlobBlock("block-3", state=BlockState.Uncommitted)],
                             metadata={"v": "2"})
    assert client.download_blob().readall() == b"hello !"
    committed, _ = client.get_block_list()
    assert [(b.id, b.size) for b in committed] == [("block-1", 6), ("block-3", 1)]
    assert client.get_blob_properties().metadata == {"v": "2"}

    # Metadata changes keep the block list; an empty list makes an empty blob.
    client.set_blob_metadata({"v": "3"})
    assert [b.id for b in client.get_block_list()[0]] == ["block-1", "block-3"]
    client.commit_block_list([])
    assert client.download_blob().readall() == b""


def test_block_errors(container, dfs):
    client = container.get_blob_client("errors.bin")
    client.stage_block("aaaa", b"x")
    with pytest.raises(HttpResponseError) as excinfo:
        client.stage_block("longer-id", b"x")  # ids of one blob share one length
    assert error_code(excinfo) == "InvalidBlobOrBlock"
    with pytest.raises(HttpResponseError) as excinfo:
        client.commit_block_list([BlobBlock("bbbb")])
    assert error_code(excinfo) == "InvalidBlockList"
    wrong_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(HttpResponseError) as excinfo:
        client.stage_block("cccc", b"x", headers={"Content-MD5": wrong_md5})
    assert error_code(excinfo) == "Md5Mismatch"
    assert [b.id for b in client.get_block_list("uncommitted")[1]] == ["aaaa"]

    client.commit_block_list([BlobBlock("aaaa")])
    etag = client.get_blob_properties().etag
    client.stage_block("dddd", b"y")
    with pytest.raises(ResourceModifiedError):
        client.commit_block_list([BlobBlock("dddd")], if_match="0x8D0000000000000")
    assert client.download_blob().readall() == b"x"  # a refused commit changes nothing
    assert client.get_blob_properties().etag == etag

    # A file written through DFS has no block list; its blocks cannot be reused, but it can be replaced.
    fs = dfs.get_file_system_client(container.container_name)
    fs.get_file_client("dfs.txt").upload_data(b"through dfs", overwrite=True)
    dfs_blob = container.get_blob_client("dfs.txt")
    committed, uncommitted = dfs_blob.get_block_list("all")
    assert committed == [] and uncommitted == []
    with pytest.raises(HttpResponseError) as excinfo:
        dfs_blob.commit_block_list([BlobBlock("eeee", state=BlockState.Committed)])
    assert error_code(excinfo) == "BlobOperationNotSupported"
    dfs_blob.stage_block("ffff", b"replaced")
    dfs_blob.commit_block_list([BlobBlock("ffff")])
    assert fs.get_file_client("dfs.txt").download_file().readall() == b"replaced"

    # Deleting a blob drops its staged blocks too.
    gone = container.get_blob_client("gone.txt")
    gone.upload_blob(b"v1")
    gone.stage_block("gggg", b"staged")
    gone.delete_blob()
    with pytest.raises(HttpResponseError) as excinfo:
        gone.get_block_list("all")
    assert excinfo.value.status_code == 404


def test_blob_and_dfs_see_the_same_files(container, dfs):
    fs = dfs.get_file_system_client(container.container_name)
    fs.get_file_client("x/from-dfs.bin").upload_data(b"d" * 20_000, overwrite=True)
    assert container.get_blob_client("x/from-dfs.bin").download_blob().readall() == b"d" * 20_000
    data = os.urandom(30_000)
    container.get_blob_client("x/y/from-blob.bin").upload_blob(data)
    assert fs.get_file_client("x/y/from-blob.bin").download_file().readall() == data
    paths = {p.name: p for p in fs.get_paths(recursive=True)}
    assert paths["x/y"].is_directory
    assert paths["x/y/from-blob.bin"].content_length == len(data)
    # A rename through DFS keeps the blob's block list.
    blocks_before = container.get_blob_client("x/y/from-blob.bin").get_block_list()[0]
    fs.get_file_client("x/y/from-blob.bin").rename_file(f"{container.container_name}/x/renamed.bin")
    blocks_after = container.get_blob_client("x/renamed.bin").get_block_list()[0]
    assert [(b.id, b.size) for b in blocks_after] == [(b.id, b.size) for b in blocks_before]


def make_walk_tree(container, dfs):
    for name in ["walk/a.txt", "walk/b/c.txt", "walk/b/d/e.txt", "walk/b-x.txt", "walkable.txt"]:
        container.get_blob_client(name).upload_blob(name.encode())
    dfs.get_file_system_client(container.container_name).create_directory("walk/empty")


def test_list_blobs_in_namespace_order(container, dfs):
    make_walk_tree(container, dfs)
    # HNS order: a directory, then its subtree; directories are blobs with hdi_isfolder=true.
    expected = ["walk/a.txt", "walk/b", "walk/b/c.txt", "walk/b/d", "walk/b/d/e.txt", "walk/b-x.txt", "walk/empty"]
    listed = list(container.list_blobs(name_starts_with="walk/", include=["metadata"]))
    assert [b.name for b in listed] == expected
    by_name = {b.name: b for b in listed}
    assert by_name["walk/b"].metadata == {"hdi_isfolder": "true"}
    assert by_name["walk/b"].size == 0
    assert by_name["walk/a.txt"].size == len("walk/a.txt")
    assert not by_name["walk/a.txt"].metadata
    assert [b.name for b in container.list_blobs(name_starts_with="walk/b")] == expected[1:6]
    assert [b.name for b in container.list_blobs(name_starts_with="walk")] == ["walk"] + expected + ["walkable.txt"]
    assert list(container.list_blobs(name_starts_with="nothing/")) == []
    assert list(container.list_blobs(name_starts_with="walk/a.txt/")) == []

    # Paging gives the same list, page by page.
    pages = [[b.name for b in page] for page in container.list_blobs(name_starts_with="walk/",
                                                                       results_per_page=2).by_page()]
    assert [len(p) for p in pages] == [2, 2, 2, 1]
    assert sum(pages, []) == expected


def test_walk_blobs_with_delimiter(container, dfs):
    make_walk_tree(container, dfs)

    # The SDK puts each page's prefixes before its blobs, so entries are compared as sets of (kind, name).
    def walk(prefix="walk/", **kwargs):
        items = [(type(item).__name__, item.name) for item in container.walk_blobs(name_starts_with=prefix, **kwargs)]
        assert len(items) == len(set(items)), "no entry may come twice"
        return sorted(items)

    # With "/" a directory is listed as its blob and as a prefix.
    expected = sorted([("BlobProperties", "walk/a.txt"), ("BlobProperties", "walk/b"), ("BlobPrefix", "walk/b/"),
                       ("BlobProperties", "walk/b-x.txt"), ("BlobProperties", "walk/empty"),
                       ("BlobPrefix", "walk/empty/")])
    assert walk() == expected
    for per_page in (1, 2, 3):  # pages may end between a directory's blob and its prefix
        assert walk(results_per_page=per_page) == expected
    with_dash = sorted([("BlobProperties", "walk/a.txt"), ("BlobProperties", "walk/b"),
                        ("BlobProperties", "walk/b/c.txt"), ("BlobProperties", "walk/b/d"),
                        ("BlobProperties", "walk/b/d/e.txt"), ("BlobPrefix", "walk/b-"),
                        ("BlobProperties", "walk/empty")])
    assert walk(delimiter="-") == with_dash
    assert walk(delimiter="-", results_per_page=1) == with_dash
    assert walk("walk/b/") == sorted([("BlobProperties", "walk/b/c.txt"), ("BlobProperties", "walk/b/d"),
                                      ("BlobPrefix", "walk/b/d/")])


class RestartableEmulator:
    """An emulator process on a data directory that outlives it, to show that staged blocks survive a restart."""

    def __init__(self, data):
        self.data = data
        self.process = None
        self.url = None

    def start(self):
        self.process = subprocess.Popen([lakeshift_binary(), "emulate", "gen2", "--listen", "127.0.0.1:0", "--data",
                                         self.data], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        match = re.search(r"(https?://\S+)", self.process.stdout.readline())
        assert match, "emulator did not start"
        self.url = match.group(1)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)


def test_staged_blocks_survive_a_restart():
    with tempfile.TemporaryDirectory(prefix="lakeshift-blocks-") as data:
        emulator = RestartableEmulator(data)
        emulator.start()
        try:
            container = blob_service(emulator.url).create_container("restart")
            container.get_blob_client("f.txt").stage_block("one", b"before restart ")
        finally:
            emulator.stop()
        emulator.start()
        try:
            client = blob_service(emulator.url).get_container_client("restart").get_blob_client("f.txt")
            client.stage_block("two", b"and after")
            client.commit_block_list([BlobBlock("one"), BlobBlock("two")])
            assert client.download_blob().readall() == b"before restart and after"
        finally:
            emulator.stop()
        # The commit dropped the staged block files.
        block_files = [f for _, _, files in os.walk(os.path.join(data, "filesystems", "restart", "blocks", "data"))
                       for f in files]
        assert block_files == []
