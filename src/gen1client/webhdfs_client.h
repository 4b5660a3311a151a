#pragma once
// The Gen1 REST layer: one call = one WebHDFS request (/webhdfs/v1 or /WebHdfsExt) with a bearer token from
// a token source (none for Hadoop clusters with simple auth), answered with the response or a Status built
// from the RemoteException. It knows URLs, parameters and errors, not FileSystem semantics.

#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "encoding/percent.h"
#include "http/client.h"

namespace lakeshift::gen1client {

inline constexpr const char* kApiVersion = "2018-09-01";

// Returns a valid access token for https://datalake.azure.net/ (the source caches and refreshes).
using TokenSource = std::function<Result<std::string>()>;

struct WebHdfsClientOptions {
  // "https://<account>.azuredatalakestore.net" or "http://host:port" (a NameNode, HttpFS or the emulator).
  std::string endpoint;
  TokenSource token;      // empty: no Authorization header
  std::string user_name;  // Hadoop simple auth: sent as user.name when set
  http::ClientOptions http;
};

struct WebHdfsCall {
  std::string method = "GET";
  std::string op;
  std::string path = "/";
  std::vector<encoding::QueryParam> params;
  bool extension = false;  // /WebHdfsExt (SETEXPIRY, CONCURRENTAPPEND)
  http::BodySource* body = nullptr;
  std::string content_type;
};

class WebHdfsClient {
 public:
  explicit WebHdfsClient(WebHdfsClientOptions options);
  Result<http::ClientResponse> Send(const WebHdfsCall& call, const http::BodySink& sink = nullptr);

 private:
  WebHdfsClientOptions options_;
  http::HttpClient http_;
};

// The Status of an error answer: the RemoteException's exception name picks the code.
Status ErrorFromResponse(const http::ClientResponse& response, std::string_view what);

}  // namespace lakeshift::gen1client
