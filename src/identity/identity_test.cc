// The identity provider over real sockets: client credentials at both endpoints, errors, discovery, JWKS,
// persistence. On-behalf-of and MSAL are in obo_test.cc.

#include <sys/stat.h>

#include "encoding/base64.h"
#include "identity/identity_test_util.h"

namespace lakeshift::identity::testing {
namespace {

struct AudienceCase {
  std::string v2_scope;
  std::string v1_resource;
  std::string_view audience;
};
const AudienceCase kAudiences[] = {
    {"https://storage.azure.com/.default", "https://storage.azure.com/", kStorageAudience},
    {"https://datalake.azure.net//.default", "https://datalake.azure.net/", kDataLakeAudience},
    {"https://management.azure.com/.default", "https://management.azure.com/", kManagementAudience},
};

TEST_F(ProviderTest, ClientCredentialsV2ForEachAudience) {
  for (const auto& c : kAudiences) {
    SCOPED_TRACE(c.v2_scope);
    auto response = ClientCredentials(kReaderClient, "reader secret+/=&%", c.v2_scope);
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.headers.Get("Content-Type"), "application/json; charset=utf-8");
    EXPECT_EQ(response.headers.Get("Cache-Control"), "no-store, no-cache");
    json body = Json(response);
    EXPECT_EQ(Keys(response.body),
              (std::vector<std::string>{"token_type", "expires_in", "ext_expires_in", "access_token"}));
    EXPECT_EQ(body["token_type"], "Bearer");
    EXPECT_EQ(body["expires_in"], 3599);
    EXPECT_EQ(body["ext_expires_in"], 3599);

    auto claims = provider_->VerifyAccessToken(body["access_token"].get<std::string>(), c.audience);
    ASSERT_TRUE(claims.ok()) << claims.status();
    EXPECT_EQ(claims->oid, kReaderOid);
    EXPECT_EQ(claims->sub, kReaderOid);
    EXPECT_EQ(claims->tid, provider_->tenant_id());
    EXPECT_EQ(claims->appid, kReaderClient);
    EXPECT_EQ(claims->groups, (std::vector<std::string>{kGroup1, kGroup2}));
    // First-party resources get v1.0 tokens from either endpoint, as from Entra.
    EXPECT_EQ(claims->version, "1.0");
    EXPECT_EQ(claims->iss, provider_->IssuerV1());
    EXPECT_EQ(claims->idtyp, "app");
    EXPECT_TRUE(claims->scp.empty());
    // The v2.0 scope drops "/.default": "https://storage.azure.com", "https://datalake.azure.net/".
    EXPECT_EQ(claims->aud, std::vector<std::string>{c.v2_scope.substr(0, c.v2_scope.size() - 9)});
    EXPECT_EQ(claims->expires_at - claims->issued_at, 3599 + 300);  // iat backdated by five minutes
    json payload = json::parse(claims->raw_payload);
    EXPECT_EQ(payload["appidacr"], "1");
    EXPECT_EQ(payload["idp"], provider_->IssuerV1());
    EXPECT_EQ(payload["uti"].get<std::string>().size(), 22u);
    EXPECT_FALSE(payload.contains("azp"));
  }
}

TEST_F(ProviderTest, ClientCredentialsV1ForEachAudience) {
  for (const auto& c : kAudiences) {
    SCOPED_TRACE(c.v1_resource);
    auto response = ClientCredentials(kReaderClient, "reader secret+/=&%", c.v1_resource, true);
    ASSERT_EQ(response.status, 200) << response.body;
    json body = Json(response);
    EXPECT_EQ(Keys(response.body), (std::vector<std::string>{"token_type", "expires_in", "ext_expires_in", "expires_on",
                                                             "not_before", "resource", "access_token"}));
    EXPECT_EQ(body["expires_in"], "3599");  // strings at v1
    EXPECT_EQ(body["ext_expires_in"], "3599");
    EXPECT_EQ(body["resource"], c.v1_resource);
    auto claims = provider_->VerifyAccessToken(body["access_token"].get<std::string>(), c.audience);
    ASSERT_TRUE(claims.ok()) << claims.status();
    EXPECT_EQ(claims->aud, std::vector<std::string>{c.v1_resource});
    EXPECT_EQ(body["expires_on"], std::to_string(claims->expires_at));
    EXPECT_EQ(body["not_before"], std::to_string(claims->not_before));
    EXPECT_EQ(claims->oid, kReaderOid);
    EXPECT_EQ(claims->appid, kReaderClient);
  }
}

TEST_F(ProviderTest, TokensAreForOneAudienceOnly) {
  std::string gen1 = ReaderToken("https://datalake.azure.net/", true);
  auto as_gen2 = provider_->VerifyAccessToken(gen1, kStorageAudience);
  EXPECT_EQ(TokenErrorOf(as_gen2.status()), TokenError::kWrongAudience);
  std::string arm = ReaderToken("https://management.azure.com/.default");
  EXPECT_EQ(TokenErrorOf(provider_->VerifyAccessToken(arm, kDataLakeAudience).status()), TokenError::kWrongAudience);
  EXPECT_TRUE(
      provider_->VerifyAccessToken(arm, {std::string(kDataLakeAudience), std::string(kManagementAudience)}).ok());
}

TEST_F(ProviderTest, BasicAuthCarriesClientCredentials) {
  // RFC 6749 2.3.1: form-encode id and secret, then base64 "id:secret".
  std::string creds =
      encoding::PercentEncodeComponent(kReaderClient) + ":" + encoding::PercentEncodeComponent("reader secret+/=&%");
  http::Headers headers{{"Authorization", "Basic " + encoding::Base64Encode(creds)}};
  auto ok = Post(TenantPath("/oauth2/v2.0/token"),
                 {{"grant_type", "client_credentials"}, {"scope", "https://storage.azure.com/.default"}}, headers);
  EXPECT_EQ(ok.status, 200) << ok.body;

  http::Headers wrong{{"Authorization", "Basic " + encoding::Base64Encode(std::string(kReaderClient) + ":nope")}};
  ExpectError(Post(TenantPath("/oauth2/v2.0/token"),
                   {{"grant_type", "client_credentials"}, {"scope", "https://storage.azure.com/.default"}}, wrong),
              401, "invalid_client", 7000215);
  http::Headers garbage{{"Authorization", "Basic !!!"}};
  ExpectError(Post(TenantPath("/oauth2/token"),
                   {{"grant_type", "client_credentials"}, {"resource", "https://storage.azure.com/"}}, garbage),
              401, "invalid_client", 7000216);
  // Different ids in the header and the body.
  ExpectError(Post(TenantPath("/oauth2/v2.0/token"),
                   {{"grant_type", "client_credentials"},
                    {"client_id", kGatewayClient},
                    {"scope", "https://storage.azure.com/.default"}},
                   headers),
              400, "invalid_request", 90013);

  auto parsed = ParseBasicCredentials("Basic " + encoding::Base64Encode("a%3Ab:c+d%25"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->client_id, "a:b");
  EXPECT_EQ(parsed->client_secret, "c d%");
  EXPECT_FALSE(ParseBasicCredentials("Bearer x").ok());
  EXPECT_FALSE(ParseBasicCredentials("Basic " + encoding::Base64Encode("no-colon")).ok());
}

TEST_F(ProviderTest, ClientAuthenticationErrors) {
  http::Headers correlation{{"client-request-id", "11111111-2222-4333-8444-555555555555"}};
  auto wrong = Post(TenantPath("/oauth2/v2.0/token"),
                    {{"grant_type", "client_credentials"},
                     {"client_id", kReaderClient},
                     {"client_secret", "wrong"},
                     {"scope", "https://storage.azure.com/.default"}},
                    correlation);
  json body = ExpectError(wrong, 401, "invalid_client", 7000215);
  EXPECT_EQ(body["correlation_id"], "11111111-2222-4333-8444-555555555555");
  EXPECT_EQ(wrong.headers.Get("client-request-id"), "11111111-2222-4333-8444-555555555555");
  EXPECT_NE(body["error_description"].get<std::string>().find(
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the "
                "client secret value, not the client secret ID, for a secret added to app '" +
                std::string(kReaderClient) + "'."),
            std::string::npos);
  EXPECT_EQ(Keys(wrong.body), (std::vector<std::string>{"error", "error_description", "error_codes", "timestamp",
                                                        "trace_id", "correlation_id", "error_uri"}));

  ExpectError(ClientCredentials("d0000000-0000-4000-8000-00000000000d", "x", "https://storage.azure.com/.default"), 400,
              "unauthorized_client", 700016);
  ExpectError(ClientCredentials(kReaderClient, "", "https://storage.azure.com/.default"), 401, "invalid_client",
              7000216);
  json missing = ExpectError(Post(TenantPath("/oauth2/v2.0/token"), {{"grant_type", "client_credentials"},
                                                                     {"scope", "https://storage.azure.com/.default"}}),
                             400, "invalid_request", 900144);
  EXPECT_NE(missing["error_description"].get<std::string>().find("'client_id'"), std::string::npos);
  // The admin is a principal like the others, and a superuser.
  auto admin = ClientCredentials(provider_->admin().client_id, provider_->admin().client_secret,
                                 "https://storage.azure.com/.default");
  ASSERT_EQ(admin.status, 200) << admin.body;
  auto claims = provider_->VerifyAccessToken(Json(admin)["access_token"].get<std::string>(), kStorageAudience);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->oid, kAdminObjectId);
  EXPECT_TRUE(provider_->IsSuperuser(claims->oid));
  EXPECT_FALSE(provider_->IsSuperuser(kReaderOid));
}

TEST_F(ProviderTest, GrantAndTargetErrors) {
  const std::string v2 = TenantPath("/oauth2/v2.0/token");
  auto with = [&](Form extra) {
    Form form = {{"client_id", kReaderClient}, {"client_secret", "reader secret+/=&%"}};
    form.insert(form.end(), extra.begin(), extra.end());
    return form;
  };
  ExpectError(Post(v2, with({{"scope", "https://storage.azure.com/.default"}})), 400, "invalid_request", 900144);
  json grant =
      ExpectError(Post(v2, with({{"grant_type", "password"}, {"scope", "https://storage.azure.com/.default"}})), 400,
                  "unsupported_grant_type", 70003);
  EXPECT_NE(grant["error_description"].get<std::string>().find("'password'"), std::string::npos);
  json scope = ExpectError(Post(v2, with({{"grant_type", "client_credentials"}})), 400, "invalid_request", 900144);
  EXPECT_NE(scope["error_description"].get<std::string>().find("'scope'"), std::string::npos);
  ExpectError(
      Post(v2, with({{"grant_type", "client_credentials"}, {"scope", "https://storage.azure.com/user_impersonation"}})),
      400, "invalid_scope", 1002012);
  ExpectError(Post(v2, with({{"grant_type", "client_credentials"}, {"scope", "openid"}})), 400, "invalid_scope",
              1002012);
  ExpectError(Post(v2, with({{"grant_type", "client_credentials"},
                             {"scope", "https://storage.azure.com/.default https://datalake.azure.net//.default"}})),
              400, "invalid_scope", 28000);
  json unknown =
      ExpectError(Post(v2, with({{"grant_type", "client_credentials"}, {"scope", "https://vault.azure.net/.default"}})),
                  400, "invalid_resource", 500011);
  EXPECT_NE(unknown["error_description"].get<std::string>().find("https://vault.azure.net"), std::string::npos);
  ExpectError(Post(TenantPath("/oauth2/token"), with({{"grant_type", "client_credentials"}})), 400, "invalid_resource",
              50001);
  ExpectError(Post(v2, with({{"grant_type", "client_credentials"},
                             {"grant_type", "client_credentials"},
                             {"scope", "https://storage.azure.com/.default"}})),
              400, "invalid_request", 90013);
  // Entra reads only form bodies: JSON gets "grant_type missing".
  http::Headers json_type{{"Content-Type", "application/json"}};
  ExpectError(Post(v2, with({{"grant_type", "client_credentials"}}), json_type), 400, "invalid_request", 900144);
  // A scope list with MSAL's reserved scopes is fine.
  EXPECT_EQ(Post(v2, with({{"grant_type", "client_credentials"},
                           {"scope", "https://storage.azure.com/.default offline_access openid profile"}}))
                .status,
            200);
}

TEST_F(ProviderTest, TenantsAndMethods) {
  ExpectError(Post("/99999999-0000-4000-8000-000000000000/oauth2/v2.0/token", {{"grant_type", "client_credentials"}}),
              400, "invalid_request", 90002);
  ExpectError(Get("/nope.onmicrosoft.com/v2.0/.well-known/openid-configuration"), 400, "invalid_request", 90002);
  json get = ExpectError(Get(TenantPath("/oauth2/v2.0/token")), 400, "invalid_request", 900561);
  EXPECT_NE(get["error_description"].get<std::string>().find("only accepts POST requests. Received a GET request"),
            std::string::npos);
  EXPECT_EQ(Get("/nothing/here").status, 404);
  // The tenant domain, "common" and "organizations" name this tenant too.
  for (const std::string& tenant :
       {std::string(kDefaultTenantDomain), std::string("common"), std::string("organizations"),
        std::string("4F1C2E7A-9B3D-4C8E-A5F0-7D2B6E1C9A38")}) {
    auto response = Post("/" + tenant + "/oauth2/token", {{"grant_type", "client_credentials"},
                                                          {"client_id", kReaderClient},
                                                          {"client_secret", "reader secret+/=&%"},
                                                          {"resource", "https://storage.azure.com/"}});
    EXPECT_EQ(response.status, 200) << tenant << " " << response.body;
  }
}

TEST_F(ProviderTest, OpenIdConfigurationAndJwksOverHttp) {
  auto v2 = Get(TenantPath("/v2.0/.well-known/openid-configuration"));
  ASSERT_EQ(v2.status, 200) << v2.body;
  json config = Json(v2);
  EXPECT_EQ(config["issuer"], provider_->IssuerV2());
  EXPECT_EQ(config["token_endpoint"], Url(TenantPath("/oauth2/v2.0/token")));
  EXPECT_EQ(config["authorization_endpoint"], Url(TenantPath("/oauth2/v2.0/authorize")));
  EXPECT_EQ(config["jwks_uri"], Url(TenantPath("/discovery/v2.0/keys")));
  EXPECT_EQ(config["id_token_signing_alg_values_supported"], json::array({"RS256"}));
  json v1 = Json(Get(TenantPath("/.well-known/openid-configuration")));
  EXPECT_EQ(v1["issuer"], provider_->IssuerV1());
  EXPECT_EQ(v1["token_endpoint"], Url(TenantPath("/oauth2/token")));
  EXPECT_EQ(v1["jwks_uri"], Url(TenantPath("/discovery/keys")));
  json common = Json(Get("/common/v2.0/.well-known/openid-configuration"));
  EXPECT_EQ(common["issuer"], server_->base_url() + "/{tenantid}/v2.0");
  EXPECT_EQ(common["token_endpoint"], Url("/common/oauth2/v2.0/token"));

  // A verifier in another process: keys from the advertised jwks_uri, issuers from the configuration.
  std::string token = ReaderToken("https://storage.azure.com/.default");
  for (const std::string& jwks_uri : {config["jwks_uri"].get<std::string>(), v1["jwks_uri"].get<std::string>()}) {
    auto keys = FetchKeySet(client_, jwks_uri);
    ASSERT_TRUE(keys.ok()) << keys.status();
    ASSERT_EQ(keys->size(), 1u);
    ASSERT_NE(keys->Find(provider_->signing_key().kid()), nullptr);
    VerifyOptions options;
    options.audiences = {std::string(kStorageAudience)};
    options.issuers = {v1["issuer"].get<std::string>(), config["issuer"].get<std::string>()};
    auto claims = VerifyToken(token, *keys, options);
    ASSERT_TRUE(claims.ok()) << claims.status();
    EXPECT_EQ(claims->oid, kReaderOid);
  }
  json jwks = Json(Get(TenantPath("/discovery/v2.0/keys")));
  EXPECT_EQ(jwks["keys"][0]["issuer"], provider_->IssuerV2());
  EXPECT_EQ(jwks["keys"][0]["kid"], provider_->signing_key().kid());
  EXPECT_FALSE(Json(Get(TenantPath("/discovery/keys")))["keys"][0].contains("issuer"));
  EXPECT_FALSE(FetchKeySet(client_, Url("/nothing/discovery/keys")).ok());
}

TEST_F(ProviderTest, InstanceDiscoveryForMsal) {
  std::string host = server_->base_url().substr(7);  // "127.0.0.1:port"
  auto response = Get("/common/discovery/instance?api-version=1.1&authorization_endpoint=" +
                      encoding::PercentEncodeComponent("https://" + host + TenantPath("/oauth2/v2.0/authorize")));
  ASSERT_EQ(response.status, 200) << response.body;
  json body = Json(response);
  EXPECT_EQ(body["tenant_discovery_endpoint"], Url(TenantPath("/v2.0/.well-known/openid-configuration")));
  EXPECT_EQ(body["api-version"], "1.1");
  EXPECT_EQ(body["metadata"][0]["preferred_network"], host);
  EXPECT_EQ(body["metadata"][0]["aliases"], json::array({host}));
  json v1 = Json(Get("/common/discovery/instance?authorization_endpoint=" +
                     encoding::PercentEncodeComponent("https://login.example/contoso/oauth2/authorize")));
  EXPECT_EQ(v1["tenant_discovery_endpoint"], Url("/contoso/.well-known/openid-configuration"));
  EXPECT_EQ(v1["metadata"][0]["aliases"], json::array({host, "login.example"}));
}

TEST_F(ProviderTest, KeyAndAdminSecretSurviveRestart) {
  std::string token = ReaderToken("https://storage.azure.com/.default");
  std::string kid = provider_->signing_key().kid();
  std::string admin_secret = provider_->admin().client_secret;
  struct stat st {};
  ASSERT_EQ(::stat((Options().data_dir + "/signing-key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((Options().data_dir + "/admin-client-secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(Options().data_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  std::string base_url = provider_->public_base_url();
  Stop();
  Start(base_url);  // a new port, advertised under the old URL as a fixed --port would be
  EXPECT_EQ(provider_->signing_key().kid(), kid);
  EXPECT_EQ(provider_->admin().client_secret, admin_secret);
  auto claims = provider_->VerifyAccessToken(token, kStorageAudience);
  EXPECT_TRUE(claims.ok()) << claims.status();

  // Another data directory is another key: its tokens do not verify here.
  TempDir other_dir;
  ProviderOptions other = Options();
  other.data_dir = other_dir.path();
  other.admin_client_secret = "fixed";
  auto stranger = IdentityProvider::Open(other);
  ASSERT_TRUE(stranger.ok()) << stranger.status();
  EXPECT_EQ((*stranger)->admin().client_secret, "fixed");
  auto foreign = (*stranger)->IssueClientCredentials({kReaderClient, "reader secret+/=&%"}, EndpointVersion::kV1,
                                                     "https://storage.azure.com/");
  ASSERT_TRUE(foreign.ok()) << foreign.status();
  EXPECT_EQ(TokenErrorOf(provider_->VerifyAccessToken(foreign->access_token, kStorageAudience).status()),
            TokenError::kUnknownKey);
}

TEST_F(ProviderTest, OpenValidatesOptions) {
  ProviderOptions bad = Options();
  bad.data_dir.clear();
  EXPECT_FALSE(IdentityProvider::Open(bad).ok());
  bad = Options();
  bad.tenant_id = "not-a-guid";
  EXPECT_FALSE(IdentityProvider::Open(bad).ok());
  bad = Options();
  bad.principals.push_back(bad.principals.front());
  auto dup = IdentityProvider::Open(bad);
  EXPECT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find(kReaderClient), std::string::npos) << dup.status();
}

TEST_F(ProviderTest, HandlerWorksWithoutSockets) {
  http::Request request;
  request.method = "POST";
  request.path = TenantPath("/oauth2/v2.0/token");
  request.headers.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  http::StringBodyReader body("grant_type=client_credentials&client_id=" + std::string(kGatewayClient) +
                              "&client_secret=gateway-secret&scope=https%3A%2F%2Fstorage.azure.com%2F.default");
  request.body_ = &body;
  http::StringResponseWriter writer;
  HandleIdentityRequest(*provider_, request, writer);
  EXPECT_EQ(writer.status, 200) << writer.body;
  EXPECT_TRUE(writer.finished);
  auto claims =
      provider_->VerifyAccessToken(json::parse(writer.body)["access_token"].get<std::string>(), kStorageAudience);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->oid, kGatewayOid);
  EXPECT_TRUE(claims->groups.empty());
  EXPECT_FALSE(json::parse(claims->raw_payload).contains("groups"));  // Entra omits an empty groups claim
}

}  // namespace
}  // namespace lakeshift::identity::testing
