#include "gen1/errors.h"

#include <nlohmann/json.hpp>

#include "encoding/time_format.h"

namespace lakeshift::gen1 {
namespace {

struct ExceptionInfo {
  std::string_view name;
  std::string_view java_class;
  int http_status;
  StatusCode code;
};

constexpr ExceptionInfo kExceptions[] = {
    {"IllegalArgumentException", "java.lang.IllegalArgumentException", 400, StatusCode::kInvalidArgument},
    {"UnsupportedOperationException", "java.lang.UnsupportedOperationException", 400, StatusCode::kUnsupported},
    {"BadOffsetException", "org.apache.hadoop.fs.adl.BadOffsetException", 400, StatusCode::kBadOffset},
    {"SecurityException", "java.lang.SecurityException", 401, StatusCode::kUnauthenticated},
    {"IOException", "java.io.IOException", 403, StatusCode::kConflict},
    {"AccessControlException", "org.apache.hadoop.security.AccessControlException", 403, StatusCode::kPermissionDenied},
    {"FileAlreadyExistsException", "org.apache.hadoop.fs.FileAlreadyExistsException", 403, StatusCode::kAlreadyExists},
    {"FileNotFoundException", "java.io.FileNotFoundException", 404, StatusCode::kNotFound},
    {"ThrottledException", "org.apache.hadoop.fs.adl.ThrottledException", 429, StatusCode::kThrottled},
    {"RuntimeException", "java.lang.RuntimeException", 500, StatusCode::kInternal},
};

const ExceptionInfo* FindException(std::string_view name) {
  for (const ExceptionInfo& e : kExceptions) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

// The upper-case operation name as the service writes it in messages ("Set Owner" for SETOWNER).
std::string OpTitle(std::string_view op) {
  if (op == "SETOWNER") return "Set Owner failed with ";
  return std::string(op);
}

RemoteException Make(const ExceptionInfo& e, std::string message, std::string_view status_hex) {
  return RemoteException{e.http_status, std::string(e.name), std::string(e.java_class), std::move(message),
                         std::string(status_hex)};
}

}  // namespace

Status MakeError(int http_status, std::string_view exception, std::string message) {
  const ExceptionInfo* e = FindException(exception);
  StatusCode code = e != nullptr ? e->code : StatusCode::kInternal;
  return Status(code, std::move(message)).WithDetail(ServiceDetail{http_status, std::string(exception), ""});
}

RemoteException ToRemoteException(const Status& status, std::string_view op, std::string_view path) {
  if (const ServiceDetail* d = status.detail(); d != nullptr && !d->service_code.empty()) {
    if (const ExceptionInfo* e = FindException(d->service_code)) {
      RemoteException r = Make(*e, status.message(), "0x83090015");
      if (d->http_status != 0) r.http_status = d->http_status;
      return r;
    }
  }
  std::string p(path);
  switch (status.code()) {
    case StatusCode::kNotFound:
    case StatusCode::kParentNotFound:
      return Make(*FindException("FileNotFoundException"), "File/Folder does not exist: " + p, "0x8309000A");
    case StatusCode::kPermissionDenied:
      return Make(*FindException("AccessControlException"),
                  OpTitle(op) +
                      " failed with error 0x83090aa2 (Forbidden. ACL verification failed. Either the resource does "
                      "not exist or the user is not authorized to perform the requested operation.).",
                  "0x83090AA2");
    case StatusCode::kAlreadyExists:
      return Make(
          *FindException("FileAlreadyExistsException"),
          std::string(op) + " failed with error 0x83090a1b (Forbidden. The file or folder already exists: " + p + ").",
          "0x83090A1B");
    case StatusCode::kBadOffset:
      return Make(*FindException("BadOffsetException"),
                  std::string(op) + " failed with error 0x83090015 (Bad request. Invalid offset.).", "0x83090015");
    case StatusCode::kInvalidArgument:
    case StatusCode::kInvalidFlushPosition:
    case StatusCode::kOutOfRange:
      return Make(*FindException("IllegalArgumentException"),
                  std::string(op) + " failed with error 0x83090015 (Bad request. " + status.message() + ").",
                  "0x83090015");
    case StatusCode::kIsADirectory:
    case StatusCode::kNotADirectory:
    case StatusCode::kDirectoryNotEmpty:
    case StatusCode::kInvalidRename:
    case StatusCode::kLeaseConflict:
    case StatusCode::kConflict:
    case StatusCode::kPreconditionFailed:
      return Make(*FindException("IOException"),
                  std::string(op) + " failed with error 0x83090a16 (" + status.message() + ").", "0x83090A16");
    case StatusCode::kUnsupported:
      return Make(*FindException("UnsupportedOperationException"),
                  std::string(op) + " is not supported: " + status.message(), "0x83090015");
    case StatusCode::kUnauthenticated: return Make(*FindException("SecurityException"), status.message(), "0x83090A15");
    case StatusCode::kThrottled:
      return Make(*FindException("ThrottledException"),
                  std::string(op) + " failed with error 0x83090a1d (Throttled. Reduce the request rate.).",
                  "0x83090A1D");
    default:
      return Make(*FindException("RuntimeException"),
                  std::string(op) + " failed with error 0x83090001 (Internal server error. " + status.message() + ").",
                  "0x83090001");
  }
}

std::string RenderRemoteException(const RemoteException& error, std::string_view request_id,
                                  std::string_view timestamp) {
  nlohmann::ordered_json body = {
      {"RemoteException",
       {{"exception", error.exception},
        {"message", error.message + " [" + std::string(request_id) + "][" + std::string(timestamp) + "]"},
        {"javaClassName", error.java_class}}}};
  return body.dump();
}

std::string ErrorTimestamp(int64_t epoch_ns) {
  // FormatIso8601 gives "2017-05-26T23:00:40.5724231Z"; the service writes an offset instead of Z.
  std::string iso = encoding::FormatIso8601(epoch_ns);
  if (!iso.empty() && iso.back() == 'Z') iso.replace(iso.size() - 1, 1, "+00:00");
  return iso;
}

Status FromRemoteException(int http_status, std::string_view body) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  std::string name;
  std::string java_class;
  std::string message;
  if (doc.is_object() && doc.contains("RemoteException") && doc["RemoteException"].is_object()) {
    const auto& r = doc["RemoteException"];
    if (r.contains("exception") && r["exception"].is_string()) name = r["exception"];
    if (r.contains("javaClassName") && r["javaClassName"].is_string()) java_class = r["javaClassName"];
    if (r.contains("message") && r["message"].is_string()) message = r["message"];
  }
  const ExceptionInfo* e = FindException(name);
  if (e == nullptr) {
    for (const ExceptionInfo& candidate : kExceptions) {
      if (candidate.java_class == java_class) e = &candidate;
    }
  }
  StatusCode code = e != nullptr         ? e->code
                    : http_status == 404 ? StatusCode::kNotFound
                    : http_status == 403 ? StatusCode::kPermissionDenied
                    : http_status == 401 ? StatusCode::kUnauthenticated
                    : http_status == 429 ? StatusCode::kThrottled
                    : http_status >= 500 ? StatusCode::kUnavailable
                                         : StatusCode::kInvalidArgument;
  if (message.empty()) message = "HTTP " + std::to_string(http_status) + (body.empty() ? "" : ": " + std::string(body));
  return Status(code, std::move(message)).WithDetail(ServiceDetail{http_status, name, ""});
}

}  // namespace lakeshift::gen1
