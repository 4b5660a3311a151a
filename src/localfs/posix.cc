// POSIX helpers of the local directory FileSystem: descriptors, errno mapping, accounts, statx and etags.
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>

#include "localfs/local_dir_impl.h"

namespace lakeshift::localfs::internal {

void Fd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

StatusCode CodeForErrno(int err) {
  switch (err) {
    case ENOENT: return StatusCode::kNotFound;
    case EEXIST: return StatusCode::kAlreadyExists;
    case ENOTDIR: return StatusCode::kNotADirectory;
    case EISDIR: return StatusCode::kIsADirectory;
    case ENOTEMPTY: return StatusCode::kDirectoryNotEmpty;
    case EACCES:
    case EPERM:
    case EROFS: return StatusCode::kPermissionDenied;
    case ELOOP: return StatusCode::kUnsupported;  // a symbolic link where O_NOFOLLOW refused it
    case ENAMETOOLONG:
    case EINVAL: return StatusCode::kInvalidArgument;
    default: return StatusCode::kIoError;
  }
}

Status SyscallError(std::string_view syscall, std::string_view where, int err) {
  std::string what = std::string(syscall) + " " + std::string(where);
  return Status(CodeForErrno(err), ErrnoError(what, err).message());
}

namespace {

bool ParseId(const std::string& text, unsigned long& id) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  return ec == std::errc() && end == text.data() + text.size();
}

// Calls a get*_r function with a growing buffer; `use` reads the entry while the buffer lives.
template <typename Entry, typename Call, typename Use>
bool LookUp(Call call, Use use) {
  Entry entry{};
  std::vector<char> buf(size_t{16} * 1024);
  while (true) {
    Entry* found = nullptr;
    int rc = call(&entry, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < (size_t{1} << 24)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0 || found == nullptr) return false;
    use(*found);
    return true;
  }
}

}  // namespace

std::string Accounts::UserName(uid_t uid) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = users_.find(uid);
    if (it != users_.end()) return it->second;
  }
  std::string name = std::to_string(uid);
  LookUp<struct passwd>(
      [&](struct passwd* e, char* b, size_t n, struct passwd** r) { return getpwuid_r(uid, e, b, n, r); },
      [&](const struct passwd& pw) {
        if (pw.pw_name != nullptr) name = pw.pw_name;
      });
  std::lock_guard<std::mutex> lock(mu_);
  users_.emplace(uid, name);
  return name;
}

std::string Accounts::GroupName(gid_t gid) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = groups_.find(gid);
    if (it != groups_.end()) return it->second;
  }
  std::string name = std::to_string(gid);
  LookUp<struct group>(
      [&](struct group* e, char* b, size_t n, struct group** r) { return getgrgid_r(gid, e, b, n, r); },
      [&](const struct group& gr) {
        if (gr.gr_name != nullptr) name = gr.gr_name;
      });
  std::lock_guard<std::mutex> lock(mu_);
  groups_.emplace(gid, name);
  return name;
}

Result<uid_t> Accounts::UserId(const std::string& name) {
  unsigned long id = 0;
  if (ParseId(name, id)) return static_cast<uid_t>(id);
  uid_t uid = 0;
  if (LookUp<struct passwd>(
          [&](struct passwd* e, char* b, size_t n, struct passwd** r) { return getpwnam_r(name.c_str(), e, b, n, r); },
          [&](const struct passwd& pw) { uid = pw.pw_uid; })) {
    return uid;
  }
  return InvalidArgument("no user named \"" + name +
                         "\" on this host; a local directory takes host user names or numeric uids as owners");
}

Result<gid_t> Accounts::GroupId(const std::string& name) {
  unsigned long id = 0;
  if (ParseId(name, id)) return static_cast<gid_t>(id);
  gid_t gid = 0;
  if (LookUp<struct group>(
          [&](struct group* e, char* b, size_t n, struct group** r) { return getgrnam_r(name.c_str(), e, b, n, r); },
          [&](const struct group& gr) { gid = gr.gr_gid; })) {
    return gid;
  }
  return InvalidArgument("no group named \"" + name +
                         "\" on this host; a local directory takes host group names or numeric gids");
}

