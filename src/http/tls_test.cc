// HTTPS: the server over TLS with the libcurl client, a raw OpenSSL client and Python's ssl module, and
// GenerateSelfSignedCert.

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "http/client.h"
#include "http/self_signed_cert.h"
#include "http/server.h"
#include "http/test_util.h"

namespace lakeshift::http {
namespace {

using std::chrono::milliseconds;
using testing::Notification;
using testing::Pattern;
using testing::PatternSource;
using testing::RawConnection;
using testing::RawResponse;

constexpr uint64_t kMiB = 1024 * 1024;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// RawConnection over TLS (OpenSSL directly), trusting ca_file; no host name check (curl and Python do that).
class TlsConnection : public RawConnection {
 public:
  TlsConnection(uint16_t port, const std::string& ca_file) : RawConnection(port) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd());
    handshake_ok_ = connected() && SSL_connect(ssl_) == 1;
  }
  ~TlsConnection() override {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  bool handshake_ok() const { return handshake_ok_; }
  // The server ended the connection with a TLS close_notify (not just a TCP close).
  bool got_close_notify() const { return last_error_ == SSL_ERROR_ZERO_RETURN; }

 protected:
  ssize_t RawRead(char* buf, size_t n) override {
    int r = SSL_read(ssl_, buf, static_cast<int>(n));
    if (r <= 0) last_error_ = SSL_get_error(ssl_, r);
    ERR_clear_error();
    return r;
  }
  ssize_t RawWrite(const char* data, size_t n) override {
    int r = SSL_write(ssl_, data, static_cast<int>(n));
    ERR_clear_error();
    return r;
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool handshake_ok_ = false;
  int last_error_ = SSL_ERROR_NONE;
};

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(::testing::TempDir() + "/http_tls_test_" + std::to_string(::getpid()));
    auto cert = GenerateSelfSignedCert({"localhost", "127.0.0.1", "::1", "*.blob.localhost"}, *dir_ + "/good");
    ASSERT_TRUE(cert.ok()) << cert.status();
    cert_ = new SelfSignedCert(*cert);
    // A second identity that names another host only.
    auto other = GenerateSelfSignedCert({"other.localhost"}, *dir_ + "/other");
    ASSERT_TRUE(other.ok()) << other.status();
    other_ = new SelfSignedCert(*other);
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    std::filesystem::remove_all(*dir_, ec);
    delete cert_;
    delete other_;
    delete dir_;
  }

  void SetUp() override { ASSERT_NE(cert_, nullptr) << "the test certificates could not be generated"; }

  void StartServer(Handler handler, ServerOptions options = {}, const SelfSignedCert* cert = nullptr) {
    if (cert == nullptr) cert = cert_;
    options.tls_cert_file = cert->cert_file;
    options.tls_key_file = cert->key_file;
    options.access_log = [](std::string_view) {};
    auto server = Server::Start(std::move(options), std::move(handler));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
  }
  std::string Url(std::string_view target) const { return server_->base_url() + std::string(target); }
  static ClientOptions Trusting(const SelfSignedCert& cert) {
    ClientOptions options;
    options.ca_file = cert.cert_file;
    options.retry = RetryPolicy::None();
    return options;
  }

  void TearDown() override { server_.reset(); }  // before the members its handlers use

  static std::string* dir_;
  static SelfSignedCert* cert_;
  static SelfSignedCert* other_;
  std::unique_ptr<Server> server_;
};

std::string* TlsTest::dir_ = nullptr;
SelfSignedCert* TlsTest::cert_ = nullptr;
SelfSignedCert* TlsTest::other_ = nullptr;

void Echo(Request& req, ResponseWriter& w) {
  auto body = req.ReadBodyToString(1 << 20);
  if (!body.ok()) return;
  Headers headers{{"X-Method", req.method}, {"X-Tls", req.tls ? "yes" : "no"}};
  if (req.path == "/close") headers.Add("Connection", "close");
  w.Send(200, std::move(headers), req.path + ":" + *body).IgnoreError();
}

