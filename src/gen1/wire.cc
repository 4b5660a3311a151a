#include "gen1/wire.h"

#include <nlohmann/json.hpp>

namespace lakeshift::gen1 {
namespace {

using Json = nlohmann::ordered_json;

Json FileStatus(const fs::FileInfo& info, std::string_view path_suffix) {
  bool file = info.is_file();
  Json j;
  j["length"] = file ? info.size : 0;
  j["pathSuffix"] = std::string(path_suffix);
  j["type"] = file ? "FILE" : "DIRECTORY";
  j["blockSize"] = file ? kFileBlockSize : 0;
  j["accessTime"] = info.access_time_ms;
  j["modificationTime"] = info.modification_time_ms;
  j["replication"] = file ? 1 : 0;
  j["permission"] = FormatPermission(info.mode);
  j["owner"] = info.owner;
  j["group"] = info.group;
  if (file) j["msExpirationTime"] = info.expiry_time_ms;  // directories carry none (recordings)
  j["aclBit"] = info.has_extended_acl;
  return j;
}

}  // namespace

std::string FormatPermission(acl::Mode mode) {
  return acl::FormatOctalMode(mode);
}

std::string FileStatusObject(const fs::FileInfo& info, std::string_view path_suffix) {
  return FileStatus(info, path_suffix).dump();
}

std::string FileStatusJson(const fs::FileInfo& info) {
  Json j;
  j["FileStatus"] = FileStatus(info, "");
  return j.dump();
}

std::string FileStatusesJson(const std::vector<fs::FileInfo>& entries, const std::vector<std::string>& names,
                             const std::optional<std::string>& continuation_token) {
  // Written piece by piece (one small document per entry) rather than as one tree: pages hold thousands.
  std::string out = "{\"FileStatuses\":{";
  if (continuation_token) out += "\"continuationToken\":" + Json(*continuation_token).dump() + ",";
  out += "\"FileStatus\":[";
  out.reserve(out.size() + entries.size() * 320);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out += ',';
    out += FileStatus(entries[i], names[i]).dump();
  }
  out += "]}}";
  return out;
}

std::string AclStatusJson(const acl::AclState& state) {
  Json entries = Json::array();
  for (const acl::AclEntry& e : state.AllEntries()) entries.push_back(e.ToString());
  Json inner;
  inner["entries"] = std::move(entries);
  inner["owner"] = state.owner;
  inner["group"] = state.group;
  inner["permission"] = FormatPermission(state.mode() & ~acl::kStickyBit);
  inner["stickyBit"] = state.sticky;
  Json j;
  j["AclStatus"] = std::move(inner);
  return j.dump();
}

std::string ContentSummaryJson(const ContentSummary& s) {
  Json inner;
  inner["directoryCount"] = s.directory_count;
  inner["fileCount"] = s.file_count;
  inner["length"] = s.length;
  inner["quota"] = -1;
  inner["spaceConsumed"] = s.length;
  inner["spaceQuota"] = -1;
  Json j;
  j["ContentSummary"] = std::move(inner);
  return j.dump();
}

std::string BooleanJson(bool value) {
  return value ? R"({"boolean":true})" : R"({"boolean":false})";
}

}  // namespace lakeshift::gen1
