#pragma once
// HTTP/1.1 server core for the emulators. Connections are served by Beast on a small I/O thread pool;
// handlers run on a separate worker pool and are synchronous: they read the request body through a
// blocking BodyReader and write the response through a blocking ResponseWriter. Both are bridged to the
// connection's async I/O with one bounded buffer per connection, so bodies of any size stream through.
// With a certificate configured (ServerOptions::tls_cert_file) the same happens over TLS.
//
// This header is plain C++: Beast/Asio appear only in the implementation .cc files.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/status.h"
#include "http/headers.h"

namespace lakeshift::http {

// Blocking view of a request body. Implementations need not be thread-safe.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // Reads up to n bytes; returns 0 at the end of the body. Errors: connection lost (kUnavailable),
  // timeout (kTimeout), body over the limit (kInvalidArgument with ServiceDetail{413}).
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
  // Per-request override of the body size limit; readers that enforce no limit ignore it.
  virtual void SetLimit(uint64_t /*max_bytes*/) {}
  // Bytes still to come when the body's length is known (Content-Length); nullopt for chunked bodies.
  virtual std::optional<uint64_t> Remaining() const { return std::nullopt; }
};

// A BodyReader over a string, for handler unit tests and internal use.
class StringBodyReader : public BodyReader {
 public:
  explicit StringBodyReader(std::string data) : data_(std::move(data)) {}
  Result<size_t> Read(char* buf, size_t n) override;
  std::optional<uint64_t> Remaining() const override { return data_.size() - offset_; }

 private:
  std::string data_;
  size_t offset_ = 0;
};

struct Request {
  std::string method;  // as received, e.g. "PUT"
  std::string target;  // raw "path?query" as received
  std::string path;    // raw, still percent-encoded
  std::string query;   // raw, without '?'
  int version = 11;    // 10 or 11
  Headers headers;
  std::optional<uint64_t> content_length;
  bool chunked = false;        // Transfer-Encoding: chunked
  std::string remote_address;  // "ip:port"
  bool tls = false;            // arrived over HTTPS (for handlers that build absolute URLs)

  BodyReader& body() { return *body_; }
  // Raises (or lowers) the body limit for this request; call before the first body read.
  void SetBodyLimit(uint64_t max_bytes) { body_->SetLimit(max_bytes); }
  // Reads the whole body into a string; kInvalidArgument (detail 413) when it exceeds max_bytes.
  Result<std::string> ReadBodyToString(uint64_t max_bytes);

  // Set by the server (or by a test to a StringBodyReader); never null while a handler runs.
  BodyReader* body_ = nullptr;
};

// Blocking response writer. Call Send once, or Start, any number of Write, then Finish.
// Content-Length / Transfer-Encoding are owned by the writer: such headers passed in are replaced.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // A whole small response in one call.
  virtual Status Send(int status, Headers headers, std::string_view body);
  // Sends the status line and headers. length nullopt => chunked (HTTP/1.1) or close-delimited (HTTP/1.0).
  virtual Status Start(int status, Headers headers, std::optional<uint64_t> length) = 0;
  // Blocks until the data is handed to the socket; data need not outlive the call.
  virtual Status Write(std::string_view data) = 0;
  // Ends the body (last chunk). Error if fewer bytes than the announced length were written.
  virtual Status Finish() = 0;
  virtual bool started() const = 0;
  // Drops the connection without a response (fault injection: what a client sees when a server dies).
  // Nothing may be sent afterwards. The default, for writers without a connection, does nothing.
  virtual void Abort() {}
};

// Records a response in memory, for handler unit tests.
class StringResponseWriter : public ResponseWriter {
 public:
  Status Start(int status, Headers headers, std::optional<uint64_t> length) override;
  Status Write(std::string_view data) override;
  Status Finish() override;
  bool started() const override { return started_; }

  int status = 0;
  Headers headers;
  std::string body;
  bool finished = false;

 private:
  bool started_ = false;
};

using Handler = std::function<void(Request&, ResponseWriter&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0 = pick a free port; Server::port() tells which
  int io_threads = 2;
  int worker_threads = 16;
  // Threads are named "<thread_name>-io" and "<thread_name>-work" (shown by top -H, perf, /proc); at most 9 chars.
  std::string thread_name = "http";
  size_t max_header_bytes = size_t{64} * 1024;                // larger request heads get 431
  uint64_t default_body_limit = uint64_t{256} * 1024 * 1024;  // larger bodies get 413; Request::SetBodyLimit overrides
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(120)};  // per socket operation, and between requests
  // Request bodies (with a Content-Length) up to this size are read whole before the handler runs, and complete
  // responses (ResponseWriter::Send, or Start with a Content-Length) up to it are written after the handler returns:
  // small requests then cost no round trips between the connection's thread and the handler's. 0 streams everything.
  uint64_t buffered_body_bytes = uint64_t{64} * 1024;
  // One line per request: <remote> "<METHOD> <path?query>" <status> <req-bytes> <resp-bytes> <ms>ms, secret
  // query values redacted. Null => logged with LOG_INFO.
  std::function<void(std::string_view line)> access_log;
  // HTTPS: both set => the port speaks TLS 1.2+ only (base_url() is "https://..."). PEM files: the certificate
  // file may hold a chain (leaf first), the key must not be encrypted; they may be the same file. Unusable
  // files make Start fail with kInvalidArgument naming the file and OpenSSL's reason.
  // GenerateSelfSignedCert (http/self_signed_cert.h) makes a pair for local use.
  std::string tls_cert_file;
  std::string tls_key_file;
  // A client that has not completed the TLS handshake within this time is disconnected.
  std::chrono::milliseconds tls_handshake_timeout{std::chrono::seconds(10)};
};

struct ServerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_open = 0;
  uint64_t requests = 0;              // requests whose headers were read and handed to the handler
  uint64_t tls_handshakes = 0;        // completed TLS handshakes (one per TLS connection that got that far)
  uint64_t tls_sessions_resumed = 0;  // ... of which resumed an earlier TLS session (abbreviated handshake)
};

class Server {
 public:
  // Binds, listens and starts serving; returns once the port is bound.
  static Result<std::unique_ptr<Server>> Start(ServerOptions options, Handler handler);

  virtual ~Server() = default;  // stops with a zero grace if still running
  virtual uint16_t port() const = 0;
  // "http://host:port", or "https://host:port" with TLS
  virtual std::string base_url() const = 0;
  virtual ServerStats stats() const = 0;
  // Stops accepting and closes idle connections; in-flight requests may finish within `grace`, then every
  // connection is closed and the handlers (which now see I/O errors) are waited for. Idempotent.
  virtual void Stop(std::chrono::milliseconds grace) = 0;
};

// Blocks until SIGINT or SIGTERM and returns the signal number. on_waiting (optional) runs once the signal
// handlers are installed, e.g. to print "listening on ...". Restores default signal handling after.
int WaitForSignal(const std::function<void()>& on_waiting = nullptr);
// WaitForSignal, then server.Stop(grace).
void RunUntilSignal(Server& server, std::chrono::milliseconds grace, const std::function<void()>& on_waiting = nullptr);

// A random id in GUID form, for x-ms-request-id headers and error messages.
std::string NewRequestId();

// The standard reason phrase of an HTTP status code ("Not Found"), or "Unknown".
std::string_view ReasonPhrase(int status);

}  // namespace lakeshift::http
