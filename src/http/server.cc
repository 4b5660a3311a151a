// Beast/Asio implementation of http::Server. The only translation unit (with run_until_signal.cc) that sees
// Boost.Asio, so the rest of the project compiles without it.
//
// Threads: io_threads run the io_context; every connection (Session) lives on its own strand. Handlers run
// on a WorkerPool. A handler's blocking Read/Write posts one async operation to the session's strand and
// waits for its completion (Exchange::Call), so the body moves between the socket and the handler's buffer
// with no extra buffering beyond the session's bounded read buffer.
//
// TLS: with a certificate configured every connection is a beast::ssl_stream over the tcp_stream. The session
// logic (StreamSession) is one template over the two stream types; the exchange and the server see the
// connection only through the Session interface.

#include "http/server.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/defer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "common/log.h"
#include "http/read_ahead_stream.h"
#include "http/server_internal.h"

namespace lakeshift::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using ErrorCode = beast::error_code;
using internal::Framing;

// Request bodies left unread by a handler are drained (to keep the connection) up to this size.
constexpr uint64_t kDrainLimit = uint64_t{1024} * 1024;
// When closing with unread input, keep reading (and discarding) this long so the client sees our response
// instead of a reset.
constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr uint64_t kLingerLimit = uint64_t{16} * 1024 * 1024;
// How long a TLS close waits for the client's close_notify (or its FIN) after sending ours.
constexpr auto kTlsShutdownTimeout = std::chrono::seconds(1);
constexpr size_t kScratchSize = size_t{64} * 1024;
constexpr size_t kBodyReadSize = size_t{256} * 1024;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

class ServerImpl;
class Exchange;

struct OpResult {
  ErrorCode ec;
  size_t bytes = 0;
  bool body_done = false;
};
using OpDone = std::function<void(OpResult)>;

bool IsTimeout(const ErrorCode& ec) {
  return ec == beast::error::timeout;
}

// One connection, as the server and the Exchange see it. StreamSession<Stream> implements it once for both
// stream types. All methods run on the session strand (the executor).
class Session : public std::enable_shared_from_this<Session> {
 public:
  virtual ~Session() = default;

  virtual void Run() = 0;
  // From the server: stop after the current exchange; close now when idle.
  virtual void OnStopping() = 0;
  // From the server: close now, cancelling everything.
  virtual void ForceClose() = 0;

  // Strand operations requested by a blocked worker (see Exchange::Call).
  virtual void ReadBody(char* buf, size_t n, bool send_continue, OpDone done) = 0;
  virtual void WriteBuffers(std::vector<asio::const_buffer> buffers, OpDone done) = 0;
  virtual void OnExchangeDone(const std::shared_ptr<Exchange>& exchange) = 0;

  virtual asio::any_io_executor executor() = 0;
};

using PlainStream = beast::tcp_stream;
// Under TLS, reads of the socket go through a read-ahead layer (one syscall per kTlsReadAhead, not per record).
using ReadAheadTcp = ReadAheadStream<beast::tcp_stream>;
using TlsStream = beast::ssl_stream<ReadAheadTcp>;
constexpr size_t kTlsReadAhead = size_t{256} * 1024;

// The session logic, written once over the stream type: PlainStream or TlsStream. The differences are
// confined to `if constexpr (kTls)`: the handshake before the first request, and closing with a TLS
// close_notify exchange (async_shutdown) instead of a TCP half-close and linger. Timeouts always live on the
// TCP layer (tcp()). All members are touched only on the session strand.
template <typename Stream>
class StreamSession final : public Session {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  // args construct the stream: (socket) for PlainStream, (socket, ssl_context) for TlsStream.
  template <typename... StreamArgs>
  StreamSession(ServerImpl& server, StreamArgs&&... args);
  ~StreamSession() override;

  void Run() override;
  void OnStopping() override;
  void ForceClose() override;
  void ReadBody(char* buf, size_t n, bool send_continue, OpDone done) override;
  void WriteBuffers(std::vector<asio::const_buffer> buffers, OpDone done) override;
  void OnExchangeDone(const std::shared_ptr<Exchange>& exchange) override;
  asio::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  enum class State { kHandshake, kReadingHeader, kReadingBody, kInExchange, kClosing };

  std::shared_ptr<StreamSession> Self() { return std::static_pointer_cast<StreamSession>(shared_from_this()); }
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

  void Handshake();
  void OnHandshake(ErrorCode ec);
  void DoReadHeader();
  void OnHeader(ErrorCode ec);
  void SendErrorAndClose(int status);
  void ReadBodySome(char* buf, size_t n, OpDone done, size_t filled = 0);
  void PrefetchBody(std::shared_ptr<Exchange> exchange, std::shared_ptr<std::string> body, size_t filled);
  void AfterExchange(const std::shared_ptr<Exchange>& exchange);
  bool InputReady();
  void Drain(uint64_t drained);
  void CloseGracefully(bool input_pending);
  void Linger(uint64_t discarded);
  void CloseNow();

  ServerImpl& server_;
  Stream stream_;  // its executor is the session strand
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::buffer_body>> parser_;
  std::unique_ptr<char[]> scratch_;  // for draining; allocated only when needed
  std::string remote_;
  std::string error_response_;
  State state_ = State::kReadingHeader;
  bool stopping_ = false;
  bool closed_ = false;
};

