#include "gen2/list_paths_json.h"

#include <cstdint>
#include <cstring>

namespace lakeshift::gen2 {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Status Run(const std::function<void(ListPathsEntry&)>& on_entry) {
    bool saw_paths = false;
    SkipSpace();
    if (!Eat('{')) return Error("expected an object");
    SkipSpace();
    if (Eat('}')) return NoPaths();
    while (true) {
      std::string key;
      if (!ReadString(key)) return Error("expected a key");
      SkipSpace();
      if (!Eat(':')) return Error("expected ':'");
      SkipSpace();
      if (key == "paths" && Peek() == '[') {
        saw_paths = true;
        if (!ReadPaths(on_entry)) return Error("malformed paths array");
      } else if (!SkipValue(0)) {
        return Error("malformed value");
      }
      SkipSpace();
      if (Eat(',')) {
        SkipSpace();
        continue;
      }
      if (Eat('}')) break;
      return Error("expected ',' or '}'");
    }
    SkipSpace();
    if (pos_ != s_.size()) return Error("text after the object");
    return saw_paths ? Status::Ok() : NoPaths();
  }

 private:
  static constexpr int kMaxDepth = 64;

  Status Error(std::string_view what) const {
    return Status(StatusCode::kInvalidArgument,
                  "List Paths answer is not valid JSON: " + std::string(what) + " at byte " + std::to_string(pos_));
  }
  static Status NoPaths() { return Status(StatusCode::kInvalidArgument, "List Paths answer has no \"paths\" array"); }

  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool Eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) ++pos_;
  }

  bool ReadPaths(const std::function<void(ListPathsEntry&)>& on_entry) {
    if (!Eat('[')) return false;
    SkipSpace();
    if (Eat(']')) return true;
    ListPathsEntry entry;
    while (true) {
      Clear(entry);  // keeps the strings' capacity: no allocation per entry once the first few are read
      if (!ReadEntry(entry)) return false;
      on_entry(entry);
      SkipSpace();
      if (Eat(',')) {
        SkipSpace();
        continue;
      }
      return Eat(']');
    }
  }

  static void Clear(ListPathsEntry& e) {
    for (std::string* field : {&e.name, &e.is_directory, &e.content_length, &e.owner, &e.group, &e.permissions,
                               &e.last_modified, &e.creation_time, &e.expiry_time, &e.etag}) {
      field->clear();
    }
  }

  // Dispatched on the length first: every key of every entry comes through here.
  static std::string* Field(ListPathsEntry& e, std::string_view key) {
    switch (key.size()) {
      case 4:
        if (key == "name") return &e.name;
        if (key == "etag") return &e.etag;
        return nullptr;
      case 5:
        if (key == "owner") return &e.owner;
        if (key == "group") return &e.group;
        return nullptr;
      case 10: return key == "expiryTime" ? &e.expiry_time : nullptr;
      case 11:
        if (key == "isDirectory") return &e.is_directory;
        if (key == "permissions") return &e.permissions;
        return nullptr;
      case 12:
        if (key == "lastModified") return &e.last_modified;
        if (key == "creationTime") return &e.creation_time;
        return nullptr;
      case 13: return key == "contentLength" ? &e.content_length : nullptr;
      default: return nullptr;
    }
  }

  bool ReadEntry(ListPathsEntry& entry) {
    if (!Eat('{')) return false;
    SkipSpace();
    if (Eat('}')) return true;
    while (true) {
      if (!ReadString(key_)) return false;
      SkipSpace();
      if (!Eat(':')) return false;
      SkipSpace();
      std::string* field = Field(entry, key_);
      if (field == nullptr) {
        if (!SkipValue(1)) return false;
      } else if (Peek() == '"') {
        if (!ReadString(*field)) return false;
      } else {
        // A number, true, false or null: its text (null reads as empty).
        size_t start = pos_;
        if (!SkipValue(1)) return false;
        std::string_view text = s_.substr(start, pos_ - start);
        if (text.front() == '{' || text.front() == '[') return false;
        field->assign(text == "null" ? std::string_view() : text);
      }
      SkipSpace();
      if (Eat(',')) {
        SkipSpace();
        continue;
      }
      return Eat('}');
    }
  }

  // A JSON string at pos_, unescaped into `out` (UTF-8).
  bool ReadString(std::string& out) {
    if (!Eat('"')) return false;
    out.clear();
    while (true) {
      size_t start = pos_;
      SkipPlain();
      if (pos_ < s_.size() && static_cast<unsigned char>(s_[pos_]) < 0x20) return false;  // must be escaped
      out.append(s_.data() + start, pos_ - start);
      if (pos_ >= s_.size()) return false;
      if (s_[pos_++] == '"') return true;
      if (pos_ >= s_.size()) return false;
      char c = s_[pos_++];
      switch (c) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t code = 0;
          if (!ReadHex4(code)) return false;
          if (code >= 0xD800 && code <= 0xDBFF) {  // a high surrogate: its low half must follow
            uint32_t low = 0;
            if (!Eat('\\') || !Eat('u') || !ReadHex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          } else if (code >= 0xDC00 && code <= 0xDFFF) {
            return false;
          }
          AppendUtf8(out, code);
          break;
        }
        default: return false;
      }
    }
  }

  // Moves pos_ to the next '"', '\\' or control character (or the end), eight bytes at a time while none is
  // among them: names, object ids and dates are long runs of plain characters.
  void SkipPlain() {
    constexpr uint64_t kOnes = 0x0101010101010101ULL;
    constexpr uint64_t kHighs = 0x8080808080808080ULL;
    auto has_zero_byte = [](uint64_t v) { return ((v - kOnes) & ~v & kHighs) != 0; };
    while (s_.size() - pos_ >= 8) {
      uint64_t w = 0;
      std::memcpy(&w, s_.data() + pos_, 8);
      // A byte below 0x20 has (byte - 0x20) borrow into its high bit while its own high bit is clear.
      bool control = ((w - 0x20 * kOnes) & ~w & kHighs) != 0;
      if (control || has_zero_byte(w ^ ('"' * kOnes)) || has_zero_byte(w ^ ('\\' * kOnes))) break;
      pos_ += 8;
    }
    while (pos_ < s_.size()) {
      auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"' || c == '\\' || c < 0x20) return;
      ++pos_;
    }
  }

  bool ReadHex4(uint32_t& code) {
    if (s_.size() - pos_ < 4) return false;
    code = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      code <<= 4;
      if (c >= '0' && c <= '9') {
        code |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        code |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        code |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }

  static void AppendUtf8(std::string& out, uint32_t code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  // Any JSON value at pos_, checked and passed over.
  bool SkipValue(int depth) {
    if (depth > kMaxDepth) return false;
    char c = Peek();
    if (c == '"') return ReadString(scratch_);
    if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++pos_;
      SkipSpace();
      if (Eat(close)) return true;
      while (true) {
        if (close == '}') {
          if (!ReadString(scratch_)) return false;
          SkipSpace();
          if (!Eat(':')) return false;
          SkipSpace();
        }
        if (!SkipValue(depth + 1)) return false;
        SkipSpace();
        if (Eat(',')) {
          SkipSpace();
          continue;
        }
        return Eat(close);
      }
    }
    for (std::string_view word : {"true", "false", "null"}) {
      if (s_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return true;
      }
    }
    return SkipNumber();
  }

  bool SkipNumber() {
    size_t start = pos_;
    Eat('-');
    size_t digits = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    if (pos_ == digits) return false;
    if (Eat('.')) {
      size_t fraction = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      if (pos_ == fraction) return false;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      size_t exponent = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      if (pos_ == exponent) return false;
    }
    return pos_ > start;
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string key_;
  std::string scratch_;
};

}  // namespace

Status ParseListPaths(std::string_view body, const std::function<void(ListPathsEntry&)>& on_entry) {
  return Parser(body).Run(on_entry);
}

}  // namespace lakeshift::gen2
