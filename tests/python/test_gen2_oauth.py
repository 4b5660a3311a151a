"""OAuth against the Gen2 emulator with the official SDKs: azure-identity gets tokens from the local identity
provider (`lakeshift emulate`), azure.storage.filedatalake uses them, and the emulator checks every request
against the ACLs with the Gen2 rules. Denials must be exactly where the ACLs say."""
import json
import time
import urllib.parse
import urllib.request
import ssl
import uuid

import jwt
import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.storage.filedatalake import DataLakeServiceClient

from conftest import LocalEmulators

GROUP = "6b0f3d2e-1c4a-4e5b-9f7d-2a8c1e3b5d40"


def principal(object_id, groups=(), superuser=False):
    return {"client_id": str(uuid.uuid4()), "client_secret": "secret-" + object_id[:8], "object_id": object_id,
            "groups": list(groups), "superuser": superuser}


PRINCIPALS = {
    "alice": principal("a11ce000-0000-4000-8000-000000000001"),            # owner of the test tree
    "bob": principal("b0b00000-0000-4000-8000-000000000002"),              # named user in the ACLs
    "carol": principal("ca401000-0000-4000-8000-000000000003", [GROUP]),   # member of the owning group
    "dave": principal("da4e0000-0000-4000-8000-000000000004"),             # everybody else
    "erin": principal("e4140000-0000-4000-8000-000000000005", superuser=True),
}


@pytest.fixture(scope="module")
def emulators():
    e = LocalEmulators(principals=PRINCIPALS)
    yield e
    e.stop()


def client_for(emulators, name):
    if name == "admin":
        p = emulators.info["admin"]
    else:
        p = PRINCIPALS[name]
    credential = emulators.credential(p["client_id"], p["client_secret"])
    return DataLakeServiceClient(emulators.info["gen2"]["url"], credential=credential,
                                 connection_verify=emulators.ca_file)


class FixedToken:
    """A credential that always hands out one given token (to send bad tokens through the SDK)."""

    def __init__(self, token):
        self.token = token

    def get_token(self, *scopes, **kwargs):
        return AccessToken(self.token, int(time.time()) + 3600)


def oid(name):
    return PRINCIPALS[name]["object_id"]


@pytest.fixture(scope="module")
def tree(emulators):
    """The admin builds, with explicit ACLs:
      /            other may traverse
      /proj        owner alice, group GROUP: user::rwx,user:bob:r-x,group::r-x,other::---
      /proj/data.txt          user::rw-,user:bob:rw-,group::r--,mask::rw-,other::---
      /proj/open/readme.txt   other::r-- but /proj denies others traverse
      /pub         other::r-x (dave may list, not create)
      /tmp         rwxrwxrwt (sticky)
    """
    admin = client_for(emulators, "admin")
    name = f"matrix-{uuid.uuid4().hex[:8]}"
    fs = admin.create_file_system(name)
    root = fs.get_directory_client("/")
    root.set_access_control(acl="user::rwx,group::r-x,other::--x")
    proj = fs.create_directory("proj")
    proj.set_access_control(owner=oid("alice"), group=GROUP)
    proj.set_access_control(acl=f"user::rwx,user:{oid('bob')}:r-x,group::r-x,mask::r-x,other::---")
    data = proj.create_file("data.txt")
    data.upload_data(b"payload", overwrite=True)
    data.set_access_control(owner=oid("alice"), group=GROUP)
    data.set_access_control(acl=f"user::rw-,user:{oid('bob')}:rw-,group::r--,mask::rw-,other::---")
    open_dir = proj.create_sub_directory("open")
    open_dir.set_access_control(acl="user::rwx,group::r-x,other::r-x")
    readme = open_dir.create_file("readme.txt")
    readme.upload_data(b"readme", overwrite=True)
    readme.set_access_control(acl="user::rw-,group::r--,other::r--")
    pub = fs.create_directory("pub")
    pub.set_access_control(acl="user::rwx,group::r-x,other::r-x")
    tmp = fs.create_directory("tmp")
    tmp.set_access_control(permissions="rwxrwxrwt")
    return name


def attempt(action):
    """'allow' when the call succeeds, 'deny' on 403 AuthorizationPermissionMismatch; anything else fails."""
    try:
        action()
        return "allow"
    except HttpResponseError as e:
        if e.status_code == 403 and e.error_code == "AuthorizationPermissionMismatch":
            return "deny"
        raise


OPERATIONS = {
    "read": lambda fs: fs.get_file_client("proj/data.txt").download_file().readall(),
    "write": lambda fs: fs.get_file_client("proj/data.txt").append_data(b"x", offset=7, length=1),
    "list": lambda fs: list(fs.get_paths("proj")),
    "create": lambda fs: fs.get_file_client(f"proj/new-{uuid.uuid4().hex[:6]}").create_file(),
    "set_acl": lambda fs: fs.get_file_client("proj/data.txt").set_access_control(
        acl=f"user::rw-,user:{oid('bob')}:rw-,group::r--,mask::rw-,other::---"),
    "chown": lambda fs: fs.get_file_client("proj/data.txt").set_access_control(owner=oid("carol")),
    "read_below_untraversable": lambda fs: fs.get_file_client("proj/open/readme.txt").download_file().readall(),
    "list_pub": lambda fs: list(fs.get_paths("pub")),
    "create_in_pub": lambda fs: fs.get_file_client(f"pub/new-{uuid.uuid4().hex[:6]}").create_file(),
}