// One request/response: the handler's Request body reader and ResponseWriter. Worker-side state is
// touched by the worker only; the session reads it after the handler is done (ordered by the post).
class Exchange final : public BodyReader, public ResponseWriter {
 public:
  Exchange(std::shared_ptr<Session> session, ServerImpl& server, Request request, bool keep_alive, bool need_continue,
           bool body_done);

  void RunHandler(const Handler& handler);
  const std::shared_ptr<Session>& session() const { return session_; }

  Result<size_t> Read(char* buf, size_t n) override;
  void SetLimit(uint64_t max_bytes) override { limit_ = max_bytes; }
  std::optional<uint64_t> Remaining() const override { return body_remaining(); }
  Status Send(int status, Headers headers, std::string_view body) override;
  Status Start(int status, Headers headers, std::optional<uint64_t> length) override;
  Status Write(std::string_view data) override;
  Status Finish() override;
  bool started() const override { return started_; }
  void Abort() override {
    aborted_ = true;
    started_ = true;  // nothing else is sent for this exchange
    finished_ = true;
    must_close_ = true;
  }
  bool aborted() const { return aborted_; }

  // A small body read whole by the session before dispatch (no round trip between threads per read).
  void SetPrefetchedBody(std::string body) { prefetched_ = std::move(body); }
  // A complete response that Send (or Start with a small Content-Length) left for the session to write once the
  // handler returned (saves the worker a round trip to the session's thread); empty when written already.
  std::string& deferred_response() { return deferred_; }

  // Read by the session after the handler returned.
  bool must_close() const { return must_close_ || !keep_alive_; }
  bool body_done() const { return body_done_; }
  bool continue_pending() const { return need_continue_ && !continue_sent_; }
  std::optional<uint64_t> body_remaining() const {
    if (!request_.content_length) return std::nullopt;
    return *request_.content_length - body_read_;
  }

 private:
  OpResult Call(const std::function<void(OpDone)>& op);
  Status PrepareHead(int status, Headers& headers, std::optional<uint64_t> length);
  Status WriteAll(std::vector<asio::const_buffer> buffers);
  Status OverLimit();
  Status IoFailure(const ErrorCode& ec, std::string_view what);
  bool ComputeKeepAlive() const;
  void FinishAfterHandler(bool threw);

  std::shared_ptr<Session> session_;
  ServerImpl& server_;
  Request request_;
  std::chrono::steady_clock::time_point start_time_ = std::chrono::steady_clock::now();
  bool head_request_;
  bool keep_alive_;  // the client allows keep-alive; turned off once we decide to close
  bool need_continue_;
  bool continue_sent_ = false;
  bool body_done_;
  uint64_t limit_;
  uint64_t body_read_ = 0;
  bool over_limit_ = false;
  Status malformed_;  // the body could not be parsed: reads fail with it, but the answer (a 400) can still go out
  bool must_close_ = false;
  bool aborted_ = false;
  Status broken_;  // set once the connection failed; every later call returns it

  bool started_ = false;
  bool finished_ = false;
  int status_ = 0;
  Framing framing_ = Framing::kNone;
  uint64_t length_ = 0;
  uint64_t written_ = 0;
  std::string head_;
  std::string prefetched_;
  size_t prefetched_read_ = 0;
  std::string deferred_;
  bool deferring_ = false;  // a small streamed response goes to deferred_ too

  std::mutex mutex_;
  std::condition_variable cv_;
  bool op_done_ = false;
  OpResult op_result_;
};

class ServerImpl final : public Server {
 public:
  ServerImpl(ServerOptions options, Handler handler, std::unique_ptr<asio::ssl::context> tls)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        tls_(std::move(tls)),
        workers_(options_.worker_threads, options_.thread_name),
        ioc_(std::max(options_.io_threads, 1)),
        acceptor_(asio::make_strand(ioc_)),
        accept_retry_(acceptor_.get_executor()),
        work_(asio::make_work_guard(ioc_)) {}

  ~ServerImpl() override { Stop(std::chrono::milliseconds(0)); }

  Status Listen();
  uint16_t port() const override { return port_; }
  std::string base_url() const override {
    std::string host = options_.host.find(':') != std::string::npos ? "[" + options_.host + "]" : options_.host;
    if (host == "0.0.0.0" || host == "[::]") host = "127.0.0.1";
    return (tls_ ? "https://" : "http://") + host + ":" + std::to_string(port_);
  }
  ServerStats stats() const override {
    return ServerStats{accepted_.load(), open_.load(), requests_.load(), tls_handshakes_.load(), tls_resumed_.load()};
  }
  void Stop(std::chrono::milliseconds grace) override;

  const ServerOptions& options() const { return options_; }
  bool stopping() const { return stopping_.load(); }

