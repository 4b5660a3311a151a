// Table-driven tests for access checks, ownership rules and inheritance (access.h) under the Gen1, Gen2 and
// POSIX policies.

#include "acl/access.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lakeshift::acl {
namespace {

AclState MakeState(const std::string& spec, const std::string& owner = "owner", const std::string& group = "staff") {
  AclState state;
  state.owner = owner;
  state.group = group;
  Result<std::vector<AclEntry>> entries = ParseAclSpec(spec);
  EXPECT_TRUE(entries.ok()) << spec << ": " << entries.status();
  if (!entries.ok()) return state;
  for (const AclEntry& e : *entries) (e.scope == Scope::kAccess ? state.access : state.default_acl).push_back(e);
  return state;
}

Caller User(std::string name, std::vector<std::string> groups = {}) {
  return Caller{std::move(name), std::move(groups)};
}

// ---- HasAccess -------------------------------------------------------------------------------------------

struct AccessCase {
  std::string name;
  std::string acl;
  Caller caller;
  std::string wanted;  // "rw-"
  bool microsoft;      // Gen1 and Gen2 (Microsoft's documented algorithm)
  bool posix;
};

const std::vector<AccessCase> kAccessCases = {
    {"superuser bypasses everything", "user::---,group::---,other::---", Caller::Superuser(), "rwx", true, true},
    {"owner: the mask does not apply", "user::rwx,user:bob:r--,group::---,mask::---,other::---", User("owner"), "rwx",
     true, true},
    {"owner: own bits only, no fall-through to group or other", "user::r--,group::rwx,other::rwx",
     User("owner", {"staff"}), "-w-", false, false},
    {"named user: entry & mask allows", "user::rwx,user:bob:rwx,group::---,mask::r-x,other::---", User("bob"), "r-x",
     true, true},
    {"named user: entry & mask denies", "user::rwx,user:bob:rwx,group::---,mask::r-x,other::---", User("bob"), "-w-",
     false, false},
    {"named user: wins over the caller's groups", "user::rwx,user:bob:---,group::rwx,mask::rwx,other::rwx",
     User("bob", {"staff"}), "r--", false, false},
    {"owning group: minimal ACL", "user::rwx,group::r-x,other::---", User("carol", {"staff"}), "r-x", true, true},
    {"owning group: lacks w", "user::rwx,group::r-x,other::rwx", User("carol", {"staff"}), "-w-", false, false},
    {"owning group: masked", "user::rwx,user:x:rwx,group::rwx,mask::r--,other::---", User("carol", {"staff"}), "-w-",
     false, false},
    {"named group: masked", "user::rwx,group::---,group:eng:rwx,mask::r--,other::---", User("dave", {"eng"}), "r--",
     true, true},
    {"groups: union (Microsoft) vs a single entry (POSIX)", "user::rwx,group::r--,group:eng:-w-,mask::rwx,other::---",
     User("dave", {"staff", "eng"}), "rw-", true, false},
    {"groups: one entry suffices under both", "user::rwx,group::r--,group:eng:-w-,mask::rwx,other::---",
     User("dave", {"staff", "eng"}), "-w-", true, true},
    {"groups: union is still masked", "user::rwx,group::r--,group:eng:-w-,mask::r--,other::---",
     User("dave", {"staff", "eng"}), "rw-", false, false},
    {"groups: a matched group never falls through to other", "user::rwx,group::---,other::rwx",
     User("carol", {"staff"}), "r--", false, false},
    {"other: masked (Microsoft) vs unmasked (POSIX)", "user::rwx,user:x:r--,group::r--,mask::r--,other::rwx",
     User("eve"), "-w-", false, true},
    {"other: no mask entry, nothing masked", "user::rwx,group::---,other::r-x", User("eve"), "r-x", true, true},
    {"other: non-member denied", "user::rwx,group::rwx,other::---", User("eve", {"sales"}), "r--", false, false},
    {"nothing wanted is always allowed", "user::---,group::---,other::---", User("eve"), "---", true, true},
    {"empty caller is never the owner", "user::rwx,group::---,other::---", User(""), "r--", false, false},
};

TEST(HasAccessTest, Table) {
  for (const AccessCase& c : kAccessCases) {
    SCOPED_TRACE(c.name);
    const AclState state = MakeState(c.acl);
    const Perm wanted = *ParsePerm(c.wanted);
    EXPECT_EQ(HasAccess(state, c.caller, wanted, AclPolicy::Gen1()), c.microsoft) << "gen1";
    EXPECT_EQ(HasAccess(state, c.caller, wanted, AclPolicy::Gen2()), c.microsoft) << "gen2";
    EXPECT_EQ(HasAccess(state, c.caller, wanted, AclPolicy::Posix()), c.posix) << "posix";
  }
}

// ---- path checks -----------------------------------------------------------------------------------------

PathState Path(std::string path, Mode mode, std::string owner = "alice", bool is_directory = true) {
  return PathState{path, AclState::FromMode(std::move(owner), "staff", mode), is_directory};
}

struct PathCase {
  std::string name;
  std::vector<Mode> ancestors;  // "/", "/a", "/a/b"... owned by alice:staff
  Mode item_mode;
  Caller caller;
  Perm wanted;
  std::string error;  // fragment; empty when allowed
};

TEST(CheckPathAccessTest, Table) {
  const std::vector<PathCase> cases = {
      {"read through traversable ancestors", {0755, 0755, 0711}, 0644, User("bob"), kRead, ""},
      {"execute needed on every ancestor",
       {0755, 0750, 0755},
       0644,
       User("bob"),
       kRead,
       "caller \"bob\" needs --x (traverse) on \"/d1\" to reach \"/d1/d2/item\" and has ---"},
      {"read without execute does not traverse",
       {0755, 0755, 0754},
       0644,
       User("bob"),
       kRead,
       "needs --x (traverse) on \"/d1/d2\" to reach \"/d1/d2/item\" and has r--"},
      {"the root needs execute too", {0700, 0755, 0755}, 0777, User("bob"), kRead, "on \"/\" to reach"},
      {"group member traverses via group", {0750, 0750, 0750}, 0640, User("bob", {"staff"}), kRead, ""},
      {"missing read on the item",
       {0755, 0755, 0755},
       0600,
       User("bob"),
       kRead,
       "caller \"bob\" needs r-- on \"/d1/d2/item\" (missing r--)"},
      {"missing only w",
       {0755, 0755, 0755},
       0640,
       User("bob", {"staff"}),
       kRead | kWrite,
       "needs rw- on \"/d1/d2/item\" (missing -w-)"},
      {"status only needs traversal", {0711, 0711, 0711}, 0000, User("bob"), 0, ""},
      {"the owner still needs traversal", {0755, 0700, 0755}, 0777, User("carol"), kRead, "on \"/d1\" to reach"},
      {"superuser", {0000, 0000, 0000}, 0000, Caller::Superuser(), kAll, ""},
  };
  for (const PathCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<PathState> ancestors;
    std::string path = "/";
    for (size_t i = 0; i < c.ancestors.size(); ++i) {
      ancestors.push_back(Path(path, c.ancestors[i]));
      path = (i == 0 ? "/d" : path + "/d") + std::to_string(i + 1);
    }
    const PathState item = Path(ancestors.back().path + "/item", c.item_mode, "carol", false);
    for (const AclPolicy* policy : {&AclPolicy::Gen1(), &AclPolicy::Gen2(), &AclPolicy::Posix()}) {
      const Status status = CheckPathAccess(ancestors, item, c.caller, c.wanted, *policy);
      if (c.error.empty()) {
        EXPECT_TRUE(status.ok()) << policy->name << ": " << status;
      } else {
        ASSERT_FALSE(status.ok()) << policy->name;
        EXPECT_EQ(status.code(), StatusCode::kPermissionDenied);
        EXPECT_NE(status.message().find(c.error), std::string::npos) << status.message();
      }
    }
  }
}

struct RemoveCase {
  std::string name;
  Mode parent_mode;  // parent owned by "root", child by "alice"
  Caller caller;
  std::string error;
};

TEST(CheckRemoveChildTest, StickyBitTable) {
  const std::vector<RemoveCase> cases = {
      {"sticky: the child's owner may delete", 01777, User("alice"), ""},
      {"sticky: the directory's owner may delete", 01777, User("root"), ""},
      {"sticky: a superuser may delete", 01777, Caller::Superuser(), ""},
      {"sticky: anyone else may not, despite -wx", 01777, User("bob"),
       "directory \"/tmp\" has the sticky bit: only the owner of \"/tmp/f\" (\"alice\"), the owner of the directory "
       "(\"root\") or a superuser may delete or rename it, not \"bob\""},
      {"not sticky: -wx is enough", 0777, User("bob"), ""},
      {"no write on the parent", 0755, User("bob"),
       "caller \"bob\" needs -wx on directory \"/tmp\" to delete or "
       "rename \"/tmp/f\" (missing -w-)"},
      {"no execute on the parent", 0776, User("bob"), "(missing --x)"},
      {"the child's owner still needs -wx", 01755, User("alice"), "(missing -w-)"},
  };
  for (const RemoveCase& c : cases) {
    SCOPED_TRACE(c.name);
    const PathState parent = Path("/tmp", c.parent_mode, "root");
    const PathState child = Path("/tmp/f", 0600, "alice", false);
    const Status status = CheckRemoveChild(parent, child, c.caller, AclPolicy::Gen2());
    if (c.error.empty()) {
      EXPECT_TRUE(status.ok()) << status;
    } else {
      ASSERT_FALSE(status.ok());
      EXPECT_EQ(status.code(), StatusCode::kPermissionDenied);
      EXPECT_NE(status.message().find(c.error), std::string::npos) << status.message();
    }
  }
}

TEST(OwnershipTest, OwnerOrSuperuser) {
  const PathState item = Path("/f", 0640, "alice");
  EXPECT_TRUE(CheckOwnerOrSuperuser(item, User("alice"), "SETACL").ok());
  EXPECT_TRUE(CheckOwnerOrSuperuser(item, Caller::Superuser(), "SETPERMISSION").ok());
  for (const Caller& c : {User("bob"), User("carol", {"staff"})}) {  // the owning group may not change ACLs
    const Status status = CheckOwnerOrSuperuser(item, c, "SETACL");
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), StatusCode::kPermissionDenied);
    EXPECT_NE(status.message().find("SETACL on \"/f\": only the owner (\"alice\") or a superuser may do this, not \"" +
                                    c.user + "\""),
              std::string::npos)
        << status.message();
  }
}

