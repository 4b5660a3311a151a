#include "http/server.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <memory>
#include <regex>
#include <set>
#include <thread>

#include "http/server_internal.h"
#include "http/test_util.h"

namespace lakeshift::http {
namespace {

using testing::Notification;
using testing::RawConnection;
using testing::RawResponse;

std::string Get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n" + std::string(extra_headers) + "\r\n";
}

class ServerTest : public ::testing::Test {
 protected:
  // Options under which every request body reaches the handler as it arrives.
  static ServerOptions Streaming() {
    ServerOptions options;
    options.buffered_body_bytes = 0;
    return options;
  }
  void StartServer(Handler handler, ServerOptions options = {}) {
    if (!options.access_log) {
      options.access_log = [this](std::string_view line) {
        std::lock_guard<std::mutex> lock(log_mutex_);
        log_lines_.emplace_back(line);
      };
    }
    auto server = Server::Start(std::move(options), std::move(handler));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
  }
  std::vector<std::string> LogLines() {
    std::lock_guard<std::mutex> lock(log_mutex_);
    return log_lines_;
  }

  void TearDown() override { server_.reset(); }  // before the members its threads use

  std::unique_ptr<Server> server_;
  std::mutex log_mutex_;
  std::vector<std::string> log_lines_;
};

void Hello(Request&, ResponseWriter& w) {
  w.Send(200, {{"Content-Type", "text/plain"}}, "hello").IgnoreError();
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  std::mutex mutex;
  std::set<std::string> remotes;
  StartServer([&](Request& req, ResponseWriter& w) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      remotes.insert(req.remote_address);
      EXPECT_FALSE(req.tls);
    }
    w.Send(200, {}, req.path).IgnoreError();
  });
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.connected());
  for (int i = 0; i < 5; ++i) {
    std::string path = "/r" + std::to_string(i);
    ASSERT_TRUE(conn.Send(Get(path)));
    RawResponse r = conn.ReadResponse();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, path);
    EXPECT_FALSE(r.headers.Has("Connection"));
  }
  // Pipelined: two requests in one write.
  ASSERT_TRUE(conn.Send(Get("/p1") + Get("/p2")));
  EXPECT_EQ(conn.ReadResponse().body, "/p1");
  EXPECT_EQ(conn.ReadResponse().body, "/p2");
  EXPECT_EQ(remotes.size(), 1u);
  EXPECT_EQ(server_->stats().connections_accepted, 1u);
  EXPECT_EQ(server_->stats().requests, 7u);
}

TEST_F(ServerTest, Http10ClosesTheConnection) {
  StartServer(Hello);
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.Send("GET / HTTP/1.0\r\n\r\n"));
  RawResponse r = conn.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.headers.Get("Connection"), "close");
  EXPECT_TRUE(conn.AtEof());
}

TEST_F(ServerTest, ServesHundredsOfConcurrentConnectionsOnTwoIoThreads) {
  constexpr int kConnections = 250;
  std::atomic<int> handled{0};
  ServerOptions options;
  options.io_threads = 2;
  StartServer(
      [&](Request& req, ResponseWriter& w) {
        ++handled;
        w.Send(200, {}, req.path).IgnoreError();
      },
      options);
  std::vector<std::unique_ptr<RawConnection>> conns;
  for (int i = 0; i < kConnections; ++i) {
    conns.push_back(std::make_unique<RawConnection>(server_->port()));
    ASSERT_TRUE(conns.back()->connected());
  }
  // Every connection is open at once; each sends two requests before any response is read.
  for (int i = 0; i < kConnections; ++i) {
    ASSERT_TRUE(conns[i]->Send(Get("/a" + std::to_string(i)) + Get("/b" + std::to_string(i))));
  }
  for (int i = 0; i < kConnections; ++i) {
    EXPECT_EQ(conns[i]->ReadResponse().body, "/a" + std::to_string(i));
    EXPECT_EQ(conns[i]->ReadResponse().body, "/b" + std::to_string(i));
  }
  EXPECT_EQ(handled.load(), 2 * kConnections);
  EXPECT_EQ(server_->stats().connections_accepted, static_cast<uint64_t>(kConnections));
  EXPECT_EQ(server_->stats().connections_open, static_cast<uint64_t>(kConnections));
}