  void Register(const std::shared_ptr<Session>& session) {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    sessions_[session.get()] = session;
    ++open_;
  }
  void Unregister(Session* session) {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    sessions_.erase(session);
    --open_;
  }
  // A request is in flight from its header (Stop's grace covers a body still arriving) until the session is done
  // with it (ExchangeFinished).
  void ExchangeStarted() {
    std::lock_guard<std::mutex> lock(in_flight_mutex_);
    ++in_flight_;
  }
  void Dispatch(std::shared_ptr<Exchange> exchange) {
    ++requests_;
    if (exchange->body_done() && TakeInlineSlot()) {
      // The whole request is here: its handler runs on this connection thread, right after the current completion
      // (defer queues it for this thread, outside the session's strand), and the session goes on on the same thread.
      // A small exchange then costs no thread switch at all. A slot is always left free, so a handler that streams
      // a large response still has a connection thread to run its writes.
      asio::defer(ioc_.get_executor(), [this, exchange = std::move(exchange)] {
        exchange->RunHandler(handler_);
        ReleaseInlineSlot();
        std::shared_ptr<Session> session = exchange->session();
        asio::defer(session->executor(), [session, exchange] { session->OnExchangeDone(exchange); });
      });
      return;
    }
    workers_.Submit([this, exchange = std::move(exchange)] {
      exchange->RunHandler(handler_);
      std::shared_ptr<Session> session = exchange->session();
      asio::post(session->executor(), [session, exchange] { session->OnExchangeDone(exchange); });
    });
  }
  bool TakeInlineSlot() {
    int running = inline_running_.load();
    const int slots = std::max(options_.io_threads, 1) - 1;
    while (running < slots && !stopping_) {
      if (inline_running_.compare_exchange_weak(running, running + 1)) return true;
    }
    return false;
  }
  void ReleaseInlineSlot() {
    if (inline_running_.fetch_sub(1) == 1) {
      std::lock_guard<std::mutex> lock(inline_mutex_);
      inline_cv_.notify_all();
    }
  }
  void CountTlsHandshake(bool resumed) {
    ++tls_handshakes_;
    if (resumed) ++tls_resumed_;
  }
  void ExchangeFinished() {
    std::lock_guard<std::mutex> lock(in_flight_mutex_);
    if (--in_flight_ == 0) in_flight_cv_.notify_all();
  }
  void LogAccess(std::string_view line) {
    if (!options_.access_log) {
      LOG_INFO(line);
      return;
    }
    std::lock_guard<std::mutex> lock(access_log_mutex_);
    options_.access_log(line);
  }

 private:
  void DoAccept();
  template <typename F>
  void ForEachSession(F f) {
    std::vector<std::shared_ptr<Session>> sessions;
    {
      std::lock_guard<std::mutex> lock(sessions_mutex_);
      for (auto& [ptr, weak] : sessions_) {
        if (auto s = weak.lock()) sessions.push_back(std::move(s));
      }
    }
    for (auto& s : sessions) asio::post(s->executor(), [s, f] { f(*s); });
  }

  ServerOptions options_;
  Handler handler_;
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> open_{0};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> tls_handshakes_{0};
  std::atomic<uint64_t> tls_resumed_{0};
  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;
  bool stopped_ = false;
  std::mutex sessions_mutex_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
  std::mutex in_flight_mutex_;
  std::condition_variable in_flight_cv_;
  int in_flight_ = 0;
  std::mutex access_log_mutex_;
  // Null for plain HTTP. Sessions' SSL objects hold their own reference to the SSL_CTX, but keep the
  // context alive until the io_context (and with it every session) is gone anyway.
  std::unique_ptr<asio::ssl::context> tls_;
  uint16_t port_ = 0;
  internal::WorkerPool workers_;
  std::atomic<int> inline_running_{0};  // handlers running on connection threads (Dispatch)
  std::mutex inline_mutex_;
  std::condition_variable inline_cv_;
  // Declared after everything sessions touch: destroying the io_context destroys pending handlers and with
  // them the last references to sessions.
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::thread> io_threads_;
};

// ---------------------------------------------------------------------------------------------------------
// StreamSession

template <typename Stream>
template <typename... StreamArgs>
StreamSession<Stream>::StreamSession(ServerImpl& server, StreamArgs&&... args)
    : server_(server),
      stream_(std::forward<StreamArgs>(args)...),
      buffer_(std::max(server.options().max_header_bytes + size_t{16} * 1024, kBodyReadSize)) {
  ErrorCode ec;
  tcp::endpoint endpoint = tcp().socket().remote_endpoint(ec);
  remote_ =
      ec ? "unknown"
         : (endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]" : endpoint.address().to_string()) +
               ":" + std::to_string(endpoint.port());
  tcp().socket().set_option(tcp::no_delay(true), ec);  // headers and body go out in separate writes
  if constexpr (kTls) {
    stream_.next_layer().SetCapacity(kTlsReadAhead);
  }
}

template <typename Stream>
StreamSession<Stream>::~StreamSession() {
  server_.Unregister(this);
}

template <typename Stream>
void StreamSession<Stream>::Run() {
  asio::dispatch(stream_.get_executor(), [self = Self()] {
    if constexpr (kTls) {
      self->Handshake();
    } else {
      self->DoReadHeader();
    }
  });
}

template <typename Stream>
void StreamSession<Stream>::OnStopping() {
  stopping_ = true;
  if (state_ == State::kHandshake) {
    CloseNow();
  } else if (state_ == State::kReadingHeader) {
    if constexpr (kTls) {
      // Cancel the header read; OnHeader then says goodbye with a close_notify (CloseGracefully).
      state_ = State::kClosing;
      tcp().cancel();
    } else {
      CloseNow();
    }
  }
}

template <typename Stream>
void StreamSession<Stream>::ForceClose() {
  stopping_ = true;
  CloseNow();
}

template <typename Stream>
void StreamSession<Stream>::CloseNow() {
  if (closed_) return;
  closed_ = true;
  state_ = State::kClosing;
  ErrorCode ec;
  tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
  tcp().socket().close(ec);
}

template <typename Stream>
void StreamSession<Stream>::Handshake() {
  if (stopping_ || server_.stopping() || closed_) {
    CloseNow();
    return;
  }
  state_ = State::kHandshake;
  tcp().expires_after(server_.options().tls_handshake_timeout);
  stream_.async_handshake(asio::ssl::stream_base::server, [self = Self()](ErrorCode ec) { self->OnHandshake(ec); });
}

