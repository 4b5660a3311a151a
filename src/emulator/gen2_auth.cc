#include "emulator/gen2_auth.h"

#include "auth/auth_errors.h"
#include "auth/shared_key.h"
#include "encoding/time_format.h"

namespace lakeshift::emulator {

Result<acl::Caller> AuthenticateGen2(const Gen2Request& r, const Gen2Credentials& credentials) {
  auto header = r.Header("Authorization");
  if (header && header->rfind("SharedKey ", 0) == 0) {
    auth::SignableRequest signable{r.http->method, r.http->path, r.http->query, r.http->headers};
    RETURN_IF_ERROR(auth::VerifySharedKey(signable, credentials.account, credentials.key, encoding::NowEpochMillis()));
    // Shared Key callers act as the account: superusers, and the owner "$superuser" of what they create.
    return acl::Caller::Superuser("$superuser");
  }
  if (header && header->rfind("Bearer ", 0) == 0) {
    return auth::AuthenticationFailed("OAuth bearer tokens are not accepted by this emulator yet; use Shared Key");
  }
  if (r.HasQuery("sig")) {
    return auth::AuthenticationFailed("SAS tokens are not accepted by this emulator yet; use Shared Key");
  }
  if (header) return auth::InvalidAuthenticationInfo("unsupported Authorization scheme");
  return auth::NoAuthenticationInformation();
}

}  // namespace lakeshift::emulator
