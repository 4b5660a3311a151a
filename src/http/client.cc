// HttpClient on libcurl. Connections, DNS and TLS sessions live in one CURLSH shared by pooled easy handles,
// so a connection opened by one thread is reused by the next request on any thread.

#include "http/client.h"

#include <curl/curl.h>
#include <openssl/ssl.h>

#include <array>
#include <cstring>
#include <mutex>
#include <vector>

#include "common/log.h"
#include "http/url.h"

#ifndef LAKESHIFT_VERSION
#define LAKESHIFT_VERSION "0"
#endif

namespace lakeshift::http {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_ALL); });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool IsTransientCurlError(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SEND_FAIL_REWIND: return true;
    default: return false;
  }
}

struct CurlSlist {
  curl_slist* list = nullptr;
  ~CurlSlist() { curl_slist_free_all(list); }
  void Append(const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (next != nullptr) list = next;
  }
};

// State of one attempt, shared with curl's callbacks.
struct Attempt {
  const RetryPolicy* policy = nullptr;
  bool attempts_left = false;
  const BodySink* sink = nullptr;
  const HeadSink* head = nullptr;
  BodySource* source = nullptr;
  size_t max_error_body = 0;

  int status = 0;
  Headers headers;
  bool headers_done = false;
  enum class Mode { kString, kSink, kDiscard } mode = Mode::kString;
  bool retry_response = false;  // a retryable status whose body is being discarded
  std::string body;
  uint64_t delivered = 0;       // bytes handed to the sink
  bool head_delivered = false;  // the head sink saw this response: it is not retried
  uint64_t uploaded = 0;        // bytes read from the source in this attempt
  Status callback_error;        // a sink or source error that aborted the transfer
};

size_t HeaderCallback(char* data, size_t size, size_t nitems, void* userdata) {
  auto* a = static_cast<Attempt*>(userdata);
  size_t n = size * nitems;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {  // a new status line (after 100 Continue, or a fresh response)
    a->headers.Clear();
    a->headers_done = false;
    size_t space = line.find(' ');
    a->status = space == std::string_view::npos ? 0 : std::atoi(std::string(line.substr(space + 1, 3)).c_str());
    return n;
  }
  if (a->headers_done) return n;  // trailers
  std::string_view trimmed = Trim(line);
  if (trimmed.empty()) {
    if (a->status >= 200) {
      a->headers_done = true;
      if (a->attempts_left && a->policy->retry_statuses.count(a->status) > 0) {
        a->mode = Attempt::Mode::kDiscard;
        a->retry_response = true;
      } else if (a->sink != nullptr && *a->sink && a->status >= 200 && a->status < 300) {
        a->mode = Attempt::Mode::kSink;
        if (a->head != nullptr && *a->head) {
          a->head_delivered = true;
          Status status = (*a->head)(a->status, a->headers);
          if (!status.ok()) {
            a->callback_error = status;
            return 0;  // aborts the transfer
          }
        }
      } else {
        a->mode = Attempt::Mode::kString;
        // One allocation for a 2xx body of announced length (list pages run to megabytes).
        if (a->status >= 200 && a->status < 300) {
          if (auto length = a->headers.Get("Content-Length")) {
            uint64_t n = std::strtoull(length->c_str(), nullptr, 10);
            if (n > 0 && n <= (uint64_t{256} << 20)) a->body.reserve(static_cast<size_t>(n));
          }
        }
      }
    }
    return n;
  }
  if ((line.front() == ' ' || line.front() == '\t') && a->headers.size() > 0) {
    return n;  // obsolete line folding: ignored
  }
  size_t colon = trimmed.find(':');
  if (colon != std::string_view::npos) {
    a->headers.Add(Trim(trimmed.substr(0, colon)), Trim(trimmed.substr(colon + 1)));
  }
  return n;
}

size_t WriteCallback(char* data, size_t size, size_t nmemb, void* userdata) {
  auto* a = static_cast<Attempt*>(userdata);
  size_t n = size * nmemb;
  switch (a->mode) {
    case Attempt::Mode::kDiscard: return n;
    case Attempt::Mode::kSink: {
      Status status = (*a->sink)(std::string_view(data, n));
      if (!status.ok()) {
        a->callback_error = status;
        return CURL_WRITEFUNC_ERROR;
      }
      a->delivered += n;
      return n;
    }
    case Attempt::Mode::kString:
      if (a->body.size() < a->max_error_body || (a->status >= 200 && a->status < 300)) {
        size_t room = (a->status >= 200 && a->status < 300) ? n : std::min(n, a->max_error_body - a->body.size());
        a->body.append(data, room);
      }
      return n;
  }
  return n;
}

