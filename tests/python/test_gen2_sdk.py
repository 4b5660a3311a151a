"""The official Python SDK (azure.storage.filedatalake, Debian python3-azure) against the Gen2 emulator."""
import os
import uuid

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.filedatalake import DataLakeServiceClient

AWKWARD_NAMES = ["with space.txt", "per%cent.txt", "plus+sign.txt", "hash#tag.txt", "unicode ÄÖÜ 日本語.txt",
                 "12,+3#456?.txt"]


@pytest.fixture
def service(gen2):
    return DataLakeServiceClient(account_url=gen2.url,
                                 credential={"account_name": gen2.account, "account_key": gen2.key})


@pytest.fixture
def filesystem(service):
    fs = service.create_file_system(f"fs-{uuid.uuid4().hex[:12]}")
    yield fs
    fs.delete_file_system()


def test_filesystem_lifecycle(service):
    name = f"life-{uuid.uuid4().hex[:8]}"
    fs = service.create_file_system(name, metadata={"team": "lake"})
    assert fs.get_file_system_properties().metadata == {"team": "lake"}
    with pytest.raises(ResourceExistsError):
        service.create_file_system(name)
    assert name in [f.name for f in service.list_file_systems()]
    fs.delete_file_system()
    with pytest.raises(ResourceNotFoundError):
        fs.get_file_system_properties()


def test_upload_download_and_ranges(filesystem):
    data = os.urandom(3 * 1024 * 1024 + 17)
    f = filesystem.get_file_client("dir/sub/data.bin")
    f.upload_data(data, overwrite=True)
    assert f.download_file().readall() == data
    assert f.download_file(offset=1000, length=5000).readall() == data[1000:6000]
    props = f.get_file_properties()
    assert props.size == len(data)


def test_parallel_appends_above_single_shot_threshold(filesystem):
    data = os.urandom(9 * 1024 * 1024 + 3)
    f = filesystem.get_file_client("big.bin")
    # A small chunk size and threshold force the SDK's parallel append path.
    f.upload_data(data, overwrite=True, chunk_size=1024 * 1024, max_concurrency=4)
    assert f.download_file(max_concurrency=4).readall() == data


def test_append_flush_by_hand(filesystem):
    f = filesystem.create_file("hand.txt")
    f.append_data(b"world", offset=6, length=5)
    f.append_data(b"hello ", offset=0, length=6)
    f.flush_data(11)
    assert f.download_file().readall() == b"hello world"
    with pytest.raises(HttpResponseError) as info:
        f.flush_data(20)
    assert info.value.error_code == "InvalidFlushPosition"


def test_directories_listing_and_paging(filesystem):
    for i in range(12):
        filesystem.get_file_client(f"tree/d{i % 3}/f{i:02d}").upload_data(b"x", overwrite=True)
    paths = [p.name for p in filesystem.get_paths(path="tree", recursive=True, max_results=5)]
    assert len(paths) == 15
    assert paths == sorted(paths, key=lambda p: p.split("/"))
    top = [(p.name, p.is_directory) for p in filesystem.get_paths(path="tree", recursive=False)]
    assert top == [("tree/d0", True), ("tree/d1", True), ("tree/d2", True)]


def test_rename_and_recursive_delete(filesystem):
    filesystem.get_file_client("a/b/file").upload_data(b"moved", overwrite=True)
    d = filesystem.get_directory_client("a")
    d.rename_directory(f"{filesystem.file_system_name}/renamed")
    assert filesystem.get_file_client("renamed/b/file").download_file().readall() == b"moved"
    f = filesystem.get_file_client("renamed/b/file")
    f.rename_file(f"{filesystem.file_system_name}/renamed/file2")
    assert filesystem.get_file_client("renamed/file2").download_file().readall() == b"moved"
    with pytest.raises(ResourceNotFoundError):
        filesystem.get_file_client("renamed/b/file").get_file_properties()
    filesystem.get_directory_client("renamed").delete_directory()
    with pytest.raises(ResourceNotFoundError):
        filesystem.get_directory_client("renamed").get_directory_properties()


def test_awkward_names(filesystem):
    for name in AWKWARD_NAMES:
        f = filesystem.get_file_client(f"names/{name}")
        f.upload_data(name.encode(), overwrite=True)
        assert f.download_file().readall() == name.encode()
    listed = sorted(p.name for p in filesystem.get_paths(path="names"))
    assert listed == sorted(f"names/{n}" for n in AWKWARD_NAMES)


def test_metadata_and_http_headers(filesystem):
    from azure.storage.filedatalake import ContentSettings
    f = filesystem.get_file_client("meta.txt")
    f.upload_data(b"{}", overwrite=True, metadata={"origin": "gen1"},
                  content_settings=ContentSettings(content_type="application/json"))
    props = f.get_file_properties()
    assert props.metadata == {"origin": "gen1"}
    assert props.content_settings.content_type == "application/json"
    f.set_metadata({"origin": "gen2", "k": "v"})
    assert f.get_file_properties().metadata == {"origin": "gen2", "k": "v"}


