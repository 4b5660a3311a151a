#include "identity/jwt.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "encoding/base64.h"
#include "encoding/time_format.h"

namespace lakeshift::identity {
namespace {

using nlohmann::json;

int64_t Now() {
  return encoding::NowEpochMillis() / 1000;
}

// RSA key generation takes a noticeable moment (more under sanitizers): one key pair for the whole suite.
class JwtTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto a = RsaKey::Generate();
    auto b = RsaKey::Generate();
    ASSERT_TRUE(a.ok() && b.ok());
    key_ = new RsaKey(*a);
    other_ = new RsaKey(*b);
  }
  static void TearDownTestSuite() {
    delete key_;
    delete other_;
  }

  static json BaseClaims() {
    return {{"aud", "https://storage.azure.com/"},
            {"iss", "http://idp/t/"},
            {"iat", Now() - 10},
            {"nbf", Now() - 10},
            {"exp", Now() + 3600},
            {"appid", "app-1"},
            {"oid", "oid-1"},
            {"tid", "t"},
            {"sub", "oid-1"},
            {"ver", "1.0"},
            {"groups", {"g1", "g2"}}};
  }
  static std::string Sign(const json& claims, const RsaKey* key = nullptr) {
    auto token = SignJwt(key ? *key : *key_, claims.dump());
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? *token : "";
  }
  static KeySet Keys() {
    KeySet keys;
    keys.Add(*key_);
    return keys;
  }
  static std::optional<TokenError> ErrorOf(const std::string& token, const VerifyOptions& options = {}) {
    auto claims = VerifyToken(token, Keys(), options);
    EXPECT_FALSE(claims.ok());
    if (claims.ok()) return std::nullopt;
    EXPECT_EQ(claims.status().code(), StatusCode::kUnauthenticated);
    return TokenErrorOf(claims.status());
  }
  // A token with a hand-made header and payload and a real signature over them.
  static std::string Craft(const json& header, const json& payload) {
    std::string input = encoding::Base64UrlEncode(header.dump()) + "." + encoding::Base64UrlEncode(payload.dump());
    return input + "." + encoding::Base64UrlEncode(*key_->Sign(input));
  }

  static RsaKey* key_;
  static RsaKey* other_;
};
RsaKey* JwtTest::key_ = nullptr;
RsaKey* JwtTest::other_ = nullptr;

TEST_F(JwtTest, SignAndVerifyExtractsClaims) {
  std::string token = Sign(BaseClaims());
  VerifyOptions options;
  options.audiences = {"https://storage.azure.com/"};
  options.issuers = {"http://idp/t/"};
  auto claims = VerifyToken(token, Keys(), options);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->oid, "oid-1");
  EXPECT_EQ(claims->tid, "t");
  EXPECT_EQ(claims->sub, "oid-1");
  EXPECT_EQ(claims->appid, "app-1");
  EXPECT_EQ(claims->version, "1.0");
  EXPECT_EQ(claims->aud, std::vector<std::string>{"https://storage.azure.com/"});
  EXPECT_EQ(claims->groups, (std::vector<std::string>{"g1", "g2"}));
  EXPECT_GT(claims->expires_at, Now());
  auto header = json::parse(claims->raw_header);
  EXPECT_EQ(header["alg"], "RS256");
  EXPECT_EQ(header["typ"], "JWT");
  EXPECT_EQ(header["kid"], key_->kid());
  EXPECT_EQ(header["x5t"], key_->kid());
  EXPECT_EQ(json::parse(claims->raw_payload)["oid"], "oid-1");
}

TEST_F(JwtTest, AzpIsTheClientOfV2Tokens) {
  json c = BaseClaims();
  c.erase("appid");
  c["azp"] = "app-2";
  c["aud"] = json::array({"x", "https://storage.azure.com"});  // an array, without the trailing slash
  VerifyOptions options;
  options.audiences = {"https://storage.azure.com/"};
  auto claims = VerifyToken(Sign(c), Keys(), options);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->appid, "app-2");
}

TEST_F(JwtTest, LifetimeWithLeeway) {
  json c = BaseClaims();
  c["exp"] = Now() - 30;  // inside the 60 s leeway
  EXPECT_TRUE(VerifyToken(Sign(c), Keys(), {}).ok());

  c["exp"] = Now() - 120;
  auto expired = VerifyToken(Sign(c), Keys(), {});
  EXPECT_EQ(TokenErrorOf(expired.status()), TokenError::kExpired);
  EXPECT_NE(expired.status().message().find("token expired at "), std::string::npos) << expired.status();
  EXPECT_NE(expired.status().message().find("leeway 60 s"), std::string::npos);
  EXPECT_EQ(expired.status().detail()->http_status, 401);
  EXPECT_EQ(expired.status().detail()->service_code, "TokenExpired");

  c = BaseClaims();
  c["nbf"] = Now() + 120;
  auto early = VerifyToken(Sign(c), Keys(), {});
  EXPECT_EQ(TokenErrorOf(early.status()), TokenError::kNotYetValid);
  EXPECT_NE(early.status().message().find("not valid before"), std::string::npos);

  VerifyOptions strict;
  strict.leeway_seconds = 0;
  strict.now = Now() + 4000;  // an explicit clock
  EXPECT_EQ(ErrorOf(Sign(BaseClaims()), strict), TokenError::kExpired);
}

