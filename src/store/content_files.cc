#include "store/content_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <vector>

#include "common/log.h"

namespace lakeshift::store {
namespace {

// Runs of data files of at least kDirectMin bytes are written and read with O_DIRECT: the store's content
// has no business in the page cache (bounded memory, no second copy), and on virtual machines whose memory
// is handed back to the host when free, filling fresh page-cache pages costs ~2.5 CPU-seconds per GiB
// (measured with dd on the 2-core VM: 2.6 s per GiB into new pages, 0.08 s with O_DIRECT).
constexpr size_t kAlign = 4096;             // satisfies every device's logical block and memory alignment
constexpr size_t kChunk = size_t{1} << 20;  // bytes per direct read or write
constexpr int64_t kDirectMin = int64_t{256} << 10;

// Cleared for good once a filesystem refuses direct I/O (tmpfs before Linux 6.6, some FUSE and network file
// systems); everything then goes through the page cache as before.
std::atomic<bool> direct_io_works{true};

// Aligned chunk buffers, recycled so their pages stay mapped (a fresh megabyte costs 256 page faults).
class ChunkPool {
 public:
  static ChunkPool& Get() {
    static ChunkPool* pool = new ChunkPool();  // never destroyed: streams may outlive static destruction
    return *pool;
  }
  char* Take() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!free_.empty()) {
        char* b = free_.back();
        free_.pop_back();
        return b;
      }
    }
    return static_cast<char*>(std::aligned_alloc(kAlign, kChunk));
  }
  void Give(char* b) {
    if (b == nullptr) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.size() < kMaxFree) {
      free_.push_back(b);
      return;
    }
    std::free(b);
  }

 private:
  static constexpr size_t kMaxFree = 32;
  std::mutex mu_;
  std::vector<char*> free_;
};

// One pooled chunk, taken on first use.
class Chunk {
 public:
  Chunk() = default;
  ~Chunk() { ChunkPool::Get().Give(bytes_); }
  Chunk(const Chunk&) = delete;
  Chunk& operator=(const Chunk&) = delete;
  char* get() {
    if (bytes_ == nullptr) bytes_ = ChunkPool::Get().Take();
    return bytes_;
  }

 private:
  char* bytes_ = nullptr;
};

// Sets or clears O_DIRECT on a descriptor its holder owns alone (so the shared file status flags are safe to
// change); true when the flag is now as asked.
bool SetDirect(int fd, bool on) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return false;
  int wanted = on ? (flags | O_DIRECT) : (flags & ~O_DIRECT);
  if (wanted == flags) return true;
  return ::fcntl(fd, F_SETFL, wanted) == 0;
}

// EINVAL from a direct read or write means the file system wants other alignment or none at all.
void GiveUpDirectIo(int fd) {
  if (direct_io_works.exchange(false)) LOG_WARNING("local store: direct I/O refused here; using the page cache");
  SetDirect(fd, false);
}

// Writes all `n` bytes at `offset`. For a direct write (`direct`), EINVAL means the file system refuses direct
// I/O: false is returned and the caller writes through the page cache instead (rewriting bytes a partial direct
// write put there is harmless: they are the same bytes).
Result<bool> PwriteFully(int fd, const char* bytes, size_t n, int64_t offset, bool direct) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = ::pwrite(fd, bytes + done, n - done, offset + static_cast<int64_t>(done));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EINVAL && direct) return false;
    if (w < 0) return ErrnoError("write content file", errno);
    done += static_cast<size_t>(w);
  }
  return true;
}

Status PwriteAll(int fd, const char* bytes, size_t n, int64_t offset) {
  return PwriteFully(fd, bytes, n, offset, /*direct=*/false).status();
}

// pread, retried on EINTR; -1 with errno on failure.
ssize_t PreadOnce(int fd, char* buf, size_t n, int64_t offset) {
  while (true) {
    ssize_t got = ::pread(fd, buf, n, offset);
    if (got >= 0 || errno != EINTR) return got;
  }
}

// Reads until `n` bytes or the end of the stream; returns how many were read.
Result<size_t> ReadFull(fs::InputStream& data, char* buf, size_t n) {
  size_t filled = 0;
  while (filled < n) {
    ASSIGN_OR_RETURN(size_t got, data.Read(buf + filled, n - filled));
    if (got == 0) break;
    filled += got;
  }
  return filled;
}

class FileRangeStream final : public fs::InputStream {
 public:
  FileRangeStream(UniqueFd fd, int64_t offset, int64_t length) : fd_(std::move(fd)), pos_(offset), remaining_(length) {
    direct_ = fd_.valid() && length >= kDirectMin && direct_io_works.load() && SetDirect(fd_.get(), true);
  }