template <typename Stream>
void StreamSession<Stream>::OnHandshake(ErrorCode ec) {
  if (ec) {
    // Untrusting clients, port scanners, plain HTTP sent to the TLS port: not the server's problem.
    LOG_DEBUG("TLS handshake with " << remote_ << " failed: " << (IsTimeout(ec) ? "timed out" : ec.message()));
    CloseNow();
    return;
  }
  server_.CountTlsHandshake(SSL_session_reused(stream_.native_handle()) == 1);
  DoReadHeader();
}

template <typename Stream>
void StreamSession<Stream>::DoReadHeader() {
  if (stopping_ || server_.stopping() || closed_) {
    CloseGracefully(false);
    return;
  }
  state_ = State::kReadingHeader;
  if (buffer_.capacity() > kScratchSize) buffer_.shrink_to_fit();  // idle connections stay small
  if constexpr (kTls) {
    // OpenSSL frees its record buffers whenever they run empty (Asio turns this on): right for an idle
    // connection, but a malloc and free per 16 KiB record while a body streams. See OnHeader.
    SSL_set_mode(stream_.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  }
  scratch_.reset();
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(std::min<size_t>(server_.options().max_header_bytes, UINT32_MAX)));
  parser_->body_limit(boost::none);  // enforced by Exchange, after the handler had its say
  tcp().expires_after(server_.options().idle_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_, [self = Self()](ErrorCode ec, size_t) { self->OnHeader(ec); });
}

template <typename Stream>
void StreamSession<Stream>::OnHeader(ErrorCode ec) {
  if (ec) {
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      SendErrorAndClose(431);
    } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
               ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      SendErrorAndClose(400);
    } else if (ec == bhttp::error::end_of_stream || (stopping_ && ec == asio::error::operation_aborted)) {
      CloseGracefully(false);  // the client hung up (over TLS: answer its close_notify), or Stop cancelled the read
    } else {
      CloseNow();  // the connection broke, or the idle timeout (which already closed the socket)
    }
    return;
  }
  state_ = State::kInExchange;
  if constexpr (kTls) SSL_clear_mode(stream_.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  auto& message = parser_->get();
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  std::string_view target = request.target;
  if (target.starts_with("http://") || target.starts_with("https://")) {  // absolute-form
    size_t path_start = target.find('/', target.find("//") + 2);
    target = path_start == std::string_view::npos ? std::string_view("/") : target.substr(path_start);
  }
  size_t q = target.find('?');
  request.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) request.query = std::string(target.substr(q + 1));
  request.version = message.version() >= 11 ? 11 : 10;
  for (const auto& field : message) request.headers.Add(field.name_string(), field.value());
  if (auto length = parser_->content_length()) request.content_length = *length;
  request.chunked = parser_->chunked();
  request.remote_address = remote_;
  request.tls = kTls;

  bool keep_alive = message.version() >= 11 && parser_->keep_alive();
  bool body_done = parser_->is_done();
  auto expect = request.headers.Get("Expect");
  bool need_continue = !body_done && message.version() >= 11 && expect && HeaderHasToken(*expect, "100-continue");
  // A small body (the usual CREATE or APPEND of a small file) is read here, before dispatch.
  const std::optional<uint64_t> length = request.content_length;
  const bool prefetch = !body_done && !need_continue && length && *length <= server_.options().buffered_body_bytes &&
                        *length <= server_.options().default_body_limit;
  auto exchange = std::make_shared<Exchange>(shared_from_this(), server_, std::move(request), keep_alive, need_continue,
                                             body_done || prefetch);
  server_.ExchangeStarted();
  if (prefetch) {
    state_ = State::kReadingBody;
    PrefetchBody(std::move(exchange), std::make_shared<std::string>(*length, '\0'), 0);
  } else {
    server_.Dispatch(std::move(exchange));
  }
}

template <typename Stream>
void StreamSession<Stream>::PrefetchBody(std::shared_ptr<Exchange> exchange, std::shared_ptr<std::string> body,
                                         size_t filled) {
  char* buf = body->data();
  size_t n = body->size();
  tcp().expires_after(server_.options().idle_timeout);
  ReadBodySome(
      buf, n,
      [self = Self(), exchange = std::move(exchange), body = std::move(body)](OpResult r) mutable {
        if (r.ec) {
          // The client went away or stalled before sending its body: nobody is waiting for an answer.
          LOG_DEBUG("request body from " << self->remote_ << " not received: " << r.ec.message());
          self->CloseNow();
          self->server_.ExchangeFinished();
        } else if (!r.body_done) {
          self->PrefetchBody(std::move(exchange), std::move(body), r.bytes);
        } else {
          exchange->SetPrefetchedBody(std::move(*body));
          self->state_ = State::kInExchange;
          self->server_.Dispatch(std::move(exchange));
        }
      },
      filled);
}

template <typename Stream>
void StreamSession<Stream>::SendErrorAndClose(int status) {
  state_ = State::kClosing;
  std::string body = std::to_string(status) + " " + std::string(ReasonPhrase(status)) + "\n";
  Status formatted = internal::FormatResponseHead(status, Headers{{"Content-Type", "text/plain"}},
                                                  Framing::kContentLength, body.size(), false, false, error_response_);
  formatted.IgnoreError();
  error_response_ += body;
  server_.LogAccess(internal::FormatAccessLine(remote_, "-", "-", status, 0, body.size(), 0));
  tcp().expires_after(server_.options().idle_timeout);
  asio::async_write(stream_, asio::buffer(error_response_), [self = Self()](ErrorCode ec, size_t) {
    if (ec) {
      self->CloseNow();
    } else {
      self->CloseGracefully(true);
    }
  });
}

