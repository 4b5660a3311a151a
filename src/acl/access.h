#pragma once
// Access checks and inheritance, parameterised by an AclPolicy so that the Gen1 and Gen2 rules are data,
// not two copies of the engine. References: gen1-api.md section 5, gen2-api.md sections 1.4 and 5.0.

#include <optional>
#include <string>
#include <vector>

#include "acl/acl.h"

namespace lakeshift::acl {

// Who is asking. Object ids (Entra) or "$superuser" for Shared Key callers.
struct Caller {
  std::string user;
  std::vector<std::string> groups;
  bool superuser = false;

  bool InGroup(const std::string& group) const;
  static Caller Superuser(std::string user = "$superuser");
};

// How the caller's group entries combine when it is in several groups of the ACL.
enum class GroupRule : uint8_t {
  kUnionOfMatching,  // Microsoft's documented algorithm: the union of every matching group entry, & mask
  kAnyMatching,      // POSIX/HDFS: allowed when one matching group entry alone grants everything
};

// How a new child's access ACL is derived when the parent has a default ACL.
enum class DefaultAclRule : uint8_t {
  kFixedUmask,     // Gen1: the default ACL with a fixed umask applied (007 clears other); requested perms ignored
  kRequestedMode,  // Gen2/POSIX: the default ACL with user::, mask (or group::), other:: ANDed with the requested mode
};

struct AclPolicy {
  std::string name;
  GroupRule group_rule = GroupRule::kUnionOfMatching;
  bool mask_applies_to_other = true;  // Microsoft's algorithm masks "other" too; POSIX does not
  DefaultAclRule default_acl_rule = DefaultAclRule::kFixedUmask;
  Mode fixed_umask = 0007;       // kFixedUmask's umask; also the create umask when umask_parameter is false
  Mode default_umask = 0027;     // Gen2's umask when the request gives none
  bool umask_parameter = false;  // whether a per-request umask is honoured (Gen2 yes, Gen1 no)
  Mode default_dir_mode = 0777;  // requested mode when a create names none
  Mode default_file_mode = 0666;
  bool explicit_mode_is_exact = false;    // Gen1: an explicit create permission is kept as given (no umask)
  bool implicit_parent_owner_wx = false;  // Gen1: intermediate directories created implicitly get u+wx
  bool root_listing_requires_rx = true;   // Gen1 needs r-x on "/" to list it; Gen2 does not

  static const AclPolicy& Gen1();
  static const AclPolicy& Gen2();
  static const AclPolicy& Posix();
};

// The core check: does `caller` hold every bit of `wanted` on an item with `state`?
bool HasAccess(const AclState& state, const Caller& caller, Perm wanted, const AclPolicy& policy);

// What an operation needs. `ancestors` is the chain from the root to the parent of the target (root first);
// each must grant execute (traverse). The checks return PermissionDenied naming the path and the missing bit.
struct PathState {
  std::string path;
  AclState acl;
  bool is_directory = false;
};

// Traverse every ancestor, then `wanted` on the item itself (pass 0 for status-only access).
Status CheckPathAccess(const std::vector<PathState>& ancestors, const PathState& item, const Caller& caller,
                       Perm wanted, const AclPolicy& policy);
// Delete or rename-away `child` from `parent`: -wx on the parent and the sticky-bit rule (when the parent is
// sticky only the child's owner, the parent's owner or a superuser may remove it).
Status CheckRemoveChild(const PathState& parent, const PathState& child, const Caller& caller, const AclPolicy& policy);
// Setting ACLs or permissions: the owner or a superuser.
Status CheckOwnerOrSuperuser(const PathState& item, const Caller& caller, const char* operation);
// chown/chgrp: only a superuser changes the owner; the owner may change the group to one it belongs to.
Status CheckChangeOwner(const PathState& item, const Caller& caller, const std::optional<std::string>& new_owner,
                        const std::optional<std::string>& new_group);

// The permission state of a new child. `requested_mode` is the create request's permission (if any),
// `request_umask` the request's umask (honoured only when the policy has umask_parameter).
struct NewChildRequest {
  bool is_directory = false;
  std::optional<Mode> requested_mode;
  std::optional<Mode> request_umask;
  std::string owner;  // the caller, normally
  // An intermediate directory created implicitly by a nested create or MKDIRS (Gen1 then adds u+wx).
  bool implicit_parent = false;
};
AclState InheritForNewChild(const AclState& parent, const NewChildRequest& request, const AclPolicy& policy);

}  // namespace lakeshift::acl
