#pragma once
// The Gen2 (DFS and Blob) error table, used in both directions: the emulator renders a Status as the
// service's error response, and the Gen2 client (later) parses a response back into a Status.
// Codes and messages follow gen2-api.md section 1.12.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace lakeshift::gen2 {

struct ServiceError {
  int http_status = 500;
  std::string code;     // x-ms-error-code, e.g. "PathNotFound"
  std::string message;  // the service's fixed text for the code
};

// Which API answers: DFS errors are JSON, Blob errors are XML and some codes differ (BlobNotFound).
enum class Api : uint8_t { kDfs, kBlob };

// The error the service gives for `status`. A ServiceDetail with a service code on the status wins;
// otherwise the status code picks the usual code for the API.
ServiceError ToServiceError(const Status& status, Api api);

// A Status carrying an exact service error (handlers use this when the code depends on context).
Status MakeError(int http_status, std::string_view code, std::string detail);

// The service's standard message for a code ("The specified path does not exist.").
std::string_view StandardMessage(std::string_view code);

// {"error":{"code":"...","message":"<message>\nRequestId:<id>\nTime:<iso>"}}
std::string RenderJsonError(const ServiceError& error, std::string_view request_id, std::string_view time_iso);
// <?xml ...?><Error><Code>...</Code><Message>...</Message>[<Name>value</Name>...]</Error>; `details` are the
// elements some errors add, such as QueryParameterName and QueryParameterValue.
std::string RenderXmlError(const ServiceError& error, std::string_view request_id, std::string_view time_iso,
                           const std::vector<std::pair<std::string, std::string>>& details = {});

}  // namespace lakeshift::gen2
