#pragma once
// HTTP client on libcurl: thread-safe, connections reused across requests and threads, streaming uploads and
// downloads, retries with backoff. curl/curl.h appears only in client.cc.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/status.h"
#include "http/body_source.h"
#include "http/headers.h"
#include "http/retry.h"

namespace lakeshift::http {

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // absolute http(s) URL, query already encoded
  Headers headers;  // Content-Length / Transfer-Encoding are set by the client from the body
  // Streamed upload (not owned; must outlive Send). When null, body_string is sent. PUT, POST and PATCH
  // always carry a body (Content-Length: 0 when empty).
  BodySource* body = nullptr;
  std::string body_string;
  // Whole-request deadline; overrides ClientOptions::request_timeout.
  std::optional<std::chrono::milliseconds> timeout;
  // Overrides ClientOptions::retry, e.g. RetryPolicy::None() for non-idempotent calls.
  std::optional<RetryPolicy> retry;
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  // The body, unless a sink received it (2xx responses with a sink). Non-2xx bodies always land here, capped
  // at ClientOptions::max_error_body_bytes, so protocol layers can parse service errors.
  std::string body;
  int attempts = 1;
};

// Receives a 2xx response body chunk by chunk. An error aborts the transfer and is returned by Send.
using BodySink = std::function<Status(std::string_view chunk)>;
// Receives the status and headers of a 2xx response that goes to a sink, once, before any of its body (a proxy
// starts its own answer here). An error aborts the transfer and is returned by Send.
using HeadSink = std::function<Status(int status, const Headers& headers)>;

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{0};  // 0 = none (large transfers rely on the low-speed limit)
  long low_speed_limit_bytes = 1;                // abort a transfer slower than this many bytes/s ...
  std::chrono::seconds low_speed_time{60};       // ... for this long; 0 disables
  RetryPolicy retry;
  std::string user_agent;  // empty => "lakeshift/<version>"
  bool verify_tls = true;
  // PEM file of CA certificates to trust for https URLs instead of the system bundle (the system CA directory
  // stays trusted), e.g. the cert.pem of GenerateSelfSignedCert. Empty => the system CA store. A file that
  // cannot be read fails requests with kInvalidArgument.
  std::string ca_file;
  size_t max_connections = 64;
  // Send "Expect: 100-continue" on uploads over 64 MiB or of unknown size, so a server can refuse before the
  // body is sent (smaller uploads never wait for it). Off => no Expect header.
  bool expect_continue = true;
  size_t max_error_body_bytes = size_t{1024} * 1024;
};

class HttpClient {
 public:
  explicit HttpClient(ClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends a request, retrying per the policy. Any final HTTP status is a response (not an error); transport
  // failures after the retries are kUnavailable / kTimeout naming the URL (secrets redacted) and curl's error
  // (an untrusted or mismatched server certificate: kUnavailable saying "SSL certificate problem: ...").
  // Thread-safe.
  Result<ClientResponse> Send(const ClientRequest& request, const BodySink& sink = nullptr,
                              const HeadSink& head = nullptr);

  const ClientOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lakeshift::http
