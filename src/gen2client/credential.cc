#include "gen2client/credential.h"

#include "auth/shared_key.h"

namespace lakeshift::gen2client {

Gen2Credential Gen2Credential::SharedKey(std::string account, std::string key_base64) {
  Gen2Credential c;
  c.kind_ = Kind::kSharedKey;
  c.account_ = std::move(account);
  c.secret_ = std::move(key_base64);
  return c;
}

Gen2Credential Gen2Credential::Sas(std::string_view token) {
  Gen2Credential c;
  c.kind_ = Kind::kSas;
  if (!token.empty() && token.front() == '?') token.remove_prefix(1);
  c.secret_ = std::string(token);
  return c;
}

Gen2Credential Gen2Credential::Bearer(TokenSource source) {
  Gen2Credential c;
  c.kind_ = Kind::kBearer;
  c.token_ = std::move(source);
  return c;
}

Status Gen2Credential::Apply(std::string_view method, std::string& url, http::Headers& headers) const {
  switch (kind_) {
    case Kind::kSharedKey: return auth::SignRequest(method, url, headers, account_, secret_);
    case Kind::kSas: url += (url.find('?') == std::string::npos ? "?" : "&") + secret_; return Status::Ok();
    case Kind::kBearer: {
      if (!token_) return Unauthenticated("no token source configured for the Gen2 bearer credential");
      ASSIGN_OR_RETURN(std::string token, token_());
      headers.Set("Authorization", "Bearer " + token);
      return Status::Ok();
    }
  }
  return Internal("unknown credential kind");
}

}  // namespace lakeshift::gen2client
