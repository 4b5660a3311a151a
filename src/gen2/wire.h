#pragma once
// Gen2 wire formats shared by the emulator and the client: x-ms-properties, the x-ms-permissions form,
// List Paths JSON, filesystem names, and how FileInfo maps onto response headers.

#include <string>
#include <string_view>

#include "common/result.h"
#include "fs/filesystem.h"

namespace lakeshift::gen2 {

// "n1=base64(v1),n2=base64(v2)". Errors: 400 InvalidPropertyName / InvalidHeaderValue as Status.
Result<fs::Properties> ParseProperties(std::string_view header);
std::string FormatProperties(const fs::Properties& properties);

// "rwxr-x---" or "rwxr-x---+" (extended ACL); sticky shown as t/T.
std::string FormatPermissions(const fs::FileInfo& info);

// 3-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit, no "--" ($root allowed).
Status ValidateFilesystemName(std::string_view name);

// One List Paths entry: string-typed numbers, lower-case unquoted etag, FILETIME creation/expiry,
// isDirectory only for directories, keys in alphabetical order. `name` is relative to the filesystem root.
std::string ListPathsEntryJson(const fs::FileInfo& info, std::string_view name);

// Escapes text for XML element content and attribute values (Blob API bodies).
std::string XmlEscape(std::string_view text);

// Quoted ETag header value from a store etag.
inline std::string QuotedEtag(std::string_view etag) {
  std::string quoted;  // appended, not "\"" + ...: GCC 12 warns (-Wrestrict) falsely on that
  quoted.reserve(etag.size() + 2);
  quoted += '"';
  quoted += etag;
  quoted += '"';
  return quoted;
}
// Strips quotes (and a W/ prefix) from an If-Match style value.
std::string UnquoteEtag(std::string_view value);

}  // namespace lakeshift::gen2
