// The local directory FileSystem: opening, path walking, status, listing, reads, access control and times.
#include "localfs/local_dir_filesystem.h"

#include <dirent.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include "common/path.h"
#include "localfs/local_dir_impl.h"

namespace lakeshift::localfs {

bool IsInternalName(std::string_view name) {
  return name.starts_with(".lakeshift-put-") || name.starts_with(".lakeshift-partial-") ||
         (name.size() > 1 && name.starts_with('.') && name.ends_with(".lakeshift-partial"));
}

Result<std::unique_ptr<fs::FileSystem>> OpenLocalDirectory(const std::string& root) {
  if (root.empty()) return InvalidArgument("the local directory path is empty");
  std::string clean = root;
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  int fd = ::open(clean.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return NotFound("local directory " + clean + " does not exist");
    if (err == ENOTDIR) return Status(StatusCode::kNotADirectory, "local path " + clean + " is not a directory");
    return internal::SyscallError("open local directory", clean, err);
  }
  return std::unique_ptr<fs::FileSystem>(
      std::make_unique<internal::LocalDirFileSystem>(clean == "/" ? "" : clean, internal::Fd(fd)));
}

namespace internal {
namespace {

// The bytes of an open file from an offset, read with pread so the descriptor's version is what is read.
class FdInputStream final : public fs::InputStream {
 public:
  FdInputStream(Fd fd, int64_t offset, int64_t length, std::string where)
      : fd_(std::move(fd)), offset_(offset), remaining_(length), where_(std::move(where)) {}

  Result<size_t> Read(char* buf, size_t n) override {
    if (remaining_ == 0 || n == 0) return size_t{0};
    size_t want = std::min<size_t>(n, static_cast<size_t>(remaining_));
    ssize_t got = 0;
    do {
      got = ::pread(fd_.get(), buf, want, offset_);
    } while (got < 0 && errno == EINTR);
    if (got < 0) return SyscallError("pread", where_, errno);
    if (got == 0) {
      return IoError(where_ + " became shorter while it was read (another program truncated it); " +
                     std::to_string(remaining_) + " bytes are missing");
    }
    offset_ += got;
    remaining_ -= got;
    return static_cast<size_t>(got);
  }

