// The endpoint module against the local emulators (`lakeshift emulate` in-process: identity provider, Gen1 and
// Gen2 emulators over HTTPS with a self-signed certificate), configured the way a user would from
// emulators.json: every credential kind the emulators accept, and the errors users meet (a bad secret, a wrong
// key, an untrusted certificate, an unreachable port, no credentials, no permission).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "auth/sas.h"
#include "emulator/local_emulators.h"
#include "encoding/percent.h"
#include "endpoint/endpoint.h"
#include "endpoint/token_source.h"
#include "http/server.h"
#include "testing/status_macros.h"
#include "testing/temp_dir.h"

namespace lakeshift::endpoint {
namespace {

using nlohmann::json;

constexpr const char* kReaderClientId = "b7e3c1d2-4a5f-4e6b-8c7d-9e0f1a2b3c4d";
constexpr const char* kReaderSecret = "reader-secret-value";
constexpr const char* kReaderObjectId = "c8f4d2e3-5b6a-4f7c-9d8e-0f1a2b3c4d5e";

using Env = std::map<std::string, std::string>;

class EndpointEmulatorTest : public testing::Test {
 public:
  static void SetUpTestSuite() {
    dir_ = new testing_util::TempDir();
    std::string principals = dir_->path() + "/principals.json";
    std::ofstream(principals) << json::array({{{"client_id", kReaderClientId},
                                               {"client_secret", kReaderSecret},
                                               {"object_id", kReaderObjectId}}})
                                     .dump();
    emulator::LocalEmulatorsOptions options;
    options.data_dir = dir_->path() + "/emulators";
    options.identity_port = 0;
    options.gen1_port = 0;
    options.gen2_port = 0;
    options.principals_file = principals;
    auto started = emulator::LocalEmulators::Start(options);
    ASSERT_OK(started);
    emulators_ = started->release();
    // What a user reads from emulators.json.
    std::ifstream in(emulators_->connection_file());
    conn_ = new json(json::parse(in));
  }
  static void TearDownTestSuite() {
    if (emulators_ != nullptr) emulators_->Stop();
    delete emulators_;
    emulators_ = nullptr;
    delete conn_;
    conn_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  static std::string Get(const json::json_pointer& pointer) { return (*conn_)[pointer].get<std::string>(); }
  static std::string CaFile() { return Get(json::json_pointer("/ca_file")); }
  static std::string Gen2Url() { return Get(json::json_pointer("/gen2/url")); }
  static std::string Gen2Key() { return Get(json::json_pointer("/gen2/key")); }
  static std::string Gen2Account() { return Get(json::json_pointer("/gen2/account")); }
  static std::string WebHdfsUrl() { return Get(json::json_pointer("/gen1/webhdfs_url")); }
  static std::string IdentityUrl() { return Get(json::json_pointer("/identity/url")); }
  static std::string TenantId() { return Get(json::json_pointer("/tenant_id")); }
  static std::string AdminId() { return Get(json::json_pointer("/admin/client_id")); }
  static std::string AdminSecret() { return Get(json::json_pointer("/admin/client_secret")); }

  static Env EntraEnv(const std::string& client_id, const std::string& secret) {
    return {{"LAKESHIFT_CA_FILE", CaFile()},
            {"AZURE_TENANT_ID", TenantId()},
            {"AZURE_CLIENT_ID", client_id},
            {"AZURE_CLIENT_SECRET", secret},
            {"AZURE_AUTHORITY_HOST", IdentityUrl()}};
  }
  static Env AdminEnv() { return EntraEnv(AdminId(), AdminSecret()); }
  static Env KeyEnv() { return {{"LAKESHIFT_CA_FILE", CaFile()}, {"AZURE_STORAGE_KEY", Gen2Key()}}; }

  // A filesystem name of its own for each test.
  static std::string NewFilesystem() {
    static std::atomic<int> n{0};
    return "endpoint-" + std::to_string(++n);
  }

  Result<Connection> ConnectTo(const std::string& url, Env env, ConnectOptions options = {}) {
    env_ = std::move(env);
    auto location = ParseLocation(url);
    if (!location.ok()) return location.status();
    options.getenv = [this](const char* name) -> const char* {
      auto it = env_.find(name);
      return it == env_.end() ? nullptr : it->second.c_str();
    };
    options.retry = http::RetryPolicy::None();
    return Connect(*location, options);
  }

  // A Gen2 filesystem created with the account key, with /dir/file.txt in it.
  std::string SeedGen2(const std::string& filesystem) {
    auto c = ConnectTo(Gen2Url() + "/" + filesystem, KeyEnv());
    EXPECT_OK(c);
    if (!c.ok()) return "";
    EXPECT_OK(EnsureFilesystem(*c, /*create_if_missing=*/true));
    EXPECT_OK(fs::WriteFile(*c->fs, "/dir/file.txt", "hello"));
    return Gen2Url() + "/" + filesystem;
  }

  // A token for `resource` from the local identity provider, as `az account get-access-token` would give one.
  static Result<AccessToken> FetchToken(std::string_view resource, const std::string& client_id = AdminId(),
                                        const std::string& secret = AdminSecret()) {
    http::ClientOptions options;
    options.ca_file = CaFile();
    auto http = std::make_shared<http::HttpClient>(options);
    ClientSecretConfig config;
    config.authority_host = IdentityUrl();
    config.tenant_id = TenantId();
    config.client_id = client_id;
    config.client_secret = secret;
    config.resource = std::string(resource);
    return ClientSecretFetcher(http, config)();
  }

  static testing_util::TempDir* dir_;
  static emulator::LocalEmulators* emulators_;
  static json* conn_;
  Env env_;
  testing_util::TempDir scratch_;
};

testing_util::TempDir* EndpointEmulatorTest::dir_ = nullptr;
emulator::LocalEmulators* EndpointEmulatorTest::emulators_ = nullptr;
json* EndpointEmulatorTest::conn_ = nullptr;

// ---- Gen2 ----

TEST_F(EndpointEmulatorTest, Gen2SharedKey) {
  std::string filesystem = NewFilesystem();
  auto c = ConnectTo(Gen2Url() + "/" + filesystem + "/dir", KeyEnv());
  ASSERT_OK(c);
  EXPECT_EQ(c->credential_kind, "shared key");
  EXPECT_EQ(c->location.account, Gen2Account());

  // The filesystem does not exist yet.
  auto missing = Probe(*c);
  EXPECT_CODE(missing, StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("filesystem '" + filesystem + "' does not exist"), std::string::npos)
      << missing.status();
  auto not_created = EnsureFilesystem(*c, /*create_if_missing=*/false);
  EXPECT_CODE(not_created, StatusCode::kNotFound);
  EXPECT_NE(not_created.message().find(filesystem), std::string::npos) << not_created;

  ASSERT_OK(EnsureFilesystem(*c, /*create_if_missing=*/true));
  ASSERT_OK(EnsureFilesystem(*c, /*create_if_missing=*/true));  // idempotent
  auto no_dir = Probe(*c);
  EXPECT_CODE(no_dir, StatusCode::kNotFound);
  EXPECT_NE(no_dir.status().message().find("/dir does not exist"), std::string::npos) << no_dir.status();

  ASSERT_OK(fs::WriteFile(*c->fs, "/dir/file.txt", "hello"));
  auto info = Probe(*c);
  ASSERT_OK(info);
  EXPECT_TRUE(info->is_directory());
  EXPECT_EQ(*fs::ReadFile(*c->fs, "/dir/file.txt"), "hello");

  auto hns = HierarchicalNamespaceEnabled(*c);
  ASSERT_OK(hns);
  EXPECT_TRUE(*hns);
}

TEST_F(EndpointEmulatorTest, Gen2SasInTheUrl) {
  std::string filesystem = NewFilesystem();
  std::string url = SeedGen2(filesystem);
  auth::ServiceSasOptions sas_options;
  sas_options.container = filesystem;
  sas_options.permissions = *auth::SasPermissions::Parse("racwdlmeop");
  sas_options.expiry = auth::FormatSasTime((SystemClockSeconds() + 3600) * 1000);
  auto sas = auth::MakeServiceSas(Gen2Account(), Gen2Key(), sas_options);
  ASSERT_OK(sas);

  auto c = ConnectTo(url + "/dir?" + *sas, {{"LAKESHIFT_CA_FILE", CaFile()}});
  ASSERT_OK(c);
  EXPECT_EQ(c->credential_kind, "SAS (from the URL)");
  EXPECT_EQ(c->location.url.find("sig="), std::string::npos);
  EXPECT_EQ(c->location.url, url + "/dir");
  ASSERT_OK(Probe(*c));
  EXPECT_EQ(*fs::ReadFile(*c->fs, "/dir/file.txt"), "hello");
  ASSERT_OK(fs::WriteFile(*c->fs, "/dir/sas.txt", "via sas"));
  auto hns = HierarchicalNamespaceEnabled(*c);
  ASSERT_OK(hns);
  EXPECT_TRUE(*hns);
  ASSERT_OK(EnsureFilesystem(*c, /*create_if_missing=*/false));

  // The same token from AZURE_STORAGE_SAS_TOKEN.
  auto from_env = ConnectTo(url + "/dir", {{"LAKESHIFT_CA_FILE", CaFile()}, {"AZURE_STORAGE_SAS_TOKEN", "?" + *sas}});
  ASSERT_OK(from_env);
  EXPECT_EQ(from_env->credential_kind, "SAS");
  ASSERT_OK(Probe(*from_env));
  EXPECT_EQ(*fs::ReadFile(*from_env->fs, "/dir/sas.txt"), "via sas");
}

TEST_F(EndpointEmulatorTest, Gen2SasWithoutPermissionIsDenied) {
  std::string filesystem = NewFilesystem();
  std::string url = SeedGen2(filesystem);
  auth::ServiceSasOptions sas_options;
  sas_options.container = filesystem;
  sas_options.permissions = *auth::SasPermissions::Parse("w");
  sas_options.expiry = auth::FormatSasTime((SystemClockSeconds() + 3600) * 1000);
  auto sas = auth::MakeServiceSas(Gen2Account(), Gen2Key(), sas_options);
  ASSERT_OK(sas);
  auto c = ConnectTo(url + "/dir?" + *sas, {{"LAKESHIFT_CA_FILE", CaFile()}});
  ASSERT_OK(c);
  auto denied = Probe(*c);
  EXPECT_CODE(denied, StatusCode::kPermissionDenied);
  EXPECT_NE(denied.status().message().find("sp="), std::string::npos) << denied.status();
  EXPECT_EQ(denied.status().message().find(sas->substr(sas->find("sig="))), std::string::npos);
}

TEST_F(EndpointEmulatorTest, Gen2EntraClientCredentials) {
  std::string filesystem = NewFilesystem();
  std::string url = SeedGen2(filesystem);
  auto c = ConnectTo(url + "/dir", AdminEnv());
  ASSERT_OK(c);
  EXPECT_EQ(c->credential_kind, "Entra client credentials");
  ASSERT_OK(Probe(*c));
  ASSERT_OK(fs::WriteFile(*c->fs, "/dir/entra.txt", "via entra"));
  EXPECT_EQ(*fs::ReadFile(*c->fs, "/dir/file.txt"), "hello");
  auto hns = HierarchicalNamespaceEnabled(*c);
  ASSERT_OK(hns);
  EXPECT_TRUE(*hns);
}

TEST_F(EndpointEmulatorTest, Gen2EntraPrincipalWithoutAccessIsDenied) {
  std::string filesystem = NewFilesystem();
  std::string url = SeedGen2(filesystem);
  {
    auto admin = ConnectTo(url, KeyEnv());
    ASSERT_OK(admin);
    fs::CreateOptions private_dir;
    private_dir.permission = 0700;
    ASSERT_OK(admin->fs->CreateDirectory("/private", private_dir));
    ASSERT_OK(fs::WriteFile(*admin->fs, "/private/x.txt", "secret data"));
  }
  auto c = ConnectTo(url + "/private/x.txt", EntraEnv(kReaderClientId, kReaderSecret));
  ASSERT_OK(c);
  auto denied = Probe(*c);
  EXPECT_CODE(denied, StatusCode::kPermissionDenied);
  EXPECT_NE(denied.status().message().find("Storage Blob Data Owner"), std::string::npos) << denied.status();
  EXPECT_NE(denied.status().message().find(kReaderClientId), std::string::npos) << denied.status();
}

TEST_F(EndpointEmulatorTest, Gen2WrongKeyIsRefused) {
  std::string url = SeedGen2(NewFilesystem());
  std::string wrong = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ==";
  auto c = ConnectTo(url, {{"LAKESHIFT_CA_FILE", CaFile()}, {"AZURE_STORAGE_KEY", wrong}});
  ASSERT_OK(c);
  auto refused = Probe(*c);
  EXPECT_CODE(refused, StatusCode::kUnauthenticated);
  EXPECT_NE(refused.status().message().find("refused the shared key credential"), std::string::npos)
      << refused.status();
  EXPECT_NE(refused.status().message().find("gen2.key in emulators.json"), std::string::npos) << refused.status();
  EXPECT_EQ(refused.status().message().find(wrong), std::string::npos);
}

// ---- Gen1 (the Gen1 emulator is a WebHDFS URL) ----

TEST_F(EndpointEmulatorTest, Gen1EntraClientCredentials) {
  auto c = ConnectTo(WebHdfsUrl() + "/endpoint/gen1", AdminEnv());
  ASSERT_OK(c);
  EXPECT_EQ(c->location.kind, Kind::kWebHdfs);
  EXPECT_EQ(c->credential_kind, "Entra client credentials");
  auto missing = Probe(*c);
  EXPECT_CODE(missing, StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/endpoint/gen1 does not exist"), std::string::npos) << missing.status();
  ASSERT_OK(fs::WriteFile(*c->fs, "/endpoint/gen1/a.txt", "gen1 data"));
  auto info = Probe(*c);
  ASSERT_OK(info);
  EXPECT_TRUE(info->is_directory());
  EXPECT_EQ(*fs::ReadFile(*c->fs, "/endpoint/gen1/a.txt"), "gen1 data");
  EXPECT_CODE(HierarchicalNamespaceEnabled(*c), StatusCode::kUnsupported);
}

TEST_F(EndpointEmulatorTest, Gen1WithoutCredentialsSaysWhatToSet) {
  auto c = ConnectTo(WebHdfsUrl() + "/", {{"LAKESHIFT_CA_FILE", CaFile()}});
  ASSERT_OK(c);
  EXPECT_EQ(c->credential_kind, "none");
  auto refused = Probe(*c);
  EXPECT_CODE(refused, StatusCode::kUnauthenticated);
  EXPECT_NE(refused.status().message().find("wants credentials, and none were sent"), std::string::npos)
      << refused.status();
  EXPECT_NE(refused.status().message().find("AZURE_CLIENT_SECRET"), std::string::npos) << refused.status();
}

TEST_F(EndpointEmulatorTest, BadSecretGivesTheEntraErrorWithoutTheSecret) {
  const std::string bad = "definitely-not-the-secret";
  for (const std::string& url : {WebHdfsUrl() + "/", Gen2Url() + "/" + NewFilesystem()}) {
    auto c = ConnectTo(url, EntraEnv(AdminId(), bad));
    ASSERT_OK(c);
    auto refused = Probe(*c);
    EXPECT_CODE(refused, StatusCode::kUnauthenticated);
    const std::string& m = refused.status().message();
    EXPECT_NE(m.find("Entra token request to " + IdentityUrl() + "/" + TenantId() + "/oauth2/v2.0/token failed"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("AADSTS7000215"), std::string::npos) << m;
    EXPECT_NE(m.find("check AZURE_CLIENT_SECRET"), std::string::npos) << m;
    EXPECT_EQ(m.find(bad), std::string::npos) << m;
    // Requests fail the same way.
    auto listed = c->fs->GetFileInfo("/");
    EXPECT_CODE(listed, StatusCode::kUnauthenticated);
    EXPECT_EQ(listed.status().message().find(bad), std::string::npos);
  }
  // An unknown tenant names the variable to check.
  Env env = AdminEnv();
  env["AZURE_TENANT_ID"] = "00000000-0000-0000-0000-000000000001";
  auto c = ConnectTo(WebHdfsUrl() + "/", env);
  ASSERT_OK(c);
  auto refused = Probe(*c);
  EXPECT_CODE(refused, StatusCode::kUnauthenticated);
  EXPECT_NE(refused.status().message().find("AZURE_TENANT_ID"), std::string::npos) << refused.status();
}

// ---- token files ----

TEST_F(EndpointEmulatorTest, TokenFiles) {
  std::string url = SeedGen2(NewFilesystem());
  auto storage = FetchToken(kStorageResource);
  ASSERT_OK(storage);
  auto datalake = FetchToken(kDataLakeResource);
  ASSERT_OK(datalake);
  std::string gen2_file = scratch_.path() + "/gen2.token";
  std::string gen1_file = scratch_.path() + "/gen1.token";
  std::ofstream(gen2_file) << storage->token << "\n";
  // The Azure CLI's JSON form.
  std::ofstream(gen1_file) << json{{"accessToken", datalake->token}, {"tokenType", "Bearer"}}.dump();

  auto gen2 = ConnectTo(url + "/dir", {{"LAKESHIFT_CA_FILE", CaFile()}}, {.token_file = gen2_file});
  ASSERT_OK(gen2);
  EXPECT_EQ(gen2->credential_kind, "token file");
  ASSERT_OK(Probe(*gen2));
  EXPECT_EQ(*fs::ReadFile(*gen2->fs, "/dir/file.txt"), "hello");

  auto gen1 = ConnectTo(WebHdfsUrl() + "/", {{"LAKESHIFT_CA_FILE", CaFile()}}, {.token_file = gen1_file});
  ASSERT_OK(gen1);
  EXPECT_EQ(gen1->credential_kind, "token file");
  ASSERT_OK(Probe(*gen1));

  // The file is re-read when it changes: a token for the wrong audience is refused.
  std::ofstream(gen2_file, std::ios::trunc) << datalake->token;
  auto refused = Probe(*gen2);
  EXPECT_CODE(refused, StatusCode::kUnauthenticated);
  EXPECT_NE(refused.status().message().find(gen2_file), std::string::npos) << refused.status();
  std::ofstream(gen2_file, std::ios::trunc) << storage->token;
  ASSERT_OK(Probe(*gen2));
}

// ---- managed identity, with stand-ins for IMDS and the App Service identity endpoint ----

// Answers with tokens of the local identity provider (for the admin).
class FakeIdentityEndpoint {
 public:
  explicit FakeIdentityEndpoint(std::string header_secret) : header_secret_(std::move(header_secret)) {
    auto server = http::Server::Start(
        {}, [this](http::Request& request, http::ResponseWriter& writer) { Handle(request, writer); });
    EXPECT_OK(server);
    if (server.ok()) server_ = std::move(server).value();
  }
  ~FakeIdentityEndpoint() {
    if (server_) server_->Stop(std::chrono::milliseconds(0));
  }
  std::string url() const { return server_->base_url(); }
  int requests() const { return requests_; }
  bool no_identity = false;

 private:
  void Handle(http::Request& request, http::ResponseWriter& writer) {
    ++requests_;
    auto query = encoding::ParseQueryString(request.query);
    std::map<std::string, std::string> params;
    if (query.ok()) {
      for (const auto& p : *query) params[p.name] = p.value;
    }
    bool imds = request.path == "/metadata/identity/oauth2/token";
    bool app_service = request.path == "/msi/token";
    auto error = [&](int status, const std::string& description) {
      writer
          .Send(status, {{"Content-Type", "application/json"}},
                json{{"error", "invalid_request"}, {"error_description", description}}.dump())
          .IgnoreError();
    };
    if (imds && (request.headers.Get("Metadata") != "true" || params["api-version"] != "2018-02-01")) {
      return error(400, "Required metadata header not specified");
    }
    if (app_service &&
        (request.headers.Get("X-IDENTITY-HEADER") != header_secret_ || params["api-version"] != "2019-08-01")) {
      return error(401, "bad identity header");
    }
    if (!imds && !app_service) return error(404, "no such endpoint");
    if (no_identity) return error(400, "Identity not found");
    auto token = EndpointEmulatorTest::FetchToken(params["resource"]);
    if (!token.ok()) return error(400, token.status().message());
    writer
        .Send(200, {{"Content-Type", "application/json"}},
              json{{"access_token", token->token},
                   {"expires_on", std::to_string(token->expires_at)},
                   {"resource", params["resource"]},
                   {"token_type", "Bearer"}}
                  .dump())
        .IgnoreError();
  }

  std::string header_secret_;
  std::atomic<int> requests_{0};
  std::unique_ptr<http::Server> server_;
};

TEST_F(EndpointEmulatorTest, ManagedIdentityThroughImds) {
  FakeIdentityEndpoint imds("");
  std::string url = SeedGen2(NewFilesystem());
  Env env{{"LAKESHIFT_CA_FILE", CaFile()}, {"AZURE_POD_IDENTITY_AUTHORITY_HOST", imds.url()}};
  auto gen2 = ConnectTo(url + "/dir", env, {.managed_identity = true});
  ASSERT_OK(gen2);
  EXPECT_EQ(gen2->credential_kind, "managed identity");
  ASSERT_OK(Probe(*gen2));
  EXPECT_EQ(*fs::ReadFile(*gen2->fs, "/dir/file.txt"), "hello");
  auto gen1 = ConnectTo(WebHdfsUrl() + "/", env, {.managed_identity = true});
  ASSERT_OK(gen1);
  ASSERT_OK(Probe(*gen1));
  int before = imds.requests();
  ASSERT_OK(Probe(*gen2));  // cached
  EXPECT_EQ(imds.requests(), before);

  imds.no_identity = true;
  auto none = ConnectTo(url, env, {.managed_identity = true});
  ASSERT_OK(none);
  auto refused = Probe(*none);
  EXPECT_CODE(refused, StatusCode::kUnauthenticated);
  EXPECT_NE(refused.status().message().find("Identity not found"), std::string::npos) << refused.status();
  EXPECT_NE(refused.status().message().find("assign a managed identity"), std::string::npos) << refused.status();
}

TEST_F(EndpointEmulatorTest, ManagedIdentityThroughAppService) {
  const std::string header = "identity-header-secret";
  FakeIdentityEndpoint app(header);
  std::string url = SeedGen2(NewFilesystem());
  Env env{
      {"LAKESHIFT_CA_FILE", CaFile()}, {"IDENTITY_ENDPOINT", app.url() + "/msi/token"}, {"IDENTITY_HEADER", header}};
  auto c = ConnectTo(url + "/dir", env, {.managed_identity = true});
  ASSERT_OK(c);
  ASSERT_OK(Probe(*c));
  env["IDENTITY_HEADER"] = "wrong";
  auto wrong = ConnectTo(url + "/dir", env, {.managed_identity = true});
  ASSERT_OK(wrong);
  auto refused = Probe(*wrong);
  EXPECT_CODE(refused, StatusCode::kUnauthenticated);
  EXPECT_NE(refused.status().message().find("check IDENTITY_HEADER"), std::string::npos) << refused.status();
  EXPECT_EQ(refused.status().message().find(header), std::string::npos);
}

// ---- connectivity ----

uint16_t UnusedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST_F(EndpointEmulatorTest, UnreachablePortNamesTheUrl) {
  std::string port = std::to_string(UnusedPort());
  std::string url = "https://127.0.0.1:" + port + "/devstoreaccount1/fs1/dir";
  auto c = ConnectTo(url, KeyEnv());
  ASSERT_OK(c);
  auto unreachable = Probe(*c);
  EXPECT_CODE(unreachable, StatusCode::kUnavailable);
  const std::string& m = unreachable.status().message();
  EXPECT_NE(m.find("cannot reach the Gen2 endpoint https://127.0.0.1:" + port + "/devstoreaccount1"), std::string::npos)
      << m;
  EXPECT_NE(m.find("check the host name and port"), std::string::npos) << m;

  auto gen1 = ConnectTo("http://127.0.0.1:" + port + "/webhdfs/v1/", {});
  ASSERT_OK(gen1);
  EXPECT_CODE(Probe(*gen1), StatusCode::kUnavailable);
}

TEST_F(EndpointEmulatorTest, UntrustedCertificateSuggestsTheCaFile) {
  auto c = ConnectTo(Gen2Url() + "/" + NewFilesystem(), {{"AZURE_STORAGE_KEY", Gen2Key()}});
  ASSERT_OK(c);
  auto untrusted = Probe(*c);
  EXPECT_CODE(untrusted, StatusCode::kUnavailable);
  EXPECT_NE(untrusted.status().message().find("no trusted TLS connection"), std::string::npos) << untrusted.status();
  EXPECT_NE(untrusted.status().message().find("LAKESHIFT_CA_FILE"), std::string::npos) << untrusted.status();
  // The same with the CA file as an option.
  auto trusted =
      ConnectTo(Gen2Url() + "/" + NewFilesystem(), {{"AZURE_STORAGE_KEY", Gen2Key()}}, {.ca_file = CaFile()});
  ASSERT_OK(trusted);
  ASSERT_OK(EnsureFilesystem(*trusted, /*create_if_missing=*/true));
  ASSERT_OK(Probe(*trusted));
}

}  // namespace
}  // namespace lakeshift::endpoint