template <typename Stream>
void StreamSession<Stream>::ReadBody(char* buf, size_t n, bool send_continue, OpDone done) {
  if (closed_) {
    done({asio::error::operation_aborted, 0, false});
    return;
  }
  if (parser_->is_done()) {
    done({{}, 0, true});
    return;
  }
  if (!send_continue) {
    ReadBodySome(buf, n, std::move(done));
    return;
  }
  tcp().expires_after(server_.options().idle_timeout);
  asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                    [self = Self(), buf, n, done = std::move(done)](ErrorCode ec, size_t) mutable {
                      if (ec) {
                        done({ec, 0, false});
                      } else {
                        self->ReadBodySome(buf, n, std::move(done));
                      }
                    });
}

// Reads body bytes into buf[filled, n). Completes as soon as some arrived, but first keeps reading while more
// input is already waiting: a TLS read yields one record (16 KiB), and each completion costs the handler a
// round trip between threads.
template <typename Stream>
void StreamSession<Stream>::ReadBodySome(char* buf, size_t n, OpDone done, size_t filled) {
  // Beast reads at most the buffer's free capacity per syscall: make reads of large bodies large.
  size_t want = kBodyReadSize;
  if (auto remaining = parser_->content_length_remaining()) {
    want = static_cast<size_t>(std::clamp<uint64_t>(*remaining, uint64_t{16} * 1024, kBodyReadSize));
  }
  if (buffer_.capacity() < want) buffer_.reserve(std::min(want, buffer_.max_size()));
  auto& body = parser_->get().body();
  body.data = buf + filled;
  body.size = n - filled;
  body.more = true;
  tcp().expires_after(server_.options().idle_timeout);
  bhttp::async_read_some(stream_, buffer_, *parser_,
                         [self = Self(), buf, n, filled, done = std::move(done)](ErrorCode ec, size_t) mutable {
                           auto& body = self->parser_->get().body();
                           filled = n - body.size;
                           body.data = nullptr;
                           body.size = 0;
                           if (ec == bhttp::error::need_buffer) ec = {};
                           bool done_reading = !ec && self->parser_->is_done();
                           // filled == 0: only framing (chunk headers) so far.
                           if (!ec && !done_reading && filled < n && (filled == 0 || self->InputReady())) {
                             self->ReadBodySome(buf, n, std::move(done), filled);
                             return;
                           }
                           done({ec, filled, done_reading});
                         });
}

// True when a read would complete without waiting.
template <typename Stream>
bool StreamSession<Stream>::InputReady() {
  if constexpr (kTls) {
    if (SSL_pending(stream_.native_handle()) > 0 || stream_.next_layer().buffered() > 0) return true;
  }
  ErrorCode ec;
  return tcp().socket().available(ec) > 0 && !ec;
}

template <typename Stream>
void StreamSession<Stream>::WriteBuffers(std::vector<asio::const_buffer> buffers, OpDone done) {
  if (closed_) {
    done({asio::error::operation_aborted, 0, false});
    return;
  }
  tcp().expires_after(server_.options().idle_timeout);
  asio::async_write(stream_, buffers, [self = Self(), done = std::move(done)](ErrorCode ec, size_t n) {
    done({ec, n, false});
  });
}

template <typename Stream>
void StreamSession<Stream>::OnExchangeDone(const std::shared_ptr<Exchange>& exchange) {
  std::string& response = exchange->deferred_response();
  if (response.empty() || closed_) {
    AfterExchange(exchange);
    return;
  }
  tcp().expires_after(server_.options().idle_timeout);
  asio::async_write(stream_, asio::buffer(response), [self = Self(), exchange](ErrorCode ec, size_t) {
    if (ec) {
      LOG_DEBUG("response to " << self->remote_ << " not delivered: " << ec.message());
      self->CloseNow();
    }
    self->AfterExchange(exchange);
  });
}

template <typename Stream>
void StreamSession<Stream>::AfterExchange(const std::shared_ptr<Exchange>& exchange) {
  bool input_pending = !exchange->body_done() && !parser_->is_done();
  if (closed_) {
    // Nothing to do.
  } else if (exchange->aborted()) {
    CloseNow();
  } else if (exchange->must_close() || stopping_ || server_.stopping()) {
    CloseGracefully(input_pending);
  } else if (input_pending) {
    Drain(0);
  } else {
    DoReadHeader();
  }
  server_.ExchangeFinished();
}

// Discards a small unread request body so the connection can serve the next request.
template <typename Stream>
void StreamSession<Stream>::Drain(uint64_t drained) {
  if (parser_->is_done()) {
    DoReadHeader();
    return;
  }
  if (drained > kDrainLimit || stopping_ || closed_) {
    CloseGracefully(true);
    return;
  }
  if (!scratch_) scratch_ = std::make_unique<char[]>(kScratchSize);
  ReadBodySome(scratch_.get(), kScratchSize, [self = Self(), drained](OpResult r) {
    if (r.ec) {
      self->CloseNow();
    } else {
      self->Drain(drained + r.bytes);
    }
  });
}

