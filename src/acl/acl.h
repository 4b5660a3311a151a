#pragma once
// POSIX ACL model shared by every store, emulator and the migration engine: entries, specs, permission
// bits with the sticky bit, the ACL transformations of SETACL / MODIFYACLENTRIES / REMOVEACLENTRIES /
// REMOVEACL / REMOVEDEFAULTACL, and chmod. Access checks and inheritance live in acl/access.h.
//
// Representation: an item's permission state is an AclState. Its access ACL always holds the three
// base entries (user::, group::, other::); an "extended" ACL adds named user/group entries and a mask::.
// As in POSIX and HDFS, the mode's group bits are the mask when a mask exists, otherwise group::.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace lakeshift::acl {

// Permission bits of one entry: r=4, w=2, x=1.
using Perm = uint8_t;
inline constexpr Perm kRead = 4;
inline constexpr Perm kWrite = 2;
inline constexpr Perm kExecute = 1;
inline constexpr Perm kAll = 7;

// A mode: 9 permission bits plus the sticky bit (01000), e.g. 01777.
using Mode = uint16_t;
inline constexpr Mode kStickyBit = 01000;

enum class Scope : uint8_t { kAccess, kDefault };
enum class EntryType : uint8_t { kUser, kGroup, kMask, kOther };

struct AclEntry {
  Scope scope = Scope::kAccess;
  EntryType type = EntryType::kUser;
  std::string name;  // empty for the owning user/group, mask and other
  Perm perm = 0;

  bool is_named() const { return !name.empty(); }
  // "default:user:<id>:rwx"; with include_perm=false "default:user:<id>" (the REMOVEACLENTRIES form).
  std::string ToString(bool include_perm = true) const;
  bool operator==(const AclEntry&) const = default;
};

// Parses one permission triple "rwx", "r-x", "---". Error names the bad text.
Result<Perm> ParsePerm(std::string_view text);
std::string FormatPerm(Perm perm);  // "r-x"

// Parses an ACL spec: comma-separated entries "[default:]user|group|mask|other:[id]:rwx".
// With perms_required=false (REMOVEACLENTRIES, remove-mode recursive ACL) entries may omit the
// permission part ("user:<id>", "default:group:<id>") and then carry perm 0.
// Errors name the offending entry and its position, e.g. `ACL entry 2 "user:bob:rwz": bad permission "rwz"`.
Result<std::vector<AclEntry>> ParseAclSpec(std::string_view spec, bool perms_required = true);
std::string FormatAclSpec(const std::vector<AclEntry>& entries, bool include_perm = true);

// Octal modes: "770", "0770", "1777" (3 or 4 digits; a leading 1 is the sticky bit).
Result<Mode> ParseOctalMode(std::string_view text);
std::string FormatOctalMode(Mode mode);             // "770", or "1770" when the sticky bit is set
void AppendOctalMode(std::string& out, Mode mode);  // the same, appended (no temporary string)
// Symbolic modes: "rwxr-x---", "rwxrwxrwt" / "rwxrwxrwT" (sticky with / without other-x), optional trailing
// '+' (extended ACL marker) accepted and ignored.
Result<Mode> ParseSymbolicMode(std::string_view text);
std::string FormatSymbolicMode(Mode mode, bool extended_acl = false);  // "rwxr-x---+"
// Accepts either form (the DFS x-ms-permissions header allows both).
Result<Mode> ParseMode(std::string_view text);

// The complete permission state of one file or directory.
struct AclState {
  std::string owner;
  std::string group;
  bool sticky = false;
  std::vector<AclEntry> access;       // base entries always present; named entries and mask when extended
  std::vector<AclEntry> default_acl;  // empty, or a complete default ACL (directories only)

  // The minimal ACL for a mode: user::, group::, other:: from its bits; sticky from its sticky bit.
  static AclState FromMode(std::string owner, std::string group, Mode mode);

  Mode mode() const;  // owner / (mask or group) / other bits, plus sticky
  // "aclBit", the '+': access entries beyond the three base ones (named entries, or a mask that outlived
  // them, as Gen1 shows after REMOVEACLENTRIES) or a default ACL.
  bool has_extended_acl() const;
  Perm owner_perm() const;
  Perm group_perm() const;  // the owning group's own entry (not the mask)
  Perm other_perm() const;
  // The mask, or the owning group's perm when the access ACL has no mask (nothing is masked then).
  Perm effective_mask() const;
  // Access entries then default entries, in canonical order (user, named users, group, named groups,
  // mask, other), as GETACLSTATUS and x-ms-acl show them.
  std::vector<AclEntry> AllEntries() const;
  std::string ToSpec() const { return FormatAclSpec(AllEntries()); }

  bool operator==(const AclState&) const = default;
};

inline constexpr size_t kMaxEntriesPerAcl = 32;  // access and default ACL each (Gen1 and Gen2 limit)

// ACL transformations, with HDFS AclTransformation semantics: the result is sorted canonically,
// duplicate entries are rejected, the mask is recomputed (union of the group class) unless the spec
// sets it, and missing default base entries are copied from the access ACL. `is_directory` rejects
// default entries on files. Each returns InvalidArgument naming the problem and leaves `state` unchanged
// on error.
Status SetAcl(AclState& state, const std::vector<AclEntry>& spec, bool is_directory);
// Gen2 x-ms-acl: like SetAcl, but the default ACL becomes exactly the spec's default entries (none when the
// spec has none), as the DFS API's setAccessControl fully replaces the ACL.
Status ReplaceAcl(AclState& state, const std::vector<AclEntry>& spec, bool is_directory);
Status ModifyAclEntries(AclState& state, const std::vector<AclEntry>& spec, bool is_directory);
Status RemoveAclEntries(AclState& state, const std::vector<AclEntry>& spec, bool is_directory);
// Removes the named access entries and the mask and keeps the default ACL (Gen1). The owning group keeps the
// access it effectively had, group:: & mask (Linux setfacl -b), so removing the ACL never widens it.
void RemoveAcl(AclState& state);
void RemoveDefaultAcl(AclState& state);
// chmod: sets user::, mask:: (or group:: when there is no mask), other:: and the sticky bit.
void SetMode(AclState& state, Mode mode);

}  // namespace lakeshift::acl
