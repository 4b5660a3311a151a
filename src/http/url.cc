#include "http/url.h"

#include <array>
#include <charconv>

#include "http/headers.h"

namespace lakeshift::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::string Url::Origin() const {
  std::string out = scheme + "://";
  bool ipv6 = host.find(':') != std::string::npos;
  if (ipv6) out += '[';
  out += host;
  if (ipv6) out += ']';
  bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  if (!default_port) {
    out += ':';
    out += std::to_string(port);
  }
  return out;
}

std::string Url::Target() const {
  return query.empty() ? path : path + "?" + query;
}

Result<Url> ParseUrl(std::string_view text) {
  Url url;
  size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return InvalidArgument("URL has no scheme: " + RedactTarget(text));
  url.scheme = ToLower(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") {
    return InvalidArgument("URL scheme must be http or https: " + RedactTarget(text));
  }
  std::string_view rest = text.substr(scheme_end + 3);
  if (size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view path_query = authority_end == std::string_view::npos ? "" : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgument("URL with user info is not supported: " + RedactTarget(text));
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgument("bad IPv6 host in URL: " + RedactTarget(text));
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return InvalidArgument("bad host in URL: " + RedactTarget(text));
      port_text = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return InvalidArgument("URL has no host: " + RedactTarget(text));
  url.port = url.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || value == 0 || value > 65535) {
      return InvalidArgument("bad port in URL: " + RedactTarget(text));
    }
    url.port = static_cast<uint16_t>(value);
  }
  size_t q = path_query.find('?');
  url.path = std::string(path_query.substr(0, q));
  if (q != std::string_view::npos) url.query = std::string(path_query.substr(q + 1));
  if (url.path.empty()) url.path = "/";
  return url;
}

Result<std::string> PercentDecode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int hi = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) return InvalidArgument("malformed percent-encoding in: " + std::string(text));
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string PercentEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~' || (keep_slash && c == '/');
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

bool IsSecretParameter(std::string_view raw_name) {
  Result<std::string> decoded = PercentDecode(raw_name, true);
  std::string name = ToLower(decoded.ok() ? *decoded : std::string(raw_name));
  static constexpr std::array<std::string_view, 12> kExact = {
      "sig",  "code",         "key", "sas", "pwd", "passwd", "apikey", "api_key", "assertion", "client_assertion",
      "auth", "authorization"};
  for (std::string_view exact : kExact) {
    if (name == exact) return true;
  }
  static constexpr std::array<std::string_view, 5> kContains = {"secret", "token", "password", "signature",
                                                                "credential"};
  for (std::string_view part : kContains) {
    if (name.find(part) != std::string::npos) return true;
  }
  return false;
}

std::string RedactQuery(std::string_view query) {
  std::string out;
  out.reserve(query.size());
  while (true) {
    size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    size_t eq = param.find('=');
    if (eq != std::string_view::npos && IsSecretParameter(param.substr(0, eq))) {
      out.append(param.substr(0, eq + 1));
      out.append("REDACTED");
    } else {
      out.append(param);
    }
    if (amp == std::string_view::npos) break;
    out.push_back('&');
    query.remove_prefix(amp + 1);
  }
  return out;
}

std::string RedactTarget(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return std::string(target);
  std::string_view query = target.substr(q + 1);
  size_t hash = query.find('#');
  return std::string(target.substr(0, q + 1)) + RedactQuery(query.substr(0, hash));
}

}  // namespace lakeshift::http
