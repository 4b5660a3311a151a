#include "encoding/percent.h"

#include <cstdint>

namespace lakeshift::encoding {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

std::string Encode(std::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size() * 3);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHexUpper[c >> 4]);
      out.push_back(kHexUpper[c & 0xF]);
    }
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Shows a byte of user text safely inside an error message.
std::string Quote(std::string_view text) {
  constexpr size_t kMax = 80;  // keep messages readable for long inputs
  std::string out = "\"";
  out.append(text.substr(0, kMax));
  if (text.size() > kMax) out += "...";
  out += "\"";
  return out;
}

}  // namespace

std::string PercentEncodePath(std::string_view path) {
  return Encode(path, /*keep_slash=*/true);
}
std::string PercentEncodeComponent(std::string_view text) {
  return Encode(text, /*keep_slash=*/false);
}

Result<std::string> PercentDecode(std::string_view text, bool plus_as_space, bool require_utf8) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (text.size() - i < 3) {
        return InvalidArgument("truncated percent-escape \"" + std::string(text.substr(i)) + "\" at byte " +
                               std::to_string(i) + " of " + Quote(text) + " (expected %XX with two hex digits)");
      }
      const int hi = HexValue(text[i + 1]);
      const int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) {
        return InvalidArgument("bad percent-escape \"" + std::string(text.substr(i, 3)) + "\" at byte " +
                               std::to_string(i) + " of " + Quote(text) + " (expected %XX with two hex digits)");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  if (require_utf8) {
    if (std::optional<size_t> bad = FindInvalidUtf8(out)) {
      char hex[3] = {kHexUpper[static_cast<unsigned char>(out[*bad]) >> 4],
                     kHexUpper[static_cast<unsigned char>(out[*bad]) & 0xF], '\0'};
      return InvalidArgument("decoded " + Quote(text) + " is not valid UTF-8: byte 0x" + hex + " at decoded offset " +
                             std::to_string(*bad));
    }
  }
  return out;
}

std::optional<size_t> FindInvalidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;  // continuation byte without a lead, C0/C1 overlong leads, or F5..FF
    }
    if (text.size() - i < len) return i;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    if (overlong || surrogate || cp > 0x10FFFF) return i;
    i += len;
  }
  return std::nullopt;
}

Result<std::vector<QueryParam>> ParseQueryString(std::string_view query, bool plus_as_space) {
  if (!query.empty() && query.front() == '?') query.remove_prefix(1);
  std::vector<QueryParam> params;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view piece = query.substr(start, end - start);
    if (!piece.empty()) {
      const size_t eq = piece.find('=');
      const std::string_view raw_name = piece.substr(0, eq);
      const std::string_view raw_value = eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
      Result<std::string> name = PercentDecode(raw_name, plus_as_space);
      if (!name.ok()) return name.status().WithContext("query parameter name " + Quote(raw_name));
      Result<std::string> value = PercentDecode(raw_value, plus_as_space);
      if (!value.ok()) return value.status().WithContext("query parameter \"" + *name + "\"");
      params.push_back({std::move(name).value(), std::move(value).value()});
    }
    start = end + 1;
  }
  return params;
}

std::string BuildQueryString(const std::vector<QueryParam>& params) {
  std::string out;
  for (const QueryParam& p : params) {
    if (!out.empty()) out.push_back('&');
    out += PercentEncodeComponent(p.name);
    out.push_back('=');
    out += PercentEncodeComponent(p.value);
  }
  return out;
}

}  // namespace lakeshift::encoding
