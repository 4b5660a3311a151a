// Table-driven tests for ACL parsing, modes and the HDFS-style transformations (acl.h).

#include "acl/acl.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lakeshift::acl {
namespace {

constexpr char kOid[] = "3883e0e8-9ad3-440d-b6f6-6ed492ae1ae7";

// Builds a state from a full entry list such as "user::rwx,group::r-x,other::---,default:user::rwx".
AclState MakeState(const std::string& spec) {
  AclState state;
  state.owner = "alice";
  state.group = "staff";
  Result<std::vector<AclEntry>> entries = ParseAclSpec(spec);
  EXPECT_TRUE(entries.ok()) << entries.status();
  if (!entries.ok()) return state;
  for (const AclEntry& e : *entries) (e.scope == Scope::kAccess ? state.access : state.default_acl).push_back(e);
  return state;
}

// ---- parsing ---------------------------------------------------------------------------------------------

TEST(AclParseTest, GoodSpecsRoundTrip) {
  const std::vector<std::pair<std::string, size_t>> cases = {
      {"user::rwx", 1},
      {"user::rwx,group::r-x,other::---", 3},
      {std::string("user::rwx,group::rwx,other::---,user:") + kOid + ":rwx", 4},
      {"user:bob@contoso.com:r-x,group:$superuser:---,mask::rw-", 3},
      {"default:user::rwx,default:group:eng:r--,default:mask::r--,default:other::---", 4},
  };
  for (const auto& [spec, count] : cases) {
    Result<std::vector<AclEntry>> got = ParseAclSpec(spec);
    ASSERT_TRUE(got.ok()) << spec << ": " << got.status();
    EXPECT_EQ(got->size(), count);
    EXPECT_EQ(FormatAclSpec(*got), spec);
  }
  // Spaces around entries are tolerated (hand-written CLI input); ids and the scope come out right.
  Result<std::vector<AclEntry>> spaced = ParseAclSpec(" user::rwx , default:group:eng:r-x ");
  ASSERT_TRUE(spaced.ok()) << spaced.status();
  EXPECT_EQ((*spaced)[1], (AclEntry{Scope::kDefault, EntryType::kGroup, "eng", kRead | kExecute}));
}

TEST(AclParseTest, RemovalSpecs) {
  // The exact x-ms-acl of the Gen2 removeAccessControlRecursive recording, and the Gen1 REMOVEACLENTRIES form.
  const std::string gen2 = std::string("mask,default:user,default:group,user:") + kOid + ",group:" + kOid +
                           ",default:user:" + kOid + ",default:group:" + kOid;
  Result<std::vector<AclEntry>> got = ParseAclSpec(gen2, /*perms_required=*/false);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 7u);
  EXPECT_EQ((*got)[0], (AclEntry{Scope::kAccess, EntryType::kMask, "", 0}));
  EXPECT_EQ((*got)[1], (AclEntry{Scope::kDefault, EntryType::kUser, "", 0}));
  EXPECT_EQ(FormatAclSpec(*got, /*include_perm=*/false), gen2);
  // With or without the trailing separators and a (well-formed, ignored) permission.
  for (const char* spec : {"user:bob", "user:bob:", "user:bob:r-x"}) {
    Result<std::vector<AclEntry>> one = ParseAclSpec(spec, false);
    ASSERT_TRUE(one.ok()) << spec << ": " << one.status();
    EXPECT_EQ((*one)[0].name, "bob");
  }
  EXPECT_EQ(ParseAclSpec("mask::", false)->front().type, EntryType::kMask);
}

struct BadSpecCase {
  std::string spec;
  bool perms_required;
  std::string error;  // fragment of the message
};

