// The local directory FileSystem: create, put, staged appends and flush, rename and delete.
#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <random>

#include "common/path.h"
#include "localfs/local_dir_impl.h"

namespace lakeshift::localfs::internal {
namespace {

constexpr size_t kBufferSize = size_t{1} << 20;

std::string TemporaryName() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[40];
  std::snprintf(buf, sizeof(buf), ".lakeshift-put-%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

// ".<name>.lakeshift-partial", or a hashed form when that would be longer than a name may be.
std::string PartialName(const std::string& name) {
  std::string plain = "." + name + ".lakeshift-partial";
  if (plain.size() <= 255) return plain;
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : name) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  char buf[48];
  std::snprintf(buf, sizeof(buf), ".lakeshift-partial-%016llx", static_cast<unsigned long long>(hash));
  return buf;
}

// The mode a create asks for (permission less CreateOptions::umask), or nullopt for the process default.
std::optional<acl::Mode> RequestedMode(const fs::CreateOptions& options, bool is_dir) {
  if (!options.permission && !options.umask) return std::nullopt;
  acl::Mode base = options.permission.value_or(is_dir ? 0777 : 0666);
  return static_cast<acl::Mode>(base & ~options.umask.value_or(0) & 01777);
}

Status WriteAll(int fd, const char* data, size_t n, int64_t offset, const std::string& where) {
  while (n > 0) {
    ssize_t done = ::pwrite(fd, data, n, offset);
    if (done < 0) {
      if (errno == EINTR) continue;
      return SyscallError("pwrite", where, errno);
    }
    data += done;
    n -= static_cast<size_t>(done);
    offset += done;
  }
  return Status::Ok();
}

// Copies the first `length` bytes of `from` to the start of `to` (in the kernel where it can).
Status CopyBytes(int from, int to, int64_t length, const std::string& where) {
  loff_t in = 0;
  loff_t out = 0;
  bool kernel_copy = true;
  std::vector<char> buf;
  while (in < length) {
    size_t want = static_cast<size_t>(length - in);
    if (kernel_copy) {
      ssize_t n = ::copy_file_range(from, &in, to, &out, want, 0);
      if (n > 0) continue;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
        kernel_copy = false;
        continue;
      }
      if (n < 0) return SyscallError("copy_file_range", where, errno);
      return IoError(where + " is shorter than its committed length " + std::to_string(length));
    }
    if (buf.empty()) buf.resize(kBufferSize);
    ssize_t n = ::pread(from, buf.data(), std::min(want, buf.size()), in);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SyscallError("pread", where, errno);
    if (n == 0) return IoError(where + " is shorter than its committed length " + std::to_string(length));
    RETURN_IF_ERROR(WriteAll(to, buf.data(), static_cast<size_t>(n), out, where));
    in += n;
    out += n;
  }
  return Status::Ok();
}

Status Fsync(int fd, const std::string& where) {
  if (::fsync(fd) != 0) return SyscallError("fsync", where, errno);
  return Status::Ok();
}

Fd Dup(const Fd& fd) {
  return Fd(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
}

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

// The names in an open directory (a descriptor opened O_RDONLY | O_DIRECTORY, consumed), with d_type.
Result<std::vector<std::pair<std::string, unsigned char>>> ReadNames(Fd fd, const std::string& where) {
  DirPtr dir(::fdopendir(fd.get()));
  if (!dir) return SyscallError("fdopendir", where, errno);
  fd.release();
  std::vector<std::pair<std::string, unsigned char>> names;
  while (true) {
    errno = 0;
    struct dirent* entry = ::readdir(dir.get());  // NOLINT(concurrency-mt-unsafe): the stream is private
    if (entry == nullptr) {
      if (errno != 0) return SyscallError("readdir", where, errno);
      break;
    }
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    names.emplace_back(std::string(name), entry->d_type);
  }
  return names;
}

std::string JoinRelative(const std::string& rel, const std::string& name) {
  return rel.empty() ? name : rel + "/" + name;
}

}  // namespace

// --- create ---

Status LocalDirFileSystem::CheckCreateOptions(const fs::CreateOptions& options, const std::string& path) const {
  if (options.acl) {
    return Unsupported("cannot create " + path + " with an ACL: a local directory keeps no POSIX ACLs");
  }
  if (!options.properties.empty() || options.content != fs::ContentHeaders{}) {
    return Unsupported("cannot create " + path + " with properties or content headers: a local directory keeps none");
  }
  if (options.expiry_time_ms) {
    return Unsupported("cannot create " + path + " with an expiry time: a local directory has none");
  }
  return Status::Ok();
}

Result<LocalDirFileSystem::Ownership> LocalDirFileSystem::ResolveOwnership(const std::optional<std::string>& owner,
                                                                           const std::optional<std::string>& group) {
  Ownership ids;
  if (owner) {
    ASSIGN_OR_RETURN(ids.uid, accounts_.UserId(*owner));
  }
  if (group) {
    ASSIGN_OR_RETURN(ids.gid, accounts_.GroupId(*group));
  }
  return ids;
}

Status LocalDirFileSystem::ChownError(const std::string& path, const std::optional<std::string>& owner,
                                      const std::optional<std::string>& group, int err) {
  std::string to = (owner ? "owner " + *owner : std::string()) + (owner && group ? " and " : "") +
                   (group ? "group " + *group : std::string());
  if (err == EPERM) {
    return PermissionDenied("setting " + to + " on " + Where(path) +
                            " is not permitted: only root may give items to another user, and other users may only "
                            "choose groups they belong to (lakeshift runs as uid " +
                            std::to_string(::geteuid()) + ")");
  }
  return SyscallError("chown (" + to + ")", Where(path), err);
}

Result<std::pair<Fd, std::string>> LocalDirFileSystem::CreateTemporary(int dirfd, const std::string& path,
                                                                       const fs::CreateOptions& options,
                                                                       const Ownership& ids) {
  std::optional<acl::Mode> mode = RequestedMode(options, /*is_dir=*/false);
  // Created with at most the requested bits, so the file is never more open than asked, then set exactly.
  mode_t create_mode = mode ? (*mode & 0777) : 0666;
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string name = TemporaryName();
    Fd fd(::openat(dirfd, name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, create_mode));
    if (!fd.valid()) {
      if (errno == EEXIST) continue;
      return SyscallError("create temporary file " + name + " for", Where(path), errno);
    }
    if (ids.any() && ::fchown(fd.get(), ids.uid, ids.gid) != 0) {
      int err = errno;
      ::unlinkat(dirfd, name.c_str(), 0);
      return ChownError(path, options.owner, options.group, err);
    }
    if (mode && ::fchmod(fd.get(), *mode) != 0) {
      int err = errno;
      ::unlinkat(dirfd, name.c_str(), 0);
      return SyscallError("chmod", Where(path), err);
    }
    return std::make_pair(std::move(fd), std::move(name));
  }
  return IoError("could not pick a free temporary name next to " + Where(path));
}

