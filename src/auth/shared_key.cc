#include "auth/shared_key.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "auth/auth_errors.h"
#include "auth/crypto_util.h"
#include "encoding/base64.h"
#include "encoding/percent.h"
#include "encoding/time_format.h"
#include "http/url.h"

namespace lakeshift::auth {
namespace {

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// ---- header orders ----------------------------------------------------------------------------------------

// First-level weights of the service order, lowest first: punctuation, '+', digits, letters (case-blind).
// Every other byte, '-' and '\'' included, is ignored at this level.
constexpr std::string_view kPrimaryAlphabet = "!#$%&*.^_`|~+0123456789abcdefghijklmnopqrstuvwxyz";

constexpr std::array<uint8_t, 256> MakePrimaryWeights() {
  std::array<uint8_t, 256> w{};
  for (size_t i = 0; i < kPrimaryAlphabet.size(); ++i) {
    const auto c = static_cast<unsigned char>(kPrimaryAlphabet[i]);
    w[c] = static_cast<uint8_t>(i + 1);
    if (c >= 'a' && c <= 'z') w[c - 'a' + 'A'] = static_cast<uint8_t>(i + 1);
  }
  return w;
}
constexpr std::array<uint8_t, 256> kPrimaryWeights = MakePrimaryWeights();

// Second level, compared position by position: an ordinary character (0) < end of name (1) < '\'' < '-'.
int SpecialWeight(std::string_view s, size_t pos) {
  if (pos >= s.size()) return 1;
  if (s[pos] == '\'') return 2;
  if (s[pos] == '-') return 3;
  return 0;
}

int ServiceCompare(std::string_view a, std::string_view b) {
  size_t i = 0;
  size_t j = 0;
  while (true) {
    while (i < a.size() && kPrimaryWeights[static_cast<unsigned char>(a[i])] == 0) ++i;
    while (j < b.size() && kPrimaryWeights[static_cast<unsigned char>(b[j])] == 0) ++j;
    if (i == a.size() || j == b.size()) {
      if (i == a.size() && j == b.size()) break;
      return i == a.size() ? -1 : 1;
    }
    const int wa = kPrimaryWeights[static_cast<unsigned char>(a[i++])];
    const int wb = kPrimaryWeights[static_cast<unsigned char>(b[j++])];
    if (wa != wb) return wa < wb ? -1 : 1;
  }
  for (size_t p = 0; p < a.size() || p < b.size(); ++p) {
    const int wa = SpecialWeight(a, p);
    const int wb = SpecialWeight(b, p);
    if (wa != wb) return wa < wb ? -1 : 1;
  }
  return a.compare(b);  // only names differing in ignored bytes get here; keeps the order total
}

// The Python SDK's alphabet (upper case never occurs: names are lower-cased first). Bytes outside it, on which
// the SDK raises, go last.
constexpr std::string_view kPythonAlphabet =
    "-!#$%&*.^_|~+\"'(),/`~0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]abcdefghijklmnopqrstuvwxyz{}";

int PythonRank(char c) {
  const size_t at = kPythonAlphabet.find(c);
  return at == std::string_view::npos ? 1000 + static_cast<unsigned char>(c) : static_cast<int>(at);
}

bool PythonLess(std::string_view a, std::string_view b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const int ra = PythonRank(a[i]);
    const int rb = PythonRank(b[i]);
    if (ra != rb) return ra < rb;
  }
  return a.size() < b.size();
}

bool HeaderLess(HeaderOrder order, std::string_view a, std::string_view b) {
  switch (order) {
    case HeaderOrder::kService: return ServiceCompare(a, b) < 0;
    case HeaderOrder::kPythonSdk: return PythonLess(a, b);
    case HeaderOrder::kOrdinal: break;
  }
  return a < b;
}

// ---- canonical parts --------------------------------------------------------------------------------------

std::string DecodeOrRaw(std::string_view text, bool plus_as_space) {
  Result<std::string> decoded = encoding::PercentDecode(text, plus_as_space);
  return decoded.ok() ? std::move(decoded).value() : std::string(text);  // a bad escape is signed as sent
}

void AppendCanonicalHeaders(const SignableRequest& request, HeaderOrder order, std::string& out) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& [name, value] : request.headers) {
    std::string lower = ToLower(Trim(name));
    if (!lower.starts_with("x-ms-")) continue;
    auto same = std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == lower; });
    if (same != fields.end()) {
      same->second += ',';
      same->second += Trim(value);
    } else {
      fields.emplace_back(std::move(lower), std::string(Trim(value)));
    }
  }
  std::stable_sort(fields.begin(), fields.end(),
                   [order](const auto& x, const auto& y) { return HeaderLess(order, x.first, y.first); });
  for (const auto& [name, value] : fields) {
    out += name;
    out += ':';
    out += value;
    out += '\n';
  }
}