# Who may do what, from the ACLs above: the owner by user::, bob by his named entry (limited by the mask),
# carol by group:: (limited by the mask), dave by other::, superusers always. chown needs a superuser.
EXPECTED = {
    #         read     write    list     create   set_acl  chown    below    list_pub create_in_pub
    "alice": ("allow", "allow", "allow", "allow", "allow", "deny", "allow", "allow", "deny"),
    "bob": ("allow", "allow", "allow", "deny", "deny", "deny", "allow", "allow", "deny"),
    "carol": ("allow", "deny", "allow", "deny", "deny", "deny", "allow", "allow", "deny"),
    "dave": ("deny", "deny", "deny", "deny", "deny", "deny", "deny", "allow", "deny"),
    "erin": ("allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow"),
    "admin": ("allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow"),
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_permission_matrix(emulators, tree, who):
    fs = client_for(emulators, who).get_file_system_client(tree)
    got = tuple(attempt(lambda: op(fs)) for op in OPERATIONS.values())
    # Give data.txt back to alice when the chown went through.
    client_for(emulators, "admin").get_file_system_client(tree).get_file_client("proj/data.txt").set_access_control(
        owner=oid("alice"))
    assert dict(zip(OPERATIONS, got)) == dict(zip(OPERATIONS, EXPECTED[who]))


def test_new_paths_belong_to_the_caller_and_the_parents_group(emulators, tree):
    fs = client_for(emulators, "alice").get_file_system_client(tree)
    f = fs.get_file_client(f"proj/owned-{uuid.uuid4().hex[:6]}")
    f.create_file()
    acl = f.get_access_control()
    assert acl["owner"] == oid("alice")
    assert acl["group"] == GROUP  # inherited from /proj, not alice's own
    assert acl["permissions"] == "rw-r-----"  # 0666 with the default umask 0027


def test_sticky_bit_protects_other_users_files(emulators, tree):
    alice = client_for(emulators, "alice").get_file_system_client(tree)
    bob = client_for(emulators, "bob").get_file_system_client(tree)
    name = f"tmp/alice-{uuid.uuid4().hex[:6]}"
    alice.get_file_client(name).create_file()
    assert attempt(lambda: bob.get_file_client(name).delete_file()) == "deny"
    mine = f"tmp/bob-{uuid.uuid4().hex[:6]}"
    bob.get_file_client(mine).create_file()
    assert attempt(lambda: bob.get_file_client(mine).delete_file()) == "allow"
    assert attempt(lambda: alice.get_file_client(name).delete_file()) == "allow"


def test_recursive_acl_change_reports_the_paths_the_caller_may_not_change(emulators, tree):
    bob = client_for(emulators, "bob").get_directory_client(tree, "proj")
    result = bob.update_access_control_recursive(acl=f"user:{oid('dave')}:r-x")
    assert result.counters.failure_count >= 1
    assert result.counters.directories_successful == 0 and result.counters.files_successful == 0
    admin = client_for(emulators, "admin").get_directory_client(tree, "proj")
    assert oid("dave") not in admin.get_access_control()["acl"]


def fetch_token(emulators, principal_entry, resource):
    """A v1 client-credentials token for any resource, straight from the token endpoint."""
    body = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": principal_entry["client_id"],
                                   "client_secret": principal_entry["client_secret"], "resource": resource}).encode()
    context = ssl.create_default_context(cafile=emulators.ca_file)
    with urllib.request.urlopen(emulators.info["identity"]["token_url_v1"], data=body, context=context) as r:
        return json.load(r)["access_token"]


def expect_401(emulators, token, detail_fragment):
    client = DataLakeServiceClient(emulators.info["gen2"]["url"], credential=FixedToken(token),
                                   connection_verify=emulators.ca_file)
    with pytest.raises(HttpResponseError) as e:
        list(client.list_file_systems())
    assert e.value.status_code == 401
    assert e.value.error_code == "InvalidAuthenticationInfo"
    assert e.value.response.headers["WWW-Authenticate"].startswith("Bearer authorization_uri=https://")
    assert detail_fragment in e.value.response.headers.get("x-lakeshift-detail", "")


def test_tokens_for_another_audience_are_refused(emulators):
    token = fetch_token(emulators, emulators.info["admin"], "https://datalake.azure.net/")
    expect_401(emulators, token, "Audience validation failed")


def test_expired_and_forged_tokens_are_refused(emulators):
    good = fetch_token(emulators, emulators.info["admin"], "https://storage.azure.com/")
    claims = jwt.decode(good, options={"verify_signature": False})
    header = jwt.get_unverified_header(good)
    with open(f"{emulators.data.name}/identity/signing-key.pem", "rb") as f:
        key = f.read()
    claims.update(iat=int(time.time()) - 7200, nbf=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    expired = jwt.encode(claims, key, algorithm="RS256", headers={"kid": header["kid"]})
    expect_401(emulators, expired, "Lifetime validation failed")
    head, payload, signature = good.split(".")
    forged = ".".join([head, payload, ("A" if signature[0] != "A" else "B") + signature[1:]])
    expect_401(emulators, forged, "Signature validation failed")