TEST_F(ServerTest, StreamsTheRequestBodyIntoTheHandler) {
  // The handler sees the first part of the body before the client has sent the rest.
  Notification first_part_seen;
  std::string received;
  StartServer(
      [&](Request& req, ResponseWriter& w) {
        char buf[4];
        while (true) {
          auto n = req.body().Read(buf, sizeof(buf));
          ASSERT_TRUE(n.ok()) << n.status();
          if (*n == 0) break;
          received.append(buf, *n);
          if (received == "part1") first_part_seen.Notify();
        }
        w.Send(200, {}, std::to_string(received.size())).IgnoreError();
      },
      Streaming());
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.Send("PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\npart1"));
  first_part_seen.Wait();
  ASSERT_TRUE(conn.Send("part2"));
  RawResponse r = conn.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(received, "part1part2");
  EXPECT_EQ(r.body, "10");
}

TEST_F(ServerTest, DecodesChunkedRequestBodies) {
  StartServer([&](Request& req, ResponseWriter& w) {
    if (req.path == "/c") {
      EXPECT_TRUE(req.chunked);
      EXPECT_FALSE(req.content_length.has_value());
    }
    auto body = req.ReadBodyToString(1024);
    ASSERT_TRUE(body.ok()) << body.status();
    w.Send(200, {}, *body).IgnoreError();
  });
  RawConnection conn(server_->port());
  ASSERT_TRUE(
      conn.Send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                "5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nTrailer: t\r\n\r\n"));
  RawResponse r = conn.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello world");
  ASSERT_TRUE(conn.Send(Get("/next")));  // the connection is still in sync
  EXPECT_EQ(conn.ReadResponse().status, 200);
}

TEST_F(ServerTest, StreamsTheResponseFromTheHandler) {
  // The client reads the first chunk while the handler is still waiting to write the second.
  Notification first_chunk_read;
  StartServer([&](Request&, ResponseWriter& w) {
    ASSERT_TRUE(w.Start(200, {}, std::nullopt).ok());
    ASSERT_TRUE(w.Write("first").ok());
    first_chunk_read.Wait();
    ASSERT_TRUE(w.Write("second").ok());
    ASSERT_TRUE(w.Finish().ok());
  });
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.Send(Get("/s")));
  std::string line;
  ASSERT_TRUE(conn.ReadLine(line));
  EXPECT_EQ(line, "HTTP/1.1 200 OK");
  while (conn.ReadLine(line) && !line.empty()) {
    if (line.starts_with("Transfer-Encoding")) {
      EXPECT_EQ(line, "Transfer-Encoding: chunked");
    }
  }
  ASSERT_TRUE(conn.ReadLine(line));
  EXPECT_EQ(line, "5");
  ASSERT_TRUE(conn.ReadLine(line));
  EXPECT_EQ(line, "first");
  first_chunk_read.Notify();
  ASSERT_TRUE(conn.ReadLine(line));
  EXPECT_EQ(line, "6");
  ASSERT_TRUE(conn.ReadLine(line));
  EXPECT_EQ(line, "second");
  ASSERT_TRUE(conn.ReadLine(line));
  EXPECT_EQ(line, "0");
}

TEST_F(ServerTest, BodyOverTheLimitGets413AndCloses) {
  ServerOptions options;
  options.default_body_limit = 1000;
  StartServer(
      [&](Request& req, ResponseWriter& w) {
        if (req.path == "/big-allowed") req.SetBodyLimit(5000);
        auto body = req.ReadBodyToString(1 << 20);
        if (!body.ok()) {
          EXPECT_EQ(body.status().detail()->http_status, 413);
          return;  // the server answers 413
        }
        w.Send(200, {}, std::to_string(body->size())).IgnoreError();
      },
      options);
  std::string body(3000, 'x');
  {
    RawConnection conn(server_->port());
    ASSERT_TRUE(conn.Send("PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\n" + body));
    RawResponse r = conn.ReadResponse();
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.headers.Get("Connection"), "close");
    EXPECT_TRUE(conn.AtEof());
  }
  {
    RawConnection conn(server_->port());  // chunked: the limit applies to the decoded bytes
    ASSERT_TRUE(conn.Send("PUT /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nBB8\r\n" + body +
                          "\r\n0\r\n\r\n"));
    EXPECT_EQ(conn.ReadResponse().status, 413);
  }
  {
    RawConnection conn(server_->port());
    ASSERT_TRUE(conn.Send("PUT /big-allowed HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\n" + body));
    RawResponse r = conn.ReadResponse();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "3000");
  }
}

