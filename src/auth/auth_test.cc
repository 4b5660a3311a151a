// Shared Key tests. The expected strings-to-sign and signatures come from two independent sources, pasted as
// constants: testdata/golden_vectors.py (a separate stdlib Python implementation, written from the service
// documentation and the SDKs' ordering tables) and testdata/sdk_vectors.py (requests signed by the official
// Python SDK from Debian's python3-azure). Regenerate them with
//   /usr/bin/python3 src/auth/testdata/golden_vectors.py > src/auth/testdata/golden_vectors.inc
//   /usr/bin/python3 src/auth/testdata/sdk_vectors.py > src/auth/testdata/sdk_vectors.inc

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
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
using testing::HeaderList;
using testing::kDevAccount;
using testing::kDevKey;
using testing::MakeHeaders;
using testing::SasGolden;
using testing::SdkRequest;
using testing::SdkSas;

#include "auth/testdata/golden_vectors.inc"
#include "auth/testdata/sdk_vectors.inc"

constexpr int64_t kGoldenNow = 1772446830000;  // Mon, 02 Mar 2026 10:20:30 GMT, the golden requests' date

int64_t DateOf(const http::Headers& headers) {
  std::optional<std::string> date = headers.Get("x-ms-date");
  if (!date) date = headers.Get("Date");
  Result<int64_t> ms = encoding::ParseRfc1123(date.value_or(""));
  EXPECT_TRUE(ms.ok()) << ms.status();
  return ms.ValueOr(0);
}

TEST(SharedKeyTest, GoldenNowIsTheGoldenDate) {
  EXPECT_EQ(encoding::FormatRfc1123(kGoldenNow), "Mon, 02 Mar 2026 10:20:30 GMT");
}

TEST(SharedKeyTest, GoldenStringsToSignAndSignatures) {
  for (const GoldenCase& c : kGoldenCases) {
    SCOPED_TRACE(c.name);
    const http::Headers headers = MakeHeaders(c.headers);
    const SignableRequest request{c.method, c.path, c.query, headers};
    EXPECT_EQ(StringToSign(request, c.account), c.string_to_sign);
    Result<std::string> signature = Sign(c.string_to_sign, c.key);
    ASSERT_TRUE(signature.ok()) << signature.status();
    EXPECT_EQ(*signature, c.signature);
  }
}

TEST(SharedKeyTest, VerifierAcceptsGoldenAndEveryClientVariant) {
  for (const GoldenCase& c : kGoldenCases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> signatures = c.client_variants;
    signatures.emplace_back(c.signature);
    for (const std::string& signature : signatures) {
      http::Headers headers = MakeHeaders(c.headers);
      headers.Set("Authorization", "SharedKey " + std::string(c.account) + ":" + signature);
      const SignableRequest request{c.method, c.path, c.query, headers};
      EXPECT_TRUE(VerifySharedKey(request, c.account, c.key, kGoldenNow).ok()) << signature;
    }
  }
}

// The orders of header names computed by the independent script for each HeaderOrder.
std::vector<std::string> CanonicalHeaderNames(HeaderOrder order, const std::vector<std::string>& names) {
  http::Headers headers;
  for (const std::string& n : names) headers.Add(n, "v");
  CanonicalOptions options;
  options.header_order = order;
  const std::string text = StringToSign(SignableRequest{"GET", "/", "", headers}, "a", options);
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = text.find("\nx-ms-", pos)) != std::string::npos) {
    const size_t colon = text.find(':', pos);
    out.push_back(text.substr(pos + 1, colon - pos - 1));
    pos = colon;
  }
  return out;
}

TEST(SharedKeyTest, HeaderOrdersMatchIndependentTables) {
  const std::vector<std::string> service(std::begin(kServiceOrder), std::end(kServiceOrder));
  const std::vector<std::string> python(std::begin(kPythonOrder), std::end(kPythonOrder));
  const std::vector<std::string> ordinal(std::begin(kOrdinalOrder), std::end(kOrdinalOrder));
  std::vector<std::string> shuffled = service;
  std::mt19937 rng(7);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    EXPECT_EQ(CanonicalHeaderNames(HeaderOrder::kService, shuffled), service);
    EXPECT_EQ(CanonicalHeaderNames(HeaderOrder::kPythonSdk, shuffled), python);
    EXPECT_EQ(CanonicalHeaderNames(HeaderOrder::kOrdinal, shuffled), ordinal);
  }
}

