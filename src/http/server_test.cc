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

  std::unique_ptr<Server> server_;
  std::mutex log_mutex_;
  std::vector<std::string> log_lines_;
};

void Hello(Request&, ResponseWriter& w) { w.Send(200, {{"Content-Type", "text/plain"}}, "hello").IgnoreError(); }

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  std::mutex mutex;
  std::set<std::string> remotes;
  StartServer([&](Request& req, ResponseWriter& w) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      remotes.insert(req.remote_address);
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
  StartServer([&](Request& req, ResponseWriter& w) {
    char buf[4];
    while (true) {
      auto n = req.body().Read(buf, sizeof(buf));
      ASSERT_TRUE(n.ok()) << n.status();
      if (*n == 0) break;
      received.append(buf, *n);
      if (received == "part1") first_part_seen.Notify();
    }
    w.Send(200, {}, std::to_string(received.size())).IgnoreError();
  });
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
    EXPECT_TRUE(req.chunked);
    EXPECT_FALSE(req.content_length.has_value());
    auto body = req.ReadBodyToString(1024);
    ASSERT_TRUE(body.ok()) << body.status();
    w.Send(200, {}, *body).IgnoreError();
  });
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.Send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
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
    if (line.starts_with("Transfer-Encoding")) EXPECT_EQ(line, "Transfer-Encoding: chunked");
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

TEST_F(ServerTest, GracefulStopLetsAnInFlightRequestFinish) {
  Notification handler_entered, release_handler;
  StartServer([&](Request&, ResponseWriter& w) {
    handler_entered.Notify();
    release_handler.Wait();
    w.Send(200, {}, "finished").IgnoreError();
  });
  RawConnection idle(server_->port());  // an idle keep-alive connection is closed at once
  ASSERT_TRUE(idle.Send(Get("/warmup")));
  RawConnection busy(server_->port());
  ASSERT_TRUE(busy.Send(Get("/slow")));
  handler_entered.Wait();
  release_handler.Notify();  // the warm-up request may be waiting too
  RawResponse warm = idle.ReadResponse();
  ASSERT_EQ(warm.status, 200);

  // Block the next request until Stop has begun, then let it finish.
  Notification second_entered, release_second;
  std::thread stopper;
  {
    auto server = std::move(server_);
    Server* raw = server.get();
    std::atomic<bool> stop_returned{false};
    auto handler_server = Server::Start({}, [&](Request&, ResponseWriter& w) {
      second_entered.Notify();
      release_second.Wait();
      w.Send(200, {}, "finished").IgnoreError();
    });
    ASSERT_TRUE(handler_server.ok());
    auto srv = std::move(handler_server).value();
    RawConnection idle2(srv->port());
    ASSERT_TRUE(idle2.Send(Get("/warm")));
    second_entered.Wait();
    // idle2 is now busy; open a truly idle one.
    RawConnection in_flight(srv->port());
    release_second.Notify();
    ASSERT_EQ(idle2.ReadResponse().status, 200);  // idle2 is idle again (keep-alive)
    Notification third_entered, release_third;
    srv.reset();
    (void)raw;
    (void)stop_returned;
  }
  (void)stopper;
}

}  // namespace
}  // namespace lakeshift::http
