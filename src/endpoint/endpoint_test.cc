// Locations, credential selection with a fake environment, and the token sources (no network).
#include "endpoint/endpoint.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

#include "encoding/base64.h"
#include "endpoint/credentials.h"
#include "endpoint/token_source.h"
#include "testing/status_macros.h"
#include "testing/temp_dir.h"

namespace lakeshift::endpoint {
namespace {

constexpr const char* kSas = "sv=2021-12-02&sr=c&sp=racwdlmeop&se=2099-01-01T00%3A00%3A00Z&sig=c2VjcmV0c2ln";

Location Parse(std::string_view url) {
  auto location = ParseLocation(url);
  EXPECT_TRUE(location.ok()) << url << ": " << location.status();
  return location.ok() ? *location : Location{};
}

// ---- ParseLocation ----

TEST(ParseLocation, Adl) {
  Location l = Parse("adl://myaccount.azuredatalakestore.net/data/2024%20q1/");
  EXPECT_EQ(l.kind, Kind::kGen1);
  EXPECT_EQ(l.endpoint, "https://myaccount.azuredatalakestore.net");
  EXPECT_EQ(l.account, "myaccount");
  EXPECT_EQ(l.path, "/data/2024 q1");
  EXPECT_EQ(l.url, "adl://myaccount.azuredatalakestore.net/data/2024%20q1/");
  EXPECT_EQ(Parse("adl://MyAccount.AzureDataLakeStore.net").path, "/");
}

TEST(ParseLocation, Gen1Https) {
  Location l = Parse("https://acct1.azuredatalakestore.net/webhdfs/v1/a/b");
  EXPECT_EQ(l.kind, Kind::kGen1);
  EXPECT_EQ(l.endpoint, "https://acct1.azuredatalakestore.net");
  EXPECT_EQ(l.account, "acct1");
  EXPECT_EQ(l.path, "/a/b");
  EXPECT_EQ(Parse("https://acct1.azuredatalakestore.net/webhdfs/v1").path, "/");
  EXPECT_EQ(Parse("https://acct1.azuredatalakestore.net/x").path, "/x");
  EXPECT_CODE(ParseLocation("http://acct1.azuredatalakestore.net/webhdfs/v1/a"), StatusCode::kInvalidArgument);
}

TEST(ParseLocation, WebHdfs) {
  Location l = Parse("http://127.0.0.1:8081/webhdfs/v1/data/x");
  EXPECT_EQ(l.kind, Kind::kWebHdfs);
  EXPECT_EQ(l.endpoint, "http://127.0.0.1:8081");
  EXPECT_EQ(l.path, "/data/x");
  EXPECT_TRUE(l.account.empty());
  EXPECT_EQ(Parse("http://127.0.0.1:8081/webhdfs/v1/").path, "/");
  EXPECT_EQ(Parse("http://127.0.0.1:8081/webhdfs/v1").path, "/");
  Location knox = Parse("https://gateway.example.com:8443/gateway/default/webhdfs/v1/user/x");
  EXPECT_EQ(knox.kind, Kind::kWebHdfs);
  EXPECT_EQ(knox.endpoint, "https://gateway.example.com:8443/gateway/default");
  EXPECT_EQ(knox.path, "/user/x");
  Location scheme = Parse("webhdfs://namenode.example.com/user/x");
  EXPECT_EQ(scheme.kind, Kind::kWebHdfs);
  EXPECT_EQ(scheme.endpoint, "http://namenode.example.com:9870");
  EXPECT_EQ(scheme.path, "/user/x");
  EXPECT_EQ(Parse("swebhdfs://nn:1234/").endpoint, "https://nn:1234");
}

TEST(ParseLocation, Abfss) {
  Location l = Parse("abfss://myfs@myaccount.dfs.core.windows.net/dir/file.txt");
  EXPECT_EQ(l.kind, Kind::kGen2);
  EXPECT_EQ(l.endpoint, "https://myaccount.dfs.core.windows.net");
  EXPECT_EQ(l.account, "myaccount");
  EXPECT_EQ(l.filesystem, "myfs");
  EXPECT_TRUE(l.filesystem_given);
  EXPECT_EQ(l.path, "/dir/file.txt");
  EXPECT_FALSE(l.path_style());
  Location plain = Parse("abfs://myfs@myaccount.dfs.core.chinacloudapi.cn");
  EXPECT_EQ(plain.endpoint, "https://myaccount.dfs.core.chinacloudapi.cn");
  EXPECT_EQ(plain.path, "/");
}

TEST(ParseLocation, DfsHttps) {
  Location l = Parse("https://myaccount.dfs.core.windows.net/myfs/a%2Bb/c");
  EXPECT_EQ(l.kind, Kind::kGen2);
  EXPECT_EQ(l.endpoint, "https://myaccount.dfs.core.windows.net");
  EXPECT_EQ(l.filesystem, "myfs");
  EXPECT_EQ(l.path, "/a+b/c");
  Location none = Parse("https://myaccount.dfs.core.windows.net");
  EXPECT_EQ(none.filesystem, "gen1");
  EXPECT_FALSE(none.filesystem_given);
  EXPECT_EQ(none.path, "/");
  EXPECT_EQ(Parse("https://myaccount.dfs.core.windows.net/").filesystem, "gen1");
}

TEST(ParseLocation, PathStyleEmulator) {
  Location l = Parse("http://127.0.0.1:10004/devstoreaccount1/fs1/a/b");
  EXPECT_EQ(l.kind, Kind::kGen2);
  EXPECT_EQ(l.endpoint, "http://127.0.0.1:10004/devstoreaccount1");
  EXPECT_EQ(l.account, "devstoreaccount1");
  EXPECT_EQ(l.filesystem, "fs1");
  EXPECT_TRUE(l.filesystem_given);
  EXPECT_EQ(l.path, "/a/b");
  EXPECT_TRUE(l.path_style());
  Location bare = Parse("https://localhost:10004/devstoreaccount1");
  EXPECT_EQ(bare.endpoint, "https://localhost:10004/devstoreaccount1");
  EXPECT_EQ(bare.filesystem, "gen1");
  EXPECT_FALSE(bare.filesystem_given);
  EXPECT_EQ(Parse("http://[::1]:10004/devstoreaccount1/fs1").endpoint, "http://[::1]:10004/devstoreaccount1");
  // A named host with a port is path-style too.
  EXPECT_EQ(Parse("http://emulator.internal:10004/devstoreaccount1/fs1").account, "devstoreaccount1");
}

TEST(ParseLocation, File) {
  Location l = Parse("file:///srv/data%20set/");
  EXPECT_EQ(l.kind, Kind::kLocal);
  EXPECT_EQ(l.path, "/srv/data set");
  EXPECT_TRUE(l.endpoint.empty());
  EXPECT_EQ(Parse("file://localhost/srv").path, "/srv");
  EXPECT_EQ(Parse("file:/srv").path, "/srv");
  EXPECT_EQ(Parse("file:///").path, "/");
}

TEST(ParseLocation, SasIsKeptOutOfTheUrl) {
  Location l = Parse(std::string("https://myaccount.dfs.core.windows.net/myfs/dir?") + kSas);
  EXPECT_EQ(l.sas, kSas);
  EXPECT_EQ(l.url, "https://myaccount.dfs.core.windows.net/myfs/dir");
  EXPECT_EQ(l.path, "/dir");
  EXPECT_EQ(DisplayUrl(l), "https://myaccount.dfs.core.windows.net/myfs/dir (SAS query not shown)");
  Location emu = Parse(std::string("http://127.0.0.1:10004/devstoreaccount1/fs1?") + kSas);
  EXPECT_EQ(emu.sas, kSas);
  EXPECT_EQ(emu.path, "/");
  EXPECT_EQ(Parse(std::string("abfss://fs1@a12.dfs.core.windows.net/x?") + kSas).sas, kSas);
}

TEST(ParseLocation, MalformedUrlsSayWhatIsWrongWithAnExample) {
  struct Case {
    std::string url;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"", "empty location"},
      {"   ", "empty location"},
      {"/srv/data", "file:///srv/data"},
      {"data/x", "no scheme"},
      {"s3://bucket/x", "unknown scheme 's3'"},
      {"wasbs://c@a.blob.core.windows.net/x", "abfss"},
      {"adl://127.0.0.1:8081/x", "/webhdfs/v1/"},
      {"adl:///x", "needs the account's host name"},
      {"adl://ab.azuredatalakestore.net/x", "3 to 24"},
      {"adl://My_Account.azuredatalakestore.net/x", "3 to 24"},
      {"abfss://myaccount.dfs.core.windows.net/x", "names the filesystem before '@'"},
      {"abfss://Bad_FS@myaccount.dfs.core.windows.net/x", "filesystem name"},
      {"abfss://fs1@myaccount.blob.core.windows.net/x", "not the Blob endpoint"},
      {"abfss://fs1@127.0.0.1:10004/x", "for the Gen2 emulator"},
      {"https://myaccount.blob.core.windows.net/fs/x", "https://myaccount.dfs.core.windows.net/..."},
      {"https://example.com/x", "cannot tell which service"},
      {"http://127.0.0.1:10004/", "names the account first"},
      {"http://127.0.0.1:10004/Dev_Account/fs", "3 to 24"},
      {"https://myaccount.dfs.core.windows.net/fs1/a/../b", "bad path"},
      {"https://myaccount.dfs.core.windows.net/fs1/a%ZZ", "percent-encoded"},
      {"https://myaccount.dfs.core.windows.net/fs/a#frag", "%23"},
      {"https://myaccount.dfs.core.windows.net/fs/a?comp=list", "can only be a SAS token"},
      {"http://127.0.0.1:8081/webhdfs/v1/a?op=LISTSTATUS", "take no query; got op"},
      {"file://data/x", "file:///data/x"},
      {"file:relative", "absolute path"},
      {"http://127.0.0.1:99999/devstoreaccount1/fs", "invalid location"},
  };
  for (const auto& c : cases) {
    auto l = ParseLocation(c.url);
    ASSERT_FALSE(l.ok()) << c.url;
    EXPECT_EQ(l.status().code(), StatusCode::kInvalidArgument) << c.url;
    EXPECT_NE(l.status().message().find(c.says), std::string::npos) << c.url << " -> " << l.status().message();
  }
  // Errors with an obvious right form show one.
  auto bad = ParseLocation("abfss://myaccount.dfs.core.windows.net/x");
  EXPECT_NE(bad.status().message().find("for example abfss://myfilesystem@myaccount.dfs.core.windows.net/data"),
            std::string::npos);
}

TEST(ParseLocation, ErrorsNeverShowTheSas) {
  for (std::string url : {"adl://acct1.azuredatalakestore.net/x?", "file:///x?",
                          "https://myaccount.dfs.core.windows.net/Bad_FS/x?", "s3://x/y?"}) {
    url += kSas;
    auto l = ParseLocation(url);
    ASSERT_FALSE(l.ok()) << url;
    EXPECT_EQ(l.status().message().find("c2VjcmV0c2ln"), std::string::npos) << l.status().message();
    EXPECT_EQ(l.status().message().find("sig="), std::string::npos) << l.status().message();
  }
}

// ---- credential selection ----

class FakeEnv {
 public:
  FakeEnv(std::initializer_list<std::pair<const std::string, std::string>> vars) : vars_(vars) {}
  std::function<const char*(const char*)> Fn() const {
    return [this](const char* name) -> const char* {
      auto it = vars_.find(name);
      return it == vars_.end() ? nullptr : it->second.c_str();
    };
  }

