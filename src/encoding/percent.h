#pragma once
// Percent-encoding as the Gen1 (WebHDFS) and Gen2 (DFS) clients put it on the wire, and decoding of what
// they send. Unreserved bytes (A-Z a-z 0-9 - . _ ~) are kept, every other byte becomes %XX (uppercase hex);
// unicode is encoded as its UTF-8 bytes.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace lakeshift::encoding {

// A path for a URL: '/' is kept, so "/a b/ÄÖ" -> "/a%20b/%C3%84%C3%96" (like Python quote(path, safe='/')).
std::string PercentEncodePath(std::string_view path);
// One path segment, query name or query value: '/' is encoded too, as are + & = # % , and space (%20).
std::string PercentEncodeComponent(std::string_view text);

// Decodes %XX escapes. With plus_as_space a '+' becomes a space (form / query encoding). With require_utf8 the
// decoded bytes must be valid UTF-8. Errors name the byte offset and the bad text.
Result<std::string> PercentDecode(std::string_view text, bool plus_as_space = false, bool require_utf8 = false);

// Byte offset of the first byte that breaks UTF-8 (overlong forms, surrogates and code points above U+10FFFF
// are invalid), or nullopt when `text` is valid.
std::optional<size_t> FindInvalidUtf8(std::string_view text);

struct QueryParam {
  std::string name;
  std::string value;
  bool operator==(const QueryParam&) const = default;
};

// Splits a raw query string ("a=1&b=x%20y", an optional leading '?' is skipped) into decoded pairs in their
// original order; duplicates are kept, empty pieces ("a=1&&b=2") skipped, "flag" gives an empty value.
// '+' decodes to a space unless plus_as_space is false.
Result<std::vector<QueryParam>> ParseQueryString(std::string_view query, bool plus_as_space = true);
// The inverse: "name=value&..." with both parts percent-encoded by PercentEncodeComponent.
std::string BuildQueryString(const std::vector<QueryParam>& params);

}  // namespace lakeshift::encoding
