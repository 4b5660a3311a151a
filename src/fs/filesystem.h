#pragma once
// FileSystem: the one interface every store implements (the local namespace store, and later the Gen1
// and Gen2 REST clients and a local POSIX directory). Protocol front-ends serve it; the migration engine
// copies one to another. Differences between stores are described by Capabilities, never by type checks.
//
// Contract shared by all implementations:
// - Paths are absolute store paths ("/dir/file"); see common/path.h.
// - Errors are Status codes from common/status.h: kNotFound for a missing path, kParentNotFound,
//   kAlreadyExists, kNotADirectory, kIsADirectory, kDirectoryNotEmpty, kPermissionDenied, kBadOffset,
//   kInvalidFlushPosition, kPreconditionFailed, kUnsupported (operation outside the capabilities).
// - Every data or metadata change gives the item a new etag.
// - An implementation is bound to one caller (credentials, or LocalStore::ForCaller) and is thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "acl/acl.h"
#include "common/result.h"
#include "fs/stream.h"

namespace lakeshift::fs {

enum class FileType : uint8_t { kFile, kDirectory };

// User-defined name/value properties (Gen2 x-ms-properties, Blob x-ms-meta-*).
using Properties = std::map<std::string, std::string>;

// HTTP content headers a store keeps with a file (Gen2 x-ms-content-*).
struct ContentHeaders {
  std::string content_type;
  std::string content_encoding;
  std::string content_language;
  std::string content_disposition;
  std::string cache_control;
  bool operator==(const ContentHeaders&) const = default;
};

struct FileInfo {
  std::string path;
  FileType type = FileType::kFile;
  int64_t size = 0;  // committed bytes; 0 for directories
  std::string owner;
  std::string group;
  acl::Mode mode = 0;  // permission bits and sticky bit; group bits are the mask when the ACL is extended
  bool has_extended_acl = false;
  int64_t creation_time_ms = 0;
  int64_t modification_time_ms = 0;  // last content change (files) or child change (directories)
  int64_t access_time_ms = 0;
  int64_t change_time_ms = 0;  // last change of anything, metadata included
  int64_t expiry_time_ms = 0;  // 0: never expires
  std::string etag;
  std::string content_md5;  // base64 of the MD5 stored at flush; empty when none was given
  ContentHeaders content;
  Properties properties;

