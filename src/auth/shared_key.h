#pragma once
// Azure Storage Shared Key ("SharedKey" scheme) for the Blob and DFS endpoints: the string-to-sign, the
// signature, client-side signing and server-side verification. One implementation serves the Gen2 client and
// the emulator, so both sides agree by construction; the tests pin it with independently computed vectors
// (testdata/golden_vectors.py) and with requests signed by the official Python SDK (testdata/sdk_vectors.py).
//
// StringToSign = VERB \n Content-Encoding \n Content-Language \n Content-Length (empty when 0) \n Content-MD5 \n
//   Content-Type \n Date \n If-Modified-Since \n If-Match \n If-None-Match \n If-Unmodified-Since \n Range \n
//   (x-ms-* headers: lower-case name ":" value \n, sorted, repeated names joined by ",")
//   "/" account raw-path (percent-encoded, as sent)
//   (\n name ":" decoded values: lower-case names in byte order, values sorted and joined by ",")
// Path-style emulator URLs put the account in the path too: /acct/fs/a -> "/acct/acct/fs/a".

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "http/headers.h"

namespace lakeshift::auth {

// A request as the signature sees it. The views must outlive the call.
struct SignableRequest {
  std::string_view method;  // "GET", "PUT", ...
  std::string_view path;    // raw URL path as sent, still percent-encoded; empty means "/"
  std::string_view query;   // raw query string without '?'
  const http::Headers& headers;
};

// How x-ms-* header names are ordered.
enum class HeaderOrder : uint8_t {
  // The service's order: .NET culture-aware comparison (en-US), in which '-' and '\'' are ignored unless the
  // names are otherwise equal. The Go (so AzCopy), JavaScript and C++ SDKs imitate it with weight tables.
  kService,
  // Plain byte order: older SDKs, Hadoop ABFS.
  kOrdinal,
  // The Python SDK (azure-storage-* _shared/authentication.py _storage_header_sort): a fixed alphabet in which
  // '-' sorts before every other character.
  kPythonSdk,
};

// Choices that differ between clients. The defaults are the documented form, which the client side uses and
// the server reports when a signature does not match; VerifySharedKey also tries the other choices.
struct CanonicalOptions {
  HeaderOrder header_order = HeaderOrder::kService;
  bool skip_empty_query_values = false;     // JS SDK and Hadoop leave out "name=" parameters
  bool plus_as_space = false;               // Go SDK and Azurite decode '+' in query values as a space
  bool swap_encoding_and_language = false;  // JS SDK puts Content-Language before Content-Encoding
  bool empty_date_with_x_ms_date = false;   // Go SDK and Hadoop leave the Date line empty when x-ms-date is sent
};

std::string StringToSign(const SignableRequest& request, std::string_view account,
                         const CanonicalOptions& options = {});

// base64(HMAC-SHA256(base64decode(key), string_to_sign)). Fails when the key is not valid base64.
Result<std::string> Sign(std::string_view string_to_sign, std::string_view key_base64);

// Client side: sets x-ms-date (when absent) to `now` and Authorization to "SharedKey account:signature".
// `url` is absolute ("http://127.0.0.1:10004/acct/fs/a?x=1") or a target ("/acct/fs/a?x=1"). `headers` must
// already hold every signed header that will be sent, Content-Length included when the body is not empty;
// the transport must not add or change any of them afterwards.
Status SignRequest(std::string_view method, std::string_view url, http::Headers& headers, std::string_view account,
                   std::string_view key_base64, int64_t now_epoch_ms);
Status SignRequest(std::string_view method, std::string_view url, http::Headers& headers, std::string_view account,
                   std::string_view key_base64);

// Largest difference between a request's date and the server clock (either way).
inline constexpr int64_t kMaxClockSkewMs = int64_t{15} * 60 * 1000;

// Server side. Errors (see auth_errors.h): no Authorization header -> 401 NoAuthenticationInformation; an
// unparsable one or another scheme -> 400 InvalidAuthenticationInfo; another account, no or bad date, a date
// more than 15 minutes off, or a signature that matches no client variant -> 403 AuthenticationFailed (the
// detail holds the string-to-sign the server used). A key that is not base64 -> kInvalidArgument.
Status VerifySharedKey(const SignableRequest& request, std::string_view account, std::string_view key_base64,
                       int64_t now_epoch_ms);

// The header-name comparison of HeaderOrder::kService; exposed for tests.
bool ServiceHeaderLess(std::string_view a, std::string_view b);

}  // namespace lakeshift::auth