struct ChownCase {
  std::string name;
  Caller caller;
  std::optional<std::string> owner, group;
  std::string error;
};

TEST(OwnershipTest, ChangeOwnerTable) {
  const std::vector<ChownCase> cases = {
      {"superuser changes the owner", Caller::Superuser(), "bob", std::nullopt, ""},
      {"superuser changes both to anything", Caller::Superuser(), "bob", "sales", ""},
      {"owner may not give the item away", User("alice", {"staff"}), "bob", std::nullopt,
       "only a superuser may change the owner of \"/f\" (from \"alice\" to \"bob\"); caller is \"alice\""},
      {"owner changes the group to one of its groups", User("alice", {"staff", "eng"}), std::nullopt, "eng", ""},
      {"owner names itself as owner and changes the group", User("alice", {"eng"}), "alice", "eng", ""},
      {"owner may not pick a group it is not in", User("alice", {"staff"}), std::nullopt, "sales",
       "the owner may only change the group of \"/f\" to a group it belongs to; \"alice\" is not a member of "
       "\"sales\""},
      {"a group member who is not the owner", User("bob", {"staff", "eng"}), std::nullopt, "eng",
       "only the owner (\"alice\") or a superuser may change the group of \"/f\", not \"bob\""},
      {"non-owner chown", User("bob"), "bob", std::nullopt, "only a superuser may change the owner"},
  };
  const PathState item = Path("/f", 0640, "alice");
  for (const ChownCase& c : cases) {
    SCOPED_TRACE(c.name);
    const Status status = CheckChangeOwner(item, c.caller, c.owner, c.group);
    if (c.error.empty()) {
      EXPECT_TRUE(status.ok()) << status;
    } else {
      ASSERT_FALSE(status.ok());
      EXPECT_EQ(status.code(), StatusCode::kPermissionDenied);
      EXPECT_NE(status.message().find(c.error), std::string::npos) << status.message();
    }
  }
}

