#pragma once
// RS256 JSON Web Tokens as Entra ID issues them: RSA signing keys (generated, saved and loaded as PEM), key
// sets published as JWKS, signing a claims document, and verifying a token (signature, lifetime, audience,
// issuer) into a plain Claims struct. Plain C++: OpenSSL and the JSON library stay in the .cc files.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"

namespace lakeshift::identity {

// An RSA key with its key id (`kid`): a private key (can sign) or a public key from a JWKS (can only verify).
// Cheap to copy (shared, immutable) and safe to use from many threads.
class RsaKey {
 public:
  // A new 2048-bit (or larger) key.
  static Result<RsaKey> Generate(int bits = 2048);
  // A private key in PEM (PKCS#8 or traditional RSA); `source` names it in errors.
  static Result<RsaKey> FromPrivatePem(std::string_view pem, std::string_view source = "PEM");
  // A public key from its JWK members: modulus and exponent as base64url, big-endian.
  static Result<RsaKey> FromPublicComponents(std::string_view kid, std::string_view n_b64url,
                                             std::string_view e_b64url);

  // The RFC 7638 thumbprint of the public key (base64url SHA-256), so the same key always has the same id.
  const std::string& kid() const;
  bool has_private_key() const;
  // PKCS#8 PEM of the private key; an error for public-only keys.
  Result<std::string> PrivatePem() const;
  // Modulus and public exponent, base64url without padding (the JWK "n" and "e").
  const std::string& modulus_b64url() const;
  const std::string& exponent_b64url() const;

  // RSASSA-PKCS1-v1_5 with SHA-256 over data.
  Result<std::string> Sign(std::string_view data) const;
  // True when signature is a valid RS256 signature of data.
  bool Verify(std::string_view data, std::string_view signature) const;

  struct Impl;  // OpenSSL state, defined in jwt.cc

 private:
  explicit RsaKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// Public keys by kid, as served at a JWKS endpoint.
class KeySet {
 public:
  // Adds a key (only its public half is used); a key with the same kid replaces the old one.
  void Add(const RsaKey& key);
  const RsaKey* Find(std::string_view kid) const;
  size_t size() const { return keys_.size(); }

  // {"keys":[{"kty":"RSA","use":"sig","kid":...,"x5t":...,"n":...,"e":...}]}; `issuer` (when not empty) is
  // added to every key, as Entra's v2.0 JWKS does.
  std::string ToJwksJson(std::string_view issuer = "") const;
  // Parses a JWKS document. RSA signing keys are kept; keys of other types or uses are skipped. Errors name
  // the key index and member.
  static Result<KeySet> FromJwksJson(std::string_view json);

 private:
  std::vector<RsaKey> keys_;
};

// Signs a JWT: header {"typ":"JWT","alg":"RS256","x5t":kid,"kid":kid}, payload exactly claims_json (which must
// be a JSON object), RS256 signature.
Result<std::string> SignJwt(const RsaKey& key, std::string_view claims_json);

// The claims of a verified access token that callers act on.
struct Claims {
  std::string oid;                  // object id of the principal the token acts for
  std::string tid;                  // tenant id
  std::string sub;                  // subject
  std::vector<std::string> aud;     // audience(s); Entra tokens carry one
  std::string iss;                  // issuer
  std::string appid;                // client that obtained the token: "appid" (v1.0) or "azp" (v2.0)
  std::string version;              // "ver": "1.0" or "2.0"
  std::string scp;                  // delegated scopes ("user_impersonation" after on-behalf-of), or empty
  std::string idtyp;                // "app" for app-only tokens, else empty
  std::vector<std::string> groups;  // group object ids
  int64_t issued_at = 0;            // "iat", epoch seconds (0 when absent)
  int64_t not_before = 0;           // "nbf", epoch seconds (0 when absent)
  int64_t expires_at = 0;           // "exp", epoch seconds
  std::string raw_header;           // decoded JOSE header JSON
  std::string raw_payload;          // decoded payload JSON, for claims not listed here
};

struct VerifyOptions {
  // Accepted audiences; empty accepts any. Compared exactly except for one trailing '/', because Entra
  // issues "https://storage.azure.com" for the v2.0 scope and "https://storage.azure.com/" for the v1 resource.
  std::vector<std::string> audiences;
  // Accepted issuers, compared exactly; empty accepts any.
  std::vector<std::string> issuers;
  // Clock skew allowed on "exp" and "nbf".
  int64_t leeway_seconds = 60;
  // The time to check against, epoch seconds; 0 means now.
  int64_t now = 0;
};

// Why verification failed, carried by the error's ServiceDetail::service_code so that protocol front-ends
// can map it to their own error codes. All such errors are kUnauthenticated with ServiceDetail{401}.
enum class TokenError : uint8_t {
  kMalformed,      // not three base64url segments of JSON, or a required claim is missing or mistyped
  kBadAlgorithm,   // "alg" is not RS256 (e.g. "none" or HS256)
  kUnknownKey,     // no key with the token's "kid"
  kBadSignature,   // the signature does not verify
  kExpired,        // "exp" is past (beyond the leeway)
  kNotYetValid,    // "nbf" is in the future (beyond the leeway)
  kWrongAudience,  // "aud" is not one of the accepted audiences
  kWrongIssuer,    // "iss" is not one of the accepted issuers
};
std::string_view TokenErrorName(TokenError error);  // "TokenExpired", ...
// The TokenError of a VerifyToken failure, or nullopt for other statuses.
std::optional<TokenError> TokenErrorOf(const Status& status);

// Verifies signature, lifetime, audience and issuer, in that order, and extracts the claims.
Result<Claims> VerifyToken(std::string_view token, const KeySet& keys, const VerifyOptions& options);

// True when a and b are equal, or equal after removing one trailing '/' from either.
bool AudienceMatches(std::string_view a, std::string_view b);

// The token of an "Authorization: Bearer <token>" value (scheme case-insensitive), or nullopt.
std::optional<std::string_view> ParseBearer(std::string_view authorization);

}  // namespace lakeshift::identity