// Ends the connection without losing the response the client may still be reading. TCP: half-close, then
// linger while the client still sends. TLS: async_shutdown, which sends our close_notify and then reads (and
// OpenSSL discards) until the client's close_notify; a client that just closes (stream_truncated), or says
// nothing until the timeout, is fine too.
template <typename Stream>
void StreamSession<Stream>::CloseGracefully(bool input_pending) {
  if (closed_) return;
  state_ = State::kClosing;
  if constexpr (kTls) {
    tcp().expires_after(input_pending ? kLingerTimeout : kTlsShutdownTimeout);
    stream_.async_shutdown([self = Self()](ErrorCode) { self->CloseNow(); });
  } else {
    ErrorCode ec;
    tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (!input_pending || ec) {
      CloseNow();
      return;
    }
    Linger(0);
  }
}

// After shutdown(send): read and discard what the client still sends, so that closing with unread data does
// not reset the connection before the client has read our response.
template <typename Stream>
void StreamSession<Stream>::Linger(uint64_t discarded) {
  if (closed_ || discarded > kLingerLimit) {
    CloseNow();
    return;
  }
  if (!scratch_) scratch_ = std::make_unique<char[]>(kScratchSize);
  tcp().expires_after(kLingerTimeout);
  tcp().async_read_some(asio::buffer(scratch_.get(), kScratchSize), [self = Self(), discarded](ErrorCode ec, size_t n) {
    if (ec) {
      self->CloseNow();
    } else {
      self->Linger(discarded + n);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Exchange

Exchange::Exchange(std::shared_ptr<Session> session, ServerImpl& server, Request request, bool keep_alive,
                   bool need_continue, bool body_done)
    : session_(std::move(session)),
      server_(server),
      request_(std::move(request)),
      head_request_(request_.method == "HEAD"),
      keep_alive_(keep_alive),
      need_continue_(need_continue),
      body_done_(body_done),
      limit_(server.options().default_body_limit) {
  request_.body_ = this;
}

OpResult Exchange::Call(const std::function<void(OpDone)>& op) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    op_done_ = false;
  }
  asio::post(session_->executor(), [this, &op] {
    op([this](OpResult result) {
      std::lock_guard<std::mutex> lock(mutex_);
      op_result_ = result;
      op_done_ = true;
      cv_.notify_one();  // under the lock: the waiter may destroy *this as soon as it wakes
    });
  });
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [this] { return op_done_; });
  return op_result_;
}

Status Exchange::OverLimit() {
  over_limit_ = true;
  must_close_ = true;
  return Status(StatusCode::kInvalidArgument,
                "request body is larger than the limit of " + std::to_string(limit_) + " bytes")
      .WithDetail(ServiceDetail{413});
}

Status Exchange::IoFailure(const ErrorCode& ec, std::string_view what) {
  must_close_ = true;
  if (IsTimeout(ec)) {
    broken_ = Status(StatusCode::kTimeout, "timed out " + std::string(what) + " from " + request_.remote_address);
  } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
             ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
    malformed_ = InvalidArgument("malformed request body from " + request_.remote_address + ": " + ec.message());
    return malformed_;
  } else {
    broken_ =
        Unavailable("connection lost " + std::string(what) + " from " + request_.remote_address + ": " + ec.message());
  }
  return broken_;
}

Result<size_t> Exchange::Read(char* buf, size_t n) {
  if (prefetched_read_ < prefetched_.size()) {
    if (over_limit_ || prefetched_.size() > limit_) return OverLimit();
    size_t k = std::min(n, prefetched_.size() - prefetched_read_);
    std::memcpy(buf, prefetched_.data() + prefetched_read_, k);
    prefetched_read_ += k;
    body_read_ += k;
    return k;
  }
  if (body_done_) return size_t{0};
  if (over_limit_) return OverLimit();
  if (!broken_.ok()) return broken_;
  if (!malformed_.ok()) return malformed_;
  if (request_.content_length && *request_.content_length > limit_) return OverLimit();
  if (n == 0) return size_t{0};
  if (need_continue_ && !continue_sent_ && started_) {
    must_close_ = true;
    return Unavailable("request body not available: the response started before the client was told to send it");
  }
  if (!request_.content_length && limit_ - body_read_ < n) n = static_cast<size_t>(limit_ - body_read_ + 1);
  bool send_continue = need_continue_ && !continue_sent_;
  OpResult r = Call([&](OpDone done) { session_->ReadBody(buf, n, send_continue, std::move(done)); });
  continue_sent_ = continue_sent_ || send_continue;
  if (r.ec) return IoFailure(r.ec, "reading request body");
  body_read_ += r.bytes;
  body_done_ = r.body_done;
  if (body_read_ > limit_) return OverLimit();
  return r.bytes;
}

bool Exchange::ComputeKeepAlive() const {
  if (!keep_alive_ || must_close_ || server_.stopping()) return false;
  if (body_done_) return true;
  if (continue_pending()) return false;  // the client may or may not send the body: start afresh
  auto remaining = body_remaining();
  return !remaining || *remaining <= kDrainLimit;
}

Status Exchange::PrepareHead(int status, Headers& headers, std::optional<uint64_t> length) {
  if (started_) return Internal("response already started");
  if (!broken_.ok()) return broken_;
  framing_ = internal::ChooseFraming(status, head_request_, request_.version, length);
  keep_alive_ = ComputeKeepAlive() && framing_ != Framing::kClose;
  if (auto connection = headers.Get("Connection"); connection && HeaderHasToken(*connection, "close")) {
    keep_alive_ = false;
  }
  RETURN_IF_ERROR(internal::FormatResponseHead(status, headers, framing_, length, head_request_, keep_alive_, head_));
  started_ = true;
  status_ = status;
  length_ = framing_ == Framing::kContentLength ? *length : 0;
  return Status::Ok();
}

