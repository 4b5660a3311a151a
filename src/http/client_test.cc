#include "http/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "http/server.h"
#include "http/test_util.h"

namespace lakeshift::http {
namespace {

using std::chrono::milliseconds;
using testing::Notification;
using testing::Pattern;
using testing::PatternSource;

constexpr uint64_t kGiB = 1024ull * 1024 * 1024;

// A port nothing listens on (bound, then released).
uint16_t FreePort() {
  auto server = Server::Start({}, [](Request&, ResponseWriter&) {});
  uint16_t port = (*server)->port();
  (*server)->Stop(milliseconds(0));
  return port;
}

class ClientTest : public ::testing::Test {
 protected:
  void StartServer(Handler handler, ServerOptions options = {}) {
    options.access_log = [](std::string_view) {};
    auto server = Server::Start(std::move(options), std::move(handler));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
  }
  std::string Url(std::string_view target) const { return server_->base_url() + std::string(target); }

  // A policy that records its sleeps instead of sleeping.
  RetryPolicy RecordingPolicy(int max_retries = 4) {
    RetryPolicy policy;
    policy.max_retries = max_retries;
    policy.sleep = [this](milliseconds d) {
      std::lock_guard<std::mutex> lock(mutex_);
      sleeps_.push_back(d);
    };
    return policy;
  }
  std::vector<milliseconds> Sleeps() {
    std::lock_guard<std::mutex> lock(mutex_);
    return sleeps_;
  }

  void TearDown() override { server_.reset(); }  // before the members its handlers use

  std::unique_ptr<Server> server_;
  std::mutex mutex_;
  std::vector<milliseconds> sleeps_;
};

void Echo(Request& req, ResponseWriter& w) {
  auto body = req.ReadBodyToString(16 << 20);
  if (!body.ok()) return;
  Headers headers{{"X-Method", req.method}, {"X-Target", req.target}};
  if (auto te = req.headers.Get("Transfer-Encoding")) headers.Add("X-TE", *te);
  if (req.content_length) headers.Add("X-Length", std::to_string(*req.content_length));
  w.Send(200, std::move(headers), *body).IgnoreError();
}

TEST_F(ClientTest, SendsMethodsHeadersAndBodies) {
  StartServer(Echo);
  HttpClient client;
  ClientRequest req;
  req.method = "PATCH";
  req.url = Url("/a/b?x=1");
  req.body_string = "data";
  auto r = client.Send(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "data");
  EXPECT_EQ(r->headers.Get("X-Method"), "PATCH");
  EXPECT_EQ(r->headers.Get("X-Target"), "/a/b?x=1");
  EXPECT_EQ(r->headers.Get("X-Length"), "4");

  ClientRequest empty_put{.method = "PUT", .url = Url("/create")};
  r = client.Send(empty_put);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->headers.Get("X-Length"), "0");  // Azure requires Content-Length: 0

  r = client.Send({.method = "GET", .url = Url("/g"), .body_string = "q"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->headers.Get("X-Method"), "GET");
  EXPECT_EQ(r->body, "q");

  ClientRequest head{.method = "HEAD", .url = Url("/h")};
  r = client.Send(head);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "");

  // Unknown length: chunked.
  struct Unsized : StringBodySource {
    Unsized() : StringBodySource("streamed") {}
    std::optional<uint64_t> size() const override { return std::nullopt; }
  } unsized;
  ClientRequest chunked{.method = "POST", .url = Url("/c"), .body = &unsized};
  r = client.Send(chunked);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "streamed");
  EXPECT_EQ(r->headers.Get("X-TE"), "chunked");
}

TEST_F(ClientTest, ReusesOneConnectionForSequentialRequests) {
  StartServer(Echo);
  HttpClient client;
  for (int i = 0; i < 50; ++i) {
    auto r = client.Send({.method = i % 2 ? "GET" : "PUT", .url = Url("/seq"), .body_string = "x"});
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->status, 200);
  }
  EXPECT_EQ(server_->stats().requests, 50u);
  EXPECT_EQ(server_->stats().connections_accepted, 1u);
}

TEST_F(ClientTest, ReusesConnectionsAcrossThreads) {
  StartServer(Echo);
  HttpClient client;
  constexpr int kThreads = 8, kPerThread = 40;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = client.Send({.url = Url("/t" + std::to_string(t))});
        if (r.ok() && r->status == 200) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  // At most one connection per concurrently active thread, not one per request.
  EXPECT_LE(server_->stats().connections_accepted, static_cast<uint64_t>(kThreads));
  // Later requests from a fresh thread reuse the pooled connections too.
  uint64_t before = server_->stats().connections_accepted;
  std::thread([&] { ASSERT_TRUE(client.Send({.url = Url("/late")}).ok()); }).join();
  EXPECT_EQ(server_->stats().connections_accepted, before);
}