// A body that cannot be decoded is the client's error, not a broken connection: the handler's own answer (or
// the server's 400 when it gives none) still goes out, and the connection is closed after it.
TEST_F(ServerTest, MalformedChunkedBodiesAreAnswered400) {
  StartServer([&](Request& req, ResponseWriter& w) {
    auto body = req.ReadBodyToString(1024);
    if (req.path == "/silent") return;
    if (body.ok()) {
      w.Send(200, {}, *body).IgnoreError();
    } else {
      EXPECT_EQ(body.status().code(), StatusCode::kInvalidArgument) << body.status();
      w.Send(400, {}, "handler: " + body.status().message()).IgnoreError();
    }
  });
  for (std::string chunks : {"zz\r\nabc\r\n0\r\n\r\n", "3\r\nabcdef\r\n0\r\n\r\n"}) {
    for (std::string path : {"/answers", "/silent"}) {
      RawConnection conn(server_->port());
      ASSERT_TRUE(conn.Send("POST " + path + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks));
      RawResponse r = conn.ReadResponse();
      EXPECT_EQ(r.status, 400) << path << " " << chunks;
      EXPECT_EQ(r.body.starts_with("handler: malformed request body"), path == "/answers") << r.body;
      EXPECT_EQ(r.headers.Get("Connection"), "close");
    }
  }
}

TEST_F(ServerTest, AnswersExpectContinueWhenTheHandlerReadsTheBody) {
  StartServer([&](Request& req, ResponseWriter& w) {
    if (req.path == "/reject") {
      w.Send(403, {}, "no").IgnoreError();  // never reads: no 100 Continue, connection closed after
      return;
    }
    auto body = req.ReadBodyToString(1024);
    ASSERT_TRUE(body.ok()) << body.status();
    w.Send(201, {}, *body).IgnoreError();
  });
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.Send("PUT /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(conn.ReadResponse().status, 100);  // before any body byte was sent
  ASSERT_TRUE(conn.Send("abcde"));
  RawResponse r = conn.ReadResponse();
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "abcde");

  ASSERT_TRUE(conn.Send("PUT /reject HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  r = conn.ReadResponse();
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.headers.Get("Connection"), "close");
  EXPECT_TRUE(conn.AtEof());
}

TEST_F(ServerTest, HeadResponsesCarryHeadersOnly) {
  StartServer([&](Request& req, ResponseWriter& w) {
    if (req.path == "/stream") {
      ASSERT_TRUE(w.Start(200, {{"X-Kind", "stream"}}, 11).ok());
      ASSERT_TRUE(w.Write("hello world").ok());
      ASSERT_TRUE(w.Finish().ok());
      return;
    }
    w.Send(200, {{"X-Kind", "small"}}, "hello").IgnoreError();
  });
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.Send("HEAD /small HTTP/1.1\r\nHost: x\r\n\r\n"));
  RawResponse r = conn.ReadResponse(/*head=*/true);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("Content-Length"), "5");
  EXPECT_EQ(r.headers.Get("X-Kind"), "small");
  ASSERT_TRUE(conn.Send("HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  r = conn.ReadResponse(/*head=*/true);
  EXPECT_EQ(r.headers.Get("Content-Length"), "11");
  // No body bytes were sent: the next response starts right away.
  ASSERT_TRUE(conn.Send(Get("/small")));
  r = conn.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
}

TEST_F(ServerTest, HandlerThatThrowsOrDoesNotRespondGets500) {
  StartServer([&](Request& req, ResponseWriter& w) {
    if (req.path == "/throw") throw std::runtime_error("boom");
    if (req.path == "/silent") return;
    if (req.path == "/throw-midway") {
      ASSERT_TRUE(w.Start(200, {}, 100).ok());
      ASSERT_TRUE(w.Write("partial").ok());
      throw std::runtime_error("boom midway");
    }
    w.Send(200, {}, "ok").IgnoreError();
  });
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.Send(Get("/throw")));
  EXPECT_EQ(conn.ReadResponse().status, 500);
  ASSERT_TRUE(conn.Send(Get("/silent")));
  EXPECT_EQ(conn.ReadResponse().status, 500);
  ASSERT_TRUE(conn.Send(Get("/fine")));  // the connection survived both
  EXPECT_EQ(conn.ReadResponse().body, "ok");
  ASSERT_TRUE(conn.Send(Get("/throw-midway")));
  RawResponse r = conn.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "partial");  // truncated, and the close tells the client
  EXPECT_TRUE(conn.AtEof());
}

