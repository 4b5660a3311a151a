// Server pieces that need no Beast: in-memory readers/writers, head formatting, access log, worker pool.

#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>

#include "http/server.h"
#include "http/server_internal.h"
#include "http/url.h"

namespace lakeshift::http {

std::string NewRequestId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng();
  uint64_t b = rng();
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
                static_cast<unsigned>(b >> 48), static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

Result<size_t> StringBodyReader::Read(char* buf, size_t n) {
  size_t count = std::min(n, data_.size() - offset_);
  std::memcpy(buf, data_.data() + offset_, count);
  offset_ += count;
  return count;
}

Result<std::string> Request::ReadBodyToString(uint64_t max_bytes) {
  auto too_large = [&] {
    return Status(StatusCode::kInvalidArgument,
                  "request body is larger than the limit of " + std::to_string(max_bytes) + " bytes")
        .WithDetail(ServiceDetail{413});
  };
  if (content_length && *content_length > max_bytes) return too_large();
  std::string out;
  if (content_length) out.reserve(static_cast<size_t>(*content_length));
  // Large reads straight into the string: each Read is a round trip to the connection's I/O thread.
  constexpr uint64_t kChunk = uint64_t{256} * 1024;
  while (true) {
    uint64_t want = kChunk;
    if (content_length && *content_length > out.size()) want = std::min(kChunk, *content_length - out.size());
    size_t old_size = out.size();
    out.resize(old_size + static_cast<size_t>(want));
    Result<size_t> n = body().Read(out.data() + old_size, static_cast<size_t>(want));
    if (!n.ok()) return n.status();
    out.resize(old_size + *n);
    if (*n == 0) return out;
    if (out.size() > max_bytes) return too_large();
  }
}

Status ResponseWriter::Send(int status, Headers headers, std::string_view body) {
  RETURN_IF_ERROR(Start(status, std::move(headers), body.size()));
  if (!body.empty()) RETURN_IF_ERROR(Write(body));
  return Finish();
}

Status StringResponseWriter::Start(int status_code, Headers response_headers, std::optional<uint64_t> length) {
  if (started_) return Internal("response already started");
  started_ = true;
  status = status_code;
  headers = std::move(response_headers);
  headers.Remove("Content-Length");
  if (length) headers.Set("Content-Length", std::to_string(*length));
  return Status::Ok();
}

Status StringResponseWriter::Write(std::string_view data) {
  if (!started_ || finished) return Internal("Write outside Start/Finish");
  body.append(data);
  return Status::Ok();
}

Status StringResponseWriter::Finish() {
  if (!started_) return Internal("Finish before Start");
  finished = true;
  return Status::Ok();
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

namespace internal {
namespace {

bool HasCrLf(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

}  // namespace

Framing ChooseFraming(int status, bool head_request, int version, const std::optional<uint64_t>& length) {
  if ((status >= 100 && status < 200) || status == 204 || status == 304 || head_request) return Framing::kNone;
  if (length) return Framing::kContentLength;
  return version >= 11 ? Framing::kChunked : Framing::kClose;
}

Status FormatResponseHead(int status, const Headers& headers, Framing framing, const std::optional<uint64_t>& length,
                          bool head_request, bool keep_alive, std::string& out) {
  if (status < 100 || status > 999) return InvalidArgument("bad HTTP status " + std::to_string(status));
  out.clear();
  out.reserve(256);
  out += "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out += ReasonPhrase(status);
  out += "\r\n";
  for (const auto& [name, value] : headers) {
    if (name.empty() || HasCrLf(name) || HasCrLf(value) || name.find(':') != std::string::npos) {
      return InvalidArgument("bad response header: " + name);
    }
    if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding") ||
        EqualsIgnoreCase(name, "Connection")) {
      continue;
    }
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  // HEAD answers announce the length a GET would have.
  bool announce_length = framing == Framing::kContentLength || (head_request && length.has_value());
  if (announce_length) out += "Content-Length: " + std::to_string(*length) + "\r\n";
  if (framing == Framing::kChunked) out += "Transfer-Encoding: chunked\r\n";
  out += keep_alive ? "" : "Connection: close\r\n";
  out += "\r\n";
  return Status::Ok();
}

std::string FormatAccessLine(std::string_view remote, std::string_view method, std::string_view target, int status,
                             uint64_t request_bytes, uint64_t response_bytes, int64_t millis) {
  std::string line;
  line.reserve(64 + target.size());
  line.append(remote);
  line += " \"";
  line.append(method);
  line += ' ';
  line += RedactTarget(target);
  line += "\" ";
  line += std::to_string(status);
  line += ' ';
  line += std::to_string(request_bytes);
  line += ' ';
  line += std::to_string(response_bytes);
  line += ' ';
  line += std::to_string(millis);
  line += "ms";
  return line;
}

void NameThisThread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

WorkerPool::WorkerPool(int threads, const std::string& thread_name) {
  threads_.reserve(static_cast<size_t>(std::max(threads, 1)));
  for (int i = 0; i < std::max(threads, 1); ++i) {
    threads_.emplace_back([this, name = thread_name + "-work"] {
      NameThisThread(name);
      Loop();
    });
  }
}

WorkerPool::~WorkerPool() {
  Shutdown();
}

void WorkerPool::Submit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void WorkerPool::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    shutting_down_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void WorkerPool::Loop() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return shutting_down_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace internal
}  // namespace lakeshift::http