TEST(AclParseTest, MalformedSpecs) {
  const std::vector<BadSpecCase> cases = {
      {"user::rwx,user:bob:rwz", true,
       "ACL entry 2 \"user:bob:rwz\": bad permission \"rwz\" (expected 3 characters of r, w, x or -"},
      {"", true, "empty ACL spec"},
      {"  ", false, "empty ACL spec"},
      {"user::rwx,,other::---", true, "ACL entry 2 is empty"},
      {"user::rwx,", true, "ACL entry 2 is empty"},
      {"usr::rwx", true, "ACL entry 1 \"usr::rwx\": unknown entry type \"usr\" (expected user, group, mask or other)"},
      {"USER::rwx", true, "unknown entry type \"USER\""},
      {"default:default:user::rwx", true, "unknown entry type \"default\""},
      {"default", true, "ACL entry 1 \"default\": missing entry type"},
      {"default:", false, "ACL entry 1 \"default:\": missing entry type"},
      {":bob:rwx", true, "ACL entry 1 \":bob:rwx\": missing entry type"},
      {"user:bob", true, "ACL entry 1 \"user:bob\": missing permission"},
      {"group", true, "ACL entry 1 \"group\": missing permission"},
      {"user::rwx,user:a:b:rwx", true, "ACL entry 2 \"user:a:b:rwx\": too many ':'-separated fields"},
      {"user:a:b:c", false, "ACL entry 1 \"user:a:b:c\": too many ':'-separated fields"},
      {"mask:bob:rwx", true, "ACL entry 1 \"mask:bob:rwx\": a mask entry cannot have an id (got \"bob\")"},
      {"other:bob:r--", true, "an other entry cannot have an id (got \"bob\")"},
      {"default:mask:x", false, "a mask entry cannot have an id (got \"x\")"},
      {"user::RWX", true, "bad permission \"RWX\""},
      {"user::rw", true, "bad permission \"rw\""},
      {"user::wrx", true, "bad permission \"wrx\""},
      {"user::rwxx", true, "bad permission \"rwxx\""},
      {"user::", true, "bad permission \"\""},
      {"user:bob:7", true, "bad permission \"7\""},
      {"user:bob:rwz", false, "ACL entry 1 \"user:bob:rwz\": bad permission \"rwz\""},
  };
  for (const BadSpecCase& c : cases) {
    SCOPED_TRACE(c.spec);
    Result<std::vector<AclEntry>> got = ParseAclSpec(c.spec, c.perms_required);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(got.status().message().find(c.error), std::string::npos) << got.status().message();
  }
}

TEST(AclParseTest, PermTable) {
  const std::vector<std::pair<std::string, Perm>> good = {{"---", 0}, {"--x", 1}, {"-w-", 2}, {"-wx", 3},
                                                          {"r--", 4}, {"r-x", 5}, {"rw-", 6}, {"rwx", 7}};
  for (const auto& [text, perm] : good) {
    EXPECT_EQ(*ParsePerm(text), perm) << text;
    EXPECT_EQ(FormatPerm(perm), text);
  }
  for (const char* bad : {"", "r", "rwxr", "xwr", "r x", "rw_", "R--"}) {
    Result<Perm> got = ParsePerm(bad);
    ASSERT_FALSE(got.ok()) << bad;
    EXPECT_NE(got.status().message().find("bad permission \"" + std::string(bad) + "\""), std::string::npos);
  }
}

TEST(AclParseTest, EntryToString) {
  const AclEntry named{Scope::kDefault, EntryType::kUser, "bob", kRead};
  EXPECT_EQ(named.ToString(), "default:user:bob:r--");
  EXPECT_EQ(named.ToString(false), "default:user:bob");
  const AclEntry mask{Scope::kAccess, EntryType::kMask, "", kAll};
  EXPECT_EQ(mask.ToString(), "mask::rwx");
  EXPECT_EQ(mask.ToString(false), "mask");
}

// ---- modes -----------------------------------------------------------------------------------------------

struct ModeCase {
  std::string text;
  Mode mode;
};

TEST(ModeTest, OctalTable) {
  const std::vector<ModeCase> good = {{"770", 0770},   {"0770", 0770}, {"0555", 0555}, {"000", 0},
                                      {"1777", 01777}, {"0027", 0027}, {"644", 0644}};
  for (const ModeCase& c : good) EXPECT_EQ(*ParseOctalMode(c.text), c.mode) << c.text;
  EXPECT_EQ(FormatOctalMode(0770), "770");
  EXPECT_EQ(FormatOctalMode(0), "000");
  EXPECT_EQ(FormatOctalMode(01750), "1750");

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "bad octal mode \"\": expected 3 or 4 octal digits"},
      {"77", "bad octal mode \"77\": expected 3 or 4 octal digits"},
      {"07777", "bad octal mode \"07777\": expected 3 or 4 octal digits"},
      {"778", "bad octal mode \"778\": '8' at position 3 is not an octal digit"},
      {"0x77", "'x' at position 2 is not an octal digit"},
      {"2755", "bad octal mode \"2755\": the leading digit may only be 0 or 1"},
      {"-777", "'-' at position 1 is not an octal digit"},
  };
  for (const auto& [text, error] : bad) {
    Result<Mode> got = ParseOctalMode(text);
    ASSERT_FALSE(got.ok()) << text;
    EXPECT_NE(got.status().message().find(error), std::string::npos) << got.status().message();
  }
}

