#pragma once
// What the migration carries besides bytes: owner, group, permission bits and sticky bit, access and default
// ACLs, source times (in properties, since Gen2 cannot set Last-Modified) and expiry, with identities
// translated through an optional map for migrations across tenants.

#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>

#include "acl/acl.h"
#include "common/result.h"
#include "fs/filesystem.h"

namespace lakeshift::migrate {

// Property names under which the source's times are kept on the target (epoch milliseconds, decimal).
inline constexpr const char* kSourceModificationTimeProperty = "lakeshift_source_mtime";
inline constexpr const char* kSourceAccessTimeProperty = "lakeshift_source_atime";

enum class UnmappedPolicy : uint8_t { kKeep, kDrop, kStop };

// Source object id -> target object id, from a CSV file ("source,target" per line; '#' comments and a
// header line whose first field is not an id are allowed).
class IdentityMap {
 public:
  static Result<IdentityMap> LoadCsv(const std::string& file);
  void Add(std::string source, std::string target) { map_[std::move(source)] = std::move(target); }
  bool empty() const { return map_.empty(); }
  const std::string* Find(const std::string& source) const {
    auto it = map_.find(source);
    return it == map_.end() ? nullptr : &it->second;
  }

 private:
  std::unordered_map<std::string, std::string> map_;
};

// The complete metadata of one source item.
struct SourceMetadata {
  acl::AclState acl;  // owner, group, sticky, access and default entries
  int64_t modification_time_ms = 0;
  int64_t access_time_ms = 0;
  int64_t expiry_time_ms = 0;
};

// Reads an item's metadata: the ACL is fetched only when the store has ACLs and the item has more than
// its mode (aclBit), otherwise it is the minimal ACL of the mode.
Result<SourceMetadata> ReadSourceMetadata(fs::FileSystem& source, const std::string& path, const fs::FileInfo& info);

// A stable text of everything that decides whether metadata must be applied again on a re-run.
std::string MetadataSignature(const SourceMetadata& metadata);

// Applies the identity map to owner, group and named entries. Unmapped ids follow the policy: kept as they
// are, dropped (named entries removed; owner/group left to the target's default), or an error naming them.
// Every unmapped id is added to `unmapped`. Ids that are not object ids ("$superuser", empty) pass through.
// With `host_accounts` (a local directory's user and group names), every owner and group goes through the map
// and one without an entry is left to the target's default (unless the policy is kStop): Gen2 holds object
// ids, not host account names.
Result<acl::AclState> MapIdentities(const acl::AclState& acl, const IdentityMap& map, UnmappedPolicy policy,
                                    std::set<std::string>* unmapped, bool host_accounts = false);

// How to create an item on the target so that it ends up exactly like the source: owner and group when
// the target can set them; either the exact mode (umask 0) or the whole ACL; times in properties; expiry.
struct TargetPlan {
  fs::CreateOptions create;
  // A follow-up change after creation: the sticky bit cannot ride on an ACL, and owner/group/ACL go in
  // a separate call where the store cannot take them at create.
  std::optional<fs::AccessControlChange> after_create;
};
TargetPlan PlanTarget(const acl::AclState& mapped, const SourceMetadata& source, bool is_directory,
                      const fs::Capabilities& target);

// The metadata-only update for an item whose content is already on the target.
fs::AccessControlChange FullAccessControl(const acl::AclState& mapped, const fs::Capabilities& target);

}  // namespace lakeshift::migrate