def test_acls_permissions_owner_group(filesystem):
    oid = "3883e0e8-9ad3-440d-b6f6-6ed492ae1ae7"
    d = filesystem.create_directory("secure")
    d.set_access_control(acl=f"user::rwx,group::r-x,other::---,user:{oid}:r-x,default:user:{oid}:r-x")
    acl = d.get_access_control()
    assert f"user:{oid}:r-x" in acl["acl"]
    assert "default:user:" + oid in acl["acl"]
    child = d.create_file("child.txt")
    assert f"user:{oid}:r-x" in child.get_access_control()["acl"]
    child.set_access_control(permissions="rwxr-x--T")
    assert child.get_access_control()["permissions"].startswith("rwxr-x--T")
    child.set_access_control(owner="11111111-1111-1111-1111-111111111111",
                             group="22222222-2222-2222-2222-222222222222")
    acl = child.get_access_control()
    assert acl["owner"] == "11111111-1111-1111-1111-111111111111"
    assert acl["group"] == "22222222-2222-2222-2222-222222222222"


def test_shared_key_paths_are_owned_by_superuser_with_umask(filesystem):
    f = filesystem.create_file("owned.txt")
    acl = f.get_access_control()
    assert acl["owner"] == "$superuser" and acl["group"] == "$superuser"
    assert acl["permissions"] == "rw-r-----"
    d = filesystem.create_directory("owned-dir")
    assert d.get_access_control()["permissions"] == "rwxr-x---"


def test_create_if_not_exists_semantics(filesystem):
    f = filesystem.get_file_client("once.txt")
    f.create_file()
    with pytest.raises(ResourceExistsError) as info:
        f.create_file(match_condition=MatchConditions.IfMissing)
    assert info.value.error_code == "PathAlreadyExists"


def test_expiry(filesystem):
    f = filesystem.create_file("expiring.txt")
    f.set_file_expiry("NeverExpire")
    f.set_file_expiry("RelativeToNow", expires_on=3600 * 1000)
    assert f.get_file_properties().expiry_time is not None


def test_bad_shared_key_is_rejected(gen2):
    wrong = DataLakeServiceClient(account_url=gen2.url,
                                  credential={"account_name": gen2.account, "account_key": "d3Jvbmcga2V5"})
    with pytest.raises(HttpResponseError) as info:
        wrong.create_file_system(f"nope-{uuid.uuid4().hex[:8]}")
    assert info.value.status_code == 403
    assert info.value.error_code == "AuthenticationFailed"


def test_file_system_sas_grants_exactly_its_permissions(gen2, filesystem):
    from datetime import datetime, timedelta, timezone
    from azure.storage.filedatalake import FileSystemSasPermissions, FileSystemClient, generate_file_system_sas
    filesystem.get_file_client("shared/readme.txt").upload_data(b"read me", overwrite=True)
    expiry = datetime.now(timezone.utc) + timedelta(hours=1)
    read_list = generate_file_system_sas(gen2.account, filesystem.file_system_name, credential=gen2.key,
                                         permission=FileSystemSasPermissions(read=True, list=True), expiry=expiry)
    reader = FileSystemClient(gen2.url, filesystem.file_system_name, credential=read_list)
    assert reader.get_file_client("shared/readme.txt").download_file().readall() == b"read me"
    assert [p.name for p in reader.get_paths(path="shared")] == ["shared/readme.txt"]
    with pytest.raises(HttpResponseError) as info:
        reader.get_file_client("shared/new.txt").upload_data(b"no", overwrite=True)
    assert info.value.status_code == 403
    assert info.value.error_code == "AuthorizationPermissionMismatch"
    tampered = read_list.replace("sp=rl", "sp=rwl")
    with pytest.raises(HttpResponseError) as info:
        FileSystemClient(gen2.url, filesystem.file_system_name,
                         credential=tampered).get_file_client("shared/readme.txt").download_file()
    assert info.value.error_code == "AuthenticationFailed"


def test_account_sas_and_expired_sas(gen2):
    from datetime import datetime, timedelta, timezone
    from azure.storage.filedatalake import AccountSasPermissions, ResourceTypes, generate_account_sas
    now = datetime.now(timezone.utc)
    sas = generate_account_sas(gen2.account, gen2.key, ResourceTypes(service=True, file_system=True, object=True),
                               AccountSasPermissions(read=True, write=True, list=True, create=True, delete=True),
                               expiry=now + timedelta(hours=1))
    service = DataLakeServiceClient(gen2.url, credential=sas)
    fs = service.create_file_system(f"sas-{uuid.uuid4().hex[:8]}")
    fs.get_file_client("a.txt").upload_data(b"via account sas", overwrite=True)
    assert fs.get_file_client("a.txt").download_file().readall() == b"via account sas"
    fs.delete_file_system()
    expired = generate_account_sas(gen2.account, gen2.key, ResourceTypes(service=True), AccountSasPermissions(list=True),
                                   expiry=now - timedelta(minutes=5))
    with pytest.raises(HttpResponseError) as info:
        list(DataLakeServiceClient(gen2.url, credential=expired).list_file_systems())
    assert info.value.error_code == "AuthenticationFailed"


def test_https_with_a_given_certificate(gen2_tls):
    assert gen2_tls.url.startswith("https://")
    service = DataLakeServiceClient(gen2_tls.url, credential={"account_name": gen2_tls.account,
                                                              "account_key": gen2_tls.key},
                                    connection_verify=gen2_tls.cert)
    fs = service.create_file_system(f"tls-{uuid.uuid4().hex[:8]}")
    fs.get_file_client("secure.bin").upload_data(b"over tls", overwrite=True)
    assert fs.get_file_client("secure.bin").download_file().readall() == b"over tls"
    fs.delete_file_system()
