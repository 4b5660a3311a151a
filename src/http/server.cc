// Beast/Asio implementation of http::Server. The only translation unit (with run_until_signal.cc) that sees
// Boost.Asio, so the rest of the project compiles without it.
//
// Threads: io_threads run the io_context; every connection (Session) lives on its own strand. Handlers run
// on a WorkerPool. A handler's blocking Read/Write posts one async operation to the session's strand and
// waits for its completion (Exchange::Call), so the body moves between the socket and the handler's buffer
// with no extra buffering beyond the session's bounded read buffer.
//
// TLS plugs in here: Session would be templated on its stream (beast::tcp_stream or
// beast::ssl_stream<beast::tcp_stream>) with a handshake before the first header read.

#include "http/server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
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
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/log.h"
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
constexpr uint64_t kDrainLimit = 1024 * 1024;
// When closing with unread input, keep reading (and discarding) this long so the client sees our response
// instead of a reset.
constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr uint64_t kLingerLimit = 16 * 1024 * 1024;
constexpr size_t kScratchSize = 64 * 1024;
constexpr size_t kBodyReadSize = 256 * 1024;
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

// One connection. All members are touched only on the session strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ServerImpl& server, tcp::socket socket);
  ~Session();

  void Run();
  // From the server: stop after the current exchange; close now when idle.
  void OnStopping();
  // From the server: close now, cancelling everything.
  void ForceClose();

  // Strand operations requested by a blocked worker (see Exchange::Call).
  void ReadBody(char* buf, size_t n, bool send_continue, OpDone done);
  void WriteBuffers(std::vector<asio::const_buffer> buffers, OpDone done);
  void OnExchangeDone(const std::shared_ptr<Exchange>& exchange);

  asio::any_io_executor executor() { return stream_.get_executor(); }

 private:
  enum class State { kReadingHeader, kInExchange, kClosing };

  void DoReadHeader();
  void OnHeader(ErrorCode ec);
  void SendErrorAndClose(int status);
  void ReadBodySome(char* buf, size_t n, OpDone done);
  void Drain(uint64_t drained);
  void CloseGracefully(bool input_pending);
  void Linger(uint64_t discarded);
  void CloseNow();

  ServerImpl& server_;
  beast::tcp_stream stream_;  // its executor is the session strand
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
  Status Send(int status, Headers headers, std::string_view body) override;
  Status Start(int status, Headers headers, std::optional<uint64_t> length) override;
  Status Write(std::string_view data) override;
  Status Finish() override;
  bool started() const override { return started_; }

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
  bool malformed_body_ = false;
  bool must_close_ = false;
  Status broken_;  // set once the connection failed; every later call returns it

  bool started_ = false;
  bool finished_ = false;
  int status_ = 0;
  Framing framing_ = Framing::kNone;
  uint64_t length_ = 0;
  uint64_t written_ = 0;
  std::string head_;

  std::mutex mutex_;
  std::condition_variable cv_;
  bool op_done_ = false;
  OpResult op_result_;
};

class ServerImpl final : public Server {
 public:
  ServerImpl(ServerOptions options, Handler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        workers_(options_.worker_threads),
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
    return "http://" + host + ":" + std::to_string(port_);
  }
  ServerStats stats() const override { return ServerStats{accepted_.load(), open_.load(), requests_.load()}; }
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
  void Dispatch(std::shared_ptr<Exchange> exchange) {
    ++requests_;
    {
      std::lock_guard<std::mutex> lock(in_flight_mutex_);
      ++in_flight_;
    }
    workers_.Submit([this, exchange = std::move(exchange)] {
      exchange->RunHandler(handler_);
      std::shared_ptr<Session> session = exchange->session();
      asio::post(session->executor(), [session, exchange] { session->OnExchangeDone(exchange); });
    });
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
  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;
  bool stopped_ = false;
  std::mutex sessions_mutex_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
  std::mutex in_flight_mutex_;
  std::condition_variable in_flight_cv_;
  int in_flight_ = 0;
  std::mutex access_log_mutex_;
  uint16_t port_ = 0;
  internal::WorkerPool workers_;
  // Declared after everything sessions touch: destroying the io_context destroys pending handlers and with
  // them the last references to sessions.
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::thread> io_threads_;
};

// ---------------------------------------------------------------------------------------------------------
// Session

Session::Session(ServerImpl& server, tcp::socket socket)
    : server_(server),
      stream_(std::move(socket)),
      buffer_(std::max(server.options().max_header_bytes + 16 * 1024, kBodyReadSize)) {
  ErrorCode ec;
  tcp::endpoint endpoint = stream_.socket().remote_endpoint(ec);
  remote_ =
      ec ? "unknown"
         : (endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]" : endpoint.address().to_string()) +
               ":" + std::to_string(endpoint.port());
  stream_.socket().set_option(tcp::no_delay(true), ec);  // headers and body go out in separate writes
}

Session::~Session() {
  server_.Unregister(this);
}

void Session::Run() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoReadHeader(); });
}