Status LocalDirFileSystem::RenameInto(int from_dir, const std::string& from, int to_dir, const std::string& to,
                                      const std::string& path, bool exclusive, bool is_dir) {
  auto failed = [&](int err) -> Status {
    switch (err) {
      case EEXIST:
        if (exclusive) return AlreadyExists(path);
        return DirectoryNotEmpty(path);
      case ENOTEMPTY: return DirectoryNotEmpty(path);
      case EISDIR: return IsADirectory(path);
      case ENOTDIR: return Conflict("cannot replace " + path + ": a file and a directory cannot replace each other");
      case EXDEV: return IoError("cannot rename to " + Where(path) + ": it is on another filesystem (mount)");
      default: return SyscallError("rename to", Where(path), err);
    }
  };
  if (!exclusive) {
    if (::renameat(from_dir, from.c_str(), to_dir, to.c_str()) != 0) return failed(errno);
    return Status::Ok();
  }
  if (::renameat2(from_dir, from.c_str(), to_dir, to.c_str(), RENAME_NOREPLACE) == 0) return Status::Ok();
  int err = errno;
  if (err != EINVAL && err != ENOSYS && err != EOPNOTSUPP) return failed(err);
  // The filesystem has no RENAME_NOREPLACE: link + unlink is just as exclusive for files.
  if (!is_dir) {
    if (::linkat(from_dir, from.c_str(), to_dir, to.c_str(), 0) != 0) return failed(errno);
    if (::unlinkat(from_dir, from.c_str(), 0) != 0) return SyscallError("unlink after link to", Where(path), errno);
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(std::optional<struct statx> there, StatAt(to_dir, to, Where(path)));
  if (there) return AlreadyExists(path);
  if (::renameat(from_dir, from.c_str(), to_dir, to.c_str()) != 0) return failed(errno);
  return Status::Ok();
}

Result<fs::FileInfo> LocalDirFileSystem::CreateFile(std::string_view raw, const fs::CreateOptions& options) {
  ASSIGN_OR_RETURN(std::string path, path::Normalize(raw));
  if (path::IsRoot(path)) return IsADirectory(path);
  RETURN_IF_ERROR(CheckCreateOptions(options, path));
  ASSIGN_OR_RETURN(Ownership ids, ResolveOwnership(options.owner, options.group));
  ASSIGN_OR_RETURN(Location loc, Locate(path, WalkMode::kCreate));
  struct statx old_st {};
  ASSIGN_OR_RETURN(std::optional<fs::FileInfo> old, Lookup(loc, &old_st));
  if (old && old->is_directory()) return IsADirectory(path);
  bool exclusive = !options.overwrite || options.conditions.if_none_match == "*";
  if (old && exclusive) return AlreadyExists(path);
  RETURN_IF_ERROR(CheckConditions(options.conditions, old ? &*old : nullptr, path));
  ASSIGN_OR_RETURN(auto temp, CreateTemporary(loc.dir.get(), path, options, ids));
  Status renamed = RenameInto(loc.dir.get(), temp.second, loc.dir.get(), loc.name, path, exclusive, false);
  if (!renamed.ok()) {
    ::unlinkat(loc.dir.get(), temp.second.c_str(), 0);
    return renamed;
  }
  DropStaged(path);
  if (old) RETURN_IF_ERROR(AdvanceChangeTime(loc, old_st.stx_ctime));
  return Existing(loc);
}

Result<fs::FileInfo> LocalDirFileSystem::CreateDirectory(std::string_view raw, const fs::CreateOptions& options) {
  ASSIGN_OR_RETURN(std::string path, path::Normalize(raw));
  RETURN_IF_ERROR(CheckCreateOptions(options, path));
  ASSIGN_OR_RETURN(Ownership ids, ResolveOwnership(options.owner, options.group));
  ASSIGN_OR_RETURN(Location loc, Locate(path, WalkMode::kCreate));
  std::optional<acl::Mode> mode = RequestedMode(options, /*is_dir=*/true);
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<fs::FileInfo> existing, Lookup(loc));
    if (existing) {
      if (!existing->is_directory()) return AlreadyExists(path);
      RETURN_IF_ERROR(CheckConditions(options.conditions, &*existing, path));
      return std::move(*existing);  // an existing directory is left as it is
    }
    RETURN_IF_ERROR(CheckConditions(options.conditions, nullptr, path));
    if (::mkdirat(loc.dir.get(), loc.name.c_str(), mode ? (*mode & 01777) : 0777) == 0) break;
    if (errno != EEXIST || attempt > 0) return SyscallError("mkdir", Where(path), errno);
  }
  if (ids.any() && ::fchownat(loc.dir.get(), loc.name.c_str(), ids.uid, ids.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return ChownError(path, options.owner, options.group, errno);
  }
  if (mode && ::fchmodat(loc.dir.get(), loc.name.c_str(), *mode, AT_SYMLINK_NOFOLLOW) != 0) {
    return SyscallError("chmod", Where(path), errno);
  }
  return Existing(loc);
}