TEST_F(TlsTest, GeneratedCertificateHasTheNamesAndAPrivateKey) {
  EXPECT_EQ(cert_->cert_file, *dir_ + "/good/cert.pem");
  EXPECT_EQ(ReadFile(cert_->cert_file), cert_->cert_pem);
  EXPECT_NE(cert_->cert_pem.find("-----BEGIN CERTIFICATE-----"), std::string::npos);
  EXPECT_NE(ReadFile(cert_->key_file).find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(cert_->key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(cert_->sha256_fingerprint.size(), 32u * 3 - 1);

  BIO* bio = BIO_new_mem_buf(cert_->cert_pem.data(), static_cast<int>(cert_->cert_pem.size()));
  X509* x509 = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(x509, nullptr);
  EXPECT_EQ(X509_check_host(x509, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(x509, "acct.blob.localhost", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_host(x509, "acct.dfs.localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(x509, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(x509, "::1", 0), 1);
  EXPECT_NE(X509_check_ip_asc(x509, "10.0.0.1", 0), 1);
  // Valid now and for about a year.
  int days = 0, seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(x509)), 1);
  EXPECT_GE(days, 364);
  EXPECT_LE(days, 366);
  EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(x509)), 0);
  X509_free(x509);

  EXPECT_EQ(GenerateSelfSignedCert({"bad name"}, *dir_ + "/bad").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(GenerateSelfSignedCert({"a,DNS:evil"}, *dir_ + "/bad").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(TlsTest, ServesHttpsWithKeepAliveAndResumesTlsSessions) {
  StartServer(Echo);
  EXPECT_EQ(server_->base_url(), "https://127.0.0.1:" + std::to_string(server_->port()));
  HttpClient client(Trusting(*cert_));
  for (int i = 0; i < 20; ++i) {
    auto r = client.Send({.method = i % 2 ? "GET" : "PUT", .url = Url("/k" + std::to_string(i)), .body_string = "b"});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "/k" + std::to_string(i) + ":b");
    EXPECT_EQ(r->headers.Get("X-Tls"), "yes");
  }
  ServerStats stats = server_->stats();
  EXPECT_EQ(stats.requests, 20u);
  EXPECT_EQ(stats.connections_accepted, 1u);  // one connection, one handshake for all of them
  EXPECT_EQ(stats.tls_handshakes, 1u);
  EXPECT_EQ(stats.tls_sessions_resumed, 0u);

  // The server closes the connection; the next one resumes the TLS session (curl's shared session cache).
  ASSERT_TRUE(client.Send({.url = Url("/close")}).ok());
  auto r = client.Send({.url = Url("/after")});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "/after:");
  stats = server_->stats();
  EXPECT_EQ(stats.connections_accepted, 2u);
  EXPECT_EQ(stats.tls_handshakes, 2u);
  EXPECT_EQ(stats.tls_sessions_resumed, 1u);

  // Concurrent requests from several threads share a few pooled TLS connections.
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto res = client.Send({.url = Url("/t")});
        if (res.ok() && res->status == 200) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 100);
  EXPECT_LE(server_->stats().connections_accepted, 2u + 4u);
}

TEST_F(TlsTest, RawTlsClientKeepsTheConnectionAndTheServerSpeaksNoPlainHttp) {
  ServerOptions options;
  options.tls_handshake_timeout = milliseconds(200);
  StartServer(Echo, options);
  {
    TlsConnection conn(server_->port(), cert_->cert_file);
    ASSERT_TRUE(conn.handshake_ok());
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(conn.Send("GET /raw HTTP/1.1\r\nHost: localhost\r\n\r\n"));
      RawResponse r = conn.ReadResponse();
      EXPECT_EQ(r.status, 200);
      EXPECT_EQ(r.body, "/raw:");
    }
    // Connection: close ends with a close_notify after the response.
    ASSERT_TRUE(conn.Send("GET /bye HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
    EXPECT_EQ(conn.ReadResponse().status, 200);
    EXPECT_TRUE(conn.AtEof());
    EXPECT_TRUE(conn.got_close_notify());
  }
  {
    RawConnection plain(server_->port());  // plain HTTP on the TLS port: dropped, nothing answered
    ASSERT_TRUE(plain.Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    EXPECT_EQ(plain.ReadResponse().status, 0);
  }
  {
    RawConnection silent(server_->port());  // never starts the handshake: dropped after the timeout
    auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(silent.AtEof());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  }
  EXPECT_EQ(server_->stats().tls_handshakes, 1u);
  EXPECT_EQ(server_->stats().requests, 4u);
}

TEST_F(TlsTest, StreamsLargeBodiesBothWaysWithFlatMemory) {
  static constexpr uint64_t kSize = 256 * kMiB;
  StartServer([](Request& req, ResponseWriter& w) {
    Pattern pattern;
    std::vector<char> buf(256 * 1024), scratch;
    if (req.method == "PUT") {
      req.SetBodyLimit(kSize);
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
      return;
    }
    if (!w.Start(200, {}, kSize).ok()) return;
    for (uint64_t offset = 0; offset < kSize; offset += buf.size()) {
      pattern.Fill(offset, buf.data(), buf.size());
      if (!w.Write(std::string_view(buf.data(), buf.size())).ok()) return;
    }
    w.Finish().IgnoreError();
  });
  HttpClient client(Trusting(*cert_));
  long rss_before = testing::ProcStatusKb("VmRSS");
  testing::ResetPeakRss();

  PatternSource source(kSize);
  auto up = client.Send({.method = "PUT", .url = Url("/upload"), .body = &source});
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(up->status, 200);
  EXPECT_EQ(up->body, std::to_string(kSize) + " intact");

  Pattern pattern;
  std::vector<char> scratch;
  uint64_t received = 0;
  bool intact = true;
  auto down = client.Send({.url = Url("/download")}, [&](std::string_view chunk) {
    intact = intact && pattern.Matches(received, chunk.data(), chunk.size(), scratch);
    received += chunk.size();
    return Status::Ok();
  });
  ASSERT_TRUE(down.ok()) << down.status();
  EXPECT_EQ(down->status, 200);
  EXPECT_EQ(received, kSize);
  EXPECT_TRUE(intact);
  EXPECT_EQ(server_->stats().connections_accepted, 1u);

  long peak_growth_mib = (testing::ProcStatusKb("VmHWM") - rss_before) / 1024;
  RecordProperty("peak_rss_growth_mib", std::to_string(peak_growth_mib));
#if defined(__SANITIZE_ADDRESS__)
  // Under ASan, freed blocks wait in a quarantine of up to 256 MiB, and OpenSSL frees and allocates a record
  // buffer per 16 KiB record, so RSS measures the quarantine, not buffering. The release build checks this.
  (void)peak_growth_mib;
#else
  EXPECT_LT(peak_growth_mib, 64) << "peak RSS grew by " << peak_growth_mib << " MiB";
#endif
}

TEST_F(TlsTest, ClientRejectsAnUntrustedCertificateAndAcceptsItWithCaFile) {
  StartServer(Echo);
  {
    ClientOptions options;  // the system CA store does not know our certificate
    options.retry = RetryPolicy::None();
    HttpClient client(options);
    auto r = client.Send({.url = Url("/x")});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status();
    EXPECT_NE(r.status().message().find("SSL certificate problem"), std::string::npos) << r.status();
  }
  {
    HttpClient client(Trusting(*other_));  // trusts another certificate only
    auto r = client.Send({.url = Url("/x")});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status();
    EXPECT_NE(r.status().message().find("certificate"), std::string::npos) << r.status();
  }
  {
    HttpClient client(Trusting(*cert_));
    auto r = client.Send({.url = Url("/x")});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->body, "/x:");
  }
  {
    ClientOptions options;
    options.verify_tls = false;
    HttpClient client(options);
    auto r = client.Send({.url = Url("/insecure")});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->body, "/insecure:");
  }
  {
    ClientOptions options = Trusting(*cert_);
    options.ca_file = *dir_ + "/missing-ca.pem";
    HttpClient client(options);
    auto r = client.Send({.url = Url("/x")});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status();
  }
  EXPECT_EQ(server_->stats().requests, 2u);
}

TEST_F(TlsTest, ClientChecksTheHostNameAgainstTheCertificate) {
  StartServer(Echo, {}, other_);  // a trusted certificate, but for other.localhost, not 127.0.0.1
  HttpClient client(Trusting(*other_));
  auto r = client.Send({.url = Url("/x")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status();
  EXPECT_NE(r.status().message().find("127.0.0.1"), std::string::npos) << r.status();
}

TEST_F(TlsTest, BadCertificateOrKeyFilesAreInvalidArgument) {
  auto start = [](std::string cert, std::string key) {
    ServerOptions options;
    options.tls_cert_file = std::move(cert);
    options.tls_key_file = std::move(key);
    return Server::Start(std::move(options), Echo).status();
  };
  std::string missing = *dir_ + "/no-such-cert.pem";
  Status s = start(missing, cert_->key_file);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find(missing), std::string::npos) << s;
  EXPECT_NE(s.message().find("No such file"), std::string::npos) << s;

  std::string garbage = *dir_ + "/garbage.pem";
  WriteFile(garbage, "this is not PEM\n");
  s = start(garbage, cert_->key_file);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("certificate file " + garbage), std::string::npos) << s;
  EXPECT_NE(s.message().find("no start line"), std::string::npos) << s;  // OpenSSL's reason

  s = start(cert_->cert_file, garbage);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("key file " + garbage), std::string::npos) << s;

  s = start(cert_->cert_file, other_->key_file);  // a key that belongs to another certificate
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find(other_->key_file), std::string::npos) << s;
  EXPECT_NE(s.message().find("mismatch"), std::string::npos) << s;

  s = start(cert_->cert_file, "");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;

  // Certificate and key in one file work too.
  std::string combined = *dir_ + "/combined.pem";
  WriteFile(combined, ReadFile(cert_->key_file) + cert_->cert_pem);
  ServerOptions options;
  options.tls_cert_file = combined;
  options.tls_key_file = combined;
  auto server = Server::Start(options, Echo);
  ASSERT_TRUE(server.ok()) << server.status();
}