void Session::OnStopping() {
  stopping_ = true;
  if (state_ == State::kReadingHeader) CloseNow();
}

void Session::ForceClose() {
  stopping_ = true;
  CloseNow();
}

void Session::CloseNow() {
  if (closed_) return;
  closed_ = true;
  state_ = State::kClosing;
  ErrorCode ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
}

void Session::DoReadHeader() {
  if (stopping_ || server_.stopping() || closed_) {
    CloseNow();
    return;
  }
  state_ = State::kReadingHeader;
  if (buffer_.capacity() > kScratchSize) buffer_.shrink_to_fit();  // idle connections stay small
  scratch_.reset();
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(std::min<size_t>(server_.options().max_header_bytes, UINT32_MAX)));
  parser_->body_limit(boost::none);  // enforced by Exchange, after the handler had its say
  stream_.expires_after(server_.options().idle_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           [self = shared_from_this()](ErrorCode ec, size_t) { self->OnHeader(ec); });
}

void Session::OnHeader(ErrorCode ec) {
  if (ec) {
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      SendErrorAndClose(431);
    } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
               ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      SendErrorAndClose(400);
    } else {
      CloseNow();  // client went away, idle timeout, or shutdown
    }
    return;
  }
  state_ = State::kInExchange;
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

  bool keep_alive = message.version() >= 11 && parser_->keep_alive();
  bool body_done = parser_->is_done();
  auto expect = request.headers.Get("Expect");
  bool need_continue = !body_done && message.version() >= 11 && expect && HeaderHasToken(*expect, "100-continue");
  auto exchange =
      std::make_shared<Exchange>(shared_from_this(), server_, std::move(request), keep_alive, need_continue, body_done);
  server_.Dispatch(std::move(exchange));
}

void Session::SendErrorAndClose(int status) {
  state_ = State::kClosing;
  std::string body = std::to_string(status) + " " + std::string(ReasonPhrase(status)) + "\n";
  Status formatted = internal::FormatResponseHead(status, Headers{{"Content-Type", "text/plain"}},
                                                  Framing::kContentLength, body.size(), false, false, error_response_);
  formatted.IgnoreError();
  error_response_ += body;
  server_.LogAccess(internal::FormatAccessLine(remote_, "-", "-", status, 0, body.size(), 0));
  stream_.expires_after(server_.options().idle_timeout);
  asio::async_write(stream_, asio::buffer(error_response_), [self = shared_from_this()](ErrorCode ec, size_t) {
    if (ec) {
      self->CloseNow();
    } else {
      self->CloseGracefully(true);
    }
  });
}

void Session::ReadBody(char* buf, size_t n, bool send_continue, OpDone done) {
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
  stream_.expires_after(server_.options().idle_timeout);
  asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                    [self = shared_from_this(), buf, n, done = std::move(done)](ErrorCode ec, size_t) mutable {
                      if (ec) {
                        done({ec, 0, false});
                      } else {
                        self->ReadBodySome(buf, n, std::move(done));
                      }
                    });
}

void Session::ReadBodySome(char* buf, size_t n, OpDone done) {
  // Beast reads at most the buffer's free capacity per syscall: make reads of large bodies large.
  size_t want = kBodyReadSize;
  if (auto remaining = parser_->content_length_remaining()) {
    want = static_cast<size_t>(std::clamp<uint64_t>(*remaining, 16 * 1024, kBodyReadSize));
  }
  if (buffer_.capacity() < want) buffer_.reserve(std::min(want, buffer_.max_size()));
  auto& body = parser_->get().body();
  body.data = buf;
  body.size = n;
  body.more = true;
  stream_.expires_after(server_.options().idle_timeout);
  bhttp::async_read_some(stream_, buffer_, *parser_,
                         [self = shared_from_this(), buf, n, done = std::move(done)](ErrorCode ec, size_t) mutable {
                           auto& body = self->parser_->get().body();
                           size_t got = n - body.size;
                           body.data = nullptr;
                           body.size = 0;
                           if (ec == bhttp::error::need_buffer) ec = {};
                           if (!ec && got == 0 && !self->parser_->is_done()) {
                             self->ReadBodySome(buf, n, std::move(done));  // only framing (chunk headers) so far
                             return;
                           }
                           done({ec, got, !ec && self->parser_->is_done()});
                         });
}