TEST(SharedKeyTest, ServiceOrderIsAStrictWeakOrder) {
  // std::stable_sort needs it; check on random header-like names full of the characters that are ignored.
  constexpr std::string_view kAlphabet = "ab1_-'.x";
  std::mt19937 rng(11);
  std::vector<std::string> names;
  for (int i = 0; i < 60; ++i) {
    std::string n = "x-ms-";
    for (int len = static_cast<int>(rng() % 5); len >= 0; --len) n += kAlphabet[rng() % kAlphabet.size()];
    names.push_back(n);
  }
  for (const std::string& a : names) {
    EXPECT_FALSE(ServiceHeaderLess(a, a)) << a;
    for (const std::string& b : names) {
      if (a != b) {
        EXPECT_NE(ServiceHeaderLess(a, b), ServiceHeaderLess(b, a)) << a << " " << b;
      }
      for (const std::string& c : names) {
        if (ServiceHeaderLess(a, b) && ServiceHeaderLess(b, c)) {
          EXPECT_TRUE(ServiceHeaderLess(a, c)) << a << " " << b << " " << c;
        }
      }
    }
  }
}

TEST(SharedKeyTest, PythonSdkRequestsVerifyAndMatchOurSigner) {
  for (const SdkRequest& r : kSdkRequests) {
    SCOPED_TRACE(r.name);
    const http::Headers sent = MakeHeaders(r.headers);
    const int64_t now = DateOf(sent);
    EXPECT_TRUE(VerifySharedKey(SignableRequest{r.method, r.path, r.query, sent}, kDevAccount, kDevKey, now).ok());

    // The client side signs the same request to the same Authorization value.
    http::Headers ours = sent;
    ours.Remove("Authorization");
    std::string target = r.path;
    if (*r.query != '\0') target.append("?").append(r.query);
    ASSERT_TRUE(SignRequest(r.method, "http://127.0.0.1:10004" + target, ours, kDevAccount, kDevKey, now).ok());
    EXPECT_EQ(ours.Get("Authorization"), sent.Get("Authorization"));
    EXPECT_EQ(ours.Get("x-ms-date"), sent.Get("x-ms-date"));  // kept, not replaced
  }
}