TEST(ModeTest, SymbolicTable) {
  const std::vector<ModeCase> good = {{"rwxr-x---", 0750},  {"rw-r-----", 0640},  {"rwxrwxrwx", 0777},
                                      {"---------", 0},     {"rwxrwxrwt", 01777}, {"rwxrwxrwT", 01776},
                                      {"rw-r-x-wT", 01652},  // Gen2 setPermissions recording
                                      {"rwxr-x---+", 0750}, {"rwxr-x--t+", 01751}};
  for (const ModeCase& c : good) EXPECT_EQ(*ParseSymbolicMode(c.text), c.mode) << c.text;
  EXPECT_EQ(FormatSymbolicMode(0750), "rwxr-x---");
  EXPECT_EQ(FormatSymbolicMode(0750, true), "rwxr-x---+");
  EXPECT_EQ(FormatSymbolicMode(01777), "rwxrwxrwt");
  EXPECT_EQ(FormatSymbolicMode(01652), "rw-r-x-wT");

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"rwx", "bad symbolic mode \"rwx\": expected 9 characters"},
      {"rwxr-x---++", "expected 9 characters"},
      {"rwxr-x--", "expected 9 characters"},
      {"rwxr-x-wZ", "bad symbolic mode \"rwxr-x-wZ\": character 9 'Z' must be x, -, t or T"},
      {"rwsr-x---", "character 3 's' must be x or -"},
      {"wrxr-x---", "character 1 'w' must be r or -"},
      {"rwxr-x--t-", "expected 9 characters"},
  };
  for (const auto& [text, error] : bad) {
    Result<Mode> got = ParseSymbolicMode(text);
    ASSERT_FALSE(got.ok()) << text;
    EXPECT_NE(got.status().message().find(error), std::string::npos) << got.status().message();
  }
}

TEST(ModeTest, ParseModeAcceptsBothForms) {
  EXPECT_EQ(*ParseMode("0766"), 0766);
  EXPECT_EQ(*ParseMode("rwxrw-rw-"), 0766);
  EXPECT_EQ(*ParseMode("1777"), 01777);
  EXPECT_NE(ParseMode("rwx").status().message().find("expected octal like 0750 or symbolic like rwxr-x---"),
            std::string::npos);
  EXPECT_NE(ParseMode("").status().message().find("bad permission \"\""), std::string::npos);
  EXPECT_NE(ParseMode("0789").status().message().find("'8' at position 3"), std::string::npos);
}

// ---- AclState --------------------------------------------------------------------------------------------

TEST(AclStateTest, ModeAndBits) {
  const AclState minimal = AclState::FromMode("alice", "staff", 01750);
  EXPECT_EQ(minimal.ToSpec(), "user::rwx,group::r-x,other::---");
  EXPECT_EQ(minimal.mode(), 01750);
  EXPECT_TRUE(minimal.sticky);
  EXPECT_FALSE(minimal.has_extended_acl());
  EXPECT_EQ(minimal.effective_mask(), 5);

  // The middle digit is the mask when one exists; entries come out in canonical order.
  AclState extended = MakeState(
      "other::---,mask::r--,group::rwx,user:bob:rwx,user::rwx,default:user::rwx,"
      "default:other::---,default:group::r-x");
  EXPECT_EQ(extended.mode(), 0740);
  EXPECT_EQ(extended.group_perm(), 7);
  EXPECT_EQ(extended.effective_mask(), 4);
  EXPECT_TRUE(extended.has_extended_acl());
  EXPECT_EQ(extended.ToSpec(),
            "user::rwx,user:bob:rwx,group::rwx,mask::r--,other::---,default:user::rwx,default:group::r-x,"
            "default:other::---");
  // A mask alone still counts as extended (Gen1 shows aclBit=true after the last named entry is removed).
  EXPECT_TRUE(MakeState("user::rwx,group::rwx,mask::rwx,other::---").has_extended_acl());
  EXPECT_TRUE(MakeState("user::rwx,group::rwx,other::---,default:user::rwx,default:group::rwx,default:other::---")
                  .has_extended_acl());
}

