// SETACL / MODIFYACLENTRIES / REMOVEACLENTRIES / REMOVEACL / REMOVEDEFAULTACL / chmod, following HDFS
// AclTransformation: entries are collected per scope with masks held aside, missing default base entries are
// copied from the access ACL, masks are recomputed for every changed scope unless the spec set one, and the
// result is validated (base entries present, no duplicates, at most kMaxEntriesPerAcl per scope).

#include <optional>

#include "acl/acl.h"
#include "acl/acl_internal.h"

namespace lakeshift::acl {
namespace {

constexpr size_t kScopes = 2;
size_t Index(Scope scope) {
  return scope == Scope::kAccess ? 0 : 1;
}
const char* ScopeLabel(size_t index) {
  return index == 0 ? "access ACL" : "default ACL";
}

// Work in progress of one transformation. Masks are kept out of `entries` until CalculateMasks.
struct Builder {
  std::vector<AclEntry> entries;
  std::optional<AclEntry> provided_mask[kScopes];
  bool mask_dirty[kScopes] = {false, false};   // the spec set or removed the mask of this scope
  bool scope_dirty[kScopes] = {false, false};  // the spec touched this scope

  void Keep(const AclEntry& e) {
    if (e.type == EntryType::kMask) {
      provided_mask[Index(e.scope)] = e;
    } else {
      entries.push_back(e);
    }
  }
  void TakeFromSpec(const AclEntry& e) {
    scope_dirty[Index(e.scope)] = true;
    if (e.type == EntryType::kMask) mask_dirty[Index(e.scope)] = true;
    Keep(e);
  }
};

// The spec itself: no duplicate keys, no id on mask/other (specs may come from code, not only the parser).
Status ValidateSpec(const std::vector<AclEntry>& spec) {
  for (size_t i = 0; i < spec.size(); ++i) {
    const AclEntry& e = spec[i];
    if (e.is_named() && (e.type == EntryType::kMask || e.type == EntryType::kOther)) {
      return InvalidArgument("ACL entry " + std::to_string(i + 1) + " \"" + e.ToString() +
                             "\": a mask or other entry cannot have an id");
    }
    if (e.perm > kAll) {
      return InvalidArgument("ACL entry " + std::to_string(i + 1) + " \"" + EntryKey(e) + "\": permission bits " +
                             std::to_string(e.perm) + " out of range 0..7");
    }
    for (size_t j = 0; j < i; ++j) {
      if (CompareEntries(spec[j], e) == 0) {
        return InvalidArgument("ACL spec has duplicate entries for \"" + EntryKey(e) + "\" (entries " +
                               std::to_string(j + 1) + " and " + std::to_string(i + 1) + ")");
      }
    }
  }
  return Status::Ok();
}

// A default ACL that lacks user::, group:: or other:: gets them from the access ACL (HDFS copyDefaultsIfNeeded).
void CopyDefaultsIfNeeded(std::vector<AclEntry>& entries) {
  std::vector<AclEntry> access, defaults;
  for (const AclEntry& e : entries) (e.scope == Scope::kAccess ? access : defaults).push_back(e);
  if (defaults.empty()) return;
  for (EntryType type : {EntryType::kUser, EntryType::kGroup, EntryType::kOther}) {
    if (FindEntry(defaults, type, "") != nullptr) continue;
    if (const AclEntry* base = FindEntry(access, type, "")) entries.push_back({Scope::kDefault, type, "", base->perm});
  }
}

Status CalculateMasks(Builder& b) {
  bool scope_found[kScopes] = {false, false};
  bool mask_needed[kScopes] = {false, false};
  Perm group_class[kScopes] = {0, 0};  // union of named users, owning group and named groups
  for (const AclEntry& e : b.entries) {
    const size_t s = Index(e.scope);
    scope_found[s] = true;
    if (e.type == EntryType::kGroup || e.is_named()) group_class[s] |= e.perm;
    if (e.is_named()) mask_needed[s] = true;
  }
  for (size_t s = 0; s < kScopes; ++s) {
    if (!scope_found[s]) continue;
    const std::optional<AclEntry>& provided = b.provided_mask[s];
    if (!provided && mask_needed[s] && b.mask_dirty[s]) {
      return InvalidArgument(std::string("\"") + (s == 0 ? "" : "default:") + "mask::\" cannot be removed while the " +
                             ScopeLabel(s) + " still has named user or group entries");
    }
    if (provided && (!b.scope_dirty[s] || b.mask_dirty[s])) {
      b.entries.push_back(*provided);  // set by the spec, or an untouched scope keeps its mask
    } else if (mask_needed[s] || provided) {
      b.entries.push_back({s == 0 ? Scope::kAccess : Scope::kDefault, EntryType::kMask, "", group_class[s]});
    }
  }
  return Status::Ok();
}

// Validates the finished builder and stores it into `state` (only when everything is valid).
Status Commit(Builder& b, AclState& state, bool is_directory, const std::vector<AclEntry>& spec) {
  CopyDefaultsIfNeeded(b.entries);
  RETURN_IF_ERROR(CalculateMasks(b));
  SortCanonical(b.entries);
  std::vector<AclEntry> scoped[kScopes];
  for (size_t i = 0; i < b.entries.size(); ++i) {
    const AclEntry& e = b.entries[i];
    if (i > 0 && CompareEntries(b.entries[i - 1], e) == 0) {
      return InvalidArgument("ACL would contain \"" + EntryKey(e) + "\" twice");
    }
    scoped[Index(e.scope)].push_back(e);
  }
  if (!is_directory && !scoped[1].empty()) {
    std::string example = EntryKey(scoped[1].front());
    for (const AclEntry& e : spec) {
      if (e.scope == Scope::kDefault) {
        example = e.ToString();
        break;
      }
    }
    return InvalidArgument("default ACL entries are only allowed on directories (got \"" + example + "\")");
  }
  for (size_t s = 0; s < kScopes; ++s) {
    if (scoped[s].size() > kMaxEntriesPerAcl) {
      return InvalidArgument(std::string(ScopeLabel(s)) + " would have " + std::to_string(scoped[s].size()) +
                             " entries; the limit is " + std::to_string(kMaxEntriesPerAcl));
    }
    if (s == 1 && scoped[s].empty()) continue;
    for (EntryType type : {EntryType::kUser, EntryType::kGroup, EntryType::kOther}) {
      if (FindEntry(scoped[s], type, "") == nullptr) {
        const AclEntry missing{s == 0 ? Scope::kAccess : Scope::kDefault, type, "", 0};
        return InvalidArgument(std::string(ScopeLabel(s)) + " would lack the required \"" + EntryKey(missing) +
                               "\" entry (user::, group:: and other:: are required)");
      }
    }
  }
  state.access = std::move(scoped[0]);
  state.default_acl = std::move(scoped[1]);
  return Status::Ok();
}

}  // namespace

Status SetAcl(AclState& state, const std::vector<AclEntry>& spec, bool is_directory) {
  RETURN_IF_ERROR(ValidateSpec(spec));
  Builder b;
  for (const AclEntry& e : spec) b.TakeFromSpec(e);
  // A scope the spec does not mention is kept as it is.
  for (const std::vector<AclEntry>* existing : {&state.access, &state.default_acl}) {
    for (const AclEntry& e : *existing) {
      if (!b.scope_dirty[Index(e.scope)]) b.Keep(e);
    }
  }
  return Commit(b, state, is_directory, spec);
}

Status ReplaceAcl(AclState& state, const std::vector<AclEntry>& spec, bool is_directory) {
  RETURN_IF_ERROR(ValidateSpec(spec));
  Builder b;
  for (const AclEntry& e : spec) b.TakeFromSpec(e);
  // The access scope must be complete; a default scope the spec does not mention is dropped.
  for (const AclEntry& e : state.access) {
    if (!b.scope_dirty[Index(e.scope)]) b.Keep(e);
  }
  return Commit(b, state, is_directory, spec);
}

Status ModifyAclEntries(AclState& state, const std::vector<AclEntry>& spec, bool is_directory) {
  RETURN_IF_ERROR(ValidateSpec(spec));
  Builder b;
  std::vector<bool> used(spec.size(), false);
  for (const std::vector<AclEntry>* existing : {&state.access, &state.default_acl}) {
    for (const AclEntry& e : *existing) {
      bool replaced = false;
      for (size_t i = 0; i < spec.size() && !replaced; ++i) {
        if (CompareEntries(spec[i], e) == 0) {
          b.TakeFromSpec(spec[i]);
          used[i] = replaced = true;
        }
      }
      if (!replaced) b.Keep(e);
    }
  }
  for (size_t i = 0; i < spec.size(); ++i) {
    if (!used[i]) b.TakeFromSpec(spec[i]);  // new entries
  }
  return Commit(b, state, is_directory, spec);
}

Status RemoveAclEntries(AclState& state, const std::vector<AclEntry>& spec, bool is_directory) {
  RETURN_IF_ERROR(ValidateSpec(spec));
  for (const AclEntry& e : spec) {
    // Default base entries are re-inferred from the access ACL, so removing them is allowed (as in HDFS).
    if (e.scope == Scope::kAccess && !e.is_named() && e.type != EntryType::kMask) {
      return InvalidArgument("cannot remove the base entry \"" + EntryKey(e) +
                             "\" (user::, group:: and other:: are required)");
    }
  }
  Builder b;
  for (const std::vector<AclEntry>* existing : {&state.access, &state.default_acl}) {
    for (const AclEntry& e : *existing) {
      bool removed = false;
      for (const AclEntry& s : spec) removed = removed || CompareEntries(s, e) == 0;
      if (removed) {
        b.scope_dirty[Index(e.scope)] = true;
        if (e.type == EntryType::kMask) b.mask_dirty[Index(e.scope)] = true;
      } else {
        b.Keep(e);
      }
    }
  }
  return Commit(b, state, is_directory, spec);
}

void RemoveAcl(AclState& state) {
  // The owning group keeps what it was effectively granted (group & mask), as Linux setfacl -b does: taking the
  // mask's bits could widen its access, taking group:: alone (HDFS) could too when the mask was narrower.
  const Perm group = static_cast<Perm>(state.group_perm() & state.effective_mask());
  state.access = {
      {Scope::kAccess, EntryType::kUser, "", state.owner_perm()},
      {Scope::kAccess, EntryType::kGroup, "", group},
      {Scope::kAccess, EntryType::kOther, "", state.other_perm()},
  };
}

void RemoveDefaultAcl(AclState& state) {
  state.default_acl.clear();
}

void SetMode(AclState& state, Mode mode) {
  if (AclEntry* user = FindEntry(state.access, EntryType::kUser, "")) user->perm = static_cast<Perm>((mode >> 6) & 7);
  AclEntry* group_class = FindEntry(state.access, EntryType::kMask, "");
  if (group_class == nullptr) group_class = FindEntry(state.access, EntryType::kGroup, "");
  if (group_class != nullptr) group_class->perm = static_cast<Perm>((mode >> 3) & 7);
  if (AclEntry* other = FindEntry(state.access, EntryType::kOther, "")) other->perm = static_cast<Perm>(mode & 7);
  state.sticky = (mode & kStickyBit) != 0;
}

}  // namespace lakeshift::acl
