#include "http/body_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace lakeshift::http {

Result<size_t> StringBodySource::Read(char* buf, size_t n) {
  size_t count = std::min(n, data_.size() - offset_);
  std::memcpy(buf, data_.data() + offset_, count);
  offset_ += count;
  return count;
}

Result<std::unique_ptr<FileRangeBodySource>> FileRangeBodySource::Open(const std::string& path, uint64_t offset,
                                                                       std::optional<uint64_t> length) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return IoError("cannot stat " + path + ": " + std::strerror(err));
  }
  uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (offset > file_size || (length && *length > file_size - offset)) {
    ::close(fd);
    return InvalidArgument("byte range past the end of " + path + " (" + std::to_string(file_size) + " bytes)");
  }
  uint64_t range = length ? *length : file_size - offset;
  return std::unique_ptr<FileRangeBodySource>(new FileRangeBodySource(fd, path, offset, range));
}

FileRangeBodySource::~FileRangeBodySource() {
  ::close(fd_);
}

Result<size_t> FileRangeBodySource::Read(char* buf, size_t n) {
  size_t want = static_cast<size_t>(std::min<uint64_t>(n, length_ - position_));
  if (want == 0) return size_t{0};
  while (true) {
    ssize_t got = ::pread(fd_, buf, want, static_cast<off_t>(offset_ + position_));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return IoError("cannot read " + path_ + ": " + std::strerror(errno));
    if (got == 0) return IoError("file " + path_ + " shrank while being uploaded");
    position_ += static_cast<uint64_t>(got);
    return static_cast<size_t>(got);
  }
}

}  // namespace lakeshift::http
