#include "gen2client/dfs_client.h"

#include <map>
#include <nlohmann/json.hpp>

namespace lakeshift::gen2client {
namespace {

StatusCode CodeFor(std::string_view error_code, int http_status) {
  static const std::map<std::string_view, StatusCode> kCodes = {
      {"PathNotFound", StatusCode::kNotFound},
      {"BlobNotFound", StatusCode::kNotFound},
      {"FilesystemNotFound", StatusCode::kNotFound},
      {"ContainerNotFound", StatusCode::kNotFound},
      {"ResourceNotFound", StatusCode::kNotFound},
      {"SourcePathNotFound", StatusCode::kNotFound},
      {"RenameDestinationParentPathNotFound", StatusCode::kParentNotFound},
      {"ParentNotFound", StatusCode::kParentNotFound},
      {"PathAlreadyExists", StatusCode::kAlreadyExists},
      {"BlobAlreadyExists", StatusCode::kAlreadyExists},
      {"FilesystemAlreadyExists", StatusCode::kAlreadyExists},
      {"ContainerAlreadyExists", StatusCode::kAlreadyExists},
      {"DirectoryNotEmpty", StatusCode::kDirectoryNotEmpty},
      {"InvalidRenameSourcePath", StatusCode::kInvalidRename},
      {"InvalidDestinationPath", StatusCode::kInvalidRename},
      {"ConditionNotMet", StatusCode::kPreconditionFailed},
      {"SourceConditionNotMet", StatusCode::kPreconditionFailed},
      {"InvalidFlushPosition", StatusCode::kInvalidFlushPosition},
      {"InvalidRange", StatusCode::kOutOfRange},
      {"AuthorizationPermissionMismatch", StatusCode::kPermissionDenied},
      {"AuthorizationFailure", StatusCode::kPermissionDenied},
      {"AuthenticationFailed", StatusCode::kUnauthenticated},
      {"InvalidAuthenticationInfo", StatusCode::kUnauthenticated},
      {"NoAuthenticationInformation", StatusCode::kUnauthenticated},
      {"LeaseIdMissing", StatusCode::kLeaseConflict},
      {"LeaseIdMismatchWithLeaseOperation", StatusCode::kLeaseConflict},
      {"LeaseAlreadyPresent", StatusCode::kLeaseConflict},
      {"LeaseNotPresentWithLeaseOperation", StatusCode::kLeaseConflict},
      {"ServerBusy", StatusCode::kThrottled},
      {"OperationTimedOut", StatusCode::kUnavailable},
      {"InternalError", StatusCode::kUnavailable},
      {"PathConflict", StatusCode::kConflict},
  };
  if (auto it = kCodes.find(error_code); it != kCodes.end()) return it->second;
  switch (http_status) {
    case 400: return StatusCode::kInvalidArgument;
    case 401: return StatusCode::kUnauthenticated;
    case 403: return StatusCode::kPermissionDenied;
    case 404: return StatusCode::kNotFound;
    case 409: return StatusCode::kConflict;
    case 412: return StatusCode::kPreconditionFailed;
    case 416: return StatusCode::kOutOfRange;
    case 429: return StatusCode::kThrottled;
    default: return http_status >= 500 ? StatusCode::kUnavailable : StatusCode::kInternal;
  }
}

// Path-style endpoints (an emulator) serve both APIs on one URL; account hosts have a blob twin.
std::string BlobEndpointFor(const std::string& dfs) {
  std::string out = dfs;
  if (size_t at = out.find(".dfs."); at != std::string::npos) out.replace(at, 5, ".blob.");
  return out;
}

}  // namespace

DfsClient::DfsClient(DfsClientOptions options, Gen2Credential credential)
    : DfsClient(options, std::move(credential), std::make_shared<http::HttpClient>(options.http)) {}

DfsClient::DfsClient(DfsClientOptions options, Gen2Credential credential, std::shared_ptr<http::HttpClient> http)
    : options_(std::move(options)),
      blob_endpoint_(BlobEndpointFor(options_.endpoint)),
      credential_(std::move(credential)),
      http_(std::move(http)) {
  while (!options_.endpoint.empty() && options_.endpoint.back() == '/') options_.endpoint.pop_back();
  while (!blob_endpoint_.empty() && blob_endpoint_.back() == '/') blob_endpoint_.pop_back();
}

std::string DfsClient::Url(const DfsCall& call) const {
  std::string url = call.blob ? blob_endpoint_ : options_.endpoint;
  if (!call.filesystem.empty()) url += "/" + encoding::PercentEncodeComponent(call.filesystem);
  if (call.path == "/") {
    url += "/%2F";  // the root directory of the filesystem, as the SDKs name it
  } else if (!call.path.empty()) {
    url += encoding::PercentEncodePath(call.path);
  }
  if (!call.query.empty()) url += "?" + encoding::BuildQueryString(call.query);
  return url;
}

Result<http::ClientResponse> DfsClient::Send(const DfsCall& call, const http::BodySink& sink) {
  http::ClientRequest request;
  request.method = call.method;
  request.url = Url(call);
  request.headers = call.headers;
  request.headers.Set("x-ms-version", kServiceVersion);
  request.body = call.body;
  if (call.body != nullptr && call.body->size()) {
    request.headers.Set("Content-Length", std::to_string(*call.body->size()));
  } else if (call.body == nullptr && (call.method == "PUT" || call.method == "PATCH" || call.method == "POST")) {
    request.headers.Set("Content-Length", "0");
  }
  std::string what = call.method + " " + call.filesystem + (call.path.empty() ? "" : call.path);
  RETURN_IF_ERROR(credential_.Apply(request.method, request.url, request.headers).WithContext(what));
  ASSIGN_OR_RETURN(http::ClientResponse response, http_->Send(request, sink));
  if (response.status >= 300) return ErrorFromResponse(response, what);
  return response;
}

Status ErrorFromResponse(const http::ClientResponse& response, std::string_view what) {
  std::string code = response.headers.Get("x-ms-error-code").value_or("");
  std::string message;
  auto doc = nlohmann::json::parse(response.body, nullptr, false);
  if (doc.is_object() && doc.contains("error") && doc["error"].is_object()) {
    const auto& e = doc["error"];
    if (code.empty() && e.contains("code") && e["code"].is_string()) code = e["code"];
    if (e.contains("message") && e["message"].is_string()) message = e["message"];
  } else if (size_t at = response.body.find("<Message>"); at != std::string::npos) {
    size_t end = response.body.find("</Message>", at);
    message = response.body.substr(at + 9, end == std::string::npos ? std::string::npos : end - at - 9);
  }
  if (size_t nl = message.find('\n'); nl != std::string::npos) message.resize(nl);  // drop RequestId/Time lines
  std::string text = std::string(what) + ": HTTP " + std::to_string(response.status);
  if (!code.empty()) text += " " + code;
  if (!message.empty()) text += " (" + message + ")";
  if (auto detail = response.headers.Get("x-lakeshift-detail")) text += ": " + *detail;
  return Status(CodeFor(code, response.status), std::move(text))
      .WithDetail(ServiceDetail{response.status, code, response.headers.Get("x-ms-request-id").value_or("")});
}

}  // namespace lakeshift::gen2client