 private:
  std::map<std::string, std::string> vars_;
};

const std::string kKey = encoding::Base64Encode("0123456789abcdef0123456789abcdef");

Result<CredentialPlan> Select(std::string_view url, const FakeEnv& env, ConnectOptions options = {}) {
  auto location = ParseLocation(url);
  if (!location.ok()) return location.status();
  options.getenv = env.Fn();
  return SelectCredential(*location, options);
}

TEST(SelectCredential, Gen2Precedence) {
  const std::string dfs = "abfss://fs1@acct1.dfs.core.windows.net/x";
  FakeEnv everything{{"AZURE_STORAGE_KEY", kKey},
                     {"AZURE_STORAGE_SAS_TOKEN", "?sv=1&sig=abc"},
                     {"AZURE_TENANT_ID", "t"},
                     {"AZURE_CLIENT_ID", "c"},
                     {"AZURE_CLIENT_SECRET", "s"}};
  // A SAS in the URL wins over everything.
  auto p = Select(dfs + "?" + kSas, everything, {.token_file = "/tmp/t", .managed_identity = true});
  ASSERT_OK(p);
  EXPECT_EQ(p->kind, CredentialKind::kSas);
  EXPECT_EQ(p->description, "SAS (from the URL)");
  EXPECT_EQ(p->sas, kSas);
  // Then the token file, then managed identity.
  p = Select(dfs, everything, {.token_file = "/tmp/t", .managed_identity = true});
  ASSERT_OK(p);
  EXPECT_EQ(p->kind, CredentialKind::kTokenFile);
  EXPECT_EQ(p->resource, "https://storage.azure.com/");
  p = Select(dfs, everything, {.managed_identity = true});
  ASSERT_OK(p);
  EXPECT_EQ(p->kind, CredentialKind::kManagedIdentity);
  EXPECT_EQ(p->msi.client_id, "c");  // AZURE_CLIENT_ID picks a user-assigned identity
  EXPECT_EQ(p->msi.imds_host, "http://169.254.169.254");
  // Then the account key, the SAS variable, Entra.
  p = Select(dfs, everything);
  ASSERT_OK(p);
  EXPECT_EQ(p->kind, CredentialKind::kSharedKey);
  EXPECT_EQ(p->description, "shared key");
  EXPECT_EQ(p->account, "acct1");
  p = Select(dfs, FakeEnv{{"AZURE_STORAGE_SAS_TOKEN", "?sv=1&sig=abc"}, {"AZURE_TENANT_ID", "t"}});
  ASSERT_OK(p);
  EXPECT_EQ(p->kind, CredentialKind::kSas);
  EXPECT_EQ(p->description, "SAS");
  EXPECT_EQ(p->sas, "sv=1&sig=abc");
  p = Select(dfs, FakeEnv{{"AZURE_TENANT_ID", "t"},
                          {"AZURE_CLIENT_ID", "c"},
                          {"AZURE_CLIENT_SECRET", "s"},
                          {"AZURE_AUTHORITY_HOST", "https://127.0.0.1:10005/"}});
  ASSERT_OK(p);
  EXPECT_EQ(p->kind, CredentialKind::kClientSecret);
  EXPECT_EQ(p->description, "Entra client credentials");
  EXPECT_EQ(p->entra.resource, "https://storage.azure.com/");
  EXPECT_EQ(ClientSecretTokenUrl(p->entra), "https://127.0.0.1:10005/t/oauth2/v2.0/token");
}

TEST(SelectCredential, Gen1Precedence) {
  const std::string adl = "adl://acct1.azuredatalakestore.net/x";
  FakeEnv entra{
      {"AZURE_TENANT_ID", "t"}, {"AZURE_CLIENT_ID", "c"}, {"AZURE_CLIENT_SECRET", "s"}, {"AZURE_STORAGE_KEY", kKey}};
  auto p = Select(adl, entra, {.token_file = "/tmp/t", .managed_identity = true});
  ASSERT_OK(p);
  EXPECT_EQ(p->kind, CredentialKind::kTokenFile);
  EXPECT_EQ(p->resource, "https://datalake.azure.net/");
  p = Select(adl, entra, {.managed_identity = true});
  ASSERT_OK(p);
  EXPECT_EQ(p->kind, CredentialKind::kManagedIdentity);
  EXPECT_EQ(p->msi.resource, "https://datalake.azure.net/");
  p = Select(adl, entra);  // the storage key is not a Gen1 credential
  ASSERT_OK(p);
  EXPECT_EQ(p->kind, CredentialKind::kClientSecret);
  EXPECT_EQ(p->entra.resource, "https://datalake.azure.net/");
  EXPECT_EQ(ClientSecretTokenUrl(p->entra), "https://login.microsoftonline.com/t/oauth2/v2.0/token");
  // AZURE_AUTHORITY_HOST without a scheme means https.
  p = Select(adl, FakeEnv{{"AZURE_TENANT_ID", "t"},
                          {"AZURE_CLIENT_ID", "c"},
                          {"AZURE_CLIENT_SECRET", "s"},
                          {"AZURE_AUTHORITY_HOST", "login.microsoftonline.us"}});
  ASSERT_OK(p);
  EXPECT_EQ(ClientSecretTokenUrl(p->entra), "https://login.microsoftonline.us/t/oauth2/v2.0/token");
}

TEST(SelectCredential, WebHdfsWithoutCredentials) {
  const std::string url = "http://nn.example.com:9870/webhdfs/v1/x";
  auto p = Select(url, FakeEnv{});
  ASSERT_OK(p);
  EXPECT_EQ(p->kind, CredentialKind::kNone);
  EXPECT_EQ(p->description, "none");
  p = Select(url, FakeEnv{{"HADOOP_USER_NAME", "hdfs"}});
  ASSERT_OK(p);
  EXPECT_EQ(p->kind, CredentialKind::kHadoopSimple);
  EXPECT_EQ(p->hadoop_user, "hdfs");
  EXPECT_EQ(p->description, "Hadoop simple auth (user.name=hdfs)");
  // Entra variables apply to WebHDFS too (the Gen1 emulator wants tokens).
  p = Select(url, FakeEnv{{"AZURE_TENANT_ID", "t"}, {"AZURE_CLIENT_ID", "c"}, {"AZURE_CLIENT_SECRET", "s"}});
  ASSERT_OK(p);
  EXPECT_EQ(p->kind, CredentialKind::kClientSecret);
}

TEST(SelectCredential, MissingCredentialsListTheVariables) {
  auto gen1 = Select("adl://acct1.azuredatalakestore.net/x", FakeEnv{});
  EXPECT_CODE(gen1, StatusCode::kInvalidArgument);
  for (const char* name : {"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_AUTHORITY_HOST",
                           "Gen1 account acct1", "--managed-identity", "token file"}) {
    EXPECT_NE(gen1.status().message().find(name), std::string::npos) << name << ": " << gen1.status();
  }
  auto gen2 = Select("http://127.0.0.1:10004/devstoreaccount1/fs1", FakeEnv{});
  EXPECT_CODE(gen2, StatusCode::kInvalidArgument);
  for (const char* name :
       {"AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "emulators.json"}) {
    EXPECT_NE(gen2.status().message().find(name), std::string::npos) << name << ": " << gen2.status();
  }
}

TEST(SelectCredential, InconsistentSettings) {
  const std::string dfs = "abfss://fs1@acct1.dfs.core.windows.net/x";
  auto partial = Select(dfs, FakeEnv{{"AZURE_TENANT_ID", "t"}, {"AZURE_CLIENT_SECRET", "topsecret"}});
  EXPECT_CODE(partial, StatusCode::kInvalidArgument);
  EXPECT_NE(partial.status().message().find("set AZURE_CLIENT_ID as well"), std::string::npos) << partial.status();
  EXPECT_EQ(partial.status().message().find("topsecret"), std::string::npos);
  auto other_account = Select(dfs, FakeEnv{{"AZURE_STORAGE_KEY", kKey}, {"AZURE_STORAGE_ACCOUNT", "other"}});
  EXPECT_CODE(other_account, StatusCode::kInvalidArgument);
  EXPECT_NE(other_account.status().message().find("account other"), std::string::npos);
  auto bad_key = Select(dfs, FakeEnv{{"AZURE_STORAGE_KEY", "not base64!!"}});
  EXPECT_CODE(bad_key, StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_key.status().message().find("not base64!!"), std::string::npos);
  EXPECT_CODE(Select(dfs, FakeEnv{{"AZURE_STORAGE_SAS_TOKEN", "sv=1&sp=r"}}), StatusCode::kInvalidArgument);
  EXPECT_CODE(Select(dfs, FakeEnv{{"IDENTITY_ENDPOINT", "http://x"}}, {.managed_identity = true}),
              StatusCode::kInvalidArgument);
  // A client id alone is no partial Entra configuration (it may name a managed identity).
  EXPECT_CODE(Select("http://nn:9870/webhdfs/v1/", FakeEnv{{"AZURE_CLIENT_ID", "c"}}), StatusCode::kOk);
}

TEST(SelectCredential, CaFile) {
  auto p = Select("abfss://fs1@acct1.dfs.core.windows.net/x",
                  FakeEnv{{"AZURE_STORAGE_KEY", kKey}, {"LAKESHIFT_CA_FILE", "/env/ca.pem"}});
  ASSERT_OK(p);
  EXPECT_EQ(p->ca_file, "/env/ca.pem");
  EXPECT_EQ(p->ca_file_source, "LAKESHIFT_CA_FILE");
  p = Select("abfss://fs1@acct1.dfs.core.windows.net/x",
             FakeEnv{{"AZURE_STORAGE_KEY", kKey}, {"LAKESHIFT_CA_FILE", "/env/ca.pem"}}, {.ca_file = "/opt/ca.pem"});
  ASSERT_OK(p);
  EXPECT_EQ(p->ca_file, "/opt/ca.pem");
}

// ---- Connect without requests ----

TEST(Connect, ReportsTheCredentialKindWithoutSecrets) {
  FakeEnv env{{"AZURE_STORAGE_KEY", kKey}};
  auto location = ParseLocation("http://127.0.0.1:1/devstoreaccount1/fs1/x");
  ASSERT_OK(location);
  ConnectOptions options;
  options.getenv = env.Fn();
  auto c = Connect(*location, options);
  ASSERT_OK(c);
  EXPECT_EQ(c->credential_kind, "shared key");
  ASSERT_NE(c->fs, nullptr);
  EXPECT_TRUE(c->fs->capabilities().acls);
}

TEST(Connect, UnreadableCaFileOrTokenFile) {
  FakeEnv env{{"AZURE_STORAGE_KEY", kKey}, {"LAKESHIFT_CA_FILE", "/nonexistent/ca.pem"}};
  auto location = ParseLocation("https://acct1.dfs.core.windows.net/fs1");
  ASSERT_OK(location);
  ConnectOptions options;
  options.getenv = env.Fn();
  auto c = Connect(*location, options);
  EXPECT_CODE(c, StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("/nonexistent/ca.pem (from LAKESHIFT_CA_FILE)"), std::string::npos) << c.status();
  FakeEnv none{};
  options.getenv = none.Fn();
  options.token_file = "/nonexistent/token";
  c = Connect(*location, options);
  EXPECT_CODE(c, StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("/nonexistent/token"), std::string::npos) << c.status();
}

TEST(Connect, LocalNeedsAFactory) {
  auto location = ParseLocation("file:///srv/data");
  ASSERT_OK(location);
  FakeEnv env{};
  ConnectOptions options;
  options.getenv = env.Fn();
  EXPECT_CODE(Connect(*location, options), StatusCode::kUnsupported);
  std::string seen;
  options.local_filesystem = [&](const Location& l) -> Result<std::unique_ptr<fs::FileSystem>> {
    seen = l.path;
    return Unsupported("test factory");
  };
  EXPECT_CODE(Connect(*location, options), StatusCode::kUnsupported);
  EXPECT_EQ(seen, "/srv/data");
}

TEST(Connect, NonGen2ChecksDoNotApply) {
  FakeEnv env{};
  auto location = ParseLocation("http://127.0.0.1:1/webhdfs/v1/x");
  ASSERT_OK(location);
  ConnectOptions options;
  options.getenv = env.Fn();
  auto c = Connect(*location, options);
  ASSERT_OK(c);
  EXPECT_EQ(c->credential_kind, "none");
  EXPECT_CODE(HierarchicalNamespaceEnabled(*c), StatusCode::kUnsupported);
  EXPECT_OK(EnsureFilesystem(*c, true));
}

// ---- token sources ----

std::string Numbered(int n) {
  std::string out = "t";
  out += std::to_string(n);  // (not "t" + to_string: g++ 12 warns with -Wrestrict)
  return out;
}

struct FakeClock {
  std::atomic<int64_t> now{1'000'000};
  Clock Fn() {
    return [this] { return now.load(); };
  }
};

TEST(CachingTokenSource, CachesAndRefreshesBeforeExpiry) {
  FakeClock clock;
  int fetches = 0;
  CachingTokenSource source(
      [&]() -> Result<AccessToken> {
        ++fetches;
        return AccessToken{Numbered(fetches), clock.now + 3600};
      },
      clock.Fn());
  EXPECT_EQ(*source.Get(), "t1");
  clock.now += 3000;  // 10 minutes left: still cached
  EXPECT_EQ(*source.Get(), "t1");
  clock.now += 301;  // less than 5 minutes left: refreshed
  EXPECT_EQ(*source.Get(), "t2");
  EXPECT_EQ(fetches, 2);
  source.Invalidate();
  EXPECT_EQ(*source.Get(), "t3");
}

TEST(CachingTokenSource, ShortLivedTokensRefreshAtHalfLife) {
  FakeClock clock;
  int fetches = 0;
  CachingTokenSource source(
      [&]() -> Result<AccessToken> {
        ++fetches;
        return AccessToken{Numbered(fetches), clock.now + 120};
      },
      clock.Fn());
  EXPECT_EQ(*source.Get(), "t1");
  clock.now += 59;
  EXPECT_EQ(*source.Get(), "t1");
  clock.now += 2;
  EXPECT_EQ(*source.Get(), "t2");
}

TEST(CachingTokenSource, FailedRefreshKeepsTheValidTokenAndErrorsAreHeldBriefly) {
  FakeClock clock;
  int fetches = 0;
  bool fail = false;
  CachingTokenSource source(
      [&]() -> Result<AccessToken> {
        ++fetches;
        if (fail) return Unauthenticated("token endpoint says no");
        return AccessToken{Numbered(fetches), clock.now + 3600};
      },
      clock.Fn());
  EXPECT_EQ(*source.Get(), "t1");
  fail = true;
  clock.now += 3400;  // in the refresh window, still valid
  EXPECT_EQ(*source.Get(), "t1");
  EXPECT_EQ(fetches, 2);
  EXPECT_EQ(*source.Get(), "t1");  // the next refresh attempt waits a little
  EXPECT_EQ(fetches, 2);
  clock.now += 200;  // expired
  EXPECT_CODE(source.Get(), StatusCode::kUnauthenticated);
  int after = fetches;
  EXPECT_CODE(source.Get(), StatusCode::kUnauthenticated);  // held, not fetched again
  EXPECT_EQ(fetches, after);
  clock.now += 10;
  fail = false;
  ASSERT_OK(source.Get());
  EXPECT_EQ(fetches, after + 1);
}

TEST(CachingTokenSource, ManyThreadsOneFetch) {
  std::atomic<int> fetches{0};
  CachingTokenSource source([&]() -> Result<AccessToken> {
    ++fetches;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return AccessToken{"tok", SystemClockSeconds() + 3600};
  });
  std::vector<std::thread> threads;
  threads.reserve(16);
  std::atomic<int> ok{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 100; ++j) {
        auto t = source.Get();
        if (t.ok() && *t == "tok") ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(fetches.load(), 1);
  EXPECT_EQ(ok.load(), 1600);
}

std::string Jwt(int64_t exp) {
  return encoding::Base64UrlEncode(R"({"alg":"none"})") + "." +
         encoding::Base64UrlEncode(R"({"aud":"x","exp":)" + std::to_string(exp) + "}") + ".c2ln";
}

void WriteText(const std::string& file, const std::string& text) {
  std::ofstream out(file, std::ios::trunc);
  out << text;
}

TEST(TokenFileSource, ReadsRawAndJsonTokensAndRereadsOnChange) {
  testing_util::TempDir dir;
  std::string file = dir.path() + "/token";
  FakeClock clock;
  auto source = TokenFileSource(file, clock.Fn());
  EXPECT_CODE(source(), StatusCode::kUnauthenticated);  // missing
  std::string first = Jwt(clock.now + 600);
  WriteText(file, "  " + first + "\n");
  EXPECT_EQ(*source(), first);
  std::string second = Jwt(clock.now + 700);
  WriteText(file, R"({"accessToken": ")" + second + R"(", "expiresOn": "2099-01-01 00:00:00.000000"})");
  EXPECT_EQ(*source(), second);
  WriteText(file, R"({"access_token": "opaque-token", "token_type": "Bearer"})");
  EXPECT_EQ(*source(), "opaque-token");  // not a JWT: no expiry check
  WriteText(file, "");
  EXPECT_CODE(source(), StatusCode::kUnauthenticated);
  WriteText(file, "two words");
  EXPECT_CODE(source(), StatusCode::kUnauthenticated);
  WriteText(file, R"({"token": 1})");
  EXPECT_CODE(source(), StatusCode::kUnauthenticated);
}

TEST(TokenFileSource, ExpiredJwtSaysToWriteAFreshOne) {
  testing_util::TempDir dir;
  std::string file = dir.path() + "/token";
  FakeClock clock;
  auto source = TokenFileSource(file, clock.Fn());
  std::string token = Jwt(clock.now + 60);
  WriteText(file, token);
  EXPECT_EQ(*source(), token);
  clock.now += 61;
  auto expired = source();
  EXPECT_CODE(expired, StatusCode::kUnauthenticated);
  EXPECT_NE(expired.status().message().find("write a fresh token"), std::string::npos) << expired.status();
  EXPECT_EQ(expired.status().message().find(token), std::string::npos);
}

TEST(JwtExpiry, ReadsExp) {
  EXPECT_EQ(JwtExpiry(Jwt(12345)), 12345);
  EXPECT_EQ(JwtExpiry("opaque"), std::nullopt);
  EXPECT_EQ(JwtExpiry("a.b.c"), std::nullopt);
}

}  // namespace
}  // namespace lakeshift::endpoint
