// On-behalf-of over real sockets (the Gen1-compat gateway's exchange and the standard middle-tier flow), and
// MSAL for Python against the provider when Debian's python3-msal is installed.

#include <stdio.h>

#include "encoding/base64.h"
#include "encoding/time_format.h"
#include "identity/identity_test_util.h"

namespace lakeshift::identity::testing {
namespace {

class OboTest : public ProviderTest {
 protected:
  http::ClientResponse Exchange(const std::string& assertion, const std::string& target, bool v1 = false,
                                const std::string& secret = "gateway-secret") {
    return Post(TenantPath(v1 ? "/oauth2/token" : "/oauth2/v2.0/token"), {{"grant_type", std::string(kGrantJwtBearer)},
                                                                          {"client_id", kGatewayClient},
                                                                          {"client_secret", secret},
                                                                          {"assertion", assertion},
                                                                          {"requested_token_use", "on_behalf_of"},
                                                                          {v1 ? "resource" : "scope", target}});
  }
  // A token signed with the provider's key but with claims of the test's choosing.
  std::string Forge(const json& claims) {
    auto token = SignJwt(provider_->signing_key(), claims.dump());
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? *token : "";
  }
  json Gen1Claims() {
    int64_t now = encoding::NowEpochMillis() / 1000;
    return {{"aud", "https://datalake.azure.net/"},
            {"iss", provider_->IssuerV1()},
            {"iat", now},
            {"nbf", now},
            {"exp", now + 600},
            {"appid", kReaderClient},
            {"oid", kReaderOid},
            {"tid", provider_->tenant_id()},
            {"ver", "1.0"}};
  }
};

TEST_F(OboTest, GatewayExchangesAGen1TokenForAGen2Token) {
  std::string gen1 = ReaderToken("https://datalake.azure.net/", true);
  auto response = Exchange(gen1, "https://storage.azure.com/.default offline_access openid profile");
  ASSERT_EQ(response.status, 200) << response.body;
  json body = Json(response);
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_EQ(body["scope"], "https://storage.azure.com/user_impersonation");
  EXPECT_EQ(body["expires_in"], 3599);

  auto claims = provider_->VerifyAccessToken(body["access_token"].get<std::string>(), kStorageAudience);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->aud, std::vector<std::string>{"https://storage.azure.com"});  // the audience changed ...
  EXPECT_EQ(claims->oid, kReaderOid);                                             // ... the caller did not
  EXPECT_EQ(claims->sub, kReaderOid);
  EXPECT_EQ(claims->groups, (std::vector<std::string>{kGroup1, kGroup2}));
  EXPECT_EQ(claims->appid, kGatewayClient);  // the client is the gateway, as Entra records the middle tier
  EXPECT_EQ(claims->scp, "user_impersonation");
  EXPECT_TRUE(claims->idtyp.empty());  // a delegated token, not an app-only one
  EXPECT_EQ(claims->version, "1.0");
  json payload = json::parse(claims->raw_payload);
  EXPECT_EQ(payload["appid"], kGatewayClient);
  EXPECT_FALSE(payload.contains("azp"));
  // The Gen1 token itself stays a Gen1 token.
  EXPECT_FALSE(provider_->VerifyAccessToken(gen1, kStorageAudience).ok());

  // The v1 endpoint, with resource=, answers the v1 shape.
  auto v1 = Exchange(gen1, "https://storage.azure.com/", true);
  ASSERT_EQ(v1.status, 200) << v1.body;
  json v1_body = Json(v1);
  EXPECT_EQ(v1_body["scope"], "user_impersonation");
  EXPECT_EQ(v1_body["resource"], "https://storage.azure.com/");
  EXPECT_EQ(v1_body["expires_in"], "3599");
  EXPECT_TRUE(provider_->VerifyAccessToken(v1_body["access_token"].get<std::string>(), kStorageAudience).ok());
}

TEST_F(OboTest, StandardMiddleTierFlowWithV2Tokens) {
  // The caller asks for a token for the gateway's app, as a real client of a middle tier does.
  std::string for_gateway = ReaderToken("api://" + std::string(kGatewayClient) + "/.default");
  auto first = provider_->VerifyAccessToken(for_gateway, kGatewayClient);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->version, "2.0");  // an app registration's token from the v2.0 endpoint
  EXPECT_EQ(first->iss, provider_->IssuerV2());
  EXPECT_EQ(first->appid, kReaderClient);
  EXPECT_TRUE(json::parse(first->raw_payload).contains("azp"));

  auto response = Exchange(for_gateway, "https://datalake.azure.net//.default");
  ASSERT_EQ(response.status, 200) << response.body;
  json body = Json(response);
  EXPECT_EQ(body["scope"], "https://datalake.azure.net//user_impersonation");
  auto claims = provider_->VerifyAccessToken(body["access_token"].get<std::string>(), kDataLakeAudience);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->oid, kReaderOid);
  EXPECT_EQ(claims->appid, kGatewayClient);
}

