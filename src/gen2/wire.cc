#include "gen2/wire.h"

#include <nlohmann/json.hpp>

#include "encoding/base64.h"
#include "encoding/time_format.h"
#include "gen2/errors.h"

namespace lakeshift::gen2 {

Result<fs::Properties> ParseProperties(std::string_view header) {
  fs::Properties out;
  size_t start = 0;
  while (start <= header.size()) {
    size_t end = header.find(',', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view pair = header.substr(start, end - start);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.empty() && end == header.size() && start == 0) break;  // empty header: no properties
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    if (eq == std::string_view::npos || name.empty()) {
      return MakeError(400, "InvalidPropertyName", "x-ms-properties entry \"" + std::string(pair) + "\" has no name");
    }
    for (char c : name) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
        return MakeError(400, "InvalidPropertyName",
                         "property name \"" + std::string(name) + "\" contains invalid characters");
      }
    }
    auto value = encoding::Base64Decode(pair.substr(eq + 1));
    if (!value.ok()) {
      return MakeError(
          400, "InvalidHeaderValue",
          "x-ms-properties value of \"" + std::string(name) + "\" is not base64: " + value.status().message());
    }
    out[std::string(name)] = *value;
    start = end + 1;
  }
  return out;
}

std::string FormatProperties(const fs::Properties& properties) {
  std::string out;
  for (const auto& [name, value] : properties) {
    if (!out.empty()) out += ',';
    out += name + "=" + encoding::Base64Encode(value);
  }
  return out;
}

std::string FormatPermissions(const fs::FileInfo& info) {
  return acl::FormatSymbolicMode(info.mode, info.has_extended_acl);
}

Status ValidateFilesystemName(std::string_view name) {
  if (name == "$root") return Status::Ok();
  auto bad = [&](const std::string& why) {
    return MakeError(400, "InvalidResourceName", "filesystem name \"" + std::string(name) + "\" " + why);
  };
  if (name.size() < 3 || name.size() > 63) return bad("must be 3 to 63 characters long");
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return bad("may contain only lower-case letters, digits and '-'");
    }
  }
  if (name.front() == '-' || name.back() == '-') return bad("must start and end with a letter or digit");
  if (name.find("--") != std::string_view::npos) return bad("must not contain \"--\"");
  return Status::Ok();
}

std::string ListPathsEntryJson(const fs::FileInfo& info, std::string_view name) {
  // nlohmann's default object keeps keys sorted, which is the order the service emits.
  nlohmann::json entry = {
      {"contentLength", std::to_string(info.size)},
      {"creationTime", std::to_string(encoding::EpochMillisToFiletime(info.creation_time_ms))},
      {"etag", info.etag},
      {"expiryTime", info.expiry_time_ms ? std::to_string(encoding::EpochMillisToFiletime(info.expiry_time_ms)) : "0"},
      {"group", info.group},
      {"lastModified", encoding::FormatRfc1123(std::max(info.modification_time_ms, info.change_time_ms))},
      {"name", std::string(name)},
      {"owner", info.owner},
      {"permissions", FormatPermissions(info)},
  };
  if (info.is_directory()) entry["isDirectory"] = "true";
  return entry.dump();
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string UnquoteEtag(std::string_view value) {
  if (value.substr(0, 2) == "W/") value.remove_prefix(2);
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
  return std::string(value);
}

}  // namespace lakeshift::gen2
