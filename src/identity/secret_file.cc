#include "identity/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "common/log.h"
#include "identity/principals.h"

namespace lakeshift::identity {
namespace {

constexpr off_t kMaxSecretFileBytes = 1 << 20;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Status WriteAll(int fd, const std::string& content, const std::string& path) {
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("write " + path, errno);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return ErrnoError("fsync " + path, errno);
  return Status::Ok();
}

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

Result<std::optional<std::string>> ReadSecretFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return ErrnoError("open " + path, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError("stat " + path, errno);
  if (!S_ISREG(st.st_mode)) return IoError(path + " is not a regular file");
  if (st.st_size > kMaxSecretFileBytes) return IoError(path + " is larger than 1 MiB; not a secret file of ours");
  if ((st.st_mode & 077) != 0) {
    LOG_WARNING(path << " holds a secret but its mode is 0" << std::oct << (st.st_mode & 0777)
                     << "; run chmod 600 on it");
  }
  std::string content(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::read(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read " + path, errno);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  content.resize(done);
  return std::optional<std::string>(std::move(content));
}

Result<std::string> CreateSecretFileOnce(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp-" + RandomGuid();
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) return ErrnoError("create " + tmp, errno);
  Status written = WriteAll(fd.get(), content, tmp);
  ::close(fd.release());
  if (!written.ok()) {
    ::unlink(tmp.c_str());
    return written;
  }
  // link() fails on an existing target, unlike rename(): a concurrent first start cannot replace our file.
  int linked = ::link(tmp.c_str(), path.c_str());
  int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked != 0 && link_errno != EEXIST) return ErrnoError("link " + path, link_errno);
  if (linked != 0) {
    ASSIGN_OR_RETURN(std::optional<std::string> existing, ReadSecretFile(path));
    if (!existing) return IoError(path + " vanished while being created");
    return *existing;
  }
  Fd dir(::open(DirectoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) ::fsync(dir.get());  // best effort: the name survives a power loss
  return content;
}

}  // namespace lakeshift::identity