void AppendCanonicalQuery(std::string_view query, const CanonicalOptions& options, std::string& out) {
  std::map<std::string, std::vector<std::string>> params;  // byte order of lower-cased names
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;
    const size_t eq = piece.find('=');
    std::string name = ToLower(DecodeOrRaw(piece.substr(0, eq), false));
    std::string value =
        eq == std::string_view::npos ? std::string() : DecodeOrRaw(piece.substr(eq + 1), options.plus_as_space);
    if (options.skip_empty_query_values && value.empty()) continue;
    params[std::move(name)].push_back(std::move(value));
  }
  for (auto& [name, values] : params) {
    std::sort(values.begin(), values.end());
    out += '\n';
    out += name;
    out += ':';
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out += ',';
      out += values[i];
    }
  }
}

// Every combination of client choices, the documented one first.
std::vector<CanonicalOptions> MakeVariants() {
  std::vector<CanonicalOptions> out;
  for (HeaderOrder order : {HeaderOrder::kService, HeaderOrder::kPythonSdk, HeaderOrder::kOrdinal}) {
    for (int bits = 0; bits < 16; ++bits) {
      CanonicalOptions o;
      o.header_order = order;
      o.skip_empty_query_values = (bits & 1) != 0;
      o.plus_as_space = (bits & 2) != 0;
      o.swap_encoding_and_language = (bits & 4) != 0;
      o.empty_date_with_x_ms_date = (bits & 8) != 0;
      out.push_back(o);
    }
  }
  return out;
}

struct ParsedAuthorization {
  std::string_view account;
  std::string_view signature;
};

Result<ParsedAuthorization> ParseAuthorization(std::string_view value) {
  value = Trim(value);
  const size_t space = value.find(' ');
  const std::string_view scheme = value.substr(0, space);
  const std::string_view credentials = space == std::string_view::npos ? "" : Trim(value.substr(space + 1));
  if (http::EqualsIgnoreCase(scheme, "SharedKeyLite")) {
    return AuthenticationFailed(
        "The SharedKeyLite scheme is not supported by the lakeshift emulator; sign requests with SharedKey.");
  }
  if (!http::EqualsIgnoreCase(scheme, "SharedKey")) {
    return InvalidAuthenticationInfo("Expected 'SharedKey <account>:<signature>', got the scheme '" +
                                     std::string(scheme) + "'.");
  }
  const size_t colon = credentials.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == credentials.size() ||
      credentials.find_first_of(" \t") != std::string_view::npos) {
    return InvalidAuthenticationInfo("Expected 'SharedKey <account>:<signature>'.");
  }
  return ParsedAuthorization{credentials.substr(0, colon), credentials.substr(colon + 1)};
}

Status CheckDate(const http::Headers& headers, int64_t now_epoch_ms) {
  std::optional<std::string> date = headers.Get("x-ms-date");
  if (!date) date = headers.Get("Date");
  if (!date) return AuthenticationFailed("Request date header not specified (send x-ms-date or Date).");
  const std::string_view text = Trim(*date);
  Result<int64_t> when = encoding::ParseRfc1123(text);
  if (!when.ok()) {
    return AuthenticationFailed("The date header value '" + std::string(text) +
                                "' is not an RFC 1123 date such as 'Mon, 02 Mar 2026 10:20:30 GMT'.");
  }
  if (now_epoch_ms - *when > kMaxClockSkewMs) {
    return AuthenticationFailed("Request date header too old: '" + std::string(text) + "'");
  }
  if (*when - now_epoch_ms > kMaxClockSkewMs) {
    return AuthenticationFailed("Request date header too far in the future: '" + std::string(text) + "'");
  }
  return Status::Ok();
}

}  // namespace

bool ServiceHeaderLess(std::string_view a, std::string_view b) {
  return ServiceCompare(a, b) < 0;
}

