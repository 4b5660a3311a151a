#pragma once
// Private to localfs: the LocalDirFileSystem class and the POSIX helpers its operations share. Split by concern:
//   posix.cc                  file descriptors, errno mapping, accounts, statx -> FileInfo, etags
//   local_dir_filesystem.cc   opening, path walking, status, listing, reads, access control, times
//   local_dir_write.cc        create, put, staged appends and flush, rename, delete

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fs/filesystem.h"
#include "localfs/local_dir_filesystem.h"

namespace lakeshift::localfs::internal {

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void Reset();

 private:
  int fd_ = -1;
};

// The Status code for an errno value (ENOENT -> kNotFound, EACCES/EPERM -> kPermissionDenied, ...).
StatusCode CodeForErrno(int err);
// "<syscall> <where>: <strerror>", with the code from CodeForErrno.
Status SyscallError(std::string_view syscall, std::string_view where, int err);

// User and group names of the host, cached (NSS lookups can be slow).
class Accounts {
 public:
  std::string UserName(uid_t uid);
  std::string GroupName(gid_t gid);
  // A user name or a numeric uid; kInvalidArgument for an unknown name.
  Result<uid_t> UserId(const std::string& name);
  Result<gid_t> GroupId(const std::string& name);

 private:
  std::mutex mu_;
  std::unordered_map<uid_t, std::string> users_;
  std::unordered_map<gid_t, std::string> groups_;
};

int64_t ToMs(const struct statx_timestamp& ts);
bool Later(const struct statx_timestamp& a, const struct statx_timestamp& b);  // a > b
std::string EtagOf(const struct statx& st);
// The statx of `name` in `dirfd`, not following a link; nullopt when it does not exist.
Result<std::optional<struct statx>> StatAt(int dirfd, const std::string& name, std::string_view where);
// "a symbolic link", "a FIFO", ... for the types lakeshift does not copy.
std::string_view KindName(uint32_t mode);

// Conditional-request checks against an item's current state (nullptr: it does not exist).
Status CheckConditions(const fs::Conditions& c, const fs::FileInfo* info, const std::string& path);

// A path resolved to the directory that holds its last component.
struct Location {
  std::string path;                // normalised store path
  std::vector<std::string> parts;  // its components
  Fd dir;                          // O_PATH descriptor of the directory holding the item (the root for "/")
  std::string name;                // the item's name in `dir`; "." for the root
  bool is_root() const { return parts.empty(); }
};

// Appends staged for one file, between Append and Flush.
struct Staged {
  std::mutex mu;
  bool dropped = false;  // removed from the table; take a new entry
  Fd dir;                // the directory of the file and its partial file (follows the directory if it moves)
  Fd partial;            // the partial file, open read-write; invalid until the first byte is staged
  std::string partial_name;
  int64_t committed = 0;              // the file's length when staging began
  std::map<int64_t, int64_t> ranges;  // staged [start, end), merged, all above `committed`

  int64_t ContiguousEnd() const;
  void AddRange(int64_t start, int64_t end);
};

enum class WalkMode : uint8_t {
  kExisting,  // every directory must exist (kParentNotFound otherwise)
  kCreate,    // missing directories are created
  kPrefix,    // stop at the first missing directory
};

class LocalDirFileSystem final : public fs::FileSystem {
 public:
  LocalDirFileSystem(std::string root, Fd root_fd);
  // Staged appends that were never flushed are discarded (their partial files removed).
  ~LocalDirFileSystem() override;
  LocalDirFileSystem(const LocalDirFileSystem&) = delete;
  LocalDirFileSystem& operator=(const LocalDirFileSystem&) = delete;

  const fs::Capabilities& capabilities() const override { return caps_; }

  Result<fs::FileInfo> GetFileInfo(std::string_view path) override;
  Result<fs::ListPage> List(std::string_view dir, const fs::ListOptions& options) override;
  Result<fs::ReadHandle> OpenRead(std::string_view path, const fs::ReadOptions& options) override;
  Result<fs::FileInfo> CreateFile(std::string_view path, const fs::CreateOptions& options) override;
  Result<fs::FileInfo> CreateDirectory(std::string_view path, const fs::CreateOptions& options) override;
  Result<int64_t> Append(std::string_view path, int64_t offset, fs::InputStream& data,
                         const fs::AppendOptions& options) override;
  Result<fs::FileInfo> Flush(std::string_view path, int64_t position, const fs::FlushOptions& options) override;
  Result<fs::FileInfo> PutFile(std::string_view path, fs::InputStream& data, const fs::PutOptions& options) override;
  Status Rename(std::string_view source, std::string_view destination, const fs::RenameOptions& options) override;
  Status Delete(std::string_view path, const fs::DeleteOptions& options) override;
  Result<acl::AclState> GetAccessControl(std::string_view path) override;
  Status CheckAccess(std::string_view path, acl::Perm wanted) override;
  Result<fs::FileInfo> SetAccessControl(std::string_view path, const fs::AccessControlChange& change) override;
  Result<fs::FileInfo> SetTimes(std::string_view path, std::optional<int64_t> modification_time_ms,
                                std::optional<int64_t> access_time_ms) override;
  Result<fs::FileInfo> SetExpiry(std::string_view path, const fs::ExpirySpec& expiry) override;
  Result<fs::FileInfo> SetProperties(std::string_view path, const fs::Properties& properties,
                                     const std::optional<fs::ContentHeaders>& content,
                                     const fs::Conditions& conditions) override;
  Result<fs::FileInfo> SetContentMd5(std::string_view path, std::string_view content_md5,
                                     const fs::Conditions& conditions) override;