TEST_F(TlsTest, GracefulStopLetsAnInFlightTlsRequestFinish) {
  Notification entered, release;
  StartServer([&](Request& req, ResponseWriter& w) {
    if (req.path == "/slow") {
      entered.Notify();
      release.Wait();
    }
    w.Send(200, {}, "finished").IgnoreError();
  });
  uint16_t port = server_->port();
  TlsConnection idle(port, cert_->cert_file);
  ASSERT_TRUE(idle.handshake_ok());
  ASSERT_TRUE(idle.Send("GET /quick HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  ASSERT_EQ(idle.ReadResponse().status, 200);  // now an idle keep-alive connection

  HttpClient client(Trusting(*cert_));
  Result<ClientResponse> slow = Internal("not sent");
  std::thread requester([&] { slow = client.Send({.url = Url("/slow")}); });
  entered.Wait();
  std::thread stopper([&] { server_->Stop(std::chrono::seconds(60)); });
  EXPECT_TRUE(idle.AtEof());  // Stop closes idle connections at once, with a close_notify
  EXPECT_TRUE(idle.got_close_notify());
  release.Notify();
  requester.join();
  ASSERT_TRUE(slow.ok()) << slow.status();
  EXPECT_EQ(slow->status, 200);
  EXPECT_EQ(slow->body, "finished");
  EXPECT_EQ(slow->headers.Get("Connection"), "close");
  stopper.join();
  RawConnection after(port);
  EXPECT_FALSE(after.connected());
}

TEST_F(TlsTest, StopClosesTlsRequestsStuckPastTheGrace) {
  Notification entered;
  Status read_status;
  StartServer(
      [&](Request& req, ResponseWriter& w) {
        entered.Notify();
        read_status = req.ReadBodyToString(1 << 20).status();  // the client never sends the rest
        w.Send(200, {}, "late").IgnoreError();
      },
      [] {
        ServerOptions streaming;
        streaming.buffered_body_bytes = 0;  // the handler runs before the body is complete
        return streaming;
      }());
  TlsConnection conn(server_->port(), cert_->cert_file);
  ASSERT_TRUE(conn.handshake_ok());
  ASSERT_TRUE(conn.Send("PUT /stuck HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabcde"));
  entered.Wait();
  server_->Stop(milliseconds(50));
  EXPECT_EQ(read_status.code(), StatusCode::kUnavailable) << read_status;
  EXPECT_EQ(conn.ReadResponse().status, 0);
}

// Runs a command; its exit status and stdout.
std::pair<int, std::string> RunCommand(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof(buf), pipe)) out.append(buf, n);
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST_F(TlsTest, PythonStdlibClientCompletesARequest) {
  constexpr const char* kPython = "/usr/bin/python3";
  if (::access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " is not installed";
  StartServer(Echo);
  // argv: cafile (or "-" for the default store), url. Prints "<status> <body>"; exits 3 on a TLS failure.
  std::string script =
      "import ssl, sys, urllib.request, urllib.error\n"
      "ctx = ssl.create_default_context(cafile=None if sys.argv[1] == '-' else sys.argv[1])\n"
      "req = urllib.request.Request(sys.argv[2], data=b'from python', method='PUT')\n"
      "try:\n"
      "    with urllib.request.urlopen(req, context=ctx, timeout=20) as r:\n"
      "        print(r.status, r.read().decode())\n"
      "except urllib.error.URLError as e:\n"
      "    print(e.reason)\n"
      "    sys.exit(3)\n";
  auto run = [&](const std::string& cafile, const std::string& url) {
    return RunCommand(std::string(kPython) + " -c \"" + script + "\" '" + cafile + "' '" + url + "' 2>&1");
  };
  auto [code, out] = run(cert_->cert_file, Url("/py"));
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "200 /py:from python\n");
  // By host name, too (the certificate names localhost).
  std::tie(code, out) = run(cert_->cert_file, "https://localhost:" + std::to_string(server_->port()) + "/name");
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "200 /name:from python\n");
  std::tie(code, out) = run("-", Url("/untrusted"));
  EXPECT_EQ(code, 3) << out;
  EXPECT_NE(out.find("CERTIFICATE_VERIFY_FAILED"), std::string::npos) << out;
  EXPECT_EQ(server_->stats().requests, 2u);
}