Status Exchange::WriteAll(std::vector<asio::const_buffer> buffers) {
  OpResult r = Call([&](OpDone done) { session_->WriteBuffers(std::move(buffers), std::move(done)); });
  if (r.ec) return IoFailure(r.ec, "writing response");
  return Status::Ok();
}

Status Exchange::Start(int status, Headers headers, std::optional<uint64_t> length) {
  RETURN_IF_ERROR(PrepareHead(status, headers, length));
  if (framing_ == Framing::kContentLength && length_ <= server_.options().buffered_body_bytes) {
    // Small: collected like a Send, and written by the session once the handler returns.
    deferring_ = true;
    deferred_ = std::move(head_);
    deferred_.reserve(deferred_.size() + length_);
    return Status::Ok();
  }
  return WriteAll({asio::buffer(head_)});
}

Status Exchange::Send(int status, Headers headers, std::string_view body) {
  RETURN_IF_ERROR(PrepareHead(status, headers, body.size()));
  finished_ = true;
  if (framing_ != Framing::kContentLength) {
    if (!body.empty() && framing_ == Framing::kNone && !head_request_) must_close_ = true;
    deferred_ = std::move(head_);
    return Status::Ok();
  }
  written_ = body.size();
  if (body.size() <= server_.options().buffered_body_bytes) {
    deferred_ = std::move(head_);
    deferred_.append(body);
    return Status::Ok();
  }
  return WriteAll({asio::buffer(head_), asio::buffer(body.data(), body.size())});
}

Status Exchange::Write(std::string_view data) {
  if (!started_ || finished_) return Internal("ResponseWriter::Write outside Start/Finish");
  if (!broken_.ok()) return broken_;
  if (data.empty()) return Status::Ok();
  switch (framing_) {
    case Framing::kNone:
      if (head_request_) {
        written_ += data.size();  // HEAD: headers only
        return Status::Ok();
      }
      must_close_ = true;
      return Internal("HTTP status " + std::to_string(status_) + " has no response body");
    case Framing::kContentLength:
      if (written_ + data.size() > length_) {
        must_close_ = true;
        return Internal("response body longer than its Content-Length " + std::to_string(length_));
      }
      written_ += data.size();
      if (deferring_) {
        deferred_.append(data);
        return Status::Ok();
      }
      return WriteAll({asio::buffer(data.data(), data.size())});
    case Framing::kChunked: {
      char size_line[24];
      int len = std::snprintf(size_line, sizeof(size_line), "%zx\r\n", data.size());
      written_ += data.size();
      return WriteAll({asio::buffer(size_line, static_cast<size_t>(len)), asio::buffer(data.data(), data.size()),
                       asio::buffer("\r\n", 2)});
    }
    case Framing::kClose: written_ += data.size(); return WriteAll({asio::buffer(data.data(), data.size())});
  }
  return Internal("unknown framing");
}

Status Exchange::Finish() {
  if (!started_) return Internal("ResponseWriter::Finish before Start");
  if (finished_) return Status::Ok();
  finished_ = true;
  if (!broken_.ok()) return broken_;
  if (framing_ == Framing::kContentLength && written_ < length_) {
    must_close_ = true;
    return Internal("response body shorter (" + std::to_string(written_) + " bytes) than its Content-Length " +
                    std::to_string(length_));
  }
  if (framing_ == Framing::kChunked) return WriteAll({asio::buffer("0\r\n\r\n", 5)});
  if (framing_ == Framing::kClose) must_close_ = true;
  return Status::Ok();
}

void Exchange::RunHandler(const Handler& handler) {
  bool threw = false;
  try {
    handler(request_, *this);
  } catch (const std::exception& e) {
    threw = true;
    LOG_ERROR("http handler for " << request_.method << " " << request_.path << " threw: " << e.what());
  } catch (...) {
    threw = true;
    LOG_ERROR("http handler for " << request_.method << " " << request_.path << " threw a non-exception");
  }
  FinishAfterHandler(threw);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_time_).count();
  server_.LogAccess(internal::FormatAccessLine(request_.remote_address, request_.method, request_.target, status_,
                                               body_read_, written_, millis));
}

void Exchange::FinishAfterHandler(bool threw) {
  if (!started_) {
    int status = over_limit_ ? 413 : !malformed_.ok() ? 400 : 500;
    if (!threw && status == 500) {
      LOG_WARNING("http handler for " << request_.method << " " << request_.path << " returned without a response");
    }
    std::string body = std::to_string(status) + " " + std::string(ReasonPhrase(status)) + "\n";
    Send(status, Headers{{"Content-Type", "text/plain"}}, body).IgnoreError();
  } else if (!finished_) {
    // A handler that threw left the body truncated (Finish is not tried): only closing tells the client.
    if (threw || !Finish().ok()) must_close_ = true;
  }
}

// ---------------------------------------------------------------------------------------------------------
// TLS context

// The OpenSSL error queue as "reason (library); ..." (and cleared), for messages.
std::string OpenSslReasons() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(code);
    const char* lib = ERR_lib_error_string(code);
    std::string item = reason != nullptr ? reason : "error " + std::to_string(code);
    if (lib != nullptr) item += std::string(" (") + lib + ")";
    if (out.find(item) != std::string::npos) continue;
    if (!out.empty()) out += "; ";
    out += item;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// A readable file, or kInvalidArgument naming it and why not (before OpenSSL's vaguer "system lib").
