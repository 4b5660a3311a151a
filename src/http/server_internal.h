#pragma once
// Pieces of the server that need no Beast/Asio: response head formatting, access log lines, the
// worker pool. Internal to src/http.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"
#include "http/headers.h"

namespace lakeshift::http::internal {

// How the response body is delimited on the wire.
enum class Framing { kNone, kContentLength, kChunked, kClose };

// Picks the framing for a response; statuses 1xx/204/304 and HEAD responses carry no body.
Framing ChooseFraming(int status, bool head_request, int version, const std::optional<uint64_t>& length);

// Formats "HTTP/1.1 <status> <reason>\r\n<headers>\r\n". Drops handler-set framing headers and adds
// Content-Length / Transfer-Encoding / Connection as decided. Error if a header has CR/LF or an empty name.
Status FormatResponseHead(int status, const Headers& headers, Framing framing, const std::optional<uint64_t>& length,
                          bool head_request, bool keep_alive, std::string& out);

// Access log line: <remote> "<METHOD> <path?query>" <status> <req-bytes> <resp-bytes> <ms>ms (query redacted).
std::string FormatAccessLine(std::string_view remote, std::string_view method, std::string_view target, int status,
                             uint64_t request_bytes, uint64_t response_bytes, int64_t millis);

// Names the calling thread (Linux keeps 15 characters).
void NameThisThread(const std::string& name);

// Fixed pool of threads running submitted tasks in FIFO order.
class WorkerPool {
 public:
  WorkerPool(int threads, const std::string& thread_name);
  ~WorkerPool();  // Shutdown()
  void Submit(std::function<void()> task);
  // Runs every queued task, then joins the threads. Idempotent.
  void Shutdown();

 private:
  void Loop();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool shutting_down_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace lakeshift::http::internal