 private:
  // --- paths (local_dir_filesystem.cc) ---
  // "<store path> (local <local path>)", for messages.
  std::string Where(std::string_view path) const;
  // The directory parts[0, count) below the root, walked one component at a time without following links.
  // Returns it and how many components deep it is (less than count only with kPrefix).
  Result<std::pair<Fd, size_t>> Walk(const std::string& path, const std::vector<std::string>& parts, size_t count,
                                     WalkMode mode);
  Result<Location> Locate(std::string_view raw, WalkMode mode);
  // Locate for an item that must exist: a missing directory or a file on the way is kNotFound for the path.
  Result<Location> LocateExisting(std::string_view raw);
  // The item's FileInfo; nullopt when it does not exist, kUnsupported for links and special files.
  Result<std::optional<fs::FileInfo>> Lookup(const Location& loc, struct statx* st_out = nullptr);
  Result<fs::FileInfo> Existing(const Location& loc, struct statx* st_out = nullptr);
  Result<fs::FileInfo> InfoFrom(const std::string& path, const struct statx& st);
  // kNotADirectory / kUnsupported for an item that is in the way of a directory.
  Status NotADirectoryError(int dirfd, const std::string& name, const std::string& path);
  // After a change through this FileSystem: moves the item's ctime past `before` so its etag changes.
  Status AdvanceChangeTime(const Location& loc, const struct statx_timestamp& before);

  // --- writes (local_dir_write.cc) ---
  // Refuses what a local directory cannot keep (ACLs, properties, content headers, expiry).
  Status CheckCreateOptions(const fs::CreateOptions& options, const std::string& path) const;
  struct Ownership {
    uid_t uid = static_cast<uid_t>(-1);
    gid_t gid = static_cast<gid_t>(-1);
    bool any() const { return uid != static_cast<uid_t>(-1) || gid != static_cast<gid_t>(-1); }
  };
  Result<Ownership> ResolveOwnership(const std::optional<std::string>& owner, const std::optional<std::string>& group);
  Status ChownError(const std::string& path, const std::optional<std::string>& owner,
                    const std::optional<std::string>& group, int err);
  // A new hidden temporary file in `dirfd` with the create options' mode and owner applied.
  Result<std::pair<Fd, std::string>> CreateTemporary(int dirfd, const std::string& path,
                                                     const fs::CreateOptions& options, const Ownership& ids);
  // Renames `from` in from_dir to the item of loc; exclusive: fails with kAlreadyExists instead of replacing.
  Status RenameInto(int from_dir, const std::string& from, int to_dir, const std::string& to, const std::string& path,
                    bool exclusive, bool is_dir);

  struct StagedRef {
    std::shared_ptr<Staged> staged;
    std::unique_lock<std::mutex> lock;
  };
  StagedRef AcquireStaged(const std::string& path);
  // Forgets the entry when it holds no staged bytes.
  void ReleaseStaged(const std::string& path, StagedRef& ref);
  // Discards staged appends of the path and of everything below it (the item was replaced, moved or deleted).
  void DropStaged(const std::string& path);
  Status StartPartial(const Location& loc, Staged& s);
  Result<fs::FileInfo> CommitStaged(const Location& loc, Staged& s, int64_t position, const fs::FlushOptions& options);
  // Gives `fd` the mode and (best effort) owner of the file it will replace.
  void CopyOwnershipAndMode(int fd, const struct statx& from);
  Status RemoveTree(int parent_fd, const std::string& name, const std::string& path);

  const std::string root_;
  const Fd root_fd_;
  fs::Capabilities caps_;
  Accounts accounts_;
  std::atomic<bool> openat2_available_{true};  // cleared when the kernel (or a seccomp filter) refuses openat2
  std::mutex staged_mu_;                       // guards staged_ (each entry has its own lock)
  std::map<std::string, std::shared_ptr<Staged>> staged_;
};

}  // namespace lakeshift::localfs::internal
