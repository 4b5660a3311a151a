#include "common/status.h"

#include <cstring>

namespace lakeshift {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "InvalidArgument";
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kParentNotFound: return "ParentNotFound";
    case StatusCode::kAlreadyExists: return "AlreadyExists";
    case StatusCode::kNotADirectory: return "NotADirectory";
    case StatusCode::kIsADirectory: return "IsADirectory";
    case StatusCode::kDirectoryNotEmpty: return "DirectoryNotEmpty";
    case StatusCode::kInvalidRename: return "InvalidRename";
    case StatusCode::kBadOffset: return "BadOffset";
    case StatusCode::kInvalidFlushPosition: return "InvalidFlushPosition";
    case StatusCode::kOutOfRange: return "OutOfRange";
    case StatusCode::kPermissionDenied: return "PermissionDenied";
    case StatusCode::kUnauthenticated: return "Unauthenticated";
    case StatusCode::kPreconditionFailed: return "PreconditionFailed";
    case StatusCode::kLeaseConflict: return "LeaseConflict";
    case StatusCode::kConflict: return "Conflict";
    case StatusCode::kThrottled: return "Throttled";
    case StatusCode::kUnavailable: return "Unavailable";
    case StatusCode::kTimeout: return "Timeout";
    case StatusCode::kUnsupported: return "Unsupported";
    case StatusCode::kCancelled: return "Cancelled";
    case StatusCode::kInternal: return "Internal";
    case StatusCode::kIoError: return "IoError";
  }
  return "Unknown";
}

Status::Status(StatusCode code, std::string message) {
  if (code == StatusCode::kOk) return;
  state_ = std::make_shared<const State>(State{code, std::move(message)});
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return state_ ? state_->message : kEmpty;
}

Status Status::WithDetail(ServiceDetail detail) const {
  if (ok()) return *this;
  Status copy;
  copy.state_ = std::make_shared<const State>(State{state_->code, state_->message, true, std::move(detail)});
  return copy;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  Status copy;
  State state = *state_;
  state.message = std::string(context) + ": " + state.message;
  copy.state_ = std::make_shared<const State>(std::move(state));
  return copy;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(code()));
  out += ": ";
  out += message();
  if (const ServiceDetail* d = detail()) {
    out += " (";
    if (d->http_status != 0) out += "HTTP " + std::to_string(d->http_status);
    if (!d->service_code.empty()) out += (d->http_status != 0 ? " " : "") + d->service_code;
    if (!d->request_id.empty()) out += ", request id " + d->request_id;
    out += ")";
  }
  return out;
}

bool Status::IsRetryable() const {
  switch (code()) {
    case StatusCode::kThrottled:
    case StatusCode::kUnavailable:
    case StatusCode::kTimeout: return true;
    default: return false;
  }
}

std::ostream& operator<<(std::ostream& os, const Status& status) {
  return os << status.ToString();
}

Status InvalidArgument(std::string message) {
  return {StatusCode::kInvalidArgument, std::move(message)};
}
Status NotFound(std::string message) {
  return {StatusCode::kNotFound, std::move(message)};
}
Status PathNotFound(std::string_view path) {
  return {StatusCode::kNotFound, "path does not exist: " + std::string(path)};
}
Status ParentNotFound(std::string_view path) {
  return {StatusCode::kParentNotFound, "parent directory does not exist: " + std::string(path)};
}
Status AlreadyExists(std::string_view path) {
  return {StatusCode::kAlreadyExists, "path already exists: " + std::string(path)};
}
Status NotADirectory(std::string_view path) {
  return {StatusCode::kNotADirectory, "not a directory: " + std::string(path)};
}
Status IsADirectory(std::string_view path) {
  return {StatusCode::kIsADirectory, "is a directory: " + std::string(path)};
}
Status DirectoryNotEmpty(std::string_view path) {
  return {StatusCode::kDirectoryNotEmpty,
          "directory is not empty: " + std::string(path) + " (delete it recursively to remove its contents)"};
}
Status PermissionDenied(std::string message) {
  return {StatusCode::kPermissionDenied, std::move(message)};
}
Status Unauthenticated(std::string message) {
  return {StatusCode::kUnauthenticated, std::move(message)};
}
Status PreconditionFailed(std::string message) {
  return {StatusCode::kPreconditionFailed, std::move(message)};
}
Status LeaseConflict(std::string message) {
  return {StatusCode::kLeaseConflict, std::move(message)};
}
Status Conflict(std::string message) {
  return {StatusCode::kConflict, std::move(message)};
}
Status Unsupported(std::string message) {
  return {StatusCode::kUnsupported, std::move(message)};
}
Status Unavailable(std::string message) {
  return {StatusCode::kUnavailable, std::move(message)};
}
Status Internal(std::string message) {
  return {StatusCode::kInternal, std::move(message)};
}
Status IoError(std::string message) {
  return {StatusCode::kIoError, std::move(message)};
}
Status ErrnoError(std::string_view what, int err) {
  char buf[256];
  const char* text = strerror_r(err, buf, sizeof(buf));  // GNU variant: returns the message
  return IoError(std::string(what) + ": " + text);
}

}  // namespace lakeshift