// ---- inheritance -----------------------------------------------------------------------------------------

struct InheritCase {
  std::string name;
  const AclPolicy* policy;
  std::string parent;  // the parent's entries, with its default ACL (if any)
  bool is_directory;
  std::optional<Mode> requested;
  std::optional<Mode> umask;
  bool implicit_parent;
  std::string want_spec;  // AllEntries of the child
  std::string want_mode;  // FormatSymbolicMode(mode, has_extended_acl)
};

const std::string kParent = "user::rwx,group::r-x,other::---";
const std::string kParentDefault = kParent +
                                   ",default:user::rwx,default:user:bob:rwx,default:group::r-x,default:mask::rwx,"
                                   "default:other::r-x";
const std::string kDefaultAsAccess = "user::rwx,user:bob:rwx,group::r-x,mask::rwx,other::r-x";
const std::string kDefaultOnly =
    "default:user::rwx,default:user:bob:rwx,default:group::r-x,default:mask::rwx,default:other::r-x";

const std::vector<InheritCase> kInheritCases = {
    // Gen1: fixed umask 007, explicit permission kept exactly, 770 when none is given.
    {"gen1 file, no permission",
     &AclPolicy::Gen1(),
     kParent,
     false,
     {},
     {},
     false,
     "user::rwx,group::rwx,other::---",
     "rwxrwx---"},
    {"gen1 dir, no permission",
     &AclPolicy::Gen1(),
     kParent,
     true,
     {},
     {},
     false,
     "user::rwx,group::rwx,other::---",
     "rwxrwx---"},
    {"gen1 explicit permission is exact",
     &AclPolicy::Gen1(),
     kParent,
     false,
     0755,
     {},
     false,
     "user::rwx,group::r-x,other::r-x",
     "rwxr-xr-x"},
    {"gen1 explicit 777 is not masked",
     &AclPolicy::Gen1(),
     kParent,
     true,
     0777,
     {},
     false,
     "user::rwx,group::rwx,other::rwx",
     "rwxrwxrwx"},
    {"gen1 has no umask parameter", &AclPolicy::Gen1(), kParent, false, 0777, 0077, false,
     "user::rwx,group::rwx,other::rwx", "rwxrwxrwx"},
    {"gen1 explicit sticky",
     &AclPolicy::Gen1(),
     kParent,
     true,
     01770,
     {},
     false,
     "user::rwx,group::rwx,other::---",
     "rwxrwx--T"},
    {"gen1 file from a default ACL: umask 007 clears other",
     &AclPolicy::Gen1(),
     kParentDefault,
     false,
     {},
     {},
     false,
     "user::rwx,user:bob:rwx,group::r-x,mask::rwx,other::---",
     "rwxrwx---+"},
    {"gen1 default ACL ignores the requested permission",
     &AclPolicy::Gen1(),
     kParentDefault,
     false,
     0700,
     {},
     false,
     "user::rwx,user:bob:rwx,group::r-x,mask::rwx,other::---",
     "rwxrwx---+"},
    {"gen1 dir from a default ACL keeps it as its default",
     &AclPolicy::Gen1(),
     kParentDefault,
     true,
     {},
     {},
     false,
     "user::rwx,user:bob:rwx,group::r-x,mask::rwx,other::---," + kDefaultOnly,
     "rwxrwx---+"},
    {"gen1 implicit intermediate dir gets u+wx",
     &AclPolicy::Gen1(),
     "user::rwx,group::rwx,other::---,"
     "default:user::r--,default:group::r-x,default:other::---",
     true,
     {},
     {},
     true,
     "user::rwx,group::r-x,other::---,default:user::r--,default:group::r-x,default:other::---",
     "rwxr-x---+"},
    // Gen2: umask (default 0027) only without a parent default ACL; requested mode ANDed with a default ACL.
    {"gen2 dir, defaults",
     &AclPolicy::Gen2(),
     kParent,
     true,
     {},
     {},
     false,
     "user::rwx,group::r-x,other::---",
     "rwxr-x---"},
    {"gen2 file, defaults",
     &AclPolicy::Gen2(),
     kParent,
     false,
     {},
     {},
     false,
     "user::rw-,group::r--,other::---",
     "rw-r-----"},
    {"gen2 0777 with umask 0057 (recording)", &AclPolicy::Gen2(), kParent, false, 0777, 0057, false,
     "user::rwx,group::-w-,other::---", "rwx-w----"},
    {"gen2 explicit permission gets the default umask",
     &AclPolicy::Gen2(),
     kParent,
     false,
     0766,
     {},
     false,
     "user::rwx,group::r--,other::---",
     "rwxr-----"},
    {"gen2 umask 0000", &AclPolicy::Gen2(), kParent, true, 0777, 0000, false, "user::rwx,group::rwx,other::rwx",
     "rwxrwxrwx"},
    {"gen2 sticky survives the umask",
     &AclPolicy::Gen2(),
     kParent,
     true,
     01777,
     {},
     false,
     "user::rwx,group::r-x,other::---",
     "rwxr-x--T"},
    {"gen2 file from a default ACL: requested 0666, umask ignored",
     &AclPolicy::Gen2(),
     kParentDefault,
     false,
     {},
     0777,
     false,
     "user::rw-,user:bob:rwx,group::r-x,mask::rw-,other::r--",
     "rw-rw-r--+"},
    {"gen2 dir from a default ACL: 0777 keeps it, and it becomes the default",
     &AclPolicy::Gen2(),
     kParentDefault,
     true,
     {},
     {},
     false,
     kDefaultAsAccess + "," + kDefaultOnly,
     "rwxrwxr-x+"},
    {"gen2 requested mode limits the group class via the mask",
     &AclPolicy::Gen2(),
     kParentDefault,
     true,
     0750,
     {},
     false,
     "user::rwx,user:bob:rwx,group::r-x,mask::r-x,other::---," + kDefaultOnly,
     "rwxr-x---+"},
    {"gen2 default ACL without a mask limits group::",
     &AclPolicy::Gen2(),
     kParent + ",default:user::rwx,default:group::rwx,default:other::rwx",
     false,
     0640,
     {},
     false,
     "user::rw-,group::r--,other::---",
     "rw-r-----"},
    {"gen2 does not add u+wx to implicit dirs",
     &AclPolicy::Gen2(),
     kParent + ",default:user::r-x,default:group::r-x,"
               "default:other::---",
     true,
     {},
     {},
     true,
     "user::r-x,group::r-x,other::---,default:user::r-x,default:group::r-x,default:other::---",
     "r-xr-x---+"},
    // POSIX / HDFS: umask 022 by default.
    {"posix dir", &AclPolicy::Posix(), kParent, true, {}, {}, false, "user::rwx,group::r-x,other::r-x", "rwxr-xr-x"},
    {"posix file with umask 077",
     &AclPolicy::Posix(),
     kParent,
     false,
     {},
     0077,
     false,
     "user::rw-,group::---,other::---",
     "rw-------"},
    {"posix file from a default ACL",
     &AclPolicy::Posix(),
     kParentDefault,
     false,
     0640,
     {},
     false,
     "user::rw-,user:bob:rwx,group::r-x,mask::r--,other::---",
     "rw-r-----+"},
};

