// JWT signing and verification (RFC 7515/7519, RS256 only).

#include "identity/jwt.h"

#include <array>
#include <cmath>
#include <nlohmann/json.hpp>

#include "encoding/base64.h"
#include "encoding/time_format.h"
#include "http/headers.h"

namespace lakeshift::identity {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 8> kTokenErrorNames = {
    "MalformedToken", "UnsupportedAlgorithm", "UnknownSigningKey", "InvalidSignature",
    "TokenExpired",   "TokenNotYetValid",     "InvalidAudience",   "InvalidIssuer"};

Status TokenFailure(TokenError error, std::string message) {
  return Unauthenticated(std::move(message)).WithDetail(ServiceDetail{401, std::string(TokenErrorName(error)), ""});
}

std::string Iso(int64_t epoch_seconds) {
  return encoding::FormatRfc3339(epoch_seconds * 1000000000);
}

std::string Quote(std::string_view text) {
  std::string out(1, '\'');  // appended, not "'" + string: GCC 12 warns falsely (-Wrestrict) on that form
  out.append(text.substr(0, 200));
  out += '\'';
  return out;
}

// Decodes one base64url segment into a JSON object.
Result<json> DecodeSegment(std::string_view segment, std::string_view what) {
  auto bytes = encoding::Base64UrlDecode(segment);
  if (!bytes.ok()) return TokenFailure(TokenError::kMalformed, "token " + std::string(what) + " is not base64url");
  auto doc = json::parse(*bytes, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return TokenFailure(TokenError::kMalformed, "token " + std::string(what) + " is not a JSON object");
  }
  return doc;
}

// A NumericDate claim: nullopt when absent, an error when not a number.
Result<std::optional<int64_t>> NumericClaim(const json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end()) return std::optional<int64_t>();
  if (it->is_number_integer()) return std::optional<int64_t>(it->get<int64_t>());
  if (it->is_number_float() && std::isfinite(it->get<double>()) && std::abs(it->get<double>()) < 1e15) {
    return std::optional<int64_t>(static_cast<int64_t>(std::floor(it->get<double>())));
  }
  return TokenFailure(TokenError::kMalformed, std::string("token claim '") + name + "' is not a number");
}

Status StringClaim(const json& payload, const char* name, std::string& out) {
  auto it = payload.find(name);
  if (it == payload.end()) return Status::Ok();
  if (!it->is_string()) {
    return TokenFailure(TokenError::kMalformed, std::string("token claim '") + name + "' is not a string");
  }
  out = it->get<std::string>();
  return Status::Ok();
}

// A claim that may be one string or an array of strings ("aud", "groups").
Status StringListClaim(const json& payload, const char* name, std::vector<std::string>& out) {
  auto it = payload.find(name);
  if (it == payload.end()) return Status::Ok();
  if (it->is_string()) {
    out.push_back(it->get<std::string>());
    return Status::Ok();
  }
  bool ok = it->is_array();
  if (ok) {
    for (const auto& v : *it) {
      if (!v.is_string()) ok = false;
    }
  }
  if (!ok) {
    return TokenFailure(TokenError::kMalformed,
                        std::string("token claim '") + name + "' is not a string or an array of strings");
  }
  for (const auto& v : *it) out.push_back(v.get<std::string>());
  return Status::Ok();
}

std::string JoinQuoted(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) {
    if (!out.empty()) out += ", ";
    out += Quote(v);
  }
  return out;
}

}  // namespace

std::string_view TokenErrorName(TokenError error) {
  return kTokenErrorNames[static_cast<size_t>(error)];
}

std::optional<TokenError> TokenErrorOf(const Status& status) {
  const ServiceDetail* detail = status.detail();
  if (status.code() != StatusCode::kUnauthenticated || detail == nullptr) return std::nullopt;
  for (size_t i = 0; i < kTokenErrorNames.size(); ++i) {
    if (detail->service_code == kTokenErrorNames[i]) return static_cast<TokenError>(i);
  }
  return std::nullopt;
}

bool AudienceMatches(std::string_view a, std::string_view b) {
  if (a.ends_with('/')) a.remove_suffix(1);
  if (b.ends_with('/')) b.remove_suffix(1);
  return a == b;
}