Result<fs::FileInfo> LocalDirFileSystem::PutFile(std::string_view raw, fs::InputStream& data,
                                                 const fs::PutOptions& options) {
  const fs::CreateOptions& create = options.create;
  ASSIGN_OR_RETURN(std::string path, path::Normalize(raw));
  if (path::IsRoot(path)) return IsADirectory(path);
  RETURN_IF_ERROR(CheckCreateOptions(create, path));
  ASSIGN_OR_RETURN(Ownership ids, ResolveOwnership(create.owner, create.group));
  std::vector<std::string> parts;
  for (std::string_view part : path::Split(path)) parts.emplace_back(part);
  const std::string& leaf = parts.back();
  bool exclusive = !create.overwrite || create.conditions.if_none_match == "*";

  // The deepest existing directory on the way: the temporary file goes there, so a failed upload creates no parents.
  ASSIGN_OR_RETURN(auto deepest, Walk(path, parts, parts.size() - 1, WalkMode::kPrefix));
  Fd& temp_dir = deepest.first;
  bool parent_exists = deepest.second == parts.size() - 1;
  auto check_target = [&](int dirfd, struct statx* st) -> Result<std::optional<fs::FileInfo>> {
    ASSIGN_OR_RETURN(std::optional<struct statx> found, StatAt(dirfd, leaf, Where(path)));
    if (!found) {
      RETURN_IF_ERROR(CheckConditions(create.conditions, nullptr, path));
      return std::optional<fs::FileInfo>();
    }
    if (st != nullptr) *st = *found;
    ASSIGN_OR_RETURN(fs::FileInfo info, InfoFrom(path, *found));
    if (info.is_directory()) return IsADirectory(path);
    if (exclusive) return AlreadyExists(path);
    RETURN_IF_ERROR(CheckConditions(create.conditions, &info, path));
    return std::optional<fs::FileInfo>(std::move(info));
  };
  if (parent_exists) {
    RETURN_IF_ERROR(check_target(temp_dir.get(), nullptr).status());
  } else {
    RETURN_IF_ERROR(CheckConditions(create.conditions, nullptr, path));
  }

  ASSIGN_OR_RETURN(auto temp, CreateTemporary(temp_dir.get(), path, create, ids));
  auto remove_temp = [&] { ::unlinkat(temp_dir.get(), temp.second.c_str(), 0); };
  auto upload = [&]() -> Status {
    std::vector<char> buf(kBufferSize);
    int64_t offset = 0;
    while (true) {
      ASSIGN_OR_RETURN(size_t n, data.Read(buf.data(), buf.size()));
      if (n == 0) break;
      RETURN_IF_ERROR(WriteAll(temp.first.get(), buf.data(), n, offset, Where(path)));
      offset += static_cast<int64_t>(n);
    }
    return Fsync(temp.first.get(), Where(path));
  };
  Status uploaded = upload();
  if (!uploaded.ok()) {
    remove_temp();
    return uploaded;
  }
  // Commit: make the parents, check the target again, rename over it.
  auto commit = [&]() -> Result<fs::FileInfo> {
    ASSIGN_OR_RETURN(Location loc, Locate(path, WalkMode::kCreate));
    struct statx old_st {};
    ASSIGN_OR_RETURN(std::optional<fs::FileInfo> old, check_target(loc.dir.get(), &old_st));
    RETURN_IF_ERROR(RenameInto(temp_dir.get(), temp.second, loc.dir.get(), loc.name, path, exclusive, false));
    DropStaged(path);
    if (old) RETURN_IF_ERROR(AdvanceChangeTime(loc, old_st.stx_ctime));
    return Existing(loc);
  };
  auto result = commit();
  if (!result.ok()) remove_temp();
  return result;
}

