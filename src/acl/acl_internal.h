#pragma once
// Helpers shared by acl.cc, acl_transform.cc and access.cc. Not part of the module's interface.

#include <string>
#include <string_view>
#include <vector>

#include "acl/acl.h"

namespace lakeshift::acl {

// HDFS order: scope (access first), type (user, group, mask, other), then name with unnamed first.
int CompareEntries(const AclEntry& a, const AclEntry& b);
void SortCanonical(std::vector<AclEntry>& entries);
// "user:bob", "default:user::", "mask::": identifies an entry by scope, type and name for messages.
std::string EntryKey(const AclEntry& entry);
const AclEntry* FindEntry(const std::vector<AclEntry>& entries, EntryType type, std::string_view name);
AclEntry* FindEntry(std::vector<AclEntry>& entries, EntryType type, std::string_view name);

}  // namespace lakeshift::acl
