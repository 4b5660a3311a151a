#pragma once
// The errors of Shared Key and SAS checks, as the Blob and DFS endpoints name them. Each Status carries a
// ServiceDetail (HTTP status and service error code) so a front-end renders it without tables of its own.
// The message is the service's message; when there is more to say (the string-to-sign the server used, the
// time window of a SAS) it follows on a line "AuthenticationErrorDetail: ...", which the Blob endpoint
// returns in its <AuthenticationErrorDetail> element. SplitAuthError() separates the two.

#include <string>
#include <string_view>

#include "common/status.h"

namespace lakeshift::auth {

inline constexpr std::string_view kAuthenticationFailedMessage =
    "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly "
    "including the signature.";

// 403 AuthenticationFailed (kUnauthenticated): bad signature, stale date, expired or malformed SAS.
Status AuthenticationFailed(std::string_view detail);
// 400 InvalidAuthenticationInfo (kUnauthenticated): an Authorization header that cannot be parsed.
Status InvalidAuthenticationInfo(std::string_view detail);
// 401 InvalidAuthenticationInfo (kUnauthenticated): a bearer token that fails validation (signature, lifetime,
// audience, issuer); detail says which, as the service's AuthenticationErrorDetail does.
Status InvalidBearerToken(std::string_view detail);
// 401 NoAuthenticationInformation (kUnauthenticated): an anonymous request where credentials are required.
Status NoAuthenticationInformation();
// 404 ResourceNotFound (kNotFound): what the Blob endpoint answers to anonymous reads of private containers and
// blobs, so that anonymous callers cannot probe which names exist.
Status AnonymousResourceNotFound();
// 403 AuthorizationPermissionMismatch (kPermissionDenied): the SAS lacks a permission the operation needs.
Status AuthorizationPermissionMismatch(std::string_view detail);
// 403 AuthorizationResourceTypeMismatch (kPermissionDenied): srt / sr does not cover the resource.
Status AuthorizationResourceTypeMismatch(std::string_view detail);
// 403 AuthorizationServiceMismatch (kPermissionDenied): the account SAS's ss does not include the service.
Status AuthorizationServiceMismatch(std::string_view detail);
// 403 AuthorizationSourceIPMismatch (kPermissionDenied): the client address is outside sip.
Status AuthorizationSourceIPMismatch(std::string_view client_ip);
// 403 AuthorizationProtocolMismatch (kPermissionDenied): an https-only SAS used over http.
Status AuthorizationProtocolMismatch(std::string_view detail);

struct AuthErrorText {
  std::string_view message;  // the service message (first part)
  std::string_view detail;   // the AuthenticationErrorDetail text, empty when there is none
};
// Splits the message of a Status made by the functions above. Views point into status.message().
AuthErrorText SplitAuthError(const Status& status);

}  // namespace lakeshift::auth