// --- staged appends ---

LocalDirFileSystem::StagedRef LocalDirFileSystem::AcquireStaged(const std::string& path) {
  while (true) {
    std::shared_ptr<Staged> staged;
    {
      std::lock_guard<std::mutex> lock(staged_mu_);
      std::shared_ptr<Staged>& slot = staged_[path];
      if (!slot) slot = std::make_shared<Staged>();
      staged = slot;
    }
    std::unique_lock<std::mutex> lock(staged->mu);
    if (!staged->dropped) return StagedRef{std::move(staged), std::move(lock)};
  }
}

void LocalDirFileSystem::ReleaseStaged(const std::string& path, StagedRef& ref) {
  if (ref.staged->partial.valid()) return;
  ref.staged->dropped = true;
  std::lock_guard<std::mutex> lock(staged_mu_);
  auto it = staged_.find(path);
  if (it != staged_.end() && it->second == ref.staged) staged_.erase(it);
}

namespace {

void Discard(Staged& s) {
  if (s.partial.valid() && s.dir.valid()) ::unlinkat(s.dir.get(), s.partial_name.c_str(), 0);
  s.partial.Reset();
  s.dir.Reset();
  s.ranges.clear();
}

}  // namespace

LocalDirFileSystem::~LocalDirFileSystem() {
  DropStaged("/");
}