  bool is_directory() const { return type == FileType::kDirectory; }
  bool is_file() const { return type == FileType::kFile; }
};

// Conditional-request checks applied atomically with the operation (HTTP If-* semantics).
struct Conditions {
  std::optional<std::string> if_match;       // etag, or "*" (exists)
  std::optional<std::string> if_none_match;  // etag, or "*" (does not exist)
  std::optional<int64_t> if_modified_since_ms;
  std::optional<int64_t> if_unmodified_since_ms;
  bool empty() const { return !if_match && !if_none_match && !if_modified_since_ms && !if_unmodified_since_ms; }
};

struct ListOptions {
  // Resume after this key: a child name (non-recursive) or a path relative to the listed directory
  // (recursive). Continuation tokens returned in ListPage have the same form.
  std::string start_after;
  std::string end_before;  // non-recursive only: stop before this child name (Gen1 listBefore)
  int max_results = 5000;
  bool recursive = false;  // pre-order: a directory comes before its children; siblings in name order
};

struct ListPage {
  std::vector<FileInfo> entries;
  std::string continuation;  // empty on the last page
};

struct ReadOptions {
  int64_t offset = 0;
  int64_t length = -1;  // -1: to the end
  Conditions conditions;
  // The file's size as the caller already knows it (from a listing). Without conditions, remote stores then
  // skip their status request and read [offset, min(size, offset + length)) as it is now; a file that has
  // shrunk since gives an error or a short read, never bytes past its end. ReadHandle::info then holds only
  // path, type and size.
  std::optional<int64_t> known_size;
};

struct ReadHandle {
  FileInfo info;  // the file as it was when opened; the stream reads that version
  std::unique_ptr<InputStream> stream;
  int64_t offset = 0;
  int64_t length = 0;  // bytes the stream will deliver
};

struct CreateOptions {
  bool overwrite = true;                // files: replace an existing file; false gives kAlreadyExists
  std::optional<acl::Mode> permission;  // requested mode (the store's AclPolicy applies umask/inheritance)
  std::optional<acl::Mode> umask;       // honoured by stores whose policy has a umask parameter
  std::optional<std::string> owner;     // needs superuser
  std::optional<std::string> group;
  std::optional<std::vector<acl::AclEntry>> acl;  // replaces the inherited ACL (needs owner/superuser rights)
  Properties properties;
  ContentHeaders content;
  std::optional<int64_t> expiry_time_ms;
  Conditions conditions;
  // False when the caller ignores the FileInfo that CreateFile returns: remote stores then skip the status
  // request after the create and return only path and type.
  bool return_info = true;
};

struct AppendOptions {
  // Gen1 semantics: the offset must equal the current end of the data (committed plus contiguous staged
  // bytes), else kBadOffset. Without it (Gen2) appends may arrive in any order at positions >= the
  // committed length.
  bool require_at_end = false;
  // Commit right after staging: the file length becomes offset + bytes written (Gen1 METADATA/CLOSE,
  // Gen2 append with flush=true).
  bool flush = false;
  // Append wherever the data ends, atomically with other writers; `offset` is ignored (Gen1
  // CONCURRENTAPPEND and APPEND without an offset).
  bool at_end = false;
  // Base64 MD5 of this append's bytes. Stores that check it (Gen2: the Content-MD5 the service verifies) keep
  // nothing of an append whose bytes do not match; the others ignore it (Capabilities::append_md5).
  std::optional<std::string> content_md5;
};

struct FlushOptions {
  bool retain_uncommitted = false;  // keep staged data beyond `position`
  bool close = false;
  std::optional<std::string> content_md5;  // base64 MD5 of the whole file, stored as its Content-MD5
  std::optional<ContentHeaders> content;
  Conditions conditions;
  // False when the caller ignores the FileInfo that Flush returns beyond path, type and size: remote stores
  // then skip the status request after the flush.
  bool return_info = true;
};

// Writes a whole file in one step (PutFile).
struct PutOptions {
  CreateOptions create;  // overwrite, permission, owner, ACL, properties, content headers, conditions
  // Content-MD5 to store (base64); when absent and compute_md5 is set, the MD5 of the bytes written. Stores with
  // Capabilities::cheap_put refuse bytes that do not match it.
  std::optional<std::string> content_md5;
  bool compute_md5 = false;
};

struct RenameOptions {
  // Replace an existing destination file (or empty directory when renaming a directory).
  bool overwrite = false;
  Conditions source_conditions;
  Conditions destination_conditions;
};

struct DeleteOptions {
  bool recursive = false;
  Conditions conditions;
};

// kSet is HDFS/Gen1 SETACL (a scope the spec does not mention is kept); kReplace is Gen2's x-ms-acl (the
// whole ACL, default scope included, becomes the spec).
enum class AclOp : uint8_t { kSet, kReplace, kModify, kRemoveEntries, kRemoveAll, kRemoveDefault };

// One atomic change of owner, group, permission bits and/or ACL (DFS setAccessControl can carry all).
struct AccessControlChange {
  std::optional<std::string> owner;
  std::optional<std::string> group;
  std::optional<acl::Mode> mode;
  std::optional<AclOp> acl_op;
  std::vector<acl::AclEntry> acl_entries;
  Conditions conditions;
};

struct ExpirySpec {
  enum class Kind : uint8_t { kNever, kRelativeToNow, kRelativeToCreation, kAbsolute };
  Kind kind = Kind::kNever;
  int64_t ms = 0;  // offset for the relative kinds, epoch ms for kAbsolute
};

// What a store can do. The migration engine and the front-ends read these instead of checking types.
struct Capabilities {
  bool acls = false;       // POSIX ACLs and permission bits
  bool set_owner = false;  // owner/group can be set
  bool set_times = false;  // modification/access times can be set
  bool expiry = false;
  bool properties = false;
  bool content_md5 = false;         // stores a whole-file MD5 given at flush
  bool staged_appends = false;      // out-of-order appends at positions, then a flush
  bool atomic_rename = false;       // files and whole directories
  bool recursive_listing = false;   // List(recursive=true) is served by the store itself
  bool list_before = false;         // ListOptions::end_before
  bool check_access = false;        // CheckAccess is answered (Gen1 CHECKACCESS)
  bool sequential_appends = false;  // AppendOptions::require_at_end / at_end are checked atomically
  bool stable_reads = false;        // an open read keeps reading its version after the file is replaced
  // Owners and groups must be accounts of the host (names or numeric ids), as on a local POSIX directory; other
  // principals, such as Entra object ids, are refused.
  bool host_accounts = false;
  // PutFile writes and commits a file in one step, no cheaper as create, append and flush (no temporary name).
  bool atomic_put = false;
  // AppendOptions::content_md5 is checked against the bytes received, for appends of up to 16 MiB.
  bool append_md5 = false;
  // PutFile of a small file (up to 256 MiB, its size known) costs fewer requests or transactions than create,
  // append and flush, and checks PutOptions::content_md5 against the bytes received.
  bool cheap_put = false;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual const Capabilities& capabilities() const = 0;