  Result<size_t> Read(char* buf, size_t n) override {
    if (remaining_ <= 0) return size_t{0};
    size_t want = static_cast<size_t>(std::min<int64_t>(remaining_, static_cast<int64_t>(n)));
    if (!fd_.valid()) return IoError("content file is missing while " + std::to_string(remaining_) + " bytes remain");
    if (direct_) {
      if (begin_ == end_) RETURN_IF_ERROR(FillDirect());
      if (direct_) {
        size_t got = std::min(want, end_ - begin_);
        std::memcpy(buf, chunk_.get() + begin_, got);
        begin_ += got;
        pos_ += static_cast<int64_t>(got);
        remaining_ -= static_cast<int64_t>(got);
        return got;
      }
    }
    ssize_t got = PreadOnce(fd_.get(), buf, want, pos_);
    if (got < 0) return ErrnoError("read content file", errno);
    if (got == 0) return IoError("content file is shorter than its committed length");
    pos_ += got;
    remaining_ -= got;
    return static_cast<size_t>(got);
  }

 private:
  // Reads the aligned chunk holding pos_ into chunk_; on a refusal, falls back to plain reads.
  Status FillDirect() {
    if (chunk_.get() == nullptr) return IoError("no memory for a read buffer");
    int64_t aligned = pos_ - pos_ % static_cast<int64_t>(kAlign);
    size_t skip = static_cast<size_t>(pos_ - aligned);
    size_t span = std::min(kChunk, skip + static_cast<size_t>(std::min<int64_t>(remaining_, kChunk)));
    span = (span + kAlign - 1) / kAlign * kAlign;
    ssize_t got = PreadOnce(fd_.get(), chunk_.get(), span, aligned);
    if (got < 0 && errno == EINVAL) {
      GiveUpDirectIo(fd_.get());
      direct_ = false;
      return Status::Ok();
    }
    if (got < 0) return ErrnoError("read content file", errno);
    if (static_cast<size_t>(got) <= skip) return IoError("content file is shorter than its committed length");
    begin_ = skip;
    end_ = std::min(static_cast<size_t>(got), skip + static_cast<size_t>(remaining_));
    return Status::Ok();
  }

  UniqueFd fd_;
  int64_t pos_;
  int64_t remaining_;
  bool direct_ = false;
  Chunk chunk_;  // taken only for direct reads
  size_t begin_ = 0, end_ = 0;
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

Result<int64_t> ContentFiles::WriteStreamAt(int fd, int64_t offset, fs::InputStream& data) {
  if (std::optional<std::string_view> whole = data.TakeAll()) {
    RETURN_IF_ERROR(PwriteAll(fd, whole->data(), whole->size(), offset));
    return static_cast<int64_t>(whole->size());
  }
  Chunk chunk;
  if (chunk.get() == nullptr) return IoError("no memory for a write buffer");
  std::optional<uint64_t> size = data.RemainingSize();
  if (!size || *size < static_cast<uint64_t>(kDirectMin) || !direct_io_works.load()) {
    int64_t written = 0;
    while (true) {
      ASSIGN_OR_RETURN(size_t n, data.Read(chunk.get(), kChunk));
      if (n == 0) return written;
      RETURN_IF_ERROR(PwriteAll(fd, chunk.get(), n, offset + written));
      written += static_cast<int64_t>(n);
    }
  }
  // Bytes up to the next aligned position go through the page cache, then whole aligned chunks go direct,
  // then the unaligned tail through the page cache again.
  int64_t written = 0;
  if (size_t misalign = static_cast<size_t>(offset) % kAlign; misalign != 0) {
    ASSIGN_OR_RETURN(size_t head, ReadFull(data, chunk.get(), kAlign - misalign));
    RETURN_IF_ERROR(PwriteAll(fd, chunk.get(), head, offset));
    written = static_cast<int64_t>(head);
  }
  struct Restore {
    int fd;
    ~Restore() { SetDirect(fd, false); }
  } restore{fd};
  bool direct = SetDirect(fd, true);
  if (!direct) GiveUpDirectIo(fd);
  while (true) {
    ASSIGN_OR_RETURN(size_t filled, ReadFull(data, chunk.get(), kChunk));
    if (filled == 0) return written;
    size_t aligned = filled / kAlign * kAlign;
    if (direct && aligned > 0) {
      ASSIGN_OR_RETURN(bool done, PwriteFully(fd, chunk.get(), aligned, offset + written, /*direct=*/true));
      if (!done) {
        GiveUpDirectIo(fd);
        direct = false;
      }
    }
    size_t done_direct = direct ? aligned : 0;  // bytes of the chunk written directly
    if (done_direct < filled) {
      if (direct) {
        direct = false;
        SetDirect(fd, false);
      }
      RETURN_IF_ERROR(PwriteAll(fd, chunk.get() + done_direct, filled - done_direct, offset + written + done_direct));
    }
    written += static_cast<int64_t>(filled);
    if (filled < kChunk) return written;
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
