#include "encoding/base64.h"

#include <cstdint>

namespace lakeshift::encoding {
namespace {

constexpr char kStandard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Encode(std::string_view bytes, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    if (rest == 2) out += alphabet[(v >> 6) & 63];
    if (pad) out.append(rest == 1 ? "==" : "=");
  }
  return out;
}

int Value(char c, bool url) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == (url ? '-' : '+')) return 62;
  if (c == (url ? '_' : '/')) return 63;
  return -1;
}

std::string Describe(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7F) return std::string("'") + c + "'";
  constexpr char kHex[] = "0123456789ABCDEF";
  return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
}

// Decodes `data` (no padding; length % 4 != 1) after the caller has stripped any padding.
Result<std::string> DecodeBody(std::string_view data, bool url, const char* name, std::string_view original) {
  auto fail = [&](size_t pos, const std::string& what) -> Status {
    return InvalidArgument(std::string("bad ") + name + " at offset " + std::to_string(pos) + ": " + what + " (in \"" +
                           std::string(original.substr(0, 80)) + (original.size() > 80 ? "..." : "") + "\")");
  };
  if (data.size() % 4 == 1) return fail(data.size() - 1, "a lone trailing character cannot encode a byte");
  std::string out;
  out.reserve(data.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    const int v = Value(data[i], url);
    if (v < 0) {
      if (data[i] == '=') return fail(i, "'=' padding is only allowed at the end");
      return fail(i, Describe(data[i]) + " is not in the " + name + " alphabet");
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return fail(data.size() - 1, "non-zero padding bits in the last character (not a canonical encoding)");
  }
  return out;
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  return Encode(bytes, kStandard, true);
}
std::string Base64UrlEncode(std::string_view bytes) {
  return Encode(bytes, kUrl, false);
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return InvalidArgument("bad base64 \"" + std::string(text.substr(0, 80)) + "\": length " +
                           std::to_string(text.size()) + " is not a multiple of 4");
  }
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  return DecodeBody(text.substr(0, text.size() - pad), false, "base64", text);
}

Result<std::string> Base64UrlDecode(std::string_view text) {
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  if (pad > 0 && text.size() % 4 != 0) {
    return InvalidArgument("bad base64url \"" + std::string(text.substr(0, 80)) +
                           "\": '=' padding present but the length is not a multiple of 4");
  }
  return DecodeBody(text.substr(0, text.size() - pad), true, "base64url", text);
}

}  // namespace lakeshift::encoding