TEST_F(ClientTest, StreamsAOneGibUploadWithFlatMemory) {
  ServerOptions options;
  StartServer(
      [](Request& req, ResponseWriter& w) {
        req.SetBodyLimit(2 * kGiB);
        Pattern pattern;
        std::vector<char> buf(256 * 1024), scratch;
        uint64_t total = 0;
        bool intact = true;
        while (true) {
          auto n = req.body().Read(buf.data(), buf.size());
          if (!n.ok()) return;
          if (*n == 0) break;
          intact = intact && pattern.Matches(total, buf.data(), *n, scratch);
          total += *n;
        }
        w.Send(200, {}, std::to_string(total) + (intact ? " intact" : " corrupt")).IgnoreError();
      },
      options);
  HttpClient client;
  long rss_before = testing::ProcStatusKb("VmRSS");
  testing::ResetPeakRss();
  PatternSource source(kGiB);
  auto r = client.Send({.method = "PUT", .url = Url("/upload"), .body = &source});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, std::to_string(kGiB) + " intact");
  long peak_growth_mib = (testing::ProcStatusKb("VmHWM") - rss_before) / 1024;
  RecordProperty("peak_rss_growth_mib", std::to_string(peak_growth_mib));
  EXPECT_LT(peak_growth_mib, 100) << "peak RSS grew by " << peak_growth_mib << " MiB";
}

TEST_F(ClientTest, StreamsAOneGibDownloadWithFlatMemory) {
  StartServer([](Request&, ResponseWriter& w) {
    Pattern pattern;
    std::vector<char> buf(256 * 1024);
    if (!w.Start(200, {}, kGiB).ok()) return;
    for (uint64_t offset = 0; offset < kGiB; offset += buf.size()) {
      pattern.Fill(offset, buf.data(), buf.size());
      if (!w.Write(std::string_view(buf.data(), buf.size())).ok()) return;
    }
    w.Finish().IgnoreError();
  });
  HttpClient client;
  long rss_before = testing::ProcStatusKb("VmRSS");
  testing::ResetPeakRss();
  Pattern pattern;
  std::vector<char> scratch;
  uint64_t received = 0;
  bool intact = true;
  auto r = client.Send({.url = Url("/download")}, [&](std::string_view chunk) {
    intact = intact && pattern.Matches(received, chunk.data(), chunk.size(), scratch);
    received += chunk.size();
    return Status::Ok();
  });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(received, kGiB);
  EXPECT_TRUE(intact);
  long peak_growth_mib = (testing::ProcStatusKb("VmHWM") - rss_before) / 1024;
  RecordProperty("peak_rss_growth_mib", std::to_string(peak_growth_mib));
  EXPECT_LT(peak_growth_mib, 100) << "peak RSS grew by " << peak_growth_mib << " MiB";
}