size_t ReadCallback(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* a = static_cast<Attempt*>(userdata);
  Result<size_t> n = a->source->Read(buffer, size * nitems);
  if (!n.ok()) {
    a->callback_error = n.status().WithContext("reading the request body");
    return CURL_READFUNC_ABORT;
  }
  a->uploaded += *n;
  return *n;
}

int SeekCallback(void* userdata, curl_off_t offset, int origin) {
  auto* a = static_cast<Attempt*>(userdata);
  if (offset != 0 || origin != SEEK_SET || !a->source->Rewind()) return CURL_SEEKFUNC_CANTSEEK;
  a->uploaded = 0;
  return CURL_SEEKFUNC_OK;
}

// With curl's OpenSSL backend: keep each connection's TLS record buffers instead of freeing and reallocating
// them (16 KiB) around every record of a large transfer. Other backends do not call this.
CURLcode TuneSslContext(CURL*, void* ssl_ctx, void*) {
  SSL_CTX_clear_mode(static_cast<SSL_CTX*>(ssl_ctx), SSL_MODE_RELEASE_BUFFERS);
  return CURLE_OK;
}

// Larger than curl's defaults (16 KiB down, 64 KiB up): fewer callbacks and syscalls on big transfers.
constexpr long kTransferBufferSize = 256 * 1024;

bool UploadMethod(std::string_view method) {
  return method == "PUT" || method == "POST" || method == "PATCH";
}

}  // namespace

struct HttpClient::Impl {
  explicit Impl(ClientOptions opts) : options(std::move(opts)) {
    GlobalInit();
    if (options.user_agent.empty()) options.user_agent = std::string("lakeshift/") + LAKESHIFT_VERSION;
    share = curl_share_init();
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, &Impl::Lock);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, &Impl::Unlock);
    curl_share_setopt(share, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }

  ~Impl() {
    for (CURL* easy : pool) curl_easy_cleanup(easy);
    curl_share_cleanup(share);
  }

  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* userptr) {
    static_cast<Impl*>(userptr)->locks[static_cast<size_t>(data) % kLockCount].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* userptr) {
    static_cast<Impl*>(userptr)->locks[static_cast<size_t>(data) % kLockCount].unlock();
  }

  CURL* Acquire() {
    {
      std::lock_guard<std::mutex> lock(pool_mutex);
      if (!pool.empty()) {
        CURL* easy = pool.back();
        pool.pop_back();
        curl_easy_reset(easy);
        return easy;
      }
    }
    return curl_easy_init();
  }

  void Release(CURL* easy) {
    std::lock_guard<std::mutex> lock(pool_mutex);
    if (pool.size() < options.max_connections) {
      pool.push_back(easy);
      return;
    }
    curl_easy_cleanup(easy);
  }

  CURLcode Perform(CURL* easy, const ClientRequest& request, Attempt& attempt, curl_slist* headers, char* error_buffer);

  static constexpr size_t kLockCount = CURL_LOCK_DATA_LAST + 1;
  ClientOptions options;
  CURLSH* share = nullptr;
  std::array<std::mutex, kLockCount> locks;
  std::mutex pool_mutex;
  std::vector<CURL*> pool;
};

CURLcode HttpClient::Impl::Perform(CURL* easy, const ClientRequest& request, Attempt& attempt, curl_slist* headers,
                                   char* error_buffer) {
  curl_easy_setopt(easy, CURLOPT_SHARE, share);
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  std::chrono::milliseconds timeout = request.timeout.value_or(options.request_timeout);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  if (options.low_speed_time.count() > 0) {
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, options.low_speed_limit_bytes);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options.low_speed_time.count()));
  }
  curl_easy_setopt(easy, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
  if (!options.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, options.ca_file.c_str());
  curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, &TuneSslContext);
  curl_easy_setopt(easy, CURLOPT_MAXCONNECTS, static_cast<long>(options.max_connections));
  curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, kTransferBufferSize);
  curl_easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE, kTransferBufferSize);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &HeaderCallback);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &attempt);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &WriteCallback);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &attempt);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);

  if (request.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET" && attempt.source == nullptr) {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());  // also renames UPLOAD's PUT
  }
  if (attempt.source != nullptr && request.method != "HEAD") {
    curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, &ReadCallback);
    curl_easy_setopt(easy, CURLOPT_READDATA, &attempt);
    curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, &SeekCallback);
    curl_easy_setopt(easy, CURLOPT_SEEKDATA, &attempt);
    std::optional<uint64_t> size = attempt.source->size();
    curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, size ? static_cast<curl_off_t>(*size) : curl_off_t{-1});
  }
  return curl_easy_perform(easy);
}

