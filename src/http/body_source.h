#pragma once
// Streaming request bodies for HttpClient.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace lakeshift::http {

class BodySource {
 public:
  virtual ~BodySource() = default;
  // Total size when known (sent as Content-Length); nullopt => chunked transfer encoding.
  virtual std::optional<uint64_t> size() const = 0;
  // Reads up to n bytes; 0 means the end of the body.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
  // Back to the first byte, for a retry. false => cannot: the request is not retried once bytes were sent.
  virtual bool Rewind() = 0;
};

// A body held in memory (the source does not own the bytes when built from a string_view).
class StringBodySource : public BodySource {
 public:
  explicit StringBodySource(std::string data) : owned_(std::move(data)), data_(owned_) {}
  static StringBodySource View(std::string_view data) { return StringBodySource(data, 0); }

  std::optional<uint64_t> size() const override { return data_.size(); }
  Result<size_t> Read(char* buf, size_t n) override;
  bool Rewind() override {
    offset_ = 0;
    return true;
  }

 private:
  StringBodySource(std::string_view view, int) : data_(view) {}
  std::string owned_;
  std::string_view data_;
  size_t offset_ = 0;
};

// A byte range of a local file, read with pread (the file stays open for the source's lifetime).
class FileRangeBodySource : public BodySource {
 public:
  // length nullopt => to the end of the file as of Open.
  static Result<std::unique_ptr<FileRangeBodySource>> Open(const std::string& path, uint64_t offset = 0,
                                                           std::optional<uint64_t> length = std::nullopt);
  ~FileRangeBodySource() override;
  FileRangeBodySource(const FileRangeBodySource&) = delete;
  FileRangeBodySource& operator=(const FileRangeBodySource&) = delete;

  std::optional<uint64_t> size() const override { return length_; }
  Result<size_t> Read(char* buf, size_t n) override;
  bool Rewind() override {
    position_ = 0;
    return true;
  }

 private:
  FileRangeBodySource(int fd, std::string path, uint64_t offset, uint64_t length)
      : fd_(fd), path_(std::move(path)), offset_(offset), length_(length) {}
  int fd_;
  std::string path_;
  uint64_t offset_;
  uint64_t length_;
  uint64_t position_ = 0;
};

}  // namespace lakeshift::http