TEST_F(ClientTest, RetriesA503HonouringRetryAfter) {
  std::atomic<int> calls{0};
  StartServer([&](Request& req, ResponseWriter& w) {
    auto body = req.ReadBodyToString(1024);
    if (calls++ == 0) {
      w.Send(503, {{"Retry-After", "2"}}, "busy, try later").IgnoreError();
    } else {
      w.Send(200, {}, "got " + body.ValueOr("?")).IgnoreError();
    }
  });
  HttpClient client({.retry = RecordingPolicy()});
  std::string sunk;
  auto r = client.Send({.method = "PUT", .url = Url("/r"), .body_string = "payload"}, [&](std::string_view chunk) {
    sunk.append(chunk);
    return Status::Ok();
  });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->attempts, 2);
  EXPECT_EQ(sunk, "got payload");  // the 503 body never reached the sink
  EXPECT_EQ(Sleeps(), std::vector<milliseconds>{milliseconds(2000)});
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(ClientTest, RetriesRefusedConnections) {
  uint16_t port = FreePort();
  std::unique_ptr<Server> late_server;
  RetryPolicy policy = RecordingPolicy();
  policy.jitter = 0;
  policy.sleep = [&](milliseconds d) {
    sleeps_.push_back(d);
    if (sleeps_.size() == 2) {  // the service comes up after the second failure
      ServerOptions options;
      options.port = port;
      late_server = std::move(Server::Start(options, Echo)).value();
    }
  };
  HttpClient client({.retry = policy});
  auto r = client.Send({.url = "http://127.0.0.1:" + std::to_string(port) + "/up"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->attempts, 3);
  EXPECT_EQ(sleeps_, (std::vector<milliseconds>{milliseconds(800), milliseconds(1600)}));
}

TEST_F(ClientTest, GivesUpAfterMaxRetriesOnRefusedConnections) {
  uint16_t port = FreePort();
  HttpClient client({.retry = RecordingPolicy(3)});
  auto r = client.Send({.url = "http://127.0.0.1:" + std::to_string(port) + "/down?sig=secret&op=x"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("/down?sig=REDACTED&op=x"), std::string::npos) << r.status();
  EXPECT_EQ(r.status().message().find("secret"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("after 4 attempts"), std::string::npos) << r.status();
  EXPECT_EQ(Sleeps().size(), 3u);
}

TEST_F(ClientTest, DoesNotRetryClientErrors) {
  std::atomic<int> calls{0};
  StartServer([&](Request& req, ResponseWriter& w) {
    ++calls;
    w.Send(req.path == "/missing" ? 404 : 400, {{"x-ms-error-code", "PathNotFound"}}, "{\"error\":{}}").IgnoreError();
  });
  HttpClient client({.retry = RecordingPolicy()});
  std::string sunk;
  BodySink sink = [&](std::string_view chunk) {
    sunk.append(chunk);
    return Status::Ok();
  };
  for (const char* path : {"/missing", "/bad"}) {
    auto r = client.Send({.url = Url(path)}, sink);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, std::string(path) == "/missing" ? 404 : 400);
    EXPECT_EQ(r->body, "{\"error\":{}}");  // error bodies are returned, not sunk
    EXPECT_EQ(r->attempts, 1);
  }
  EXPECT_TRUE(sunk.empty());
  EXPECT_EQ(calls.load(), 2);
  EXPECT_TRUE(Sleeps().empty());
}

TEST_F(ClientTest, RespectsMaxRetriesAndReturnsTheLastResponse) {
  std::atomic<int> calls{0};
  StartServer([&](Request&, ResponseWriter& w) {
    ++calls;
    w.Send(500, {}, "still broken").IgnoreError();
  });
  HttpClient client({.retry = RecordingPolicy(2)});
  auto r = client.Send({.url = Url("/broken")});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body, "still broken");
  EXPECT_EQ(r->attempts, 3);
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(Sleeps().size(), 2u);

  calls = 0;
  ClientRequest no_retry{.url = Url("/broken"), .retry = RetryPolicy::None()};
  r = client.Send(no_retry);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->attempts, 1);
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(ClientTest, DoesNotRetryANonRewindableUpload) {
  std::atomic<int> calls{0};
  StartServer([&](Request& req, ResponseWriter& w) {
    ++calls;
    req.ReadBodyToString(1 << 20).status().IgnoreError();
    w.Send(503, {}, "busy").IgnoreError();
  });
  HttpClient client({.retry = RecordingPolicy()});
  PatternSource source(64 * 1024, /*rewindable=*/false);
  auto r = client.Send({.method = "PUT", .url = Url("/once"), .body = &source});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->attempts, 1);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_TRUE(Sleeps().empty());

  // A rewindable one is retried from its first byte.
  calls = 0;
  PatternSource rewindable(64 * 1024);
  HttpClient client2({.retry = RecordingPolicy(1)});
  r = client2.Send({.method = "PUT", .url = Url("/twice"), .body = &rewindable});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->attempts, 2);
  EXPECT_EQ(calls.load(), 2);
  EXPECT_GE(rewindable.rewinds(), 1);
}