  virtual Result<FileInfo> GetFileInfo(std::string_view path) = 0;
  // Lists a directory in name order, paged. Listing a file gives kNotADirectory.
  virtual Result<ListPage> List(std::string_view dir, const ListOptions& options) = 0;
  virtual Result<ReadHandle> OpenRead(std::string_view path, const ReadOptions& options) = 0;

  // Creates an empty file; missing parent directories are created (with the store's inheritance rules).
  virtual Result<FileInfo> CreateFile(std::string_view path, const CreateOptions& options) = 0;
  // Creates a directory and any missing parents. An existing directory is not an error (unless a
  // condition such as if_none_match="*" says so); an existing file is kAlreadyExists.
  virtual Result<FileInfo> CreateDirectory(std::string_view path, const CreateOptions& options) = 0;
  // Stages the stream's bytes at `offset`; returns the end of the contiguous data from 0.
  virtual Result<int64_t> Append(std::string_view path, int64_t offset, InputStream& data,
                                 const AppendOptions& options) = 0;
  // Commits the file's length to `position`: [committed length, position) must be fully staged.
  virtual Result<FileInfo> Flush(std::string_view path, int64_t position, const FlushOptions& options) = 0;
  // Creates or replaces a file with the whole stream, atomically: the bytes go to a new version that
  // becomes visible (with its metadata, and any missing parents) only once complete, so readers see the
  // old file or the new one, never a partial one, and readers of the old version keep reading it. A
  // failure, including an error from the stream, leaves the old file untouched. Conditions and rights
  // are those of CreateFile and are checked again when the version is committed.
  virtual Result<FileInfo> PutFile(std::string_view path, InputStream& data, const PutOptions& options) = 0;

  // Atomic rename of a file or a whole directory. The destination's parent must exist.
  virtual Status Rename(std::string_view source, std::string_view destination, const RenameOptions& options) = 0;
  virtual Status Delete(std::string_view path, const DeleteOptions& options) = 0;

  virtual Result<acl::AclState> GetAccessControl(std::string_view path) = 0;
  // OK when the caller holds `wanted` on the path (and may traverse its ancestors), else kPermissionDenied
  // (Gen1 CHECKACCESS).
  virtual Status CheckAccess(std::string_view path, acl::Perm wanted) = 0;
  virtual Result<FileInfo> SetAccessControl(std::string_view path, const AccessControlChange& change) = 0;
  virtual Result<FileInfo> SetTimes(std::string_view path, std::optional<int64_t> modification_time_ms,
                                    std::optional<int64_t> access_time_ms) = 0;
  virtual Result<FileInfo> SetExpiry(std::string_view path, const ExpirySpec& expiry) = 0;
  // Replaces all user properties (and the content headers when given).
  virtual Result<FileInfo> SetProperties(std::string_view path, const Properties& properties,
                                         const std::optional<ContentHeaders>& content,
                                         const Conditions& conditions) = 0;
  // Replaces a file's stored whole-file MD5 (base64; empty clears it), as Blob Set Blob Properties does
  // with x-ms-blob-content-md5. kUnsupported where !capabilities().content_md5.
  virtual Result<FileInfo> SetContentMd5(std::string_view path, std::string_view content_md5,
                                         const Conditions& conditions) = 0;
};

// Conveniences over the interface.
Result<FileInfo> WriteFile(FileSystem& fs, std::string_view path, std::string_view data,
                           const CreateOptions& options = {});
Result<std::string> ReadFile(FileSystem& fs, std::string_view path, int64_t offset = 0, int64_t length = -1);
// PutFile for stores without an atomic whole-file write (the REST clients): the bytes go to a temporary file
// next to the target (".lakeshift-put-<random>"), which is renamed over the target once complete. Readers see
// the old file or the new one; the temporary name is visible in listings while the upload runs, and is
// removed when the upload fails.
Result<FileInfo> PutFileByRename(FileSystem& fs, std::string_view path, InputStream& data, const PutOptions& options);
// Lists every page of a directory.
Result<std::vector<FileInfo>> ListAll(FileSystem& fs, std::string_view dir, bool recursive = false);

std::string_view FileTypeName(FileType type);
// A file known only by path and size: what stores return when the caller asked them to skip a status request.
FileInfo KnownFile(std::string path, int64_t size);

}  // namespace lakeshift::fs