TEST(InheritTest, Table) {
  for (const InheritCase& c : kInheritCases) {
    SCOPED_TRACE(c.name);
    const AclState parent = MakeState(c.parent, "root", "parentgroup");
    NewChildRequest request;
    request.is_directory = c.is_directory;
    request.requested_mode = c.requested;
    request.request_umask = c.umask;
    request.owner = "alice";
    request.implicit_parent = c.implicit_parent;
    const AclState child = InheritForNewChild(parent, request, *c.policy);
    EXPECT_EQ(child.ToSpec(), c.want_spec);
    EXPECT_EQ(FormatSymbolicMode(child.mode(), child.has_extended_acl()), c.want_mode);
    EXPECT_EQ(child.owner, "alice");
    EXPECT_EQ(child.group, "parentgroup");  // the owning group always comes from the parent
    EXPECT_TRUE(c.is_directory || child.default_acl.empty()) << "files never get a default ACL";
  }
}

TEST(PolicyTest, Data) {
  EXPECT_EQ(AclPolicy::Gen1().name, "gen1");
  EXPECT_FALSE(AclPolicy::Gen1().umask_parameter);
  EXPECT_TRUE(AclPolicy::Gen1().root_listing_requires_rx);
  EXPECT_FALSE(AclPolicy::Gen2().root_listing_requires_rx);
  EXPECT_EQ(AclPolicy::Gen2().default_umask, 0027);
  EXPECT_EQ(AclPolicy::Posix().group_rule, GroupRule::kAnyMatching);
  EXPECT_FALSE(AclPolicy::Posix().mask_applies_to_other);
  EXPECT_TRUE(User("x", {"a", "b"}).InGroup("b"));
  EXPECT_FALSE(User("x", {"a"}).InGroup(""));
}

}  // namespace
}  // namespace lakeshift::acl
