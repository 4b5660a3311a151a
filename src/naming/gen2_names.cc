#include "naming/gen2_names.h"

#include <cstdio>
#include <vector>

#include "encoding/digest.h"

namespace lakeshift::naming {
namespace {

// One UTF-8 sequence (or one byte of an invalid one) at a position.
struct CodeUnit {
  char32_t cp = 0;
  size_t len = 1;
  bool valid = false;
};

CodeUnit DecodeAt(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  if (b0 < 0x80) return {b0, 1, true};
  size_t len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return {};  // a continuation byte or 0xF8..0xFF where a sequence should start
  }
  if (i + len > s.size()) return {};
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};  // overlong, too big, surrogate
  return {cp, len, true};
}

bool IsControl(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}
bool IsPrivateUse(char32_t cp) {
  return (cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xF0000;  // BMP area, planes 15 and 16
}
bool IsNoncharacter(char32_t cp) {
  return (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
}
// A character that is a problem wherever it appears in a name.
bool IsBadCharacter(char32_t cp) {
  return cp == '/' || cp == ':' || cp == '\\' || IsControl(cp) || IsPrivateUse(cp) || IsNoncharacter(cp);
}

bool OnlySpacesOrTabs(std::string_view name) {
  return !name.empty() && name.find_first_not_of(" \t") == std::string_view::npos;
}

std::string CodePointName(char32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

std::string CharacterProblem(char32_t cp) {
  if (cp == '/') return "contains '/'";
  if (cp == ':') return "contains ':'";
  if (cp == '\\') return "contains '\\' (the Blob API turns it into '/')";
  if (IsControl(cp)) return "contains the control character " + CodePointName(cp);
  if (IsPrivateUse(cp)) return "contains the private-use code point " + CodePointName(cp) + ", which Azure rejects";
  return "contains the Unicode noncharacter " + CodePointName(cp) + ", which Azure rejects";
}

// The name for messages: non-printable bytes as \xNN, at most 64 bytes shown.
std::string Printable(std::string_view name) {
  std::string out;
  size_t shown = std::min<size_t>(name.size(), 64);
  for (size_t i = 0; i < shown; ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7F || c == '"' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (shown < name.size()) out += "...";
  return out;
}

void AppendEscaped(std::string& out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    out += '%';
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
}

std::string HashHex(std::string_view name) {
  auto digest = encoding::Sha256(name);
  if (digest.ok()) return encoding::HexEncode(std::string_view(*digest).substr(0, 16));
  // SHA-256 cannot fail in practice; should OpenSSL refuse, two CRC-64s still give a deterministic tag.
  return encoding::HexEncode(encoding::Crc64(name)) + encoding::HexEncode(encoding::Crc64(std::string(name) + "\x01"));
}

}  // namespace

std::optional<std::string> Gen2ComponentProblem(std::string_view name) {
  if (name.empty()) return "is empty";
  for (size_t i = 0; i < name.size();) {
    CodeUnit u = DecodeAt(name, i);
    if (!u.valid) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "is not valid UTF-8 (byte 0x%02X at offset %zu)",
                    static_cast<unsigned>(static_cast<unsigned char>(name[i])), i);
      return std::string(buf);
    }
    i += u.len;
  }
  if (OnlySpacesOrTabs(name)) return "consists only of spaces or tabs";
  for (size_t i = 0; i < name.size();) {
    CodeUnit u = DecodeAt(name, i);
    if (IsBadCharacter(u.cp)) return CharacterProblem(u.cp);
    i += u.len;
  }
  if (name.back() == '.') return "ends with '.'";
  if (name.size() > kMaxGen2NameBytes) {
    return "is " + std::to_string(name.size()) + " bytes long; Gen2 allows at most " +
           std::to_string(kMaxGen2NameBytes) + " per name";
  }
  return std::nullopt;
}

std::optional<std::string> Gen2PathProblem(std::string_view path) {
  if (path.empty()) return "is empty";
  if (path == "/") return std::nullopt;
  std::string_view body = path.front() == '/' ? path.substr(1) : path;
  if (body.back() == '/') return "ends with '/'";
  if (body.front() == '/' || body.find("//") != std::string_view::npos) {
    return "contains '//' (an empty path segment)";
  }
  size_t segments = 0;
  size_t utf16_units = 0;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('/', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view segment = body.substr(start, end - start);
    ++segments;
    if (auto problem = Gen2ComponentProblem(segment)) {
      return "component " + std::to_string(segments) + " \"" + Printable(segment) + "\" " + *problem;
    }
    start = end + 1;
  }
  for (size_t i = 0; i < body.size();) {
    CodeUnit u = DecodeAt(body, i);  // valid: every component passed the UTF-8 check
    utf16_units += u.cp >= 0x10000 ? 2 : 1;
    i += u.len;
  }
  if (segments > kMaxGen2PathSegments) {
    return "has " + std::to_string(segments) + " path segments; Gen2 allows at most " +
           std::to_string(kMaxGen2PathSegments);
  }
  if (utf16_units > kMaxGen2PathChars) {
    return "is " + std::to_string(utf16_units) + " characters long; Gen2 allows at most " +
           std::to_string(kMaxGen2PathChars);
  }
  return std::nullopt;
}

std::string Gen2SafeName(std::string_view name) {
  if (!Gen2ComponentProblem(name)) return std::string(name);
  const bool escape_whitespace = OnlySpacesOrTabs(name);
  std::string out;
  std::vector<size_t> boundaries;  // offsets in `out` between whole characters or escapes
  for (size_t i = 0; i < name.size();) {
    CodeUnit u = DecodeAt(name, i);
    std::string_view bytes = name.substr(i, u.len);
    bool trailing_dot = u.valid && u.cp == '.' && i + 1 == name.size();
    if (!u.valid || u.cp == '%' || IsBadCharacter(u.cp) || escape_whitespace || trailing_dot) {
      AppendEscaped(out, bytes);
    } else {
      out += bytes;
    }
    boundaries.push_back(out.size());
    i += u.len;
  }
  if (!out.empty() && out.size() <= kMaxGen2NameBytes) return out;
  // Too long (or empty): a readable prefix and a hash of the original.
  std::string tag = "%~" + HashHex(name);
  size_t room = kMaxGen2NameBytes - tag.size();
  size_t cut = 0;
  for (size_t b : boundaries) {
    if (b > room) break;
    cut = b;
  }
  return out.substr(0, cut) + tag;
}

}  // namespace lakeshift::naming