void LocalDirFileSystem::DropStaged(const std::string& path) {
  std::vector<std::shared_ptr<Staged>> dropped;
  {
    std::lock_guard<std::mutex> lock(staged_mu_);
    for (auto it = staged_.begin(); it != staged_.end();) {
      if (it->first == path || path::IsAncestor(path, it->first)) {
        dropped.push_back(std::move(it->second));
        it = staged_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const std::shared_ptr<Staged>& s : dropped) {
    std::lock_guard<std::mutex> lock(s->mu);
    s->dropped = true;
    Discard(*s);
  }
}

Status LocalDirFileSystem::StartPartial(const Location& loc, Staged& s) {
  std::string name = PartialName(loc.name);
  if (::unlinkat(loc.dir.get(), name.c_str(), 0) != 0 && errno != ENOENT) {  // left by a crash: stale
    return SyscallError("remove stale partial file " + name + " of", Where(loc.path), errno);
  }
  Fd fd(::openat(loc.dir.get(), name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return SyscallError("create partial file " + name + " for", Where(loc.path), errno);
  if (s.committed > 0) {
    Fd source(::openat(loc.dir.get(), loc.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    Status copied = source.valid() ? CopyBytes(source.get(), fd.get(), s.committed, Where(loc.path))
                                   : SyscallError("open", Where(loc.path), errno);
    if (!copied.ok()) {
      ::unlinkat(loc.dir.get(), name.c_str(), 0);
      return copied;
    }
  }
  s.dir = Dup(loc.dir);
  if (!s.dir.valid()) {
    int err = errno;
    ::unlinkat(loc.dir.get(), name.c_str(), 0);
    return SyscallError("dup", Where(loc.path), err);
  }
  s.partial = std::move(fd);
  s.partial_name = std::move(name);
  return Status::Ok();
}

void LocalDirFileSystem::CopyOwnershipAndMode(int fd, const struct statx& from) {
  // Best effort: root keeps the owner; others keep the group when they belong to it (else the writer owns the new
  // version, as with any write-and-rename).
  if (::fchown(fd, from.stx_uid, from.stx_gid) != 0) ::fchown(fd, static_cast<uid_t>(-1), from.stx_gid);
  ::fchmod(fd, from.stx_mode & 07777);
}

Result<fs::FileInfo> LocalDirFileSystem::CommitStaged(const Location& loc, Staged& s, int64_t position,
                                                      const fs::FlushOptions& options) {
  struct statx before {};
  auto found = Lookup(loc, &before);
  if (!found.ok()) return found.status();
  if (!*found) {
    Discard(s);
    return PathNotFound(loc.path);
  }
  fs::FileInfo info = std::move(**found);
  if (info.is_directory()) return IsADirectory(loc.path);
  RETURN_IF_ERROR(CheckConditions(options.conditions, &info, loc.path));
  if (!s.partial.valid()) s.committed = info.size;
  if (position < s.committed) {
    return Status(StatusCode::kInvalidFlushPosition, "flush of " + loc.path + " to " + std::to_string(position) +
                                                         " is below its committed length " +
                                                         std::to_string(s.committed));
  }
  int64_t end = s.ContiguousEnd();
  if (position > end) {
    return Status(StatusCode::kInvalidFlushPosition, "flush of " + loc.path + " to " + std::to_string(position) +
                                                         " needs bytes " + std::to_string(end) + ".." +
                                                         std::to_string(position) + " appended first");
  }
  if (position == s.committed) {
    if (!options.retain_uncommitted) Discard(s);  // staged bytes beyond the position are dropped
    return info;
  }
  const std::string where = Where(loc.path);
  if (options.retain_uncommitted) {
    // The new version is a copy of the first `position` bytes; the partial file keeps the rest staged.
    ASSIGN_OR_RETURN(auto temp, CreateTemporary(loc.dir.get(), loc.path, fs::CreateOptions{}, Ownership{}));
    auto publish = [&]() -> Status {
      RETURN_IF_ERROR(CopyBytes(s.partial.get(), temp.first.get(), position, where));
      CopyOwnershipAndMode(temp.first.get(), before);
      RETURN_IF_ERROR(Fsync(temp.first.get(), where));
      if (::renameat(loc.dir.get(), temp.second.c_str(), loc.dir.get(), loc.name.c_str()) != 0) {
        return SyscallError("rename", where, errno);
      }
      return Status::Ok();
    };
    Status published = publish();
    if (!published.ok()) {
      ::unlinkat(loc.dir.get(), temp.second.c_str(), 0);
      return published;
    }
    s.committed = position;
  } else {
    if (::ftruncate(s.partial.get(), position) != 0) return SyscallError("ftruncate", where, errno);
    CopyOwnershipAndMode(s.partial.get(), before);
    RETURN_IF_ERROR(Fsync(s.partial.get(), where));
    if (::renameat(loc.dir.get(), s.partial_name.c_str(), loc.dir.get(), loc.name.c_str()) != 0) {
      return SyscallError("rename partial file over", where, errno);
    }
    s.partial.Reset();
    s.dir.Reset();
    s.ranges.clear();
    s.committed = position;
  }
  RETURN_IF_ERROR(AdvanceChangeTime(loc, before.stx_ctime));
  return Existing(loc);
}

Result<int64_t> LocalDirFileSystem::Append(std::string_view raw, int64_t offset, fs::InputStream& data,
                                           const fs::AppendOptions& options) {
  ASSIGN_OR_RETURN(Location loc, LocateExisting(raw));
  StagedRef ref = AcquireStaged(loc.path);
  Staged& s = *ref.staged;
  auto append = [&]() -> Result<int64_t> {
    ASSIGN_OR_RETURN(fs::FileInfo info, Existing(loc));
    if (info.is_directory()) return IsADirectory(loc.path);
    if (!s.partial.valid()) s.committed = info.size;
    int64_t end = s.ContiguousEnd();
    if (options.at_end) offset = end;
    if (offset < 0) return InvalidArgument("append offset " + std::to_string(offset) + " is negative");
    if (options.require_at_end && offset != end) {
      return Status(StatusCode::kBadOffset, "append to " + loc.path + " at offset " + std::to_string(offset) +
                                                ": the data ends at " + std::to_string(end));
    }
    if (offset < s.committed) {
      return Status(StatusCode::kBadOffset, "append to " + loc.path + " at offset " + std::to_string(offset) +
                                                " is below its committed length " + std::to_string(s.committed));
    }
    std::vector<char> buf(kBufferSize);
    int64_t written = 0;
    while (true) {
      ASSIGN_OR_RETURN(size_t n, data.Read(buf.data(), buf.size()));
      if (n == 0) break;
      if (!s.partial.valid()) RETURN_IF_ERROR(StartPartial(loc, s));
      RETURN_IF_ERROR(WriteAll(s.partial.get(), buf.data(), n, offset + written, Where(loc.path)));
      written += static_cast<int64_t>(n);
    }
    s.AddRange(offset, offset + written);
    if (options.flush) {
      RETURN_IF_ERROR(CommitStaged(loc, s, offset + written, fs::FlushOptions{}).status());
      return offset + written;
    }
    return s.ContiguousEnd();
  };
  auto result = append();
  ReleaseStaged(loc.path, ref);
  return result;
}

Result<fs::FileInfo> LocalDirFileSystem::Flush(std::string_view raw, int64_t position,
                                               const fs::FlushOptions& options) {
  ASSIGN_OR_RETURN(Location loc, LocateExisting(raw));
  StagedRef ref = AcquireStaged(loc.path);
  auto result = CommitStaged(loc, *ref.staged, position, options);
  ReleaseStaged(loc.path, ref);
  return result;
}

// --- rename and delete ---

Status LocalDirFileSystem::Rename(std::string_view raw_source, std::string_view raw_destination,
                                  const fs::RenameOptions& options) {
  ASSIGN_OR_RETURN(std::string src, path::Normalize(raw_source));
  ASSIGN_OR_RETURN(std::string dst, path::Normalize(raw_destination));
  if (path::IsRoot(src)) return Status(StatusCode::kInvalidRename, "the root directory cannot be renamed");
  if (path::IsRoot(dst)) return Status(StatusCode::kInvalidRename, "cannot rename " + src + " onto the root");
  if (path::IsAncestor(src, dst)) {
    return Status(StatusCode::kInvalidRename, "cannot move " + src + " into itself (" + dst + ")");
  }
  ASSIGN_OR_RETURN(Location from, LocateExisting(src));
  ASSIGN_OR_RETURN(fs::FileInfo source, Existing(from));
  RETURN_IF_ERROR(CheckConditions(options.source_conditions, &source, src));
  if (src == dst) return Status::Ok();
  ASSIGN_OR_RETURN(Location to, Locate(dst, WalkMode::kExisting));
  struct statx old_st {};
  ASSIGN_OR_RETURN(std::optional<fs::FileInfo> old, Lookup(to, &old_st));
  RETURN_IF_ERROR(CheckConditions(options.destination_conditions, old ? &*old : nullptr, dst));
  if (old) {
    if (!options.overwrite) return AlreadyExists(dst);
    if (old->is_directory() != source.is_directory()) {
      return Conflict("cannot replace " + std::string(old->is_directory() ? "directory " : "file ") + dst + " with a " +
                      (source.is_directory() ? "directory" : "file"));
    }
  }
  RETURN_IF_ERROR(
      RenameInto(from.dir.get(), from.name, to.dir.get(), to.name, dst, !options.overwrite, source.is_directory()));
  DropStaged(src);
  if (old) {
    DropStaged(dst);
    RETURN_IF_ERROR(AdvanceChangeTime(to, old_st.stx_ctime));
  }
  return Status::Ok();
}

Status LocalDirFileSystem::RemoveTree(int parent_fd, const std::string& name, const std::string& path) {
  Fd top(::openat(parent_fd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!top.valid()) return SyscallError("open", Where(path), errno);
  // Opens `rel` below the top directory one component at a time, never following links.
  auto open_below = [&](const std::string& rel, int final_flags) -> Result<Fd> {
    Fd cur(::openat(top.get(), ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    size_t start = 0;
    while (!rel.empty() && start <= rel.size()) {
      size_t slash = rel.find('/', start);
      if (slash == std::string::npos) slash = rel.size();
      std::string part = rel.substr(start, slash - start);
      Fd next(::openat(cur.get(), part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!next.valid()) return SyscallError("open", Where(path + "/" + rel.substr(0, slash)), errno);
      cur = std::move(next);
      start = slash + 1;
    }
    Fd fd(::openat(cur.get(), ".", final_flags | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return SyscallError("open", Where(rel.empty() ? path : path + "/" + rel), errno);
    return fd;
  };
  // Depth-first without recursion: a directory is emptied of files, its subdirectories are pushed, and it is
  // removed when it comes up again after them.
  struct Frame {
    std::string rel;  // relative to the top directory; "" is the top itself
    bool expanded = false;
  };
  std::vector<Frame> stack;
  stack.push_back({"", false});
  while (!stack.empty()) {
    size_t index = stack.size() - 1;
    std::string rel = stack[index].rel;
    std::string here = path;
    if (!rel.empty()) here.append("/").append(rel);
    if (stack[index].expanded) {
      stack.pop_back();
      if (rel.empty()) {
        if (::unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
          return SyscallError("rmdir", Where(here), errno);
        }
        continue;
      }
      size_t slash = rel.rfind('/');
      std::string parent_rel = slash == std::string::npos ? "" : rel.substr(0, slash);
      std::string leaf = slash == std::string::npos ? rel : rel.substr(slash + 1);
      ASSIGN_OR_RETURN(Fd parent, open_below(parent_rel, O_PATH));
      if (::unlinkat(parent.get(), leaf.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
        return SyscallError("rmdir", Where(here), errno);
      }
      continue;
    }
    stack[index].expanded = true;
    ASSIGN_OR_RETURN(Fd dir, open_below(rel, O_RDONLY));
    Fd dir_for_unlink = Dup(dir);
    if (!dir_for_unlink.valid()) return SyscallError("dup", Where(here), errno);
    ASSIGN_OR_RETURN(auto names, ReadNames(std::move(dir), Where(here)));
    for (const auto& [child, type] : names) {
      bool is_dir = type == DT_DIR;
      if (type == DT_UNKNOWN) {
        ASSIGN_OR_RETURN(std::optional<struct statx> st, StatAt(dir_for_unlink.get(), child, Where(here)));
        if (!st) continue;
        is_dir = S_ISDIR(st->stx_mode);
      }
      if (is_dir) {
        stack.push_back({JoinRelative(rel, child), false});
      } else if (::unlinkat(dir_for_unlink.get(), child.c_str(), 0) != 0 && errno != ENOENT) {
        return SyscallError("unlink", Where(JoinRelative(here, child)), errno);
      }
    }
  }
  return Status::Ok();
}

Status LocalDirFileSystem::Delete(std::string_view raw, const fs::DeleteOptions& options) {
  ASSIGN_OR_RETURN(std::string path, path::Normalize(raw));
  if (path::IsRoot(path)) return InvalidArgument("the root directory cannot be deleted");
  ASSIGN_OR_RETURN(Location loc, LocateExisting(path));
  ASSIGN_OR_RETURN(fs::FileInfo info, Existing(loc));
  RETURN_IF_ERROR(CheckConditions(options.conditions, &info, path));
  if (!info.is_directory()) {
    if (::unlinkat(loc.dir.get(), loc.name.c_str(), 0) != 0) return SyscallError("unlink", Where(path), errno);
    DropStaged(path);
    return Status::Ok();
  }
  DropStaged(path);
  if (::unlinkat(loc.dir.get(), loc.name.c_str(), AT_REMOVEDIR) == 0) return Status::Ok();
  int err = errno;
  if (err != ENOTEMPTY && err != EEXIST) return SyscallError("rmdir", Where(path), err);
  if (!options.recursive) {
    // Only leftovers of interrupted writes (hidden, never listed) do not make a directory non-empty.
    Fd dir(::openat(loc.dir.get(), loc.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid()) return SyscallError("open", Where(path), errno);
    Fd dir_for_unlink = Dup(dir);
    ASSIGN_OR_RETURN(auto names, ReadNames(std::move(dir), Where(path)));
    for (const auto& entry : names) {
      if (!IsInternalName(entry.first) || entry.second == DT_DIR) return DirectoryNotEmpty(path);
    }
    for (const auto& entry : names) ::unlinkat(dir_for_unlink.get(), entry.first.c_str(), 0);
    if (::unlinkat(loc.dir.get(), loc.name.c_str(), AT_REMOVEDIR) != 0) {
      if (errno == ENOTEMPTY || errno == EEXIST) return DirectoryNotEmpty(path);
      return SyscallError("rmdir", Where(path), errno);
    }
    return Status::Ok();
  }
  return RemoveTree(loc.dir.get(), loc.name, path);
}

}  // namespace lakeshift::localfs::internal
