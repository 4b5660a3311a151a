#include "gen1client/webhdfs_client.h"

#include "gen1/errors.h"

namespace lakeshift::gen1client {

WebHdfsClient::WebHdfsClient(WebHdfsClientOptions options) : options_(std::move(options)), http_(options_.http) {
  while (!options_.endpoint.empty() && options_.endpoint.back() == '/') options_.endpoint.pop_back();
}

Result<http::ClientResponse> WebHdfsClient::Send(const WebHdfsCall& call, const http::BodySink& sink) {
  http::ClientRequest request;
  request.method = call.method;
  std::vector<encoding::QueryParam> params = {{"op", call.op}};
  params.insert(params.end(), call.params.begin(), call.params.end());
  params.push_back({"api-version", kApiVersion});
  if (!options_.user_name.empty()) params.push_back({"user.name", options_.user_name});
  request.url = options_.endpoint + (call.extension ? "/WebHdfsExt" : "/webhdfs/v1") +
                encoding::PercentEncodePath(call.path) + "?" + encoding::BuildQueryString(params);
  request.body = call.body;
  if (call.body != nullptr && call.body->size()) {
    request.headers.Set("Content-Length", std::to_string(*call.body->size()));
  }
  if (!call.content_type.empty()) request.headers.Set("Content-Type", call.content_type);
  std::string what = call.op + " " + call.path;
  if (options_.token) {
    auto token = options_.token();
    if (!token.ok()) return token.status().WithContext(what);
    request.headers.Set("Authorization", "Bearer " + *token);
  }
  ASSIGN_OR_RETURN(http::ClientResponse response, http_.Send(request, sink));
  if (response.status >= 300) return ErrorFromResponse(response, what);
  return response;
}

Status ErrorFromResponse(const http::ClientResponse& response, std::string_view what) {
  Status s = gen1::FromRemoteException(response.status, response.body);
  std::string message = std::string(what) + ": HTTP " + std::to_string(response.status);
  if (const ServiceDetail* d = s.detail(); d != nullptr && !d->service_code.empty()) message += " " + d->service_code;
  message += " (" + s.message() + ")";
  if (auto detail = response.headers.Get("x-lakeshift-detail")) message += ": " + *detail;
  ServiceDetail detail = s.detail() != nullptr ? *s.detail() : ServiceDetail{};
  detail.request_id = response.headers.Get("x-ms-request-id").value_or("");
  return Status(s.code(), std::move(message)).WithDetail(std::move(detail));
}

}  // namespace lakeshift::gen1client
