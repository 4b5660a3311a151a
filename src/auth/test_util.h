#pragma once
// Shared pieces of the auth tests: vector types, status matchers and the dev account.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/auth_errors.h"
#include "common/status.h"
#include "http/headers.h"

namespace lakeshift::auth::testing {

inline constexpr std::string_view kDevAccount = "devstoreaccount1";
inline constexpr std::string_view kDevKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

using HeaderList = std::vector<std::pair<std::string, std::string>>;

inline http::Headers MakeHeaders(const HeaderList& list) {
  http::Headers headers;
  for (const auto& [name, value] : list) headers.Add(name, value);
  return headers;
}

// Asserts the HTTP status and service code a front-end will render.
inline ::testing::AssertionResult HasServiceError(const Status& status, int http_status, std::string_view code) {
  if (status.ok()) return ::testing::AssertionFailure() << "expected " << code << ", got OK";
  const ServiceDetail* detail = status.detail();
  if (detail == nullptr || detail->http_status != http_status || detail->service_code != code) {
    return ::testing::AssertionFailure() << "expected " << http_status << " " << code << ", got " << status;
  }
  return ::testing::AssertionSuccess();
}

struct GoldenCase {
  const char* name;
  const char* method;
  const char* path;
  const char* query;
  HeaderList headers;
  const char* account;
  const char* key;
  const char* string_to_sign;
  const char* signature;
  std::vector<std::string> client_variants;  // signatures of other clients' choices (order, empty params, ...)
};

struct SasGolden {
  const char* name;
  bool account_sas;
  std::vector<std::string> fields;
  const char* string_to_sign;
  const char* key;
  const char* signature;
};

struct SdkRequest {
  const char* name;
  const char* method;
  const char* path;
  const char* query;
  HeaderList headers;
};

struct SdkSas {
  const char* name;
  const char* token;
};

inline std::string DetailOf(const Status& status) {
  return std::string(SplitAuthError(status).detail);
}

}  // namespace lakeshift::auth::testing
