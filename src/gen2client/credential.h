#pragma once
// How the Gen2 client authenticates: Shared Key (account key), a SAS token, or OAuth bearer tokens from a
// token source (Entra client credentials, managed identity, a token file, the local identity provider).
// Secrets never leave this object except in the request it signs.

#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "http/headers.h"

namespace lakeshift::gen2client {

// Returns a valid access token for https://storage.azure.com/ (the source caches and refreshes).
using TokenSource = std::function<Result<std::string>()>;

class Gen2Credential {
 public:
  static Gen2Credential SharedKey(std::string account, std::string key_base64);
  // The SAS query string, with or without a leading '?'.
  static Gen2Credential Sas(std::string_view token);
  static Gen2Credential Bearer(TokenSource source);

  // Adds what the request needs: an Authorization header (after all other headers are final), or the SAS
  // parameters appended to `url`.
  Status Apply(std::string_view method, std::string& url, http::Headers& headers) const;

 private:
  enum class Kind : uint8_t { kSharedKey, kSas, kBearer };
  Kind kind_ = Kind::kSharedKey;
  std::string account_;
  std::string secret_;  // key (base64) or SAS query
  TokenSource token_;
};

}  // namespace lakeshift::gen2client