std::string StringToSign(const SignableRequest& request, std::string_view account, const CanonicalOptions& options) {
  std::array<std::string_view, 11> names = {
      "Content-Encoding",  "Content-Language", "Content-Length", "Content-MD5",         "Content-Type", "Date",
      "If-Modified-Since", "If-Match",         "If-None-Match",  "If-Unmodified-Since", "Range"};
  if (options.swap_encoding_and_language) std::swap(names[0], names[1]);
  std::string out(request.method);
  out += '\n';
  for (std::string_view name : names) {
    const std::optional<std::string> value = request.headers.Get(name);
    std::string_view text = value ? Trim(*value) : std::string_view();
    if (name == "Content-Length" && text == "0") text = {};  // since version 2015-02-21
    if (name == "Date" && options.empty_date_with_x_ms_date && request.headers.Has("x-ms-date")) text = {};
    out += text;
    out += '\n';
  }
  AppendCanonicalHeaders(request, options.header_order, out);
  out += '/';
  out += account;
  out += request.path.empty() ? std::string_view("/") : request.path;
  AppendCanonicalQuery(request.query, options, out);
  return out;
}

Result<std::string> Sign(std::string_view string_to_sign, std::string_view key_base64) {
  ASSIGN_OR_RETURN(std::string key, DecodeAccountKey(key_base64));
  return SignWithKeyBytes(key, string_to_sign);
}

Status SignRequest(std::string_view method, std::string_view url, http::Headers& headers, std::string_view account,
                   std::string_view key_base64, int64_t now_epoch_ms) {
  std::string path;
  std::string query;
  if (url.starts_with("/")) {
    const size_t q = url.find('?');
    path = url.substr(0, q);
    if (q != std::string_view::npos) query = url.substr(q + 1);
  } else {
    ASSIGN_OR_RETURN(http::Url parsed, http::ParseUrl(url));
    path = std::move(parsed.path);
    query = std::move(parsed.query);
  }
  ASSIGN_OR_RETURN(std::string key, DecodeAccountKey(key_base64));
  if (!headers.Has("x-ms-date")) headers.Set("x-ms-date", encoding::FormatRfc1123(now_epoch_ms));
  headers.Remove("Authorization");  // never part of the signature, and a stale one must not survive
  const SignableRequest request{method, path, query, headers};
  ASSIGN_OR_RETURN(std::string signature, SignWithKeyBytes(key, StringToSign(request, account)));
  headers.Set("Authorization", "SharedKey " + std::string(account) + ":" + signature);
  return Status::Ok();
}

Status SignRequest(std::string_view method, std::string_view url, http::Headers& headers, std::string_view account,
                   std::string_view key_base64) {
  return SignRequest(method, url, headers, account, key_base64, encoding::NowEpochMillis());
}

Status VerifySharedKey(const SignableRequest& request, std::string_view account, std::string_view key_base64,
                       int64_t now_epoch_ms) {
  const std::optional<std::string> authorization = request.headers.Get("Authorization");
  if (!authorization) return NoAuthenticationInformation();
  ASSIGN_OR_RETURN(ParsedAuthorization parsed, ParseAuthorization(*authorization));
  if (parsed.account != account) {
    return AuthenticationFailed("The account name '" + std::string(parsed.account) +
                                "' in the Authorization header does not match the account '" + std::string(account) +
                                "' of the request.");
  }
  RETURN_IF_ERROR(CheckDate(request.headers, now_epoch_ms));
  ASSIGN_OR_RETURN(std::string key, DecodeAccountKey(key_base64));

  // Clients differ in a few choices (see CanonicalOptions); a signature over any of them is accepted, and the
  // documented string is the one reported. Failures cost at most 48 small strings and a few HMACs.
  static const std::vector<CanonicalOptions> kVariants = MakeVariants();
  std::string documented;
  std::set<std::string> tried;
  for (const CanonicalOptions& options : kVariants) {
    std::string text = StringToSign(request, account, options);
    if (documented.empty()) documented = text;
    if (!tried.insert(text).second) continue;
    ASSIGN_OR_RETURN(std::string expected, SignWithKeyBytes(key, text));
    if (ConstantTimeEquals(expected, parsed.signature)) return Status::Ok();
  }
  return AuthenticationFailed("The MAC signature found in the HTTP request '" + std::string(parsed.signature) +
                              "' is not the same as any computed signature. Server used following string to sign: '" +
                              documented + "'.");
}

}  // namespace lakeshift::auth
