// Access checks and inheritance. One engine; AclPolicy carries the Gen1 / Gen2 / POSIX differences.

#include "acl/access.h"

#include <algorithm>

#include "acl/acl_internal.h"

namespace lakeshift::acl {
namespace {

// What a check found: the bits the caller holds, and whether a group entry decided (for the POSIX rule).
struct Evaluation {
  bool allowed = false;
  Perm granted = 0;  // exact for every class but POSIX groups, where it is the union (for messages only)
};

Evaluation Evaluate(const AclState& state, const Caller& caller, Perm wanted, const AclPolicy& policy) {
  auto covers = [wanted](Perm have) { return (have & wanted) == wanted; };
  if (caller.superuser) return {true, kAll};
  if (!caller.user.empty() && caller.user == state.owner) return {covers(state.owner_perm()), state.owner_perm()};
  // Without a mask entry nothing is masked: a minimal ACL has no group class to limit.
  const AclEntry* mask_entry = FindEntry(state.access, EntryType::kMask, "");
  const Perm mask = mask_entry ? mask_entry->perm : kAll;
  if (!caller.user.empty()) {
    if (const AclEntry* named = FindEntry(state.access, EntryType::kUser, caller.user)) {
      const Perm have = static_cast<Perm>(named->perm & mask);
      return {covers(have), have};
    }
  }
  bool member = false;
  bool any_single = false;
  Perm group_union = 0;
  for (const AclEntry& e : state.access) {
    if (e.type != EntryType::kGroup) continue;
    const std::string& group = e.is_named() ? e.name : state.group;
    if (!caller.InGroup(group)) continue;
    member = true;
    group_union |= e.perm;
    any_single = any_single || covers(static_cast<Perm>(e.perm & mask));
  }
  if (member) {
    const Perm have = static_cast<Perm>(group_union & mask);
    const bool allowed = policy.group_rule == GroupRule::kUnionOfMatching ? covers(have) : any_single;
    return {allowed, have};
  }
  const Perm have = static_cast<Perm>(state.other_perm() & (policy.mask_applies_to_other ? mask : kAll));
  return {covers(have), have};
}

std::string CallerName(const Caller& caller) {
  return "\"" + caller.user + "\"";
}

// "missing -w-": the wanted bits the caller lacks; under the POSIX group rule the union may cover them all
// while no single entry does, and then every wanted bit is reported.
std::string Missing(Perm wanted, Perm granted) {
  Perm missing = static_cast<Perm>(wanted & ~granted);
  if (missing == 0) missing = wanted;
  return FormatPerm(missing);
}

}  // namespace

bool Caller::InGroup(const std::string& group) const {
  return !group.empty() && std::find(groups.begin(), groups.end(), group) != groups.end();
}

Caller Caller::Superuser(std::string user) {
  return Caller{std::move(user), {}, true};
}

const AclPolicy& AclPolicy::Gen1() {
  static const AclPolicy policy = [] {
    AclPolicy p;
    p.name = "gen1";
    p.group_rule = GroupRule::kUnionOfMatching;
    p.mask_applies_to_other = true;
    p.default_acl_rule = DefaultAclRule::kFixedUmask;
    p.fixed_umask = 0007;
    p.default_umask = 0007;  // Gen1 has no umask parameter; kept equal to the fixed one
    p.umask_parameter = false;
    p.default_dir_mode = 0777;  // & ~007 = 770, the mode Gen1 gives a file or folder created without one
    p.default_file_mode = 0777;
    p.explicit_mode_is_exact = true;
    p.implicit_parent_owner_wx = true;
    p.root_listing_requires_rx = true;
    return p;
  }();
  return policy;
}

const AclPolicy& AclPolicy::Gen2() {
  static const AclPolicy policy = [] {
    AclPolicy p;
    p.name = "gen2";
    p.group_rule = GroupRule::kUnionOfMatching;
    p.mask_applies_to_other = true;
    p.default_acl_rule = DefaultAclRule::kRequestedMode;
    p.fixed_umask = 0;
    p.default_umask = 0027;
    p.umask_parameter = true;
    p.default_dir_mode = 0777;
    p.default_file_mode = 0666;
    p.explicit_mode_is_exact = false;
    p.implicit_parent_owner_wx = false;
    p.root_listing_requires_rx = false;
    return p;
  }();
  return policy;
}

const AclPolicy& AclPolicy::Posix() {
  static const AclPolicy policy = [] {
    AclPolicy p;
    p.name = "posix";
    p.group_rule = GroupRule::kAnyMatching;
    p.mask_applies_to_other = false;
    p.default_acl_rule = DefaultAclRule::kRequestedMode;
    p.fixed_umask = 0;
    p.default_umask = 0022;  // the HDFS fs.permissions.umask-mode default
    p.umask_parameter = true;
    p.default_dir_mode = 0777;
    p.default_file_mode = 0666;
    p.explicit_mode_is_exact = false;
    p.implicit_parent_owner_wx = false;
    p.root_listing_requires_rx = true;
    return p;
  }();
  return policy;
}

bool HasAccess(const AclState& state, const Caller& caller, Perm wanted, const AclPolicy& policy) {
  if (wanted == 0) return true;
  return Evaluate(state, caller, wanted, policy).allowed;
}

Status CheckPathAccess(const std::vector<PathState>& ancestors, const PathState& item, const Caller& caller,
                       Perm wanted, const AclPolicy& policy) {
  for (const PathState& ancestor : ancestors) {
    const Evaluation e = Evaluate(ancestor.acl, caller, kExecute, policy);
    if (!e.allowed) {
      return PermissionDenied("caller " + CallerName(caller) + " needs --x (traverse) on \"" + ancestor.path +
                              "\" to reach \"" + item.path + "\" and has " + FormatPerm(e.granted));
    }
  }
  if (wanted == 0) return Status::Ok();
  const Evaluation e = Evaluate(item.acl, caller, wanted, policy);
  if (!e.allowed) {
    return PermissionDenied("caller " + CallerName(caller) + " needs " + FormatPerm(wanted) + " on \"" + item.path +
                            "\" (missing " + Missing(wanted, e.granted) + ")");
  }
  return Status::Ok();
}

Status CheckRemoveChild(const PathState& parent, const PathState& child, const Caller& caller,
                        const AclPolicy& policy) {
  const Perm wanted = kWrite | kExecute;
  const Evaluation e = Evaluate(parent.acl, caller, wanted, policy);
  if (!e.allowed) {
    return PermissionDenied("caller " + CallerName(caller) + " needs -wx on directory \"" + parent.path +
                            "\" to delete or rename \"" + child.path + "\" (missing " + Missing(wanted, e.granted) +
                            ")");
  }
  if (parent.acl.sticky && !caller.superuser && caller.user != child.acl.owner && caller.user != parent.acl.owner) {
    return PermissionDenied("directory \"" + parent.path + "\" has the sticky bit: only the owner of \"" + child.path +
                            "\" (\"" + child.acl.owner + "\"), the owner of the directory (\"" + parent.acl.owner +
                            "\") or a superuser may delete or rename it, not " + CallerName(caller));
  }
  return Status::Ok();
}

Status CheckOwnerOrSuperuser(const PathState& item, const Caller& caller, const char* operation) {
  if (caller.superuser || (!caller.user.empty() && caller.user == item.acl.owner)) return Status::Ok();
  return PermissionDenied(std::string(operation) + " on \"" + item.path + "\": only the owner (\"" + item.acl.owner +
                          "\") or a superuser may do this, not " + CallerName(caller));
}

Status CheckChangeOwner(const PathState& item, const Caller& caller, const std::optional<std::string>& new_owner,
                        const std::optional<std::string>& new_group) {
  if (caller.superuser) return Status::Ok();
  if (new_owner && *new_owner != item.acl.owner) {
    return PermissionDenied("only a superuser may change the owner of \"" + item.path + "\" (from \"" + item.acl.owner +
                            "\" to \"" + *new_owner + "\"); caller is " + CallerName(caller));
  }
  if (caller.user.empty() || caller.user != item.acl.owner) {
    return PermissionDenied("only the owner (\"" + item.acl.owner + "\") or a superuser may change the group of \"" +
                            item.path + "\", not " + CallerName(caller));
  }
  if (new_group && *new_group != item.acl.group && !caller.InGroup(*new_group)) {
    return PermissionDenied("the owner may only change the group of \"" + item.path + "\" to a group it belongs to; " +
                            CallerName(caller) + " is not a member of \"" + *new_group + "\"");
  }
  return Status::Ok();
}

AclState InheritForNewChild(const AclState& parent, const NewChildRequest& request, const AclPolicy& policy) {
  const Mode default_mode = request.is_directory ? policy.default_dir_mode : policy.default_file_mode;
  AclState child;
  if (parent.default_acl.empty()) {
    Mode mode = 0;
    if (request.requested_mode && policy.explicit_mode_is_exact) {
      mode = *request.requested_mode;
    } else {
      const Mode umask =
          policy.umask_parameter ? request.request_umask.value_or(policy.default_umask) : policy.fixed_umask;
      mode = static_cast<Mode>(request.requested_mode.value_or(default_mode) & ~umask);
    }
    child = AclState::FromMode(request.owner, parent.group, mode);
  } else {
    child.owner = request.owner;
    child.group = parent.group;
    child.access = parent.default_acl;
    for (AclEntry& e : child.access) e.scope = Scope::kAccess;
    // The limiting bits for user::, the group class (mask, else group::) and other::.
    Mode limit = 0777;
    if (policy.default_acl_rule == DefaultAclRule::kFixedUmask) {
      limit = static_cast<Mode>(0777 & ~policy.fixed_umask);
    } else {
      const Mode requested = request.requested_mode.value_or(default_mode);
      limit = static_cast<Mode>(requested & 0777);
      child.sticky = (requested & kStickyBit) != 0;
    }
    AclEntry* group_class = FindEntry(child.access, EntryType::kMask, "");
    if (group_class == nullptr) group_class = FindEntry(child.access, EntryType::kGroup, "");
    AclEntry* user = FindEntry(child.access, EntryType::kUser, "");
    AclEntry* other = FindEntry(child.access, EntryType::kOther, "");
    if (user) user->perm &= static_cast<Perm>((limit >> 6) & 7);
    if (group_class) group_class->perm &= static_cast<Perm>((limit >> 3) & 7);
    if (other) other->perm &= static_cast<Perm>(limit & 7);
    if (request.is_directory) child.default_acl = parent.default_acl;
  }
  if (request.is_directory && request.implicit_parent && policy.implicit_parent_owner_wx) {
    if (AclEntry* user = FindEntry(child.access, EntryType::kUser, "")) user->perm |= kWrite | kExecute;
  }
  return child;
}

}  // namespace lakeshift::acl