void Session::WriteBuffers(std::vector<asio::const_buffer> buffers, OpDone done) {
  if (closed_) {
    done({asio::error::operation_aborted, 0, false});
    return;
  }
  stream_.expires_after(server_.options().idle_timeout);
  asio::async_write(stream_, buffers, [self = shared_from_this(), done = std::move(done)](ErrorCode ec, size_t n) {
    done({ec, n, false});
  });
}

void Session::OnExchangeDone(const std::shared_ptr<Exchange>& exchange) {
  bool input_pending = !exchange->body_done() && !parser_->is_done();
  if (closed_) {
    // Nothing to do.
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
void Session::Drain(uint64_t drained) {
  if (parser_->is_done()) {
    DoReadHeader();
    return;
  }
  if (drained > kDrainLimit || stopping_ || closed_) {
    CloseGracefully(true);
    return;
  }
  if (!scratch_) scratch_ = std::make_unique<char[]>(kScratchSize);
  ReadBodySome(scratch_.get(), kScratchSize, [self = shared_from_this(), drained](OpResult r) {
    if (r.ec) {
      self->CloseNow();
    } else {
      self->Drain(drained + r.bytes);
    }
  });
}

void Session::CloseGracefully(bool input_pending) {
  if (closed_) return;
  state_ = State::kClosing;
  ErrorCode ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (!input_pending || ec) {
    CloseNow();
    return;
  }
  Linger(0);
}

// After shutdown(send): read and discard what the client still sends, so that closing with unread data does
// not reset the connection before the client has read our response.
void Session::Linger(uint64_t discarded) {
  if (closed_ || discarded > kLingerLimit) {
    CloseNow();
    return;
  }
  if (!scratch_) scratch_ = std::make_unique<char[]>(kScratchSize);
  stream_.expires_after(kLingerTimeout);
  stream_.async_read_some(asio::buffer(scratch_.get(), kScratchSize),
                          [self = shared_from_this(), discarded](ErrorCode ec, size_t n) {
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
    malformed_body_ = true;
    broken_ = InvalidArgument("malformed request body from " + request_.remote_address + ": " + ec.message());
  } else {
    broken_ =
        Unavailable("connection lost " + std::string(what) + " from " + request_.remote_address + ": " + ec.message());
  }
  return broken_;
}

Result<size_t> Exchange::Read(char* buf, size_t n) {
  if (body_done_) return size_t{0};
  if (over_limit_) return OverLimit();
  if (!broken_.ok()) return broken_;
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
  return WriteAll({asio::buffer(head_)});
}

Status Exchange::Send(int status, Headers headers, std::string_view body) {
  RETURN_IF_ERROR(PrepareHead(status, headers, body.size()));
  finished_ = true;
  if (framing_ != Framing::kContentLength) {
    if (!body.empty() && framing_ == Framing::kNone && !head_request_) must_close_ = true;
    return WriteAll({asio::buffer(head_)});
  }
  written_ = body.size();
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
    int status = over_limit_ ? 413 : malformed_body_ ? 400 : 500;
    if (!threw && status == 500) {
      LOG_WARNING("http handler for " << request_.method << " " << request_.path << " returned without a response");
    }
    std::string body = std::to_string(status) + " " + std::string(ReasonPhrase(status)) + "\n";
    Send(status, Headers{{"Content-Type", "text/plain"}}, body).IgnoreError();
  } else if (!finished_) {
    if (threw) {
      must_close_ = true;  // the body is truncated: only closing tells the client
    } else if (!Finish().ok()) {
      must_close_ = true;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// ServerImpl

Status ServerImpl::Listen() {
  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    return Unsupported("TLS is not implemented by the lakeshift HTTP server yet");
  }
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
    io_threads_.emplace_back([this] { ioc_.run(); });
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
    auto session = std::make_shared<Session>(*this, std::move(socket));
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
  work_.reset();
  ioc_.stop();
  for (std::thread& t : io_threads_) t.join();
  io_threads_.clear();
}

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options, Handler handler) {
  if (!handler) return InvalidArgument("http server needs a handler");
  try {
    auto server = std::make_unique<ServerImpl>(std::move(options), std::move(handler));
    RETURN_IF_ERROR(server->Listen());
    return std::unique_ptr<Server>(std::move(server));
  } catch (const std::exception& e) {
    return Internal(std::string("http server failed to start: ") + e.what());
  }
}

}  // namespace lakeshift::http