TEST_F(ServerTest, UnreadBodiesAreDrainedWhenSmallAndCloseTheConnectionWhenLarge) {
  StartServer(Hello);
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.Send("PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"));
  RawResponse r = conn.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.headers.Has("Connection"));
  ASSERT_TRUE(conn.Send(Get("/again")));
  EXPECT_EQ(conn.ReadResponse().status, 200);

  ASSERT_TRUE(conn.Send("PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\nsome"));
  r = conn.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("Connection"), "close");
  EXPECT_TRUE(conn.AtEof());
}

TEST_F(ServerTest, OversizedHeadersGet431AndMalformedRequests400) {
  ServerOptions options;
  options.max_header_bytes = 2048;
  StartServer(Hello, options);
  {
    RawConnection conn(server_->port());
    ASSERT_TRUE(conn.Send(Get("/", "X-Big: " + std::string(4096, 'a') + "\r\n")));
    RawResponse r = conn.ReadResponse();
    EXPECT_EQ(r.status, 431);
    EXPECT_TRUE(conn.AtEof());
  }
  {
    RawConnection conn(server_->port());
    ASSERT_TRUE(conn.Send("NOT HTTP AT ALL\r\n\r\n"));
    EXPECT_EQ(conn.ReadResponse().status, 400);
  }
}

TEST_F(ServerTest, IdleConnectionsAreClosedAfterTheIdleTimeout) {
  ServerOptions options;
  options.idle_timeout = std::chrono::milliseconds(100);
  StartServer(Hello, options);
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.Send(Get("/")));
  EXPECT_EQ(conn.ReadResponse().status, 200);
  EXPECT_TRUE(conn.AtEof());  // the server hangs up once the connection has been idle for the timeout
}

TEST_F(ServerTest, GracefulStopLetsAnInFlightRequestFinish) {
  Notification entered, release;
  StartServer([&](Request& req, ResponseWriter& w) {
    if (req.path == "/slow") {
      entered.Notify();
      release.Wait();
    }
    w.Send(200, {}, "finished").IgnoreError();
  });
  uint16_t port = server_->port();
  RawConnection idle(port);
  ASSERT_TRUE(idle.Send(Get("/quick")));
  ASSERT_EQ(idle.ReadResponse().status, 200);  // now an idle keep-alive connection
  RawConnection busy(port);
  ASSERT_TRUE(busy.Send(Get("/slow")));
  entered.Wait();
  std::thread stopper([&] { server_->Stop(std::chrono::seconds(60)); });
  EXPECT_TRUE(idle.AtEof());  // Stop closes idle connections at once: it has begun
  release.Notify();
  RawResponse r = busy.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "finished");
  EXPECT_EQ(r.headers.Get("Connection"), "close");
  EXPECT_TRUE(busy.AtEof());
  stopper.join();
  RawConnection after(port);
  EXPECT_FALSE(after.connected());
}

// Handlers of complete requests may run on a connection thread; blocked ones must still leave the server serving
// every other connection (one connection thread always stays free, the rest go to the workers).
TEST_F(ServerTest, BlockedHandlersDoNotHoldUpOtherConnections) {
  Notification release;
  std::atomic<int> blocked{0};
  StartServer([&](Request& req, ResponseWriter& w) {
    if (req.path == "/block") {
      ++blocked;
      release.Wait();
    }
    w.Send(200, {}, req.path).IgnoreError();
  });
  std::vector<std::unique_ptr<RawConnection>> blockers;
  for (int i = 0; i < 4; ++i) {
    blockers.push_back(std::make_unique<RawConnection>(server_->port()));
    ASSERT_TRUE(blockers.back()->Send(Get("/block")));
  }
  for (int i = 0; i < 200 && blocked.load() < 4; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(blocked.load(), 4);
  for (int i = 0; i < 3; ++i) {
    RawConnection quick(server_->port());
    ASSERT_TRUE(quick.Send(Get("/quick")));
    RawResponse r = quick.ReadResponse();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "/quick");
  }
  release.Notify();
  for (auto& conn : blockers) EXPECT_EQ(conn->ReadResponse().body, "/block");
}

