#pragma once
// The Gen1 error table, both ways: a Status becomes the service's RemoteException (HTTP status, exception
// name, Java class, message with the service's internal code), and a RemoteException read by a client
// becomes a Status. Names and codes follow gen1-api.md section 2.4 and the recorded service responses.

#include <string>
#include <string_view>

#include "common/status.h"

namespace lakeshift::gen1 {

struct RemoteException {
  int http_status = 500;
  std::string exception;   // "FileNotFoundException"
  std::string java_class;  // "java.io.FileNotFoundException"
  std::string message;     // without the "[request id][timestamp]" suffix
  std::string status_hex;  // the service's internal code, sent as the `Status` header ("0x8309000A")
};

// The answer the service gives when `op` on `path` fails with `status`. A ServiceDetail whose service code
// is an exception name wins (handlers use MakeError for those).
RemoteException ToRemoteException(const Status& status, std::string_view op, std::string_view path);

// A Status carrying an exact exception: MakeError(400, "IllegalArgumentException", "...").
Status MakeError(int http_status, std::string_view exception, std::string message);

// {"RemoteException":{"exception":...,"message":"<message> [<request id>][<timestamp>]","javaClassName":...}}
std::string RenderRemoteException(const RemoteException& error, std::string_view request_id,
                                  std::string_view timestamp);

// "2017-05-26T16:00:40.5724231-07:00"-style timestamp (UTC, "+00:00") of the error message suffix.
std::string ErrorTimestamp(int64_t epoch_ns);

// A client's view of an error response: the Status code that matches the exception name (the Java class
// when the name is unknown), the message, and a ServiceDetail with the HTTP status and exception name.
Status FromRemoteException(int http_status, std::string_view body);

}  // namespace lakeshift::gen1
