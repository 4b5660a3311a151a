#include "migrate/metadata.h"

#include <fstream>
#include <sstream>

namespace lakeshift::migrate {
namespace {

std::string Trim(std::string s) {
  const char* ws = " \t\r\n\"";
  s.erase(0, s.find_first_not_of(ws));
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}

// Object ids are GUIDs; anything else (names, "$superuser") is not translated.
bool LooksLikeObjectId(const std::string& id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? id[i] != '-' : !std::isxdigit(static_cast<unsigned char>(id[i]))) return false;
  }
  return true;
}

}  // namespace

Result<IdentityMap> IdentityMap::LoadCsv(const std::string& file) {
  std::ifstream in(file);
  if (!in) return Status(StatusCode::kInvalidArgument, "cannot read the identity map " + file);
  IdentityMap map;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    size_t comma = trimmed.find(',');
    if (comma == std::string::npos) {
      return Status(StatusCode::kInvalidArgument,
                    file + " line " + std::to_string(number) + ": expected \"source object id,target object id\"");
    }
    std::string source = Trim(trimmed.substr(0, comma));
    std::string target = Trim(trimmed.substr(comma + 1));
    if (number == 1 && !LooksLikeObjectId(source)) continue;  // a header line
    if (source.empty() || target.empty() || target.find(',') != std::string::npos) {
      return Status(StatusCode::kInvalidArgument,
                    file + " line " + std::to_string(number) + ": expected \"source object id,target object id\"");
    }
    map.Add(std::move(source), std::move(target));
  }
  return map;
}

Result<SourceMetadata> ReadSourceMetadata(fs::FileSystem& source, const std::string& path, const fs::FileInfo& info) {
  SourceMetadata m;
  m.modification_time_ms = info.modification_time_ms;
  m.access_time_ms = info.access_time_ms;
  m.expiry_time_ms = info.expiry_time_ms;
  if (source.capabilities().acls && info.has_extended_acl) {
    ASSIGN_OR_RETURN(m.acl, source.GetAccessControl(path));
  } else {
    m.acl = acl::AclState::FromMode(info.owner, info.group, info.mode);
  }
  return m;
}

std::string MetadataSignature(const SourceMetadata& m) {
  std::ostringstream out;
  out << "owner=" << m.acl.owner << ";group=" << m.acl.group << ";mode=" << acl::FormatOctalMode(m.acl.mode())
      << ";acl=" << m.acl.ToSpec() << ";expiry=" << m.expiry_time_ms;
  return out.str();
}

Result<acl::AclState> MapIdentities(const acl::AclState& in, const IdentityMap& map, UnmappedPolicy policy,
                                    std::set<std::string>* unmapped, bool host_accounts) {
  if (map.empty() && !host_accounts) return in;
  acl::AclState out = in;
  std::string first_unmapped;
  // Returns false when the id should be dropped.
  auto translate = [&](std::string& id) {
    if (id.empty()) return true;
    if (!host_accounts && !LooksLikeObjectId(id)) return true;
    if (const std::string* target = map.Find(id)) {
      id = *target;
      return true;
    }
    if (unmapped) unmapped->insert(id);
    if (first_unmapped.empty()) first_unmapped = id;
    return policy == UnmappedPolicy::kKeep && !host_accounts;
  };
  if (!translate(out.owner)) out.owner.clear();
  if (!translate(out.group)) out.group.clear();
  for (auto* entries : {&out.access, &out.default_acl}) {
    std::vector<acl::AclEntry> kept;
    for (acl::AclEntry e : *entries) {
      if (e.is_named() && !translate(e.name)) continue;
      kept.push_back(std::move(e));
    }
    *entries = std::move(kept);
  }
  if (policy == UnmappedPolicy::kStop && !first_unmapped.empty()) {
    return Status(StatusCode::kInvalidArgument, "identity " + first_unmapped +
                                                    " is not in the identity map (--unmapped stop); add it to the map, "
                                                    "or choose --unmapped keep or drop");
  }
  return out;
}

TargetPlan PlanTarget(const acl::AclState& mapped, const SourceMetadata& source, bool is_directory,
                      const fs::Capabilities& target) {
  TargetPlan plan;
  fs::CreateOptions& c = plan.create;
  if (target.set_owner) {
    if (!mapped.owner.empty()) c.owner = mapped.owner;
    if (!mapped.group.empty()) c.group = mapped.group;
  }
  if (target.acls) {
    // Always the whole ACL, even a minimal one: a permission would be merged with a default ACL the target
    // parent has (inheritance), and the source item may have dropped what its parent's default gave it.
    c.acl = mapped.AllEntries();
    if (mapped.sticky) {  // an ACL cannot carry the sticky bit; the permissions call keeps the ACL
      fs::AccessControlChange change;
      change.mode = mapped.mode();
      plan.after_create = std::move(change);
    }
  } else {
    c.permission = mapped.mode();
    c.umask = 0;
  }
  if (target.properties) {
    c.properties[kSourceModificationTimeProperty] = std::to_string(source.modification_time_ms);
    c.properties[kSourceAccessTimeProperty] = std::to_string(source.access_time_ms);
  }
  if (!is_directory && target.expiry && source.expiry_time_ms > 0) c.expiry_time_ms = source.expiry_time_ms;
  return plan;
}

fs::AccessControlChange FullAccessControl(const acl::AclState& mapped, const fs::Capabilities& target) {
  fs::AccessControlChange change;
  if (target.set_owner) {
    if (!mapped.owner.empty()) change.owner = mapped.owner;
    if (!mapped.group.empty()) change.group = mapped.group;
  }
  if (target.acls) {
    change.acl_op = fs::AclOp::kReplace;
    change.acl_entries = mapped.AllEntries();
    if (mapped.sticky) change.mode = mapped.mode();
  } else {
    change.mode = mapped.mode();
  }
  return change;
}

}  // namespace lakeshift::migrate