TEST_F(ClientTest, DoesNotRetryADownloadThatReachedTheSink) {
  std::atomic<int> calls{0};
  StartServer([&](Request&, ResponseWriter& w) {
    ++calls;
    if (!w.Start(200, {}, 1000).ok()) return;
    w.Write(std::string(500, 'a')).IgnoreError();
    throw std::runtime_error("storage failed mid-read");  // the server closes the connection
  });
  HttpClient client({.retry = RecordingPolicy()});
  uint64_t sunk = 0;
  auto r = client.Send({.url = Url("/partial")}, [&](std::string_view chunk) {
    sunk += chunk.size();
    return Status::Ok();
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status();
  EXPECT_EQ(sunk, 500u);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_TRUE(Sleeps().empty());
}

TEST_F(ClientTest, SinkErrorsAbortTheTransfer) {
  StartServer([](Request&, ResponseWriter& w) { w.Send(200, {}, std::string(100000, 'z')).IgnoreError(); });
  HttpClient client({.retry = RecordingPolicy()});
  auto r = client.Send({.url = Url("/x")}, [](std::string_view) { return IoError("disk full"); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIoError);
  EXPECT_TRUE(Sleeps().empty());
}

TEST_F(ClientTest, TimeoutProducesKTimeout) {
  Notification release;
  StartServer([&](Request&, ResponseWriter& w) {
    release.Wait();
    w.Send(200, {}, "too late").IgnoreError();
  });
  HttpClient client({.retry = RetryPolicy::None()});
  auto r = client.Send({.url = Url("/slow?token=abc"), .timeout = milliseconds(200)});
  release.Notify();
  server_.reset();  // the handler uses `release`
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout) << r.status();
  EXPECT_NE(r.status().message().find("/slow?token=REDACTED"), std::string::npos) << r.status();
}

TEST_F(ClientTest, RejectsBadUrls) {
  HttpClient client;
  auto r = client.Send({.url = "not a url"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ClientTest, FileRangeBodySourceUploadsARange) {
  StartServer(Echo);
  std::string path = ::testing::TempDir() + "/http_client_test_range_" + std::to_string(::getpid());
  {
    std::ofstream out(path, std::ios::binary);
    out << "0123456789abcdef";
  }
  auto source = FileRangeBodySource::Open(path, 4, 6);
  ASSERT_TRUE(source.ok()) << source.status();
  HttpClient client;
  auto r = client.Send({.method = "PUT", .url = Url("/f"), .body = source->get()});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "456789");
  EXPECT_FALSE(FileRangeBodySource::Open(path, 10, 100).ok());
  std::remove(path.c_str());
}

TEST_F(ClientTest, OnlyLargeUploadsWaitForContinue) {
  // curl 7.88 asks for 100-continue on every PUT-style upload; a small one would pay a round trip for nothing.
  std::mutex mu;
  std::vector<std::string> expects;
  StartServer([&](Request& req, ResponseWriter& w) {
    auto body = req.ReadBodyToString(16 << 20);
    {
      std::lock_guard<std::mutex> lock(mu);
      expects.push_back(req.headers.Get("Expect").value_or("none"));
    }
    w.Send(body.ok() ? 201 : 413, {}, "").IgnoreError();
  });
  HttpClient client;
  ASSERT_EQ(client.Send({.method = "PUT", .url = Url("/small"), .body_string = "small"})->status, 201);
  ASSERT_EQ(client.Send({.method = "PATCH", .url = Url("/small"), .body_string = std::string(64 << 10, 'p')})->status,
            201);
  ASSERT_EQ(client.Send({.method = "PUT", .url = Url("/large"), .body_string = std::string(4 << 20, 'p')})->status,
            201);
  // A body of unknown size (chunked) may be large: the server gets the chance to refuse it first.
  class UnknownSize final : public BodySource {
   public:
    std::optional<uint64_t> size() const override { return std::nullopt; }
    Result<size_t> Read(char* buf, size_t n) override {
      if (sent_ || n == 0) return size_t{0};
      sent_ = true;
      buf[0] = 'u';
      return size_t{1};
    }
    bool Rewind() override {
      sent_ = false;
      return true;
    }

   private:
    bool sent_ = false;
  } unknown;
  ASSERT_EQ(client.Send({.method = "PUT", .url = Url("/unknown"), .body = &unknown})->status, 201);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(expects, (std::vector<std::string>{"none", "none", "none", "100-continue"}));
}

// Measures what "Expect: 100-continue" costs against our server (run with --gtest_also_run_disabled_tests).
TEST_F(ClientTest, DISABLED_ExpectContinueCost) {
  StartServer([](Request& req, ResponseWriter& w) {
    auto body = req.ReadBodyToString(16 << 20);
    w.Send(body.ok() ? 201 : 413, {}, "").IgnoreError();
  });
  {
    HttpClient client;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(client.Send({.url = Url("/g")})->status, 201);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    std::printf("GET round trip: %.0f us/request\n", static_cast<double>(us.count()) / 1000);
  }
  for (size_t size : {size_t{2} << 20, size_t{64} << 10}) {
    std::string payload(size, 'p');
    for (bool expect : {true, false}) {
      HttpClient client({.expect_continue = expect});
      auto start = std::chrono::steady_clock::now();
      constexpr int kRequests = 200;
      for (int i = 0; i < kRequests; ++i) {
        ASSERT_EQ(client.Send({.method = "PUT", .url = Url("/e"), .body_string = payload})->status, 201);
      }
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
      std::printf("%zu-byte uploads, expect_continue=%d: %.0f us/request\n", size, expect,
                  static_cast<double>(us.count()) / kRequests);
    }
  }
}

}  // namespace
}  // namespace lakeshift::http