HttpClient::HttpClient(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpClient::~HttpClient() = default;
const ClientOptions& HttpClient::options() const {
  return impl_->options;
}

Result<ClientResponse> HttpClient::Send(const ClientRequest& request, const BodySink& sink, const HeadSink& head) {
  const RetryPolicy& policy = request.retry ? *request.retry : impl_->options.retry;
  std::string safe_url = RedactTarget(request.url);
  if (auto parsed = ParseUrl(request.url); !parsed.ok()) return parsed.status();

  StringBodySource inline_body = StringBodySource::View(request.body_string);
  BodySource* source = request.body;
  if (source == nullptr && (!request.body_string.empty() || UploadMethod(request.method))) source = &inline_body;

  CurlSlist headers;
  for (const auto& [name, value] : request.headers) {
    if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding")) continue;
    headers.Append(value.empty() ? name + ";" : name + ": " + value);  // "Name;" sends an empty header
  }
  if (source != nullptr && !source->size()) headers.Append("Transfer-Encoding: chunked");
  // curl 7.88 sends "Expect: 100-continue" on every PUT-style upload whatever its size (only POST has a 1 MiB
  // threshold): a round trip per request, and on a relayed 4 MB append about a quarter of the gateway's CPU. A
  // body of known size up to 64 MiB (every append the clients make) goes without it; a refusal then costs
  // sending the body, which the retry policy would resend anyway.
  constexpr uint64_t kExpectContinueThreshold = uint64_t{64} << 20;
  if (!impl_->options.expect_continue ||
      (source != nullptr && source->size() && *source->size() <= kExpectContinueThreshold)) {
    headers.Append("Expect:");
  }

  for (int attempt_number = 1;; ++attempt_number) {
    bool attempts_left = attempt_number <= policy.max_retries;
    Attempt attempt;
    attempt.policy = &policy;
    attempt.attempts_left = attempts_left;
    attempt.sink = &sink;
    attempt.head = &head;
    attempt.source = source;
    attempt.max_error_body = impl_->options.max_error_body_bytes;
    char error_buffer[CURL_ERROR_SIZE] = {0};

    CURL* easy = impl_->Acquire();
    if (easy == nullptr) return Internal("curl_easy_init failed");
    CURLcode code = impl_->Perform(easy, request, attempt, headers.list, error_buffer);
    impl_->Release(easy);

    // Only a body that can start over may be sent again.
    auto can_resend = [&] { return source == nullptr || attempt.uploaded == 0 || source->Rewind(); };

    if (code == CURLE_OK && !attempt.retry_response) {
      ClientResponse response;
      response.status = attempt.status;
      response.headers = std::move(attempt.headers);
      response.body = std::move(attempt.body);
      response.attempts = attempt_number;
      return response;
    }
    if (code == CURLE_OK) {  // a retryable status: its body was discarded
      if (can_resend()) {
        std::chrono::milliseconds delay = policy.DelayFor(attempt_number, &attempt.headers);
        LOG_INFO("retrying " << request.method << " " << safe_url << " after HTTP " << attempt.status << " in "
                             << delay.count() << " ms (attempt " << attempt_number + 1 << " of "
                             << policy.max_retries + 1 << ")");
        policy.Sleep(delay);
        continue;
      }
      ClientResponse response;  // cannot resend: hand back the failure as it is
      response.status = attempt.status;
      response.headers = std::move(attempt.headers);
      response.attempts = attempt_number;
      return response;
    }

    if (!attempt.callback_error.ok()) return attempt.callback_error;
    std::string what = curl_easy_strerror(code);
    if (error_buffer[0] != '\0') what += std::string(" (") + error_buffer + ")";
    bool timed_out = code == CURLE_OPERATION_TIMEDOUT;
    bool transient = timed_out ? policy.retry_timeouts : (policy.retry_connection_errors && IsTransientCurlError(code));
    bool retry = transient && attempts_left && attempt.delivered == 0 && !attempt.head_delivered && can_resend();
    if (retry) {
      std::chrono::milliseconds delay = policy.DelayFor(attempt_number, nullptr);
      LOG_INFO("retrying " << request.method << " " << safe_url << " after " << what << " in " << delay.count()
                           << " ms (attempt " << attempt_number + 1 << " of " << policy.max_retries + 1 << ")");
      policy.Sleep(delay);
      continue;
    }
    std::string message = request.method + " " + safe_url + " failed";
    if (attempt_number > 1) message += " after " + std::to_string(attempt_number) + " attempts";
    message += ": " + what;
    if (timed_out) return Status(StatusCode::kTimeout, message);
    if (code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL || code == CURLE_SSL_CACERT_BADFILE) {
      return InvalidArgument(message);
    }
    return Unavailable(message);
  }
}

}  // namespace lakeshift::http