std::optional<std::string_view> ParseBearer(std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer";
  if (authorization.size() <= kScheme.size() || !http::EqualsIgnoreCase(authorization.substr(0, 6), kScheme) ||
      authorization[6] != ' ') {
    return std::nullopt;
  }
  std::string_view token = authorization.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

Result<std::string> SignJwt(const RsaKey& key, std::string_view claims_json) {
  auto payload = json::parse(claims_json, nullptr, false);
  if (payload.is_discarded() || !payload.is_object()) return InvalidArgument("JWT claims are not a JSON object");
  // Entra's header member order; x5t equals kid in its tokens too.
  nlohmann::ordered_json header = {{"typ", "JWT"}, {"alg", "RS256"}, {"x5t", key.kid()}, {"kid", key.kid()}};
  std::string signing_input = encoding::Base64UrlEncode(header.dump()) + "." + encoding::Base64UrlEncode(claims_json);
  ASSIGN_OR_RETURN(std::string signature, key.Sign(signing_input));
  return signing_input + "." + encoding::Base64UrlEncode(signature);
}

Result<Claims> VerifyToken(std::string_view token, const KeySet& keys, const VerifyOptions& options) {
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return TokenFailure(TokenError::kMalformed, "token is not a JWS compact serialisation (three '.'-separated parts)");
  }
  std::string_view header_b64 = token.substr(0, dot1);
  std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  std::string_view signature_b64 = token.substr(dot2 + 1);

  ASSIGN_OR_RETURN(json header, DecodeSegment(header_b64, "header"));
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string())
    return TokenFailure(TokenError::kMalformed, "token header has no 'alg'");
  if (*alg != "RS256") {
    return TokenFailure(TokenError::kBadAlgorithm,
                        "token algorithm " + Quote(alg->get<std::string>()) + " is not accepted; only RS256 is");
  }
  auto kid = header.find("kid");
  if (kid == header.end() || !kid->is_string())
    return TokenFailure(TokenError::kMalformed, "token header has no 'kid'");
  const RsaKey* key = keys.Find(kid->get<std::string>());
  if (key == nullptr) {
    return TokenFailure(TokenError::kUnknownKey, "token is signed with key " + Quote(kid->get<std::string>()) +
                                                     ", which is not among the " + std::to_string(keys.size()) +
                                                     " published signing key(s)");
  }
  auto signature = encoding::Base64UrlDecode(signature_b64);
  if (!signature.ok()) return TokenFailure(TokenError::kMalformed, "token signature is not base64url");
  std::string_view signing_input = token.substr(0, dot2);
  if (!key->Verify(signing_input, *signature)) {
    return TokenFailure(TokenError::kBadSignature,
                        "token signature does not verify with key " + Quote(key->kid()) + " (altered or forged token)");
  }

  ASSIGN_OR_RETURN(json payload, DecodeSegment(payload_b64, "payload"));
  Claims claims;
  ASSIGN_OR_RETURN(std::optional<int64_t> exp, NumericClaim(payload, "exp"));
  ASSIGN_OR_RETURN(std::optional<int64_t> nbf, NumericClaim(payload, "nbf"));
  ASSIGN_OR_RETURN(std::optional<int64_t> iat, NumericClaim(payload, "iat"));
  if (!exp) return TokenFailure(TokenError::kMalformed, "token has no 'exp' claim");
  int64_t now = options.now != 0 ? options.now : encoding::NowEpochMillis() / 1000;
  if (now > *exp + options.leeway_seconds) {
    return TokenFailure(TokenError::kExpired, "token expired at " + Iso(*exp) + " (now " + Iso(now) + ", leeway " +
                                                  std::to_string(options.leeway_seconds) + " s)");
  }
  if (nbf && now + options.leeway_seconds < *nbf) {
    return TokenFailure(TokenError::kNotYetValid, "token is not valid before " + Iso(*nbf) + " (now " + Iso(now) +
                                                      ", leeway " + std::to_string(options.leeway_seconds) + " s)");
  }
  claims.expires_at = *exp;
  claims.not_before = nbf.value_or(0);
  claims.issued_at = iat.value_or(0);

  RETURN_IF_ERROR(StringListClaim(payload, "aud", claims.aud));
  if (!options.audiences.empty()) {
    bool match = false;
    for (const auto& have : claims.aud) {
      for (const auto& want : options.audiences) match = match || AudienceMatches(have, want);
    }
    if (!match) {
      return TokenFailure(TokenError::kWrongAudience,
                          "token audience " + (claims.aud.empty() ? std::string("(none)") : JoinQuoted(claims.aud)) +
                              " is not the expected " + JoinQuoted(options.audiences));
    }
  }
  RETURN_IF_ERROR(StringClaim(payload, "iss", claims.iss));
  if (!options.issuers.empty()) {
    bool match = false;
    for (const auto& want : options.issuers) match = match || claims.iss == want;
    if (!match) {
      return TokenFailure(TokenError::kWrongIssuer,
                          "token issuer " + Quote(claims.iss) + " is not the expected " + JoinQuoted(options.issuers));
    }
  }

  RETURN_IF_ERROR(StringClaim(payload, "oid", claims.oid));
  RETURN_IF_ERROR(StringClaim(payload, "tid", claims.tid));
  RETURN_IF_ERROR(StringClaim(payload, "sub", claims.sub));
  RETURN_IF_ERROR(StringClaim(payload, "ver", claims.version));
  RETURN_IF_ERROR(StringClaim(payload, "scp", claims.scp));
  RETURN_IF_ERROR(StringClaim(payload, "idtyp", claims.idtyp));
  RETURN_IF_ERROR(StringClaim(payload, "azp", claims.appid));
  RETURN_IF_ERROR(StringClaim(payload, "appid", claims.appid));  // v1.0 tokens name the client "appid"
  RETURN_IF_ERROR(StringListClaim(payload, "groups", claims.groups));
  claims.raw_header = header.dump(-1, ' ', false, json::error_handler_t::replace);
  claims.raw_payload = payload.dump(-1, ' ', false, json::error_handler_t::replace);
  return claims;
}

}  // namespace lakeshift::identity
