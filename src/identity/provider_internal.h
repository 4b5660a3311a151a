#pragma once
// Pieces shared by the token endpoint and the HTTP layer of the identity provider.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace lakeshift::identity::internal {

// An Entra error as a Status: message "AADSTS<code>: <description>", ServiceDetail{http_status, error}.
Status EntraError(int http_status, std::string_view error, int code, std::string_view description);

// Entra's JSON error body for such a status (other statuses become server_error 500):
// {"error","error_description" (with trace, correlation and timestamp lines),"error_codes","timestamp",
//  "trace_id","correlation_id","error_uri"}. Returns the HTTP status.
int EntraErrorBody(const Status& status, std::string_view base_url, std::string_view trace_id,
                   std::string_view correlation_id, std::string& body);

// "2023-05-06 06:03:00Z", as Entra's error timestamps read.
std::string EntraTimestamp(int64_t epoch_seconds);

int64_t NowSeconds();

}  // namespace lakeshift::identity::internal