int64_t ToMs(const struct statx_timestamp& ts) {
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool Later(const struct statx_timestamp& a, const struct statx_timestamp& b) {
  return a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec : a.tv_nsec > b.tv_nsec;
}

std::string EtagOf(const struct statx& st) {
  // FNV-1a over the identity and change state of the inode.
  uint64_t hash = 0xcbf29ce484222325ULL;
  auto mix = [&](uint64_t value) {
    for (int i = 0; i < 8; ++i) {
      hash ^= (value >> (8 * i)) & 0xFF;
      hash *= 0x100000001b3ULL;
    }
  };
  mix((static_cast<uint64_t>(st.stx_dev_major) << 32) | st.stx_dev_minor);
  mix(st.stx_ino);
  mix(st.stx_size);
  mix(static_cast<uint64_t>(st.stx_mtime.tv_sec));
  mix(st.stx_mtime.tv_nsec);
  mix(static_cast<uint64_t>(st.stx_ctime.tv_sec));
  mix(st.stx_ctime.tv_nsec);
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%016llX", static_cast<unsigned long long>(hash));
  return buf;
}

Result<std::optional<struct statx>> StatAt(int dirfd, const std::string& name, std::string_view where) {
  struct statx st {};
  if (::statx(dirfd, name.c_str(), AT_SYMLINK_NOFOLLOW | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS | STATX_BTIME, &st) !=
      0) {
    if (errno == ENOENT) return std::optional<struct statx>();
    return SyscallError("statx", where, errno);
  }
  return std::optional<struct statx>(st);
}

std::string_view KindName(uint32_t mode) {
  switch (mode & S_IFMT) {
    case S_IFLNK: return "a symbolic link";
    case S_IFIFO: return "a FIFO";
    case S_IFSOCK: return "a socket";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFDIR: return "a directory";
    case S_IFREG: return "a regular file";
    default: return "a special file";
  }
}

Status CheckConditions(const fs::Conditions& c, const fs::FileInfo* info, const std::string& path) {
  if (c.if_match) {
    if (info == nullptr) return PreconditionFailed("If-Match condition failed: " + path + " does not exist");
    if (*c.if_match != "*" && *c.if_match != info->etag) {
      return PreconditionFailed("If-Match condition failed for " + path + ": etag is " + info->etag);
    }
  }
  if (c.if_none_match && info != nullptr) {
    if (*c.if_none_match == "*") return AlreadyExists(path);
    if (*c.if_none_match == info->etag) {
      return PreconditionFailed("If-None-Match condition failed for " + path + ": etag matches");
    }
  }
  // HTTP dates have whole seconds.
  if (info != nullptr && c.if_modified_since_ms && info->change_time_ms / 1000 <= *c.if_modified_since_ms / 1000) {
    return PreconditionFailed("If-Modified-Since condition failed for " + path);
  }
  if (info != nullptr && c.if_unmodified_since_ms && info->change_time_ms / 1000 > *c.if_unmodified_since_ms / 1000) {
    return PreconditionFailed("If-Unmodified-Since condition failed for " + path);
  }
  return Status::Ok();
}

int64_t Staged::ContiguousEnd() const {
  int64_t end = committed;
  for (const auto& [start, stop] : ranges) {
    if (start > end) break;
    end = std::max(end, stop);
  }
  return end;
}

void Staged::AddRange(int64_t start, int64_t end) {
  if (start >= end) return;
  auto it = ranges.upper_bound(start);
  if (it != ranges.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= start) {  // overlaps or touches the previous range
      start = prev->first;
      end = std::max(end, prev->second);
      it = ranges.erase(prev);
    }
  }
  while (it != ranges.end() && it->first <= end) {
    end = std::max(end, it->second);
    it = ranges.erase(it);
  }
  ranges.emplace(start, end);
}

}  // namespace lakeshift::localfs::internal
