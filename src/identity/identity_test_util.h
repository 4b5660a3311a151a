#pragma once
// A running identity provider on a real socket, with a few principals, for the provider tests.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "encoding/percent.h"
#include "http/client.h"
#include "http/server.h"
#include "identity/provider.h"

namespace lakeshift::identity::testing {

using nlohmann::json;

inline constexpr char kReaderClient[] = "a0000000-0000-4000-8000-00000000000a";
inline constexpr char kReaderOid[] = "a0000000-0000-4000-8000-0000000000aa";
inline constexpr char kGatewayClient[] = "b0000000-0000-4000-8000-00000000000b";
inline constexpr char kGatewayOid[] = "b0000000-0000-4000-8000-0000000000bb";
inline constexpr char kGroup1[] = "c0000000-0000-4000-8000-0000000000c1";
inline constexpr char kGroup2[] = "c0000000-0000-4000-8000-0000000000c2";

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "identity-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

using Form = std::vector<std::pair<std::string, std::string>>;

class ProviderTest : public ::testing::Test {
 protected:
  ProviderTest() : client_(ClientOptionsNoRetry()) {}

  void SetUp() override { Start(); }
  void TearDown() override { Stop(); }

  static http::ClientOptions ClientOptionsNoRetry() {
    http::ClientOptions options;
    options.retry = http::RetryPolicy::None();
    return options;
  }

  ProviderOptions Options() const {
    ProviderOptions options;
    options.data_dir = dir_.path() + "/identity";
    options.principals = {Principal{kReaderClient, "reader secret+/=&%", kReaderOid, {kGroup1, kGroup2}, false},
                          Principal{kGatewayClient, "gateway-secret", kGatewayOid, {}, false}};
    return options;
  }

  // Opens the provider on the data directory and serves it. `advertised` overrides the public base URL
  // (e.g. an https URL a TLS front would serve).
  void Start(const std::string& advertised = "") {
    auto provider = IdentityProvider::Open(Options());
    ASSERT_TRUE(provider.ok()) << provider.status();
    provider_ = std::move(provider).value();
    http::ServerOptions server_options;
    server_options.access_log = [](std::string_view) {};
    auto server = http::Server::Start(server_options, MakeIdentityHandler(*provider_));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
    provider_->SetPublicBaseUrl(advertised.empty() ? server_->base_url() : advertised);
  }
  void Stop() {
    if (server_) server_->Stop(std::chrono::milliseconds(0));
    server_.reset();
    provider_.reset();
  }

  std::string Url(const std::string& path) const { return server_->base_url() + path; }
  std::string TenantPath(const std::string& rest) const { return "/" + provider_->tenant_id() + rest; }

  http::ClientResponse Post(const std::string& path, const Form& form, http::Headers headers = {}) {
    http::ClientRequest request;
    request.method = "POST";
    request.url = Url(path);
    request.headers = std::move(headers);
    if (!request.headers.Has("Content-Type")) {
      request.headers.Set("Content-Type", "application/x-www-form-urlencoded");
    }
    std::vector<encoding::QueryParam> params;
    for (const auto& [name, value] : form) params.push_back({name, value});
    request.body_string = encoding::BuildQueryString(params);
    auto response = client_.Send(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : http::ClientResponse{};
  }
  http::ClientResponse Get(const std::string& path) {
    http::ClientRequest request;
    request.url = Url(path);
    auto response = client_.Send(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : http::ClientResponse{};
  }
  // Member names in the order they were sent.
  static std::vector<std::string> Keys(const std::string& body) {
    std::vector<std::string> keys;
    nlohmann::ordered_json doc = nlohmann::ordered_json::parse(body);
    for (const auto& [k, v] : doc.items()) keys.push_back(k);
    return keys;
  }
  static json Json(const http::ClientResponse& response) {
    auto doc = json::parse(response.body, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << response.body;
    return doc;
  }

  // Client credentials at the v2.0 (scope) or v1 (resource) endpoint.
  http::ClientResponse ClientCredentials(const std::string& client_id, const std::string& secret,
                                         const std::string& target, bool v1 = false) {
    return Post(TenantPath(v1 ? "/oauth2/token" : "/oauth2/v2.0/token"), {{"grant_type", "client_credentials"},
                                                                          {"client_id", client_id},
                                                                          {"client_secret", secret},
                                                                          {v1 ? "resource" : "scope", target}});
  }
  std::string ReaderToken(const std::string& target, bool v1 = false) {
    auto response = ClientCredentials(kReaderClient, "reader secret+/=&%", target, v1);
    EXPECT_EQ(response.status, 200) << response.body;
    return Json(response).value("access_token", "");
  }

  // Checks Entra's error shape and returns the parsed body.
  json ExpectError(const http::ClientResponse& response, int status, const std::string& error, int code) {
    EXPECT_EQ(response.status, status) << response.body;
    json body = Json(response);
    EXPECT_EQ(body.value("error", ""), error) << response.body;
    EXPECT_EQ(body["error_codes"], json::array({code})) << response.body;
    std::string description = body.value("error_description", "");
    EXPECT_EQ(description.rfind("AADSTS" + std::to_string(code) + ": ", 0), 0u) << description;
    EXPECT_NE(description.find("\r\nTrace ID: " + body.value("trace_id", "?")), std::string::npos) << description;
    EXPECT_NE(description.find("\r\nCorrelation ID: " + body.value("correlation_id", "?")), std::string::npos);
    EXPECT_EQ(body.value("timestamp", "").size(), 20u) << body;  // "2023-05-06 06:03:00Z"
    EXPECT_EQ(response.headers.Get("x-ms-request-id").value_or(""), body.value("trace_id", "?"));
    EXPECT_EQ(body.value("error_uri", ""), provider_->public_base_url() + "/error?code=" + std::to_string(code));
    return body;
  }

  TempDir dir_;
  http::HttpClient client_;
  std::unique_ptr<IdentityProvider> provider_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace lakeshift::identity::testing
