#pragma once
// URL parsing, percent-decoding and secret redaction for logs and error messages.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace lakeshift::http {

struct Url {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // without brackets for IPv6 literals
  uint16_t port = 0;   // explicit, or the scheme's default
  std::string path;    // raw (percent-encoded), "/" when absent
  std::string query;   // raw, without '?'

  // "scheme://host[:port]" (port omitted when default), brackets around IPv6 hosts.
  std::string Origin() const;
  // path[?query]
  std::string Target() const;
};

// Parses an absolute http(s) URL. Userinfo and fragments are rejected/dropped.
Result<Url> ParseUrl(std::string_view text);

// Decodes %XX escapes (and '+' as space when plus_as_space). Error on malformed escapes.
Result<std::string> PercentDecode(std::string_view text, bool plus_as_space = false);
// Encodes every byte outside RFC 3986 unreserved characters; keeps '/' when keep_slash.
std::string PercentEncode(std::string_view text, bool keep_slash = false);

// True for query parameter names that carry secrets: sig, code, client_secret, token, password, ...
// and anything whose name contains "secret", "token", "password", "signature" or "credential".
bool IsSecretParameter(std::string_view name);
// Replaces the values of secret parameters in a raw query string with REDACTED.
std::string RedactQuery(std::string_view query);
// Redacts the query part of "path?query" or of a full URL.
std::string RedactTarget(std::string_view target);

}  // namespace lakeshift::http