TEST_F(ServerTest, StopClosesRequestsStuckPastTheGrace) {
  Notification entered;
  Status read_status;
  StartServer(
      [&](Request& req, ResponseWriter& w) {
        entered.Notify();
        auto body = req.ReadBodyToString(1 << 20);  // the client never sends the rest
        read_status = body.status();
        w.Send(200, {}, "late").IgnoreError();
      },
      Streaming());
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.Send("PUT /stuck HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabcde"));
  entered.Wait();
  server_->Stop(std::chrono::milliseconds(50));
  EXPECT_EQ(read_status.code(), StatusCode::kUnavailable) << read_status;
  EXPECT_EQ(conn.ReadResponse().status, 0);  // closed without a response
}

TEST_F(ServerTest, SmallBodiesAreReadBeforeTheHandlerRuns) {
  std::atomic<int> calls{0};
  StartServer([&](Request& req, ResponseWriter& w) {
    ++calls;
    auto body = req.ReadBodyToString(1 << 20);
    w.Send(200, {}, body.ok() ? *body : body.status().ToString()).IgnoreError();
  });
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.Send("PUT /small HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\npart1"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls.load(), 0);  // half a body: the handler waits for the rest
  ASSERT_TRUE(conn.Send("part2"));
  RawResponse r = conn.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "part1part2");
  // A body that never completes: Stop gives it the grace, then closes the connection without an answer.
  RawConnection stalled(server_->port());
  ASSERT_TRUE(stalled.Send("PUT /stuck HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabcde"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server_->Stop(std::chrono::milliseconds(50));
  EXPECT_EQ(stalled.ReadResponse().status, 0);
  EXPECT_EQ(calls.load(), 1);
}

// A small response given with Start/Write/Finish is held and written once the handler returns (no round trip to the
// connection's thread per write); a larger one streams while the handler runs.
TEST_F(ServerTest, SmallStreamedResponsesAreWrittenAfterTheHandler) {
  std::atomic<bool> received{false};
  std::atomic<bool> received_during_handler{false};
  StartServer([&](Request& req, ResponseWriter& w) {
    if (req.path == "/next") {
      w.Send(200, {}, "").IgnoreError();
      return;
    }
    const size_t size = req.path == "/small" ? 5 : 128 * 1024;
    w.Start(200, {}, size).IgnoreError();
    w.Write(std::string(size, 'x')).IgnoreError();
    for (int i = 0; i < 100 && !received; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    received_during_handler = received.load();
    w.Finish().IgnoreError();
  });
  for (const char* path : {"/small", "/large"}) {
    received = false;
    RawConnection conn(server_->port());
    ASSERT_TRUE(conn.Send(Get(path)));
    RawResponse r = conn.ReadResponse();
    received = true;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body.size(), std::string(path) == "/small" ? 5u : 128u * 1024);
    conn.Send(Get("/next"));  // the next exchange starts once the handler of this one is done
    conn.ReadResponse();
    EXPECT_EQ(received_during_handler.load(), std::string(path) == "/large") << path;
  }
}

TEST_F(ServerTest, AccessLogLineHasTheRequestAndRedactsSecrets) {
  StartServer([&](Request& req, ResponseWriter& w) {
    auto body = req.ReadBodyToString(1024);
    w.Send(201, {}, "ok").IgnoreError();
  });
  RawConnection conn(server_->port());
  ASSERT_TRUE(
      conn.Send("PUT /fs/file?sig=s3cr3t&op=APPEND&client_secret=cs&code=c0de&token=t0k&x_api_secret=z HTTP/1.1\r\n"
                "Host: x\r\nAuthorization: Bearer topsecret\r\nContent-Length: 3\r\n\r\nabc"));
  ASSERT_EQ(conn.ReadResponse().status, 201);
  // A second exchange on the connection starts only after the first one's log line was written.
  ASSERT_TRUE(conn.Send(Get("/next")));
  ASSERT_EQ(conn.ReadResponse().status, 201);
  std::vector<std::string> lines = LogLines();
  ASSERT_GE(lines.size(), 1u);
  std::regex expected("127\\.0\\.0\\.1:" + std::to_string(conn.local_port()) +
                      " \"PUT /fs/file\\?sig=REDACTED&op=APPEND&client_secret=REDACTED&code=REDACTED&token=REDACTED"
                      "&x_api_secret=REDACTED\" 201 3 2 [0-9]+ms");
  EXPECT_TRUE(std::regex_match(lines[0], expected)) << lines[0];
  for (const std::string& line : lines) {
    EXPECT_EQ(line.find("topsecret"), std::string::npos);
    EXPECT_EQ(line.find("s3cr3t"), std::string::npos);
    EXPECT_EQ(line.find("Authorization"), std::string::npos);
  }
}

TEST_F(ServerTest, RunUntilSignalStopsOnSigterm) {
  const std::string mark = "stopped-on-sigterm-" + std::to_string(::getpid());
  StartServer([&](Request&, ResponseWriter& w) { w.Send(200, {}, mark).IgnoreError(); });
  uint16_t port = server_->port();
  RunUntilSignal(*server_, std::chrono::seconds(5), [] { ::kill(::getpid(), SIGTERM); });
  // Nothing of this server answers any more. (Tests run in parallel: the freed port may already belong to
  // another test's server, so a connection alone proves nothing.)
  RawConnection after(port);
  if (after.connected() && after.Send(Get("/"))) {
    EXPECT_EQ(after.ReadResponse().body.find(mark), std::string::npos);
  }
}

TEST_F(ServerTest, ReportsBoundPortAndRejectsMissingTlsFiles) {
  StartServer(Hello);
  EXPECT_NE(server_->port(), 0);
  EXPECT_EQ(server_->base_url(), "http://127.0.0.1:" + std::to_string(server_->port()));
  ServerOptions tls;
  tls.tls_cert_file = "no-such-cert.pem";
  tls.tls_key_file = "no-such-key.pem";
  auto result = Server::Start(tls, Hello);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("no-such-cert.pem"), std::string::npos) << result.status();
  ServerOptions taken;
  taken.port = server_->port();
  EXPECT_EQ(Server::Start(taken, Hello).status().code(), StatusCode::kUnavailable);
}