// ---- transformations -------------------------------------------------------------------------------------

enum class Op { kSet, kModify, kRemove, kRemoveAcl, kRemoveDefault, kChmod };

struct TransformCase {
  std::string name;
  std::string initial;
  bool is_directory;
  Op op;
  std::string arg;         // ACL spec, or the mode for kChmod
  std::string want_spec;   // AllEntries after the operation (ignored on error)
  std::string want_mode;   // FormatSymbolicMode(mode, has_extended_acl) after the operation
  std::string error = "";  // fragment of the expected error; empty when the operation succeeds
};

const std::string kMinimal770 = "user::rwx,group::rwx,other::---";
const std::string kBob = "user::rwx,user:bob:rwx,group::r-x,mask::rwx,other::---";
const std::string kDefaults =
    "default:user::rwx,default:user:bob:r-x,default:group::r-x,default:mask::r-x,"
    "default:other::---";

std::string ManyNamedUsers(int n) {
  std::string spec = "user::rwx,group::r--,other::---";
  for (int i = 0; i < n; ++i) spec += ",user:u" + std::to_string(i) + ":r--";
  return spec;
}

const std::vector<TransformCase> kTransformCases = {
    // SETACL
    {"python sdk test_set_acl", kMinimal770, false, Op::kSet,
     std::string("user::rwx,group::rwx,other::---,user:") + kOid + ":rwx",
     std::string("user::rwx,user:") + kOid + ":rwx,group::rwx,mask::rwx,other::---", "rwxrwx---+"},
    {"set: mask is the union of the group class", kMinimal770, false, Op::kSet,
     "user::rwx,group::r--,other::---,user:bob:-w-,group:eng:--x",
     "user::rwx,user:bob:-w-,group::r--,group:eng:--x,mask::rwx,other::---", "rwxrwx---+"},
    {"set: union without the owner and other", kMinimal770, false, Op::kSet,
     "user::rwx,group::---,other::rwx,user:bob:r--", "user::rwx,user:bob:r--,group::---,mask::r--,other::rwx",
     "rwxr--rwx+"},
    {"set: an explicit mask is kept", kMinimal770, false, Op::kSet,
     "user::rwx,group::rwx,other::---,user:bob:rwx,mask::r--", "user::rwx,user:bob:rwx,group::rwx,mask::r--,other::---",
     "rwxr-----+"},
    {"set: base entries only makes the ACL minimal", kBob, false, Op::kSet, "user::rw-,group::r--,other::r--",
     "user::rw-,group::r--,other::r--", "rw-r--r--"},
    {"set: access-only spec keeps the default ACL", kBob + "," + kDefaults, true, Op::kSet,
     "user::rwx,group::---,other::---", "user::rwx,group::---,other::---," + kDefaults, "rwx------+"},
    {"set: default-only spec keeps the access ACL and infers default base entries", kBob, true, Op::kSet,
     "default:user:carol:rwx",
     kBob + ",default:user::rwx,default:user:carol:rwx,default:group::r-x,default:mask::rwx,default:other::---",
     "rwxrwx---+"},
    {"set: default entries on a file", kMinimal770, false, Op::kSet, "default:user:bob:rwx", "", "",
     "default ACL entries are only allowed on directories (got \"default:user:bob:rwx\")"},
    {"set: missing group::", kMinimal770, false, Op::kSet, "user::rwx,other::---,user:bob:r--", "", "",
     "access ACL would lack the required \"group::\" entry (user::, group:: and other:: are required)"},
    {"set: duplicate entries", kMinimal770, false, Op::kSet,
     "user::rwx,user:bob:r--,group::---,user:bob:rwx,other::---", "", "",
     "ACL spec has duplicate entries for \"user:bob\" (entries 2 and 4)"},
    {"set: 32 entries fit", kMinimal770, false, Op::kSet, ManyNamedUsers(28), "", "rwxr-----+"},
    {"set: 33 entries are too many", kMinimal770, false, Op::kSet, ManyNamedUsers(29), "", "",
     "access ACL would have 33 entries; the limit is 32"},
    // MODIFYACLENTRIES
    {"modify: add a named user (Gen1 recording)", kMinimal770, false, Op::kModify, std::string("user:") + kOid + ":---",
     std::string("user::rwx,user:") + kOid + ":---,group::rwx,mask::rwx,other::---", "rwxrwx---+"},
    {"modify: replace a named user's perms", kBob, false, Op::kModify, "user:bob:-w-",
     "user::rwx,user:bob:-w-,group::r-x,mask::rwx,other::---", "rwxrwx---+"},
    {"modify: the mask is recomputed", "user::rwx,user:bob:r--,group::r--,mask::r--,other::---", false, Op::kModify,
     "group:eng:rwx", "user::rwx,user:bob:r--,group::r--,group:eng:rwx,mask::rwx,other::---", "rwxrwx---+"},
    {"modify: an explicit mask wins", kBob, false, Op::kModify, "mask::r--",
     "user::rwx,user:bob:rwx,group::r-x,mask::r--,other::---", "rwxr-----+"},
    {"modify: base entries only", kMinimal770, false, Op::kModify, "other::r--,group::r-x",
     "user::rwx,group::r-x,other::r--", "rwxr-xr--"},
    {"modify: first default entry infers the default base", "user::rwx,group::r-x,other::---", true, Op::kModify,
     "default:user:bob:r-x",
     "user::rwx,group::r-x,other::---,default:user::rwx,default:user:bob:r-x,default:group::r-x,"
     "default:mask::r-x,default:other::---",
     "rwxr-x---+"},
    {"modify: default entries on a file", kMinimal770, false, Op::kModify, "default:user::rwx", "", "",
     "default ACL entries are only allowed on directories (got \"default:user::rwx\")"},
    {"modify: duplicate entries", kMinimal770, false, Op::kModify, "user:bob:r--,user:bob:rwx", "", "",
     "duplicate entries for \"user:bob\" (entries 1 and 2)"},
    // REMOVEACLENTRIES
    {"remove: the mask outlives the last named entry (Gen1 recording)",
     std::string("user::rwx,user:") + kOid + ":rwx,group::rwx,mask::rwx,other::---", false, Op::kRemove,
     std::string("user:") + kOid, "user::rwx,group::rwx,mask::rwx,other::---", "rwxrwx---+"},
    {"remove: the mask is recomputed", "user::rwx,user:bob:rwx,group::---,group:eng:r--,mask::rwx,other::---", false,
     Op::kRemove, "user:bob", "user::rwx,group::---,group:eng:r--,mask::r--,other::---", "rwxr-----+"},
    {"remove: an entry that is not there", kBob, false, Op::kRemove, "user:nobody", kBob, "rwxrwx---+"},
    {"remove: mask and every named entry (Gen2 recording)", kBob + ",group:eng:r--", false, Op::kRemove,
     "mask,default:user,default:group,user:bob,group:eng,default:user:bob,default:group:eng",
     "user::rwx,group::r-x,other::---", "rwxr-x---"},
    {"remove: default base entries are re-inferred", kBob + "," + kDefaults, true, Op::kRemove, "default:user",
     kBob + ",default:user::rwx,default:user:bob:r-x,default:group::r-x,default:mask::r-x,default:other::---",
     "rwxrwx---+"},
    {"remove: a default named entry", kBob + "," + kDefaults, true, Op::kRemove, "default:user:bob",
     kBob + ",default:user::rwx,default:group::r-x,default:mask::r-x,default:other::---", "rwxrwx---+"},
    {"remove: an access base entry", kBob, false, Op::kRemove, "user", "", "",
     "cannot remove the base entry \"user::\" (user::, group:: and other:: are required)"},
    {"remove: other::", kBob, false, Op::kRemove, "user:bob,other", "", "", "cannot remove the base entry \"other::\""},
    {"remove: the mask while named entries remain", kBob, false, Op::kRemove, "mask", "", "",
     "\"mask::\" cannot be removed while the access ACL still has named user or group entries"},
    {"remove: the default mask while default named entries remain", kBob + "," + kDefaults, true, Op::kRemove,
     "default:mask", "", "", "\"default:mask::\" cannot be removed while the default ACL still has named"},
    // REMOVEACL, REMOVEDEFAULTACL
    {"removeacl: named entries and mask go, the default ACL stays", kBob + "," + kDefaults, true, Op::kRemoveAcl, "",
     "user::rwx,group::r-x,other::---," + kDefaults, "rwxr-x---+"},
    {"removeacl: the group keeps group & mask", "user::rwx,user:bob:rwx,group::rwx,mask::r-x,other::r--", false,
     Op::kRemoveAcl, "", "user::rwx,group::r-x,other::r--", "rwxr-xr--"},
    {"removeacl: a mask wider than group:: does not widen it", kBob, false, Op::kRemoveAcl, "",
     "user::rwx,group::r-x,other::---", "rwxr-x---"},
    {"removeacl: minimal stays minimal", kMinimal770, false, Op::kRemoveAcl, "", kMinimal770, "rwxrwx---"},
    {"removedefaultacl", kBob + "," + kDefaults, true, Op::kRemoveDefault, "", kBob, "rwxrwx---+"},
    {"removedefaultacl: nothing to remove", kMinimal770, false, Op::kRemoveDefault, "", kMinimal770, "rwxrwx---"},
    // chmod
    {"chmod minimal", kMinimal770, false, Op::kChmod, "640", "user::rw-,group::r--,other::---", "rw-r-----"},
    {"chmod sets the mask, not group::, on an extended ACL", kBob + "," + kDefaults, true, Op::kChmod, "1751",
     "user::rwx,user:bob:rwx,group::r-x,mask::r-x,other::--x," + kDefaults, "rwxr-x--t+"},
    {"chmod clears the sticky bit", kMinimal770, true, Op::kChmod, "0555", "user::r-x,group::r-x,other::r-x",
     "r-xr-xr-x"},
};