 private:
  Fd fd_;
  int64_t offset_;
  int64_t remaining_;
  std::string where_;
};

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

}  // namespace

LocalDirFileSystem::LocalDirFileSystem(std::string root, Fd root_fd)
    : root_(std::move(root)), root_fd_(std::move(root_fd)) {
  caps_.acls = false;
  caps_.set_owner = ::geteuid() == 0;
  caps_.set_times = true;
  caps_.expiry = false;
  caps_.properties = false;
  caps_.content_md5 = false;
  caps_.staged_appends = true;
  caps_.atomic_rename = true;
  caps_.recursive_listing = false;
  caps_.list_before = true;
  caps_.check_access = true;
  caps_.sequential_appends = true;
  caps_.stable_reads = true;
  caps_.host_accounts = true;
}

std::string LocalDirFileSystem::Where(std::string_view path) const {
  std::string local = path == "/" ? (root_.empty() ? "/" : root_) : root_ + std::string(path);
  return std::string(path) + " (local " + local + ")";
}

Status LocalDirFileSystem::NotADirectoryError(int dirfd, const std::string& name, const std::string& path) {
  ASSIGN_OR_RETURN(std::optional<struct statx> st, StatAt(dirfd, name, Where(path)));
  if (!st) return PathNotFound(path);
  if (S_ISREG(st->stx_mode)) return NotADirectory(path);
  return Unsupported(Where(path) + " is " + std::string(KindName(st->stx_mode)) +
                     "; lakeshift does not follow symbolic links or read special files");
}

Result<std::pair<Fd, size_t>> LocalDirFileSystem::Walk(const std::string& path, const std::vector<std::string>& parts,
                                                       size_t count, WalkMode mode) {
  if (count > 0 && openat2_available_.load(std::memory_order_relaxed)) {
    // Fast path: one openat2 resolves the whole directory path beneath the root without following links (Linux
    // 5.6+). Any failure falls back to the walk, which creates what is missing and says exactly what is in the way.
    std::string relative = parts[0];
    for (size_t i = 1; i < count; ++i) relative.append("/").append(parts[i]);
    struct open_how how {};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd = ::syscall(SYS_openat2, root_fd_.get(), relative.c_str(), &how, sizeof(how));
    if (fd >= 0) return std::make_pair(Fd(static_cast<int>(fd)), count);
    if (errno == ENOSYS || errno == EPERM) openat2_available_.store(false, std::memory_order_relaxed);
  }
  Fd cur(::openat(root_fd_.get(), ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!cur.valid()) return SyscallError("open", Where("/"), errno);
  std::string at;  // the store path of `cur`'s child being opened
  for (size_t i = 0; i < count; ++i) {
    const std::string& part = parts[i];
    at += "/" + part;
    bool created = false;
    while (true) {
      int fd = ::openat(cur.get(), part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) {
        cur = Fd(fd);
        break;
      }
      int err = errno;
      if (err == ENOENT && mode == WalkMode::kPrefix) return std::make_pair(std::move(cur), i);
      if (err == ENOENT && mode == WalkMode::kCreate && !created) {
        if (::mkdirat(cur.get(), part.c_str(), 0777) != 0 && errno != EEXIST) {
          return SyscallError("mkdir", Where(at), errno);
        }
        created = true;  // made (or made by someone else meanwhile): open it
        continue;
      }
      if (err == ENOENT) {
        return Status(StatusCode::kParentNotFound,
                      "directory " + at + " does not exist" + (at == path ? "" : " (on the way to " + path + ")"));
      }
      if (err == ENOTDIR || err == ELOOP) return NotADirectoryError(cur.get(), part, at);
      return SyscallError("open", Where(at), err);
    }
  }
  return std::make_pair(std::move(cur), count);
}

Result<Location> LocalDirFileSystem::Locate(std::string_view raw, WalkMode mode) {
  Location loc;
  ASSIGN_OR_RETURN(loc.path, path::Normalize(raw));
  for (std::string_view part : path::Split(loc.path)) loc.parts.emplace_back(part);
  if (loc.is_root()) {
    loc.name = ".";
    ASSIGN_OR_RETURN(auto walked, Walk(loc.path, loc.parts, 0, WalkMode::kExisting));
    loc.dir = std::move(walked.first);
    return loc;
  }
  loc.name = loc.parts.back();
  ASSIGN_OR_RETURN(auto walked, Walk(loc.path, loc.parts, loc.parts.size() - 1, mode));
  loc.dir = std::move(walked.first);
  return loc;
}

Result<Location> LocalDirFileSystem::LocateExisting(std::string_view raw) {
  auto loc = Locate(raw, WalkMode::kExisting);
  if (!loc.ok() &&
      (loc.status().code() == StatusCode::kParentNotFound || loc.status().code() == StatusCode::kNotADirectory)) {
    auto normal = path::Normalize(raw);
    return PathNotFound(normal.ok() ? *normal : std::string(raw));
  }
  return loc;
}

Result<fs::FileInfo> LocalDirFileSystem::InfoFrom(const std::string& path, const struct statx& st) {
  fs::FileInfo info;
  info.path = path;
  if (S_ISREG(st.stx_mode)) {
    info.type = fs::FileType::kFile;
    info.size = static_cast<int64_t>(st.stx_size);
  } else if (S_ISDIR(st.stx_mode)) {
    info.type = fs::FileType::kDirectory;
  } else {
    return Unsupported(Where(path) + " is " + std::string(KindName(st.stx_mode)) +
                       "; lakeshift copies only regular files and directories and does not follow symbolic links");
  }
  info.mode = static_cast<acl::Mode>(st.stx_mode & 01777);
  info.owner = accounts_.UserName(st.stx_uid);
  info.group = accounts_.GroupName(st.stx_gid);
  info.modification_time_ms = ToMs(st.stx_mtime);
  info.access_time_ms = ToMs(st.stx_atime);
  info.change_time_ms = ToMs(st.stx_ctime);
  info.creation_time_ms = (st.stx_mask & STATX_BTIME) != 0 ? ToMs(st.stx_btime) : info.modification_time_ms;
  info.etag = EtagOf(st);
  return info;
}

Result<std::optional<fs::FileInfo>> LocalDirFileSystem::Lookup(const Location& loc, struct statx* st_out) {
  ASSIGN_OR_RETURN(std::optional<struct statx> st, StatAt(loc.dir.get(), loc.name, Where(loc.path)));
  if (!st) return std::optional<fs::FileInfo>();
  if (st_out != nullptr) *st_out = *st;
  ASSIGN_OR_RETURN(fs::FileInfo info, InfoFrom(loc.path, *st));
  return std::optional<fs::FileInfo>(std::move(info));
}

Result<fs::FileInfo> LocalDirFileSystem::Existing(const Location& loc, struct statx* st_out) {
  ASSIGN_OR_RETURN(std::optional<fs::FileInfo> info, Lookup(loc, st_out));
  if (!info) return PathNotFound(loc.path);
  return std::move(*info);
}

Status LocalDirFileSystem::AdvanceChangeTime(const Location& loc, const struct statx_timestamp& before) {
  // Kernel file times come from a coarse clock: two changes within one tick can leave the same ctime, and with the
  // same size and mtime the etag would repeat. Wait for the tick and touch the ctime (chmod to the same mode).
  for (int attempt = 0; attempt < 200; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<struct statx> st, StatAt(loc.dir.get(), loc.name, Where(loc.path)));
    if (!st || Later(st->stx_ctime, before)) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    if (::fchmodat(loc.dir.get(), loc.name.c_str(), st->stx_mode & 07777, AT_SYMLINK_NOFOLLOW) != 0) {
      return Status::Ok();  // not ours to chmod: the change itself stands, only the etag may repeat
    }
  }
  return Status::Ok();
}

Result<fs::FileInfo> LocalDirFileSystem::GetFileInfo(std::string_view raw) {
  ASSIGN_OR_RETURN(Location loc, LocateExisting(raw));
  return Existing(loc);
}

Result<fs::ListPage> LocalDirFileSystem::List(std::string_view raw, const fs::ListOptions& options) {
  if (options.recursive) {
    return Unsupported(
        "a local directory does not list recursively (capabilities().recursive_listing is false); list each "
        "directory");
  }
  ASSIGN_OR_RETURN(Location loc, LocateExisting(raw));
  Fd fd(::openat(loc.dir.get(), loc.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    if (err == ENOENT) return PathNotFound(loc.path);
    if (err == ENOTDIR || err == ELOOP) return NotADirectoryError(loc.dir.get(), loc.name, loc.path);
    return SyscallError("opendir", Where(loc.path), err);
  }
  DirPtr dir(::fdopendir(fd.get()));
  if (!dir) return SyscallError("fdopendir", Where(loc.path), errno);
  fd.release();  // owned by dir now
  // All names of the directory (only names: FileInfos are built for one page).
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    // Each DIR stream is private to this call, so readdir's shared-stream hazard does not apply.
    struct dirent* entry = ::readdir(dir.get());  // NOLINT(concurrency-mt-unsafe)
    if (entry == nullptr) {
      if (errno != 0) return SyscallError("readdir", Where(loc.path), errno);
      break;
    }
    std::string_view name = entry->d_name;
    if (name == "." || name == ".." || IsInternalName(name)) continue;
    if (!options.start_after.empty() && name <= options.start_after) continue;
    if (!options.end_before.empty() && name >= options.end_before) continue;
    names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());  // byte order: std::string compares as unsigned char
  size_t max = options.max_results > 0 ? static_cast<size_t>(options.max_results) : 5000;
  fs::ListPage page;
  int dfd = ::dirfd(dir.get());
  for (size_t i = 0; i < names.size(); ++i) {
    std::string child = path::Join(loc.path, names[i]);
    ASSIGN_OR_RETURN(std::optional<struct statx> st, StatAt(dfd, names[i], Where(child)));
    if (!st || !(S_ISREG(st->stx_mode) || S_ISDIR(st->stx_mode))) continue;  // gone, or a link / special file
    ASSIGN_OR_RETURN(fs::FileInfo info, InfoFrom(child, *st));
    page.entries.push_back(std::move(info));
    if (page.entries.size() == max) {
      if (i + 1 < names.size()) page.continuation = names[i];
      break;
    }
  }
  return page;
}

Result<fs::ReadHandle> LocalDirFileSystem::OpenRead(std::string_view raw, const fs::ReadOptions& options) {
  ASSIGN_OR_RETURN(Location loc, LocateExisting(raw));
  // O_NONBLOCK: opening a FIFO must not hang; it is refused below.
  Fd fd(::openat(loc.dir.get(), loc.name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    if (err == ENOENT) return PathNotFound(loc.path);
    if (err == ELOOP) return NotADirectoryError(loc.dir.get(), loc.name, loc.path);
    return SyscallError("open", Where(loc.path), err);
  }
  struct statx st {};
  if (::statx(fd.get(), "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS | STATX_BTIME, &st) != 0) {
    return SyscallError("statx", Where(loc.path), errno);
  }
  ASSIGN_OR_RETURN(fs::FileInfo info, InfoFrom(loc.path, st));
  if (info.is_directory()) return IsADirectory(loc.path);
  RETURN_IF_ERROR(CheckConditions(options.conditions, &info, loc.path));
  if (options.offset < 0) return InvalidArgument("read offset " + std::to_string(options.offset) + " is negative");
  if (options.offset > info.size) {
    return Status(StatusCode::kOutOfRange, "read offset " + std::to_string(options.offset) + " is beyond the end of " +
                                               loc.path + " (" + std::to_string(info.size) + " bytes)");
  }
  int64_t length = info.size - options.offset;
  if (options.length >= 0) length = std::min(length, options.length);
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  fs::ReadHandle handle;
  handle.info = std::move(info);
  handle.offset = options.offset;
  handle.length = length;
  handle.stream = std::make_unique<FdInputStream>(std::move(fd), options.offset, length, Where(loc.path));
  return handle;
}

Result<acl::AclState> LocalDirFileSystem::GetAccessControl(std::string_view raw) {
  ASSIGN_OR_RETURN(fs::FileInfo info, GetFileInfo(raw));
  return acl::AclState::FromMode(info.owner, info.group, info.mode);
}

Status LocalDirFileSystem::CheckAccess(std::string_view raw, acl::Perm wanted) {
  ASSIGN_OR_RETURN(Location loc, LocateExisting(raw));
  RETURN_IF_ERROR(Existing(loc).status());
  int mode = (wanted & acl::kAll) == 0 ? F_OK : (wanted & acl::kAll);  // r=4, w=2, x=1 as R_OK, W_OK, X_OK
  if (::faccessat(loc.dir.get(), loc.name.c_str(), mode, AT_EACCESS) != 0) {
    int err = errno;
    if (err == EACCES || err == EPERM || err == EROFS) {
      return PermissionDenied(acl::FormatPerm(wanted) + " on " + Where(loc.path) + " is denied to this process (uid " +
                              std::to_string(::geteuid()) + ")");
    }
    return SyscallError("faccessat", Where(loc.path), err);
  }
  return Status::Ok();
}

Result<fs::FileInfo> LocalDirFileSystem::SetAccessControl(std::string_view raw, const fs::AccessControlChange& change) {
  if (change.acl_op) {
    return Unsupported(
        "a local directory keeps no POSIX ACLs (capabilities().acls is false); set owner, group and "
        "mode instead");
  }
  ASSIGN_OR_RETURN(Location loc, LocateExisting(raw));
  struct statx before {};
  ASSIGN_OR_RETURN(fs::FileInfo info, Existing(loc, &before));
  RETURN_IF_ERROR(CheckConditions(change.conditions, &info, loc.path));
  if (change.owner || change.group) {
    ASSIGN_OR_RETURN(Ownership ids, ResolveOwnership(change.owner, change.group));
    if (::fchownat(loc.dir.get(), loc.name.c_str(), ids.uid, ids.gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return ChownError(loc.path, change.owner, change.group, errno);
    }
  }
  if (change.mode) {
    if (::fchmodat(loc.dir.get(), loc.name.c_str(), *change.mode & 01777, AT_SYMLINK_NOFOLLOW) != 0) {
      int err = errno;
      if (err == EOPNOTSUPP) return NotADirectoryError(loc.dir.get(), loc.name, loc.path);  // became a link
      return SyscallError("chmod", Where(loc.path), err);
    }
  }
  if (change.owner || change.group || change.mode) RETURN_IF_ERROR(AdvanceChangeTime(loc, before.stx_ctime));
  return Existing(loc);
}

namespace {

struct timespec ToTimespec(std::optional<int64_t> ms) {
  struct timespec ts {};
  if (!ms) {
    ts.tv_nsec = UTIME_OMIT;
    return ts;
  }
  int64_t sec = *ms / 1000;
  int64_t rem = *ms % 1000;
  if (rem < 0) {  // before 1970: round toward minus infinity
    rem += 1000;
    sec -= 1;
  }
  ts.tv_sec = static_cast<time_t>(sec);
  ts.tv_nsec = static_cast<long>(rem * 1000000);
  return ts;
}

}  // namespace

Result<fs::FileInfo> LocalDirFileSystem::SetTimes(std::string_view raw, std::optional<int64_t> modification_time_ms,
                                                  std::optional<int64_t> access_time_ms) {
  ASSIGN_OR_RETURN(Location loc, LocateExisting(raw));
  struct statx before {};
  ASSIGN_OR_RETURN(fs::FileInfo info, Existing(loc, &before));
  if (!modification_time_ms && !access_time_ms) return info;
  struct timespec times[2] = {ToTimespec(access_time_ms), ToTimespec(modification_time_ms)};
  if (::utimensat(loc.dir.get(), loc.name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return SyscallError("utimensat", Where(loc.path), errno);
  }
  RETURN_IF_ERROR(AdvanceChangeTime(loc, before.stx_ctime));
  return Existing(loc);
}

Result<fs::FileInfo> LocalDirFileSystem::SetExpiry(std::string_view raw, const fs::ExpirySpec&) {
  return Unsupported("a local directory has no expiry times (capabilities().expiry is false): " + std::string(raw));
}

Result<fs::FileInfo> LocalDirFileSystem::SetProperties(std::string_view raw, const fs::Properties&,
                                                       const std::optional<fs::ContentHeaders>&,
                                                       const fs::Conditions&) {
  return Unsupported("a local directory keeps no properties or content headers (capabilities().properties is false): " +
                     std::string(raw));
}

Result<fs::FileInfo> LocalDirFileSystem::SetContentMd5(std::string_view raw, std::string_view, const fs::Conditions&) {
  return Unsupported("a local directory keeps no Content-MD5 (capabilities().content_md5 is false): " +
                     std::string(raw));
}

}  // namespace internal
}  // namespace lakeshift::localfs