TEST_F(JwtTest, TamperedTokensFailTheSignature) {
  std::string token = Sign(BaseClaims());
  size_t dot1 = token.find('.');
  size_t dot2 = token.rfind('.');
  json forged = BaseClaims();
  forged["oid"] = "someone-else";
  std::string swapped = token.substr(0, dot1 + 1) + encoding::Base64UrlEncode(forged.dump()) + token.substr(dot2);
  EXPECT_EQ(ErrorOf(swapped), TokenError::kBadSignature);

  std::string flipped = token;
  flipped[dot2 + 5] = flipped[dot2 + 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(ErrorOf(flipped), TokenError::kBadSignature);

  // Same kid, other key: a forger who copies the header.
  json header = {{"alg", "RS256"}, {"kid", key_->kid()}};
  std::string input = encoding::Base64UrlEncode(header.dump()) + "." + encoding::Base64UrlEncode(forged.dump());
  EXPECT_EQ(ErrorOf(input + "." + encoding::Base64UrlEncode(*other_->Sign(input))), TokenError::kBadSignature);
}

TEST_F(JwtTest, AudienceAndIssuerChecks) {
  std::string token = Sign(BaseClaims());
  VerifyOptions options;
  options.audiences = {"https://datalake.azure.net/"};
  auto wrong = VerifyToken(token, Keys(), options);
  EXPECT_EQ(TokenErrorOf(wrong.status()), TokenError::kWrongAudience);
  EXPECT_NE(
      wrong.status().message().find("'https://storage.azure.com/' is not the expected 'https://datalake.azure.net/'"),
      std::string::npos)
      << wrong.status();

  options.audiences = {"https://storage.azure.com"};
  options.issuers = {"http://other/t/"};
  EXPECT_EQ(ErrorOf(token, options), TokenError::kWrongIssuer);
  options.issuers = {"http://other/t/", "http://idp/t/"};
  EXPECT_TRUE(VerifyToken(token, Keys(), options).ok());

  EXPECT_TRUE(AudienceMatches("https://storage.azure.com", "https://storage.azure.com/"));
  EXPECT_TRUE(AudienceMatches("https://datalake.azure.net/", "https://datalake.azure.net/"));
  EXPECT_FALSE(AudienceMatches("https://storage.azure.com//", "https://storage.azure.com"));
  EXPECT_FALSE(AudienceMatches("https://storage.azure.co", "https://storage.azure.com"));
}

TEST_F(JwtTest, UnknownKeyAndBadAlgorithms) {
  auto other = VerifyToken(Sign(BaseClaims(), other_), Keys(), {});
  EXPECT_EQ(TokenErrorOf(other.status()), TokenError::kUnknownKey);
  EXPECT_NE(other.status().message().find(other_->kid()), std::string::npos);

  json payload = BaseClaims();
  EXPECT_EQ(ErrorOf(Craft({{"alg", "none"}, {"kid", key_->kid()}}, payload)), TokenError::kBadAlgorithm);
  EXPECT_EQ(ErrorOf(Craft({{"alg", "HS256"}, {"kid", key_->kid()}}, payload)), TokenError::kBadAlgorithm);
  EXPECT_EQ(ErrorOf(Craft({{"alg", "RS256"}}, payload)), TokenError::kMalformed);  // no kid
  // "alg":"none" with an empty signature, the classic forgery.
  std::string unsigned_token =
      encoding::Base64UrlEncode(R"({"alg":"none","kid":"x"})") + "." + encoding::Base64UrlEncode(payload.dump()) + ".";
  EXPECT_EQ(ErrorOf(unsigned_token), TokenError::kBadAlgorithm);
}

TEST_F(JwtTest, MalformedTokens) {
  for (std::string token : {"", "abc", "a.b", "a.b.c.d", "!!.e30.sig", "e30.e30.sig"}) {
    EXPECT_EQ(ErrorOf(token), TokenError::kMalformed) << token;
  }
  json header = {{"alg", "RS256"}, {"kid", key_->kid()}};
  json no_exp = BaseClaims();
  no_exp.erase("exp");
  auto missing = VerifyToken(Craft(header, no_exp), Keys(), {});
  EXPECT_EQ(TokenErrorOf(missing.status()), TokenError::kMalformed);
  EXPECT_NE(missing.status().message().find("no 'exp'"), std::string::npos);
  json bad_oid = BaseClaims();
  bad_oid["oid"] = 5;
  EXPECT_EQ(ErrorOf(Craft(header, bad_oid)), TokenError::kMalformed);
  json bad_groups = BaseClaims();
  bad_groups["groups"] = {1, 2};
  EXPECT_EQ(ErrorOf(Craft(header, bad_groups)), TokenError::kMalformed);
  EXPECT_FALSE(SignJwt(*key_, "[1,2]").ok());
  EXPECT_FALSE(SignJwt(*key_, "not json").ok());
  EXPECT_EQ(TokenErrorOf(NotFound("x")), std::nullopt);
}

TEST_F(JwtTest, PemRoundTripKeepsTheKey) {
  auto pem = key_->PrivatePem();
  ASSERT_TRUE(pem.ok()) << pem.status();
  EXPECT_NE(pem->find("BEGIN PRIVATE KEY"), std::string::npos);
  auto loaded = RsaKey::FromPrivatePem(*pem);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->kid(), key_->kid());
  EXPECT_TRUE(loaded->has_private_key());
  auto token = SignJwt(*loaded, BaseClaims().dump());
  EXPECT_TRUE(VerifyToken(*token, Keys(), {}).ok());

  auto garbage = RsaKey::FromPrivatePem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "k.pem");
  EXPECT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("k.pem"), std::string::npos);
  EXPECT_FALSE(RsaKey::Generate(1024).ok());
}