Status CheckReadable(const std::string& path, std::string_view what) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return InvalidArgument(ErrnoError("cannot read TLS " + std::string(what) + " " + path, errno).message());
  ::close(fd);
  return Status::Ok();
}

// Offers only HTTP/1.1 through ALPN; clients that offer nothing we speak get no ALPN answer.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in, unsigned int in_len,
               void*) {
  static constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_len, kHttp11, sizeof(kHttp11), in, in_len) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// A server context for TLS 1.2+ with the certificate chain and key of the options; kInvalidArgument naming
// the file and the OpenSSL reason when they cannot be used.
Result<std::unique_ptr<asio::ssl::context>> MakeTlsContext(const ServerOptions& options) {
  const std::string& cert = options.tls_cert_file;
  const std::string& key = options.tls_key_file;
  if (cert.empty() || key.empty()) {
    return InvalidArgument("TLS needs both tls_cert_file and tls_key_file (got only " +
                           std::string(cert.empty() ? "the key " + key : "the certificate " + cert) + ")");
  }
  RETURN_IF_ERROR(CheckReadable(cert, "certificate file"));
  RETURN_IF_ERROR(CheckReadable(key, "key file"));
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  ERR_clear_error();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // AES-128-GCM first: as safe for this use, and half again as fast as AES-256-GCM, which OpenSSL would pick;
  // every byte of a migration through the emulators or the gateway is encrypted and decrypted twice.
  if (SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256") !=
          1 ||
      SSL_CTX_set_cipher_list(
          ctx,
          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
          "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") != 1) {
    return Internal("TLS cipher configuration refused by OpenSSL: " + OpenSslReasons());
  }
  // An encrypted key must fail, not prompt on the terminal (OpenSSL's default callback does).
  SSL_CTX_set_default_passwd_cb(ctx, [](char*, int, int, void*) { return 0; });
  SSL_CTX_set_alpn_select_cb(ctx, &SelectAlpn, nullptr);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1) {
    return InvalidArgument("TLS certificate file " + cert + " is not usable: " + OpenSslReasons());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return InvalidArgument("TLS key file " + key + " is not usable with the certificate in " + cert + ": " +
                           OpenSslReasons());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return InvalidArgument("TLS key file " + key + " does not match the certificate in " + cert + ": " +
                           OpenSslReasons());
  }
  return context;
}

// ---------------------------------------------------------------------------------------------------------
// ServerImpl

Status ServerImpl::Listen() {
  ErrorCode ec;
  tcp::resolver resolver(ioc_);
  auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port), tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) {
    return InvalidArgument("cannot resolve listen address " + options_.host + ": " + ec.message());
  }
  tcp::endpoint endpoint = endpoints.begin()->endpoint();
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint(ec).port();
  asio::post(acceptor_.get_executor(), [this] { DoAccept(); });
  for (int i = 0; i < std::max(options_.io_threads, 1); ++i) {
    io_threads_.emplace_back([this] {
      internal::NameThisThread(options_.thread_name + "-io");
      ioc_.run();
    });
  }
  return Status::Ok();
}

void ServerImpl::DoAccept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](ErrorCode ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Typically EMFILE: back off instead of spinning.
      LOG_WARNING("http accept failed: " << ec.message());
      accept_retry_.expires_after(std::chrono::milliseconds(100));
      accept_retry_.async_wait([this](ErrorCode wait_ec) {
        if (!wait_ec && acceptor_.is_open()) DoAccept();
      });
      return;
    }
    ++accepted_;
    std::shared_ptr<Session> session;
    if (tls_) {
      session = std::make_shared<StreamSession<TlsStream>>(*this, std::move(socket), *tls_);
    } else {
      session = std::make_shared<StreamSession<PlainStream>>(*this, std::move(socket));
    }
    Register(session);
    session->Run();
    DoAccept();
  });
}

void ServerImpl::Stop(std::chrono::milliseconds grace) {
  std::lock_guard<std::mutex> stop_lock(stop_mutex_);
  if (stopped_) return;
  stopped_ = true;
  stopping_ = true;
  if (!io_threads_.empty()) {
    asio::post(acceptor_.get_executor(), [this] {
      ErrorCode ec;
      acceptor_.close(ec);
      accept_retry_.cancel();
    });
    ForEachSession([](Session& s) { s.OnStopping(); });
    {
      std::unique_lock<std::mutex> lock(in_flight_mutex_);
      in_flight_cv_.wait_for(lock, grace, [this] { return in_flight_ == 0; });
    }
    ForEachSession([](Session& s) { s.ForceClose(); });
  }
  workers_.Shutdown();  // handlers now see I/O errors and return
  {
    std::unique_lock<std::mutex> lock(inline_mutex_);
    inline_cv_.wait(lock, [this] { return inline_running_.load() == 0; });
  }
  work_.reset();
  ioc_.stop();
  for (std::thread& t : io_threads_) t.join();
  io_threads_.clear();
}

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options, Handler handler) {
  if (!handler) return InvalidArgument("http server needs a handler");
  try {
    std::unique_ptr<asio::ssl::context> tls;
    if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
      ASSIGN_OR_RETURN(tls, MakeTlsContext(options));
    }
    auto server = std::make_unique<ServerImpl>(std::move(options), std::move(handler), std::move(tls));
    RETURN_IF_ERROR(server->Listen());
    return std::unique_ptr<Server>(std::move(server));
  } catch (const std::exception& e) {
    return Internal(std::string("http server failed to start: ") + e.what());
  }
}

}  // namespace lakeshift::http
