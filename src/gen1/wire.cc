#include "gen1/wire.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace lakeshift::gen1 {
namespace {

using Json = nlohmann::ordered_json;

// A JSON string literal: quotes, backslashes and control characters escaped, other bytes (UTF-8) as they are,
// as nlohmann's dump writes them. Runs of plain bytes are appended whole (listings write thousands of these).
void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t plain = 0;  // start of the run of plain bytes not yet appended
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(text.data() + plain, text.size() - plain);
  out += '"';
}

void AppendInt(std::string& out, int64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

// A FileStatus object in the service's field order, written directly (listing pages hold thousands of them).
void AppendFileStatus(std::string& out, const fs::FileInfo& info, std::string_view path_suffix) {
  bool file = info.is_file();
  out += "{\"length\":";
  AppendInt(out, file ? info.size : 0);
  out += ",\"pathSuffix\":";
  AppendJsonString(out, path_suffix);
  out += file ? ",\"type\":\"FILE\",\"blockSize\":" : ",\"type\":\"DIRECTORY\",\"blockSize\":";
  AppendInt(out, file ? kFileBlockSize : 0);
  out += ",\"accessTime\":";
  AppendInt(out, info.access_time_ms);
  out += ",\"modificationTime\":";
  AppendInt(out, info.modification_time_ms);
  out += file ? ",\"replication\":1,\"permission\":\"" : ",\"replication\":0,\"permission\":\"";
  acl::AppendOctalMode(out, info.mode);
  out += "\",\"owner\":";
  AppendJsonString(out, info.owner);
  out += ",\"group\":";
  AppendJsonString(out, info.group);
  if (file) {
    out += ",\"msExpirationTime\":";
    AppendInt(out, info.expiry_time_ms);
  }
  out += info.has_extended_acl ? ",\"aclBit\":true}" : ",\"aclBit\":false}";
}

}  // namespace

std::string FormatPermission(acl::Mode mode) {
  return acl::FormatOctalMode(mode);
}

std::string FileStatusObject(const fs::FileInfo& info, std::string_view path_suffix) {
  std::string out;
  AppendFileStatus(out, info, path_suffix);
  return out;
}

std::string FileStatusJson(const fs::FileInfo& info) {
  std::string out = "{\"FileStatus\":";
  AppendFileStatus(out, info, "");
  out += '}';
  return out;
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
    AppendFileStatus(out, entries[i], names[i]);
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
