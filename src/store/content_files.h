#pragma once
// File content of the local store: one data file per file version under <dir>/data/<k0k1>/<key>.
// A new version (create, overwrite) gets a new random key, so readers holding a descriptor keep reading
// the version they opened. Keys of removed versions go through the metadata table `pending_unlink`
// so a crash between the metadata commit and the unlink leaves nothing behind.
// Writes and reads of 256 KiB and more bypass the page cache (O_DIRECT, aligned 1 MiB chunks; unaligned heads
// and tails go through the cache), falling back to plain I/O where the file system refuses direct I/O.

#include <memory>
#include <string>

#include "common/result.h"
#include "fs/stream.h"

namespace lakeshift::store {

// An owned POSIX file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

class ContentFiles {
 public:
  explicit ContentFiles(std::string data_dir) : data_dir_(std::move(data_dir)) {}
  Status Init();

  static std::string NewKey();  // 32 random hex digits
  std::string PathFor(const std::string& key) const;

  // Opens (creating) the data file of `key` for writing at positions.
  Result<UniqueFd> OpenForWrite(const std::string& key) const;
  // Opens for reading; an absent file is returned as an invalid fd (a file never written to).
  Result<UniqueFd> OpenForRead(const std::string& key) const;
  // Writes the whole stream at `offset`; returns the number of bytes written. `fd` must be the caller's alone:
  // its O_DIRECT flag is switched on and off around the large runs.
  static Result<int64_t> WriteStreamAt(int fd, int64_t offset, fs::InputStream& data);
  static Status WriteAt(int fd, int64_t offset, std::string_view bytes);
  static Status Sync(int fd);
  Status Truncate(const std::string& key, int64_t size) const;
  Status Unlink(const std::string& key) const;  // an absent file is fine

 private:
  std::string data_dir_;
};

// A stream over [offset, offset + length) of an open data file (pread, so no shared file position); it owns
// `fd` and reads ranges of 256 KiB and more with O_DIRECT.
std::unique_ptr<fs::InputStream> MakeFileRangeStream(UniqueFd fd, int64_t offset, int64_t length);
// A stream that owns its bytes (content kept inline in the metadata database).
std::unique_ptr<fs::InputStream> MakeBytesStream(std::string bytes);

}  // namespace lakeshift::store
