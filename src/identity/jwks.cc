// KeySet and its JWKS form (RFC 7517), shaped like Entra's discovery/keys documents.

#include <nlohmann/json.hpp>

#include "identity/jwt.h"

namespace lakeshift::identity {

using nlohmann::ordered_json;

void KeySet::Add(const RsaKey& key) {
  for (auto& existing : keys_) {
    if (existing.kid() == key.kid()) {
      existing = key;
      return;
    }
  }
  keys_.push_back(key);
}

const RsaKey* KeySet::Find(std::string_view kid) const {
  for (const auto& key : keys_) {
    if (key.kid() == kid) return &key;
  }
  return nullptr;
}

std::string KeySet::ToJwksJson(std::string_view issuer) const {
  ordered_json keys = ordered_json::array();
  for (const auto& key : keys_) {
    ordered_json jwk = {{"kty", "RSA"},
                        {"use", "sig"},
                        {"kid", key.kid()},
                        {"x5t", key.kid()},
                        {"n", key.modulus_b64url()},
                        {"e", key.exponent_b64url()}};
    if (!issuer.empty()) jwk["issuer"] = issuer;
    keys.push_back(std::move(jwk));
  }
  return ordered_json{{"keys", std::move(keys)}}.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

Result<KeySet> KeySet::FromJwksJson(std::string_view json) {
  auto doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return InvalidArgument("JWKS: not a JSON object");
  auto keys = doc.find("keys");
  if (keys == doc.end() || !keys->is_array()) return InvalidArgument("JWKS: no \"keys\" array");
  KeySet set;
  for (size_t i = 0; i < keys->size(); ++i) {
    const auto& jwk = (*keys)[i];
    std::string where = "JWKS keys[" + std::to_string(i) + "]";
    if (!jwk.is_object()) return InvalidArgument(where + ": not a JSON object");
    auto member = [&](const char* name) -> Result<std::string> {
      auto it = jwk.find(name);
      if (it == jwk.end()) return InvalidArgument(where + ": no \"" + name + "\"");
      if (!it->is_string()) return InvalidArgument(where + ": \"" + name + "\" is not a string");
      return it->get<std::string>();
    };
    ASSIGN_OR_RETURN(std::string kty, member("kty"));
    // Encryption keys and other key types are legal in a JWKS; they just cannot verify RS256.
    if (kty != "RSA") continue;
    if (auto use = jwk.find("use"); use != jwk.end() && *use != "sig") continue;
    if (auto alg = jwk.find("alg"); alg != jwk.end() && *alg != "RS256") continue;
    ASSIGN_OR_RETURN(std::string kid, member("kid"));
    ASSIGN_OR_RETURN(std::string n, member("n"));
    ASSIGN_OR_RETURN(std::string e, member("e"));
    auto key = RsaKey::FromPublicComponents(kid, n, e);
    if (!key.ok()) {
      where.append(" (kid '").append(kid).append("'): ");
      return key.status().WithContext(where);
    }
    set.Add(*key);
  }
  return set;
}

}  // namespace lakeshift::identity
