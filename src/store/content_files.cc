#include "store/content_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

namespace lakeshift::store {
namespace {

class FileRangeStream final : public fs::InputStream {
 public:
  FileRangeStream(UniqueFd fd, int64_t offset, int64_t length) : fd_(std::move(fd)), pos_(offset), remaining_(length) {}

  Result<size_t> Read(char* buf, size_t n) override {
    if (remaining_ <= 0) return size_t{0};
    size_t want = static_cast<size_t>(std::min<int64_t>(remaining_, static_cast<int64_t>(n)));
    if (!fd_.valid()) return IoError("content file is missing while " + std::to_string(remaining_) + " bytes remain");
    while (true) {
      ssize_t got = ::pread(fd_.get(), buf, want, pos_);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return ErrnoError("read content file", errno);
      if (got == 0) return IoError("content file is shorter than its committed length");
      pos_ += got;
      remaining_ -= got;
      return static_cast<size_t>(got);
    }
  }

 private:
  UniqueFd fd_;
  int64_t pos_;
  int64_t remaining_;
};

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

Status ContentFiles::Init() {
  if (::mkdir(data_dir_.c_str(), 0750) != 0 && errno != EEXIST) {
    return ErrnoError("create data directory " + data_dir_, errno);
  }
  return Status::Ok();
}

std::string ContentFiles::NewKey() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char kHex[] = "0123456789abcdef";
  std::string key(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t bits = rng();
    for (int i = 0; i < 16; ++i) key[half * 16 + i] = kHex[(bits >> (i * 4)) & 0xF];
  }
  return key;
}

std::string ContentFiles::PathFor(const std::string& key) const {
  return data_dir_ + "/" + key.substr(0, 2) + "/" + key;
}

Result<UniqueFd> ContentFiles::OpenForWrite(const std::string& key) const {
  std::string dir = data_dir_ + "/" + key.substr(0, 2);
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) return ErrnoError("create " + dir, errno);
  std::string file = PathFor(key);
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return ErrnoError("open " + file, errno);
  return UniqueFd(fd);
}

Result<UniqueFd> ContentFiles::OpenForRead(const std::string& key) const {
  std::string file = PathFor(key);
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return UniqueFd();
    return ErrnoError("open " + file, errno);
  }
  return UniqueFd(fd);
}

namespace {

Status PwriteAll(int fd, const char* bytes, size_t n, int64_t offset) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = ::pwrite(fd, bytes + done, n - done, offset + static_cast<int64_t>(done));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return ErrnoError("write content file", errno);
    done += static_cast<size_t>(w);
  }
  return Status::Ok();
}

}  // namespace

Result<int64_t> ContentFiles::WriteStreamAt(int fd, int64_t offset, fs::InputStream& data) {
  if (std::optional<std::string_view> whole = data.TakeAll()) {
    RETURN_IF_ERROR(PwriteAll(fd, whole->data(), whole->size(), offset));
    return static_cast<int64_t>(whole->size());
  }
  // Left uninitialised: a small body touches one page of it, not a megabyte (this runs once per append).
  constexpr size_t kBuffer = 1 << 20;
  std::unique_ptr<char[]> buf(new char[kBuffer]);
  int64_t written = 0;
  while (true) {
    ASSIGN_OR_RETURN(size_t n, data.Read(buf.get(), kBuffer));
    if (n == 0) return written;
    RETURN_IF_ERROR(PwriteAll(fd, buf.get(), n, offset + written));
    written += static_cast<int64_t>(n);
  }
}

Status ContentFiles::WriteAt(int fd, int64_t offset, std::string_view bytes) {
  return PwriteAll(fd, bytes.data(), bytes.size(), offset);
}

Status ContentFiles::Sync(int fd) {
  if (::fdatasync(fd) != 0) return ErrnoError("fdatasync content file", errno);
  return Status::Ok();
}

Status ContentFiles::Truncate(const std::string& key, int64_t size) const {
  std::string file = PathFor(key);
  if (::truncate(file.c_str(), size) != 0 && errno != ENOENT) return ErrnoError("truncate " + file, errno);
  return Status::Ok();
}

Status ContentFiles::Unlink(const std::string& key) const {
  std::string file = PathFor(key);
  if (::unlink(file.c_str()) != 0 && errno != ENOENT) return ErrnoError("remove " + file, errno);
  return Status::Ok();
}

std::unique_ptr<fs::InputStream> MakeFileRangeStream(UniqueFd fd, int64_t offset, int64_t length) {
  return std::make_unique<FileRangeStream>(std::move(fd), offset, length);
}

namespace {

class BytesStream final : public fs::InputStream {
 public:
  explicit BytesStream(std::string bytes) : bytes_(std::move(bytes)), view_(bytes_) {}
  Result<size_t> Read(char* buf, size_t n) override { return view_.Read(buf, n); }
  std::optional<std::string_view> TakeAll() override { return view_.TakeAll(); }
  std::optional<uint64_t> RemainingSize() const override { return view_.RemainingSize(); }

 private:
  std::string bytes_;
  fs::StringInputStream view_;
};

}  // namespace

std::unique_ptr<fs::InputStream> MakeBytesStream(std::string bytes) {
  return std::make_unique<BytesStream>(std::move(bytes));
}

}  // namespace lakeshift::store