TEST(SharedKeyTest, TamperedSdkRequestsFailWithTheStringToSign) {
  const SdkRequest& r = kSdkRequests[1];  // list_paths
  const http::Headers sent = MakeHeaders(r.headers);
  const int64_t now = DateOf(sent);
  const std::string tampered_query = std::string(r.query) + "&upn=true";
  Status status = VerifySharedKey(SignableRequest{r.method, r.path, tampered_query, sent}, kDevAccount, kDevKey, now);
  EXPECT_TRUE(HasServiceError(status, 403, "AuthenticationFailed"));
  EXPECT_EQ(status.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(SplitAuthError(status).message, kAuthenticationFailedMessage);
  EXPECT_NE(DetailOf(status).find("Server used following string to sign: 'GET\n"), std::string::npos);
  EXPECT_NE(DetailOf(status).find("\nupn:true'"), std::string::npos);

  http::Headers changed = sent;
  changed.Set("x-ms-version", "2020-02-10");
  status = VerifySharedKey(SignableRequest{r.method, r.path, r.query, changed}, kDevAccount, kDevKey, now);
  EXPECT_TRUE(HasServiceError(status, 403, "AuthenticationFailed"));
  status = VerifySharedKey(SignableRequest{"PUT", r.path, r.query, sent}, kDevAccount, kDevKey, now);
  EXPECT_TRUE(HasServiceError(status, 403, "AuthenticationFailed"));
  status =
      VerifySharedKey(SignableRequest{r.method, "/devstoreaccount1/fs2", r.query, sent}, kDevAccount, kDevKey, now);
  EXPECT_TRUE(HasServiceError(status, 403, "AuthenticationFailed"));
}

// A request signed by SignRequest at `signed_at`, verified at kGoldenNow.
Status SignedAt(int64_t signed_at, const HeaderList& extra = {}) {
  http::Headers headers = MakeHeaders(extra);
  headers.Set("x-ms-version", "2021-12-02");
  EXPECT_TRUE(
      SignRequest("GET", "/devstoreaccount1/fs1?resource=filesystem", headers, kDevAccount, kDevKey, signed_at).ok());
  return VerifySharedKey(SignableRequest{"GET", "/devstoreaccount1/fs1", "resource=filesystem", headers}, kDevAccount,
                         kDevKey, kGoldenNow);
}

TEST(SharedKeyTest, ClockSkewWindow) {
  constexpr int64_t kMinute = int64_t{60} * 1000;
  EXPECT_TRUE(SignedAt(kGoldenNow).ok());
  EXPECT_TRUE(SignedAt(kGoldenNow - 14 * kMinute).ok());
  EXPECT_TRUE(SignedAt(kGoldenNow + 14 * kMinute).ok());
  Status old = SignedAt(kGoldenNow - 16 * kMinute);
  EXPECT_TRUE(HasServiceError(old, 403, "AuthenticationFailed"));
  EXPECT_EQ(DetailOf(old), "Request date header too old: 'Mon, 02 Mar 2026 10:04:30 GMT'");
  Status future = SignedAt(kGoldenNow + 16 * kMinute);
  EXPECT_TRUE(HasServiceError(future, 403, "AuthenticationFailed"));
  EXPECT_NE(DetailOf(future).find("future"), std::string::npos);
}

TEST(SharedKeyTest, DateHeaders) {
  // Date alone (older clients) is accepted; x-ms-date wins when both are sent.
  http::Headers headers{{"Date", "Mon, 02 Mar 2026 10:20:30 GMT"}};
  const SignableRequest request{"GET", "/devstoreaccount1/c", "comp=list", headers};
  ASSERT_TRUE(SignRequest("GET", "/devstoreaccount1/c?comp=list", headers, kDevAccount, kDevKey, 0).ok());
  EXPECT_EQ(headers.Get("x-ms-date"), "Thu, 01 Jan 1970 00:00:00 GMT");  // added, since it was absent
  EXPECT_TRUE(HasServiceError(VerifySharedKey(request, kDevAccount, kDevKey, kGoldenNow), 403,
                              "AuthenticationFailed"));  // x-ms-date is 1970: too old
  EXPECT_TRUE(VerifySharedKey(request, kDevAccount, kDevKey, 0).ok());

  // Go and Hadoop leave the Date line empty when x-ms-date is present.
  http::Headers go{{"Date", "Mon, 02 Mar 2026 10:20:30 GMT"}, {"x-ms-date", "Mon, 02 Mar 2026 10:20:30 GMT"}};
  const SignableRequest go_request{"GET", "/devstoreaccount1/c", "", go};
  CanonicalOptions go_options;
  go_options.empty_date_with_x_ms_date = true;
  Result<std::string> sig = Sign(StringToSign(go_request, kDevAccount, go_options), kDevKey);
  ASSERT_TRUE(sig.ok());
  go.Set("Authorization", "SharedKey devstoreaccount1:" + *sig);
  EXPECT_TRUE(VerifySharedKey(go_request, kDevAccount, kDevKey, kGoldenNow).ok());

  http::Headers none{{"Authorization", "SharedKey devstoreaccount1:abc="}};
  Status missing = VerifySharedKey(SignableRequest{"GET", "/", "", none}, kDevAccount, kDevKey, kGoldenNow);
  EXPECT_TRUE(HasServiceError(missing, 403, "AuthenticationFailed"));
  EXPECT_NE(DetailOf(missing).find("date header not specified"), std::string::npos);
  none.Set("x-ms-date", "2026-03-02T10:20:30Z");
  EXPECT_TRUE(HasServiceError(VerifySharedKey(SignableRequest{"GET", "/", "", none}, kDevAccount, kDevKey, kGoldenNow),
                              403, "AuthenticationFailed"));
}

TEST(SharedKeyTest, AuthorizationHeaderErrors) {
  const auto verify = [](std::optional<std::string> authorization) {
    http::Headers headers{{"x-ms-date", "Mon, 02 Mar 2026 10:20:30 GMT"}};
    if (authorization) headers.Set("Authorization", *authorization);
    return VerifySharedKey(SignableRequest{"GET", "/devstoreaccount1/", "comp=list", headers}, kDevAccount, kDevKey,
                           kGoldenNow);
  };
  Status anonymous = verify(std::nullopt);
  EXPECT_TRUE(HasServiceError(anonymous, 401, "NoAuthenticationInformation"));
  EXPECT_EQ(anonymous.code(), StatusCode::kUnauthenticated);
  for (const char* bad : {"", "SharedKey", "SharedKey devstoreaccount1", "SharedKey :c2ln",
                          "SharedKey devstoreaccount1:", "SharedKey devstoreaccount1: c2ln", "Bearer eyJ0eXAi",
                          "Basic dXNlcjpwdw==", "SharedKeydevstoreaccount1:c2ln"}) {
    EXPECT_TRUE(HasServiceError(verify(bad), 400, "InvalidAuthenticationInfo")) << bad;
  }
  EXPECT_TRUE(HasServiceError(verify("SharedKeyLite devstoreaccount1:c2ln"), 403, "AuthenticationFailed"));
  Status other = verify("SharedKey otheraccount:c2ln");
  EXPECT_TRUE(HasServiceError(other, 403, "AuthenticationFailed"));
  EXPECT_NE(DetailOf(other).find("otheraccount"), std::string::npos);
  EXPECT_TRUE(HasServiceError(verify("SharedKey devstoreaccount1:c2ln"), 403, "AuthenticationFailed"));
  EXPECT_TRUE(HasServiceError(verify("sharedkey devstoreaccount1:c2ln"), 403, "AuthenticationFailed"));
}

TEST(SharedKeyTest, BadKeyIsInvalidArgumentWithoutTheKey) {
  const std::string bad_key = "not base64!";
  Result<std::string> sig = Sign("text", bad_key);
  ASSERT_FALSE(sig.ok());
  EXPECT_EQ(sig.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(sig.status().message().find(bad_key), std::string::npos);
  http::Headers headers;
  EXPECT_EQ(SignRequest("GET", "/a/b", headers, "a", bad_key, kGoldenNow).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(headers.Has("Authorization"));
  EXPECT_EQ(Sign("text", "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SignedAt(kGoldenNow).code(), StatusCode::kOk);
  http::Headers signed_headers{{"x-ms-date", "Mon, 02 Mar 2026 10:20:30 GMT"},
                               {"Authorization", "SharedKey devstoreaccount1:c2ln"}};
  EXPECT_EQ(VerifySharedKey(SignableRequest{"GET", "/", "", signed_headers}, kDevAccount, bad_key, kGoldenNow).code(),
            StatusCode::kInvalidArgument);
}

TEST(SharedKeyTest, ContentLengthZeroIsEmpty) {
  const http::Headers zero{{"Content-Length", "0"}, {"x-ms-date", "d"}};
  const http::Headers absent{{"x-ms-date", "d"}};
  const http::Headers five{{"Content-Length", "5"}, {"x-ms-date", "d"}};
  const auto sts = [](const http::Headers& h) { return StringToSign(SignableRequest{"PUT", "/a/f", "", h}, "a"); };
  EXPECT_EQ(sts(zero), sts(absent));
  EXPECT_EQ(sts(five), "PUT\n\n\n5\n\n\n\n\n\n\n\n\nx-ms-date:d\n/a/a/f");
}

TEST(SharedKeyTest, SignRequestUrlForms) {
  http::Headers a{{"x-ms-version", "2021-12-02"}};
  http::Headers b = a;
  ASSERT_TRUE(SignRequest("PATCH", "http://127.0.0.1:10004/devstoreaccount1/fs1/x%20y?action=flush&position=3", a,
                          kDevAccount, kDevKey, kGoldenNow)
                  .ok());
  ASSERT_TRUE(
      SignRequest("PATCH", "/devstoreaccount1/fs1/x%20y?action=flush&position=3", b, kDevAccount, kDevKey, kGoldenNow)
          .ok());
  EXPECT_EQ(a.Get("Authorization"), b.Get("Authorization"));
  EXPECT_TRUE(a.Get("Authorization")->starts_with("SharedKey devstoreaccount1:"));
  EXPECT_TRUE(VerifySharedKey(SignableRequest{"PATCH", "/devstoreaccount1/fs1/x%20y", "action=flush&position=3", a},
                              kDevAccount, kDevKey, kGoldenNow)
                  .ok());
  // Re-signing replaces the old Authorization instead of signing over it.
  ASSERT_TRUE(
      SignRequest("PATCH", "/devstoreaccount1/fs1/x%20y?action=flush&position=3", a, kDevAccount, kDevKey, kGoldenNow)
          .ok());
  EXPECT_EQ(a.GetAll("Authorization").size(), 1u);
  EXPECT_EQ(a.Get("Authorization"), b.Get("Authorization"));
  http::Headers c;
  EXPECT_FALSE(SignRequest("GET", "ftp://host/x", c, kDevAccount, kDevKey, kGoldenNow).ok());
}

TEST(SharedKeyTest, SplitAuthError) {
  const Status with = AuthenticationFailed("why");
  EXPECT_EQ(SplitAuthError(with).message, kAuthenticationFailedMessage);
  EXPECT_EQ(SplitAuthError(with).detail, "why");
  const Status without = NoAuthenticationInformation();
  EXPECT_TRUE(SplitAuthError(without).detail.empty());
  EXPECT_TRUE(HasServiceError(AnonymousResourceNotFound(), 404, "ResourceNotFound"));
  EXPECT_EQ(AnonymousResourceNotFound().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace lakeshift::auth