TEST(AclTransformTest, Table) {
  for (const TransformCase& c : kTransformCases) {
    SCOPED_TRACE(c.name);
    AclState state = MakeState(c.initial);
    const AclState before = state;
    Status status;
    std::vector<AclEntry> spec;
    if (c.op == Op::kSet || c.op == Op::kModify || c.op == Op::kRemove) {
      Result<std::vector<AclEntry>> parsed = ParseAclSpec(c.arg, c.op != Op::kRemove);
      ASSERT_TRUE(parsed.ok()) << parsed.status();
      spec = *parsed;
    }
    switch (c.op) {
      case Op::kSet: status = SetAcl(state, spec, c.is_directory); break;
      case Op::kModify: status = ModifyAclEntries(state, spec, c.is_directory); break;
      case Op::kRemove: status = RemoveAclEntries(state, spec, c.is_directory); break;
      case Op::kRemoveAcl: RemoveAcl(state); break;
      case Op::kRemoveDefault: RemoveDefaultAcl(state); break;
      case Op::kChmod: SetMode(state, *ParseOctalMode(c.arg)); break;
    }
    if (!c.error.empty()) {
      ASSERT_FALSE(status.ok());
      EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
      EXPECT_NE(status.message().find(c.error), std::string::npos) << status.message();
      EXPECT_EQ(state, before) << "a failed transformation must leave the state unchanged";
      continue;
    }
    ASSERT_TRUE(status.ok()) << status;
    if (!c.want_spec.empty()) {
      EXPECT_EQ(state.ToSpec(), c.want_spec);
    }
    EXPECT_EQ(FormatSymbolicMode(state.mode(), state.has_extended_acl()), c.want_mode);
    EXPECT_EQ(state.owner, "alice");
    EXPECT_EQ(state.group, "staff");
  }
}

TEST(AclTransformTest, PythonSdkSetAclGivesFiveEntries) {
  AclState state = AclState::FromMode("owner", "group", 0770);
  Result<std::vector<AclEntry>> spec =
      ParseAclSpec(std::string("user::rwx,group::rwx,other::---,user:") + kOid + ":rwx");
  ASSERT_TRUE(spec.ok());
  ASSERT_TRUE(SetAcl(state, *spec, false).ok());
  const std::vector<AclEntry> all = state.AllEntries();
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[3], (AclEntry{Scope::kAccess, EntryType::kMask, "", kAll}));
  EXPECT_EQ(FormatOctalMode(state.mode()), "770");
}

TEST(AclTransformTest, SetAclKeepsStickyBit) {
  AclState state = AclState::FromMode("alice", "staff", 01777);
  ASSERT_TRUE(SetAcl(state, *ParseAclSpec("user::rwx,group::r-x,other::r-x,user:bob:rwx"), true).ok());
  EXPECT_TRUE(state.sticky);
  EXPECT_EQ(FormatSymbolicMode(state.mode(), state.has_extended_acl()), "rwxrwxr-t+");
}

}  // namespace
}  // namespace lakeshift::acl
