#pragma once
// Status: the error type at every module boundary. A code for callers to branch on, a message that says
// what failed, where and what to do, and optional service details (HTTP status, service error name,
// request id) filled in by the protocol layers.

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace lakeshift {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,       // malformed input: bad ACL spec, bad path, bad parameter
  kNotFound,              // the path (or a filesystem, account, lease) does not exist
  kParentNotFound,        // a create or rename needs a parent directory that does not exist
  kAlreadyExists,         // create without overwrite on an existing path
  kNotADirectory,         // a path component, or the target of a directory operation, is a file
  kIsADirectory,          // a file operation on a directory
  kDirectoryNotEmpty,     // non-recursive delete of a non-empty directory
  kInvalidRename,         // rename into itself, or of the root
  kBadOffset,             // append at an offset that is not the end of the data
  kInvalidFlushPosition,  // flush to a position that does not match contiguous staged data
  kOutOfRange,            // read range outside the file
  kPermissionDenied,      // the ACLs deny the caller
  kUnauthenticated,       // missing or invalid credentials
  kPreconditionFailed,    // a conditional request (etag, time) did not hold
  kLeaseConflict,         // the path is leased and the caller's lease id is missing or different
  kConflict,              // other state conflicts
  kThrottled,             // the service asked us to slow down (429, 503 ServerBusy)
  kUnavailable,           // transient: connection refused or reset, 5xx
  kTimeout,               // a deadline passed
  kUnsupported,           // the store or protocol cannot do this
  kCancelled,             // the caller cancelled (shutdown, Ctrl-C)
  kInternal,              // a bug or an unexpected state; the message says which
  kIoError,               // local disk or database failure
};

std::string_view StatusCodeName(StatusCode code);

// Extra facts carried by errors that came from, or go to, a remote service.
struct ServiceDetail {
  int http_status = 0;       // 0 when the error did not cross HTTP
  std::string service_code;  // e.g. "PathNotFound", "FileNotFoundException"
  std::string request_id;    // server request id, for support tickets
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  const std::string& message() const;
  const ServiceDetail* detail() const { return state_ && state_->has_detail ? &state_->detail : nullptr; }

  // Returns a copy with service details attached.
  Status WithDetail(ServiceDetail detail) const;
  // Returns a copy whose message is prefixed with context, e.g. "copy /a/b: ".
  Status WithContext(std::string_view context) const;

  // "NotFound: <message>" (plus service details when present).
  std::string ToString() const;

  // Marks an error that a retry may cure (throttling, transient network and server failures).
  bool IsRetryable() const;

  void IgnoreError() const {}

 private:
  struct State {
    StatusCode code;
    std::string message;
    bool has_detail = false;
    ServiceDetail detail;
  };
  std::shared_ptr<const State> state_;  // null means OK; shared so copies are cheap
};

std::ostream& operator<<(std::ostream& os, const Status& status);

// Typed constructors, so callers never spell codes and messages inconsistently.
Status InvalidArgument(std::string message);
Status NotFound(std::string message);
Status PathNotFound(std::string_view path);
Status ParentNotFound(std::string_view path);
Status AlreadyExists(std::string_view path);
Status NotADirectory(std::string_view path);
Status IsADirectory(std::string_view path);
Status DirectoryNotEmpty(std::string_view path);
Status PermissionDenied(std::string message);
Status Unauthenticated(std::string message);
Status PreconditionFailed(std::string message);
Status LeaseConflict(std::string message);
Status Conflict(std::string message);
Status Unsupported(std::string message);
Status Unavailable(std::string message);
Status Internal(std::string message);
Status IoError(std::string message);
// IoError "<what>: <strerror(err)>" (thread-safe strerror).
Status ErrnoError(std::string_view what, int err);

}  // namespace lakeshift

#define LAKESHIFT_CONCAT_INNER(a, b) a##b
#define LAKESHIFT_CONCAT(a, b) LAKESHIFT_CONCAT_INNER(a, b)

// Returns the status from the enclosing function when it is an error.
#define RETURN_IF_ERROR(expr)              \
  do {                                     \
    ::lakeshift::Status _status_ = (expr); \
    if (!_status_.ok()) return _status_;   \
  } while (false)