TEST_F(JwtTest, KidIsTheRfc7638Thumbprint) {
  auto pub = RsaKey::FromPublicComponents("", key_->modulus_b64url(), key_->exponent_b64url());
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->kid(), key_->kid());
  EXPECT_FALSE(pub->has_private_key());
  EXPECT_FALSE(pub->Sign("x").ok());
  EXPECT_FALSE(pub->PrivatePem().ok());
  EXPECT_EQ(key_->exponent_b64url(), "AQAB");
  EXPECT_EQ(key_->kid().size(), 43u);  // base64url of 32 bytes
  EXPECT_NE(key_->kid(), other_->kid());
  // 1024-bit moduli are too weak to accept.
  std::string small(128, '\xff');
  auto weak = RsaKey::FromPublicComponents("w", encoding::Base64UrlEncode(small), "AQAB");
  EXPECT_FALSE(weak.ok());
  EXPECT_NE(weak.status().message().find("1024 bits"), std::string::npos) << weak.status();
  EXPECT_FALSE(RsaKey::FromPublicComponents("k", key_->modulus_b64url(), "AA").ok());  // exponent 0
}

TEST_F(JwtTest, JwksRoundTrip) {
  KeySet keys;
  keys.Add(*key_);
  keys.Add(*other_);
  keys.Add(*key_);  // same kid replaces
  EXPECT_EQ(keys.size(), 2u);
  std::string jwks = keys.ToJwksJson("http://idp/t/v2.0");
  auto doc = json::parse(jwks);
  ASSERT_EQ(doc["keys"].size(), 2u);
  EXPECT_EQ(doc["keys"][0]["kty"], "RSA");
  EXPECT_EQ(doc["keys"][0]["use"], "sig");
  EXPECT_EQ(doc["keys"][0]["kid"], key_->kid());
  EXPECT_EQ(doc["keys"][0]["e"], "AQAB");
  EXPECT_EQ(doc["keys"][0]["issuer"], "http://idp/t/v2.0");

  // Keys that cannot verify RS256 are skipped, not errors.
  doc["keys"].push_back({{"kty", "EC"}, {"kid", "ec"}, {"crv", "P-256"}, {"x", "a"}, {"y", "b"}});
  doc["keys"].push_back({{"kty", "RSA"}, {"use", "enc"}, {"kid", "enc"}, {"n", "a"}, {"e", "AQAB"}});
  auto parsed = KeySet::FromJwksJson(doc.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->size(), 2u);
  ASSERT_NE(parsed->Find(key_->kid()), nullptr);
  EXPECT_FALSE(parsed->Find(key_->kid())->has_private_key());
  EXPECT_TRUE(VerifyToken(Sign(BaseClaims()), *parsed, {}).ok());
  EXPECT_TRUE(VerifyToken(Sign(BaseClaims(), other_), *parsed, {}).ok());

  EXPECT_FALSE(KeySet::FromJwksJson("nope").ok());
  EXPECT_FALSE(KeySet::FromJwksJson("{}").ok());
  json broken = json::parse(jwks);
  broken["keys"][1].erase("n");
  auto missing = KeySet::FromJwksJson(broken.dump());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("keys[1]: no \"n\""), std::string::npos) << missing.status();
  broken = json::parse(jwks);
  broken["keys"][0]["n"] = "!!";
  auto bad = KeySet::FromJwksJson(broken.dump());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("keys[0]"), std::string::npos) << bad.status();
}

TEST(ParseBearerTest, Forms) {
  EXPECT_EQ(ParseBearer("Bearer abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(ParseBearer("bearer   tok  "), "tok");
  EXPECT_EQ(ParseBearer("Bearer "), std::nullopt);
  EXPECT_EQ(ParseBearer("Basic abc"), std::nullopt);
  EXPECT_EQ(ParseBearer("Bearerabc"), std::nullopt);
  EXPECT_EQ(ParseBearer(""), std::nullopt);
}

}  // namespace
}  // namespace lakeshift::identity
