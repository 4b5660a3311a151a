// SAS tests: strings-to-sign and signatures from the independent script (testdata/golden_vectors.py), tokens
// made by the official Python SDK (testdata/sdk_vectors.py), and every error the verifier reports.

#include "auth/sas.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth/shared_key.h"
#include "auth/test_util.h"
#include "encoding/time_format.h"

namespace lakeshift::auth {
namespace {

using testing::DetailOf;
using testing::GoldenCase;
using testing::HasServiceError;
using testing::kDevAccount;
using testing::kDevKey;
using testing::SasGolden;
using testing::SdkRequest;
using testing::SdkSas;

#include "auth/testdata/golden_vectors.inc"
#include "auth/testdata/sdk_vectors.inc"

constexpr int64_t kNow = 1772446830000;     // Mon, 02 Mar 2026 10:20:30 GMT
constexpr int64_t kStart = 1772323200000;   // 2026-03-01T00:00:00Z, the SDK tokens' st
constexpr int64_t kExpiry = 1772496000000;  // 2026-03-03T00:00:00Z, the SDK tokens' se
constexpr std::string_view kFile = "/blob/devstoreaccount1/fs1/dir one/12,+3#456?.txt";

std::string SdkToken(std::string_view name) {
  for (const SdkSas& s : kSdkSas) {
    if (name == s.name) return s.token;
  }
  ADD_FAILURE() << "no SDK token " << name;
  return {};
}

SasRequestContext Context(std::string_view resource, SasResourceType type, std::string_view letters) {
  SasRequestContext ctx;
  ctx.canonical_resource = resource;
  ctx.resource_type = type;
  if (!letters.empty()) ctx.permission_options = {SasPermissions::Of(letters)};
  ctx.client_ip = "127.0.0.1";
  return ctx;
}

Status Verify(std::string_view query, const SasRequestContext& ctx, int64_t now = kNow,
              std::string_view key = kDevKey) {
  Result<SasToken> token = ParseSas(query);
  if (!token.ok()) return token.status();
  return VerifySas(*token, ctx, key, now);
}

TEST(SasPermissionsTest, ParseFormatAndCompare) {
  Result<SasPermissions> p = SasPermissions::Parse("pomeldwcar");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->ToString(), "racwdlmeop");
  EXPECT_EQ(SasPermissions::Of("lcwr").ToString(SasPermissions::Order::kAccount), "rwlc");
  EXPECT_EQ(SasPermissions::Of("iftyxupr").ToString(), "rxytfpiu");
  EXPECT_EQ(SasPermissions::Of("iftyxupr").ToString(SasPermissions::Order::kAccount), "rxyupfti");
  EXPECT_TRUE(p->Has(SasPermissions::Of("rw")));
  EXPECT_FALSE(p->Has(SasPermissions::Of("rx")));
  EXPECT_EQ(p->Missing(SasPermissions::Of("rxt")).ToString(), "xt");
  EXPECT_EQ(SasPermissions::Of("rr") | SasPermissions(SasPermissions::kWrite), SasPermissions::Of("wr"));
  EXPECT_TRUE(SasPermissions().empty());
  EXPECT_EQ(SasPermissions::Parse("rq").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SasPermissions::Of("rq"), SasPermissions::Of("r"));
}

TEST(SasTest, GoldenStringsToSign) {
  for (const SasGolden& g : kSasGoldens) {
    SCOPED_TRACE(g.name);
    const std::vector<std::string>& f = g.fields;
    SasToken t;
    t.version = f[2];
    t.services = f[3];
    t.resource_types = f[4];
    t.resource = f[5];
    t.permissions = f[6];
    t.start = f[7];
    t.expiry = f[8];
    t.ip = f[9];
    t.protocol = f[10];
    t.identifier = f[11];
    t.encryption_scope = f[12];
    t.snapshot = f[13];
    t.cache_control = f[14];
    t.content_disposition = f[15];
    t.content_encoding = f[16];
    t.content_language = f[17];
    t.content_type = f[18];
    const std::string text = g.account_sas ? AccountSasStringToSign(t, f[0]) : ServiceSasStringToSign(t, f[1]);
    EXPECT_EQ(text, g.string_to_sign);
    EXPECT_EQ(Sign(text, g.key).ValueOr(""), g.signature);
  }
}

TEST(SasTest, PythonSdkTokensVerify) {
  struct Case {
    const char* name;
    std::string_view resource;
    SasResourceType type;
    const char* letters;
    std::string extra_query;
  };
  const Case cases[] = {
      {"account", "/blob/devstoreaccount1/fs1/dir one/x.txt", SasResourceType::kObject, "c", ""},
      {"account", "/blob/devstoreaccount1", SasResourceType::kService, "l", ""},
      {"file_system", kFile, SasResourceType::kObject, "w", ""},
      {"file_system", "/blob/devstoreaccount1/fs1", SasResourceType::kContainer, "l", ""},
      {"directory", "/blob/devstoreaccount1/fs1/dir one/sub/deeper/f.txt", SasResourceType::kObject, "r", ""},
      {"directory", "/blob/devstoreaccount1/fs1/dir one/sub", SasResourceType::kObject, "l", ""},
      {"file", kFile, SasResourceType::kObject, "r", ""},
      {"blob_snapshot", "/blob/devstoreaccount1/c1/b.bin", SasResourceType::kObject, "d",
       "&snapshot=2026-03-01T00%3A00%3A00.1234567Z"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.name) + " " + std::string(c.resource));
    EXPECT_TRUE(Verify(SdkToken(c.name) + c.extra_query, Context(c.resource, c.type, c.letters)).ok())
        << Verify(SdkToken(c.name) + c.extra_query, Context(c.resource, c.type, c.letters));
  }
  Result<SasToken> file = ParseSas(SdkToken("file"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->content_disposition, "attachment; filename=\"x y.txt\"");
  EXPECT_EQ(file->content_type, "text/plain");
}

TEST(SasTest, GeneratorsReproducePythonSdkTokens) {
  const std::string st = FormatSasTime(kStart);
  const std::string se = FormatSasTime(kExpiry);
  EXPECT_EQ(se, "2026-03-03T00:00:00Z");
  AccountSasOptions account;
  account.permissions = SasPermissions::Of("rwlc");
  account.start = st;
  account.expiry = se;
  EXPECT_EQ(MakeAccountSas(kDevAccount, kDevKey, account).ValueOr(""), SdkToken("account"));

  ServiceSasOptions fs;
  fs.container = "fs1";
  fs.permissions = SasPermissions::Of("rwlme");
  fs.start = st;
  fs.expiry = se;
  fs.ip = "127.0.0.1";
  fs.protocol = "https,http";
  EXPECT_EQ(MakeServiceSas(kDevAccount, kDevKey, fs).ValueOr(""), SdkToken("file_system"));

  ServiceSasOptions dir;
  dir.container = "fs1";
  dir.path = "dir one/sub";
  dir.directory = true;
  dir.permissions = SasPermissions::Of("rl");
  dir.expiry = se;
  EXPECT_EQ(MakeServiceSas(kDevAccount, kDevKey, dir).ValueOr(""), SdkToken("directory"));

  ServiceSasOptions file;
  file.container = "fs1";
  file.path = "dir one/12,+3#456?.txt";
  file.permissions = SasPermissions::Of("r");
  file.start = st;
  file.expiry = se;
  file.content_disposition = "attachment; filename=\"x y.txt\"";
  file.content_type = "text/plain";
  EXPECT_EQ(MakeServiceSas(kDevAccount, kDevKey, file).ValueOr(""), SdkToken("file"));

  ServiceSasOptions snap;
  snap.container = "c1";
  snap.path = "b.bin";
  snap.snapshot = "2026-03-01T00:00:00.1234567Z";
  snap.permissions = SasPermissions::Of("dr");
  snap.expiry = se;
  EXPECT_EQ(MakeServiceSas(kDevAccount, kDevKey, snap).ValueOr(""), SdkToken("blob_snapshot"));

  ServiceSasOptions bad;
  EXPECT_EQ(MakeServiceSas(kDevAccount, kDevKey, bad).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeAccountSas(kDevAccount, "%%%", account).status().code(), StatusCode::kInvalidArgument);
}

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(SasTest, TamperedTokensFail) {
  const SasRequestContext ctx = Context(kFile, SasResourceType::kObject, "r");
  const std::string account = SdkToken("account");
  for (const std::string& bad :
       {Replace(account, "sp=rwlc", "sp=rwdlc"), Replace(account, "se=2026-03-03", "se=2026-03-04"),
        Replace(account, "srt=sco", "srt=sc"), Replace(account, "sig=DB6", "sig=DB7"),
        Replace(SdkToken("file"), "rsct=text/plain", "rsct=text/html"),
        Replace(SdkToken("file_system"), "sip=127.0.0.1", "sip=127.0.0.0-127.0.0.2")}) {
    Status status = Verify(bad, ctx);
    EXPECT_TRUE(HasServiceError(status, 403, "AuthenticationFailed")) << bad;
    EXPECT_EQ(status.code(), StatusCode::kUnauthenticated);
    EXPECT_NE(DetailOf(status).find("Signature did not match. String to sign used was "), std::string::npos);
  }
  // A file SAS does not open a sibling; a directory SAS does not open a sibling or the parent.
  EXPECT_TRUE(HasServiceError(
      Verify(SdkToken("file"), Context("/blob/devstoreaccount1/fs1/dir one/other.txt", SasResourceType::kObject, "r")),
      403, "AuthenticationFailed"));
  for (std::string_view path : {"/blob/devstoreaccount1/fs1/dir one/other/f.txt", "/blob/devstoreaccount1/fs1/dir one",
                                "/blob/devstoreaccount1/fs2/dir one/sub/f.txt"}) {
    EXPECT_TRUE(HasServiceError(Verify(SdkToken("directory"), Context(path, SasResourceType::kObject, "r")), 403,
                                "AuthenticationFailed"))
        << path;
  }
  // A snapshot SAS is signed with the snapshot time of the request.
  EXPECT_TRUE(HasServiceError(Verify(SdkToken("blob_snapshot") + "&snapshot=2026-03-01T00%3A00%3A01.0000000Z",
                                     Context("/blob/devstoreaccount1/c1/b.bin", SasResourceType::kObject, "r")),
                              403, "AuthenticationFailed"));
  const std::string other_key = "AAAAAAAAAAAAAAAAAAAAAA==";
  EXPECT_TRUE(HasServiceError(Verify(account, ctx, kNow, other_key), 403, "AuthenticationFailed"));
}

TEST(SasTest, TimeWindow) {
  const SasRequestContext ctx = Context(kFile, SasResourceType::kObject, "r");
  const std::string token = SdkToken("account");
  EXPECT_TRUE(Verify(token, ctx, kStart).ok());
  EXPECT_TRUE(Verify(token, ctx, kExpiry).ok());
  Status early = Verify(token, ctx, kStart - 1000);
  EXPECT_TRUE(HasServiceError(early, 403, "AuthenticationFailed"));
  EXPECT_EQ(DetailOf(early),
            "Signature not valid in the specified time frame: Start [Sun, 01 Mar 2026 00:00:00 GMT] - Expiry [Tue, 03 "
            "Mar 2026 00:00:00 GMT] - Current [Sat, 28 Feb 2026 23:59:59 GMT]");
  EXPECT_TRUE(HasServiceError(Verify(token, ctx, kExpiry + 1000), 403, "AuthenticationFailed"));

  // Start after expiry; the short time forms; a malformed time.
  AccountSasOptions o;
  o.permissions = SasPermissions::Of("r");
  o.start = "2026-03-02T10:00Z";
  o.expiry = "2026-03-02";
  Status reversed = Verify(MakeAccountSas(kDevAccount, kDevKey, o).ValueOr(""), ctx);
  EXPECT_TRUE(HasServiceError(reversed, 403, "AuthenticationFailed"));
  EXPECT_NE(DetailOf(reversed).find("must be after signed start time"), std::string::npos);
  o.expiry = "2026-03-03";
  EXPECT_TRUE(Verify(MakeAccountSas(kDevAccount, kDevKey, o).ValueOr(""), ctx).ok());
  o.expiry = "2026-03-02T10:20:29.9999999+00:00";
  EXPECT_TRUE(
      HasServiceError(Verify(MakeAccountSas(kDevAccount, kDevKey, o).ValueOr(""), ctx), 403, "AuthenticationFailed"));
  o.expiry = "next tuesday";
  Status malformed = Verify(MakeAccountSas(kDevAccount, kDevKey, o).ValueOr(""), ctx);
  EXPECT_TRUE(HasServiceError(malformed, 403, "AuthenticationFailed"));
  EXPECT_NE(DetailOf(malformed).find("not well formed"), std::string::npos);
}

TEST(SasTest, PermissionMismatch) {
  Status status = Verify(SdkToken("file"), Context(kFile, SasResourceType::kObject, "w"));
  EXPECT_TRUE(HasServiceError(status, 403, "AuthorizationPermissionMismatch"));
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(DetailOf(status), "The SAS grants 'r'; this operation needs 'w'.");
  // Any one option suffices (create a file: c or w).
  SasRequestContext create = Context(kFile, SasResourceType::kObject, "");
  create.permission_options = {SasPermissions::Of("c"), SasPermissions::Of("w")};
  EXPECT_TRUE(Verify(SdkToken("file_system"), create).ok());
  EXPECT_TRUE(HasServiceError(Verify(SdkToken("directory"), create), 403, "AuthenticationFailed"));  // other path
  EXPECT_TRUE(HasServiceError(Verify(SdkToken("file"), create), 403, "AuthorizationPermissionMismatch"));
  // Account SAS letters may differ from service SAS letters for the same operation.
  SasRequestContext acl = Context(kFile, SasResourceType::kObject, "p");
  acl.account_permission_options = std::vector<SasPermissions>{SasPermissions::Of("w")};
  EXPECT_TRUE(Verify(SdkToken("account"), acl).ok());
  acl.account_permission_options = std::vector<SasPermissions>{SasPermissions::Of("d")};
  EXPECT_TRUE(HasServiceError(Verify(SdkToken("account"), acl), 403, "AuthorizationPermissionMismatch"));
}

TEST(SasTest, ResourceTypeAndServiceMismatch) {
  AccountSasOptions o;
  o.permissions = SasPermissions::Of("rl");
  o.resource_types = "c";
  o.expiry = "2026-03-03";
  const std::string containers_only = MakeAccountSas(kDevAccount, kDevKey, o).ValueOr("");
  EXPECT_TRUE(Verify(containers_only, Context("/blob/devstoreaccount1/fs1", SasResourceType::kContainer, "l")).ok());
  Status object = Verify(containers_only, Context(kFile, SasResourceType::kObject, "r"));
  EXPECT_TRUE(HasServiceError(object, 403, "AuthorizationResourceTypeMismatch"));
  EXPECT_EQ(object.code(), StatusCode::kPermissionDenied);
  o.resource_types = "sco";
  o.services = "qf";
  EXPECT_TRUE(HasServiceError(
      Verify(MakeAccountSas(kDevAccount, kDevKey, o).ValueOr(""), Context(kFile, SasResourceType::kObject, "r")), 403,
      "AuthorizationServiceMismatch"));
  // Service SAS: a blob SAS is not a container SAS; container SAS cannot list file systems.
  EXPECT_TRUE(
      HasServiceError(Verify(SdkToken("file"), Context("/blob/devstoreaccount1/fs1", SasResourceType::kContainer, "l")),
                      403, "AuthorizationResourceTypeMismatch"));
  EXPECT_TRUE(HasServiceError(
      Verify(SdkToken("file_system"), Context("/blob/devstoreaccount1", SasResourceType::kService, "l")), 403,
      "AuthorizationResourceTypeMismatch"));
}

TEST(SasTest, IpAndProtocol) {
  SasRequestContext ctx = Context(kFile, SasResourceType::kObject, "r");
  const std::string token = SdkToken("file_system");  // sip=127.0.0.1, spr=https,http
  ctx.client_ip = "::ffff:127.0.0.1";
  EXPECT_TRUE(Verify(token, ctx).ok());
  ctx.client_ip = "10.1.2.3";
  Status ip = Verify(token, ctx);
  EXPECT_TRUE(HasServiceError(ip, 403, "AuthorizationSourceIPMismatch"));
  EXPECT_NE(ip.message().find("10.1.2.3"), std::string::npos);
  ctx.client_ip = "::1";
  EXPECT_TRUE(HasServiceError(Verify(token, ctx), 403, "AuthorizationSourceIPMismatch"));

  ServiceSasOptions o;
  o.container = "fs1";
  o.permissions = SasPermissions::Of("r");
  o.expiry = "2026-03-03";
  o.ip = "10.0.0.1-10.0.0.9";
  o.protocol = "https";
  const std::string ranged = MakeServiceSas(kDevAccount, kDevKey, o).ValueOr("");
  ctx.client_ip = "10.0.0.9";
  ctx.protocol = "https";
  EXPECT_TRUE(Verify(ranged, ctx).ok());
  ctx.client_ip = "10.0.0.10";
  EXPECT_TRUE(HasServiceError(Verify(ranged, ctx), 403, "AuthorizationSourceIPMismatch"));
  ctx.client_ip = "10.0.0.5";
  ctx.protocol = "http";
  EXPECT_TRUE(HasServiceError(Verify(ranged, ctx), 403, "AuthorizationProtocolMismatch"));
  o.ip = "10.0.0.300";
  EXPECT_TRUE(
      HasServiceError(Verify(MakeServiceSas(kDevAccount, kDevKey, o).ValueOr(""), ctx), 403, "AuthenticationFailed"));
}

TEST(SasTest, VersionsAndMalformedTokens) {
  const SasRequestContext ctx = Context(kFile, SasResourceType::kObject, "r");
  ServiceSasOptions o;
  o.container = "fs1";
  o.permissions = SasPermissions::Of("r");
  o.expiry = "2026-03-03";
  for (const char* version : {"2015-04-05", "2018-03-28", "2019-12-12", "2020-12-06", "2025-01-05"}) {
    o.version = version;
    EXPECT_TRUE(Verify(MakeServiceSas(kDevAccount, kDevKey, o).ValueOr(""), ctx).ok()) << version;
  }
  o.version = "2014-02-14";
  Status old = Verify(MakeServiceSas(kDevAccount, kDevKey, o).ValueOr(""), ctx);
  EXPECT_TRUE(HasServiceError(old, 403, "AuthenticationFailed"));
  EXPECT_NE(DetailOf(old).find("not supported"), std::string::npos);
  const std::string good = SdkToken("file");
  for (const std::string& bad :
       {Replace(good, "sv=2021-12-02", "sv=latest"), Replace(good, "sv=2021-12-02&", ""), Replace(good, "sp=r&", ""),
        Replace(good, "sr=b", "sr=x"), Replace(good, "sp=r", "sp=rq"), Replace(good, "sr=b&", "ss=b&sr=b&"),
        Replace(good, "sr=b&", "sr=s&"), good + "&skoid=abc&sktid=def",
        Replace(good, "se=2026-03-03T00%3A00%3A00Z&", ""), std::string("sp=r&sv=2021-12-02&sr=b"), good + "&x=%zz"}) {
    Status status = Verify(bad, ctx);
    EXPECT_TRUE(HasServiceError(status, 403, "AuthenticationFailed") ||
                HasServiceError(status, 403, "AuthorizationServiceMismatch"))
        << bad << ": " << status;
  }
  EXPECT_NE(DetailOf(Verify(good + "&skoid=abc", ctx)).find("User delegation SAS is not supported"), std::string::npos);
  EXPECT_EQ(Verify(good, ctx, kNow, "bad key").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasServiceError(Verify(Replace(SdkToken("directory"), "sdd=2", "sdd=0"),
                                     Context("/blob/devstoreaccount1/fs1/dir one/sub", SasResourceType::kObject, "r")),
                              403, "AuthenticationFailed"));
}

TEST(SasTest, UnescapedPlusInSignature) {
  const std::string token = SdkToken("file");  // its signature contains %2B
  const std::string raw_plus = Replace(Replace(token, "sig=I%2B", "sig=I+"), "ry%2B4%3D", "ry+4%3D");
  EXPECT_TRUE(Verify(raw_plus, Context(kFile, SasResourceType::kObject, "r")).ok());
  EXPECT_TRUE(HasSasSignature(token));
  EXPECT_TRUE(HasSasSignature("a=1&SIG=x"));
  EXPECT_FALSE(HasSasSignature("signature=1&comp=list"));
  EXPECT_FALSE(HasSasSignature(""));
}

TEST(SasTest, StoredAccessPolicy) {
  ServiceSasOptions o;
  o.container = "fs1";
  o.identifier = "policy1";
  const std::string token = MakeServiceSas(kDevAccount, kDevKey, o).ValueOr("");
  SasRequestContext ctx = Context(kFile, SasResourceType::kObject, "r");
  EXPECT_TRUE(HasServiceError(Verify(token, ctx), 403, "AuthenticationFailed"));  // no policy lookup
  ctx.stored_policy = [](std::string_view container, std::string_view id) -> std::optional<StoredAccessPolicy> {
    if (container != "fs1" || id != "policy1") return std::nullopt;
    return StoredAccessPolicy{"rl", "", "2026-03-03T00:00:00Z"};
  };
  EXPECT_TRUE(Verify(token, ctx).ok());
  EXPECT_TRUE(HasServiceError(Verify(token, ctx, kExpiry + 1000), 403, "AuthenticationFailed"));
  ctx.permission_options = {SasPermissions::Of("w")};
  EXPECT_TRUE(HasServiceError(Verify(token, ctx), 403, "AuthorizationPermissionMismatch"));
  o.permissions = SasPermissions::Of("r");  // given twice
  EXPECT_TRUE(
      HasServiceError(Verify(MakeServiceSas(kDevAccount, kDevKey, o).ValueOr(""), ctx), 403, "AuthenticationFailed"));
  o.identifier = "nope";
  EXPECT_TRUE(
      HasServiceError(Verify(MakeServiceSas(kDevAccount, kDevKey, o).ValueOr(""), ctx), 403, "AuthenticationFailed"));
}

}  // namespace
}  // namespace lakeshift::auth