TEST_F(OboTest, AssertionsAreChecked) {
  const std::string scope = "https://storage.azure.com/.default";
  // A Gen2 token was not meant for the gateway.
  json wrong = ExpectError(Exchange(ReaderToken(scope), scope), 400, "invalid_grant", 500131);
  EXPECT_NE(wrong["error_description"].get<std::string>().find("The audience in the assertion was "
                                                               "'https://storage.azure.com'"),
            std::string::npos)
      << wrong;

  json expired_claims = Gen1Claims();
  expired_claims["exp"] = expired_claims["iat"].get<int64_t>() - 3600;
  json expired = ExpectError(Exchange(Forge(expired_claims), scope), 400, "invalid_grant", 500133);
  EXPECT_NE(expired["error_description"].get<std::string>().find("token expired at"), std::string::npos);
  json early_claims = Gen1Claims();
  early_claims["nbf"] = early_claims["iat"].get<int64_t>() + 3600;
  ExpectError(Exchange(Forge(early_claims), scope), 400, "invalid_grant", 500133);

  std::string good = Forge(Gen1Claims());
  EXPECT_EQ(Exchange(good, scope).status, 200);
  std::string tampered = good;
  // Swap one signature character for another valid base64url character, so only the signature is wrong.
  char& c = tampered[tampered.rfind('.') + 3];
  c = c == 'A' ? 'B' : 'A';
  ExpectError(Exchange(tampered, scope), 400, "invalid_grant", 50013);
  json foreign_issuer = Gen1Claims();
  foreign_issuer["iss"] = "https://sts.windows.net/" + provider_->tenant_id() + "/";
  ExpectError(Exchange(Forge(foreign_issuer), scope), 400, "invalid_grant", 50013);
  ExpectError(Exchange("not-a-jwt", scope), 400, "invalid_request", 50027);
  json stranger = Gen1Claims();
  stranger["oid"] = "e0000000-0000-4000-8000-0000000000ee";
  ExpectError(Exchange(Forge(stranger), scope), 400, "invalid_grant", 50034);

  ExpectError(Exchange("", scope), 400, "invalid_request", 900144);
  ExpectError(Exchange(good, scope, false, "wrong"), 401, "invalid_client", 7000215);
  ExpectError(Exchange(good, "https://storage.azure.com/read"), 400, "invalid_scope", 70011);
  ExpectError(Exchange(good, "https://vault.azure.net/.default"), 400, "invalid_resource", 500011);
  ExpectError(Post(TenantPath("/oauth2/v2.0/token"), {{"grant_type", std::string(kGrantJwtBearer)},
                                                      {"client_id", kGatewayClient},
                                                      {"client_secret", "gateway-secret"},
                                                      {"assertion", good},
                                                      {"scope", scope}}),
              400, "invalid_request", 900144);  // requested_token_use missing
}

// Runs a shell command, returning its exit status and output.
std::pair<int, std::string> RunShell(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) output.append(buf, n);
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// MSAL Python insists on https authorities and token endpoints. The check advertises an https base URL and gives
// MSAL an HTTP session that sends those requests over plain HTTP, standing in for a TLS front end.
TEST_F(OboTest, MsalConfidentialClientAcquiresTokens) {
  constexpr char kPython[] = "/usr/bin/python3";
  if (RunShell(std::string(kPython) + " -c 'import msal'").first != 0) GTEST_SKIP() << "python3-msal is not installed";
  std::string host_port = server_->base_url().substr(7);
  provider_->SetPublicBaseUrl("https://" + host_port);
  std::string gen1 = ReaderToken("https://datalake.azure.net/", true);
  auto [status, output] = RunShell(std::string(kPython) + " " + LAKESHIFT_IDENTITY_MSAL_CHECK + " " + host_port + " " +
                                   provider_->tenant_id() + " " + kGatewayClient + " gateway-secret " + gen1);
  ASSERT_EQ(status, 0) << output;
  json result = json::parse(output.substr(output.rfind('\n', output.size() - 2) + 1), nullptr, false);
  ASSERT_FALSE(result.is_discarded()) << output;
  EXPECT_TRUE(result["http_authority_refused"].get<bool>()) << result;
  auto app = provider_->VerifyAccessToken(result["client_credentials_token"].get<std::string>(), kStorageAudience);
  ASSERT_TRUE(app.ok()) << app.status() << " " << output;
  EXPECT_EQ(app->oid, kGatewayOid);
  auto obo = provider_->VerifyAccessToken(result["on_behalf_of_token"].get<std::string>(), kStorageAudience);
  ASSERT_TRUE(obo.ok()) << obo.status() << " " << output;
  EXPECT_EQ(obo->oid, kReaderOid);
  EXPECT_EQ(obo->appid, kGatewayClient);
}

}  // namespace
}  // namespace lakeshift::identity::testing
