#pragma once
// Byte streams that carry file content between stores, protocol front-ends and the migration engine
// without holding whole files in memory.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace lakeshift::fs {

class InputStream {
 public:
  virtual ~InputStream() = default;
  // Reads up to n bytes into buf; returns 0 at the end of the stream.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
  // The unread bytes, when the stream holds them in memory, so a writer can send them without copying;
  // taking them consumes them. nullopt for streams that must be read.
  virtual std::optional<std::string_view> TakeAll() { return std::nullopt; }
  // How many bytes are still to come, when the stream knows exactly (a request body with a Content-Length), so
  // a writer can pass the bytes on as they arrive instead of gathering them first. nullopt when unknown.
  virtual std::optional<uint64_t> RemainingSize() const { return std::nullopt; }
};

// A stream over bytes held by the caller (small bodies, tests).
class StringInputStream final : public InputStream {
 public:
  explicit StringInputStream(std::string_view data) : data_(data) {}
  Result<size_t> Read(char* buf, size_t n) override;
  std::optional<std::string_view> TakeAll() override {
    std::string_view rest = data_.substr(pos_);
    pos_ = data_.size();
    return rest;
  }
  std::optional<uint64_t> RemainingSize() const override { return data_.size() - pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// Reads the rest of a stream into a string; fails if it is longer than max_bytes.
Result<std::string> ReadAll(InputStream& in, size_t max_bytes = size_t{64} << 20);

}  // namespace lakeshift::fs