// Measures TLS (and, for comparison, plain) download and upload throughput of 1 GiB on loopback
// (run with --gtest_also_run_disabled_tests --gtest_filter='*Throughput*').
TEST_F(TlsTest, DISABLED_Throughput) {
  static constexpr uint64_t kSize = 1024 * kMiB;
  Handler handler = [](Request& req, ResponseWriter& w) {
    std::vector<char> buf(256 * 1024, 'x');
    if (req.method == "PUT") {
      req.SetBodyLimit(kSize);
      uint64_t total = 0;
      while (true) {
        auto n = req.body().Read(buf.data(), buf.size());
        if (!n.ok() || *n == 0) break;
        total += *n;
      }
      w.Send(200, {}, std::to_string(total)).IgnoreError();
      return;
    }
    if (!w.Start(200, {}, kSize).ok()) return;
    for (uint64_t offset = 0; offset < kSize; offset += buf.size()) {
      if (!w.Write(std::string_view(buf.data(), buf.size())).ok()) return;
    }
    w.Finish().IgnoreError();
  };
  for (bool tls : {true, false}) {
    ServerOptions options;
    options.access_log = [](std::string_view) {};
    if (tls) {
      options.tls_cert_file = cert_->cert_file;
      options.tls_key_file = cert_->key_file;
    }
    auto server = Server::Start(options, handler);
    ASSERT_TRUE(server.ok()) << server.status();
    HttpClient client(Trusting(*cert_));
    std::string url = (*server)->base_url() + "/t";
    ASSERT_TRUE(client.Send({.url = url + "?warmup"}, [](std::string_view) { return Status::Ok(); }).ok());
    uint64_t received = 0;
    auto start = std::chrono::steady_clock::now();
    auto r = client.Send({.url = url}, [&](std::string_view chunk) {
      received += chunk.size();
      return Status::Ok();
    });
    double down_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(received, kSize);
    PatternSource source(kSize);
    start = std::chrono::steady_clock::now();
    r = client.Send({.method = "PUT", .url = url, .body = &source});
    double up_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(r.ok()) << r.status();
    std::printf("%s 1 GiB download: %.0f MiB/s (%.2f s); upload: %.0f MiB/s (%.2f s)\n", tls ? "HTTPS" : "HTTP ",
                1024 / down_s, down_s, 1024 / up_s, up_s);
  }
}

}  // namespace
}  // namespace lakeshift::http