TEST(ServerPiecesTest, ResponseHeadFraming) {
  std::string head;
  ASSERT_TRUE(internal::FormatResponseHead(200, {{"X-A", "1"}, {"Content-Length", "99"}}, internal::Framing::kChunked,
                                           std::nullopt, false, true, head)
                  .ok());
  EXPECT_EQ(head, "HTTP/1.1 200 OK\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_TRUE(internal::FormatResponseHead(404, {}, internal::Framing::kContentLength, 3, false, false, head).ok());
  EXPECT_EQ(head, "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nConnection: close\r\n\r\n");
  EXPECT_FALSE(
      internal::FormatResponseHead(200, {{"X-Bad", "a\r\nInjected: 1"}}, internal::Framing::kNone, 0, false, true, head)
          .ok());
  EXPECT_EQ(internal::ChooseFraming(204, false, 11, 5), internal::Framing::kNone);
  EXPECT_EQ(internal::ChooseFraming(200, true, 11, 5), internal::Framing::kNone);
  EXPECT_EQ(internal::ChooseFraming(200, false, 10, std::nullopt), internal::Framing::kClose);
}

TEST(ServerPiecesTest, StringReaderAndWriterForHandlerTests) {
  StringBodyReader reader("payload");
  Request req;
  req.body_ = &reader;
  req.content_length = 7;
  EXPECT_EQ(*req.ReadBodyToString(100), "payload");
  StringResponseWriter w;
  ASSERT_TRUE(w.Send(202, {{"X-A", "b"}}, "done").ok());
  EXPECT_EQ(w.status, 202);
  EXPECT_EQ(w.body, "done");
  EXPECT_EQ(w.headers.Get("Content-Length"), "4");
  EXPECT_TRUE(w.finished);
}

}  // namespace
}  // namespace lakeshift::http
