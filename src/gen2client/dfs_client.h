#pragma once
// The Gen2 REST layer: one call = one HTTP request to the DFS endpoint (or the Blob endpoint for the few
// calls only it serves), signed with the credential, answered with the response or with a Status that
// carries the service's error code. It knows URLs, encoding and errors, not FileSystem semantics.

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "encoding/percent.h"
#include "gen2client/credential.h"
#include "http/client.h"

namespace lakeshift::gen2client {

inline constexpr const char* kServiceVersion = "2021-12-02";

struct DfsClientOptions {
  // "https://<account>.dfs.core.windows.net" or a path-style emulator URL "http://127.0.0.1:10004/<account>".
  std::string endpoint;
  http::ClientOptions http;
};

struct DfsCall {
  std::string method = "GET";
  std::string filesystem;
  std::string path;  // store path inside the filesystem ("/a/b"); empty: the filesystem itself
  std::vector<encoding::QueryParam> query;
  http::Headers headers;
  http::BodySource* body = nullptr;  // not owned
  bool blob = false;                 // send to the Blob endpoint (set expiry)
};

class DfsClient {
 public:
  DfsClient(DfsClientOptions options, Gen2Credential credential);
  // Sends through `http` (its connections shared with other clients, e.g. one per gateway caller);
  // options.http is then unused.
  DfsClient(DfsClientOptions options, Gen2Credential credential, std::shared_ptr<http::HttpClient> http);
  // Non-2xx answers become a Status (see ErrorFromResponse). With a sink, 2xx bodies stream into it.
  Result<http::ClientResponse> Send(const DfsCall& call, const http::BodySink& sink = nullptr);
  // The URL a call goes to (without credentials), for messages and x-ms-rename-source.
  std::string Url(const DfsCall& call) const;
  const std::string& endpoint() const { return options_.endpoint; }

 private:
  DfsClientOptions options_;
  std::string blob_endpoint_;
  Gen2Credential credential_;
  std::shared_ptr<http::HttpClient> http_;
};

// The Status of an error answer: the code from x-ms-error-code (or the JSON/XML body) picks the StatusCode;
// the message names the request and carries the service's text; the ServiceDetail keeps the HTTP status,
// the error code and the request id.
Status ErrorFromResponse(const http::ClientResponse& response, std::string_view what);

}  // namespace lakeshift::gen2client
