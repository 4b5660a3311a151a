#include "auth/auth_errors.h"

namespace lakeshift::auth {
namespace {

constexpr std::string_view kDetailMarker = "\nAuthenticationErrorDetail: ";

Status Make(StatusCode code, int http_status, std::string_view service_code, std::string_view message,
            std::string_view detail) {
  std::string text(message);
  if (!detail.empty()) {
    text += kDetailMarker;
    text += detail;
  }
  return Status(code, std::move(text)).WithDetail(ServiceDetail{http_status, std::string(service_code), ""});
}

constexpr std::string_view kNotAuthorizedPrefix = "This request is not authorized to perform this operation using ";

}  // namespace

Status AuthenticationFailed(std::string_view detail) {
  return Make(StatusCode::kUnauthenticated, 403, "AuthenticationFailed", kAuthenticationFailedMessage, detail);
}

Status InvalidAuthenticationInfo(std::string_view detail) {
  return Make(StatusCode::kUnauthenticated, 400, "InvalidAuthenticationInfo",
              "Authentication information is not given in the correct format. Check the value of Authorization "
              "header.",
              detail);
}

Status InvalidBearerToken(std::string_view detail) {
  return Make(StatusCode::kUnauthenticated, 401, "InvalidAuthenticationInfo",
              "Server failed to authenticate the request. Please refer to the information in the www-authenticate "
              "header.",
              detail);
}

Status NoAuthenticationInformation() {
  return Make(StatusCode::kUnauthenticated, 401, "NoAuthenticationInformation",
              "Server failed to authenticate the request. Please refer to the information in the www-authenticate "
              "header.",
              "");
}

Status AnonymousResourceNotFound() {
  return Make(StatusCode::kNotFound, 404, "ResourceNotFound", "The specified resource does not exist.", "");
}

Status AuthorizationPermissionMismatch(std::string_view detail) {
  return Make(StatusCode::kPermissionDenied, 403, "AuthorizationPermissionMismatch",
              std::string(kNotAuthorizedPrefix) + "this permission.", detail);
}

Status AuthorizationResourceTypeMismatch(std::string_view detail) {
  return Make(StatusCode::kPermissionDenied, 403, "AuthorizationResourceTypeMismatch",
              std::string(kNotAuthorizedPrefix) + "this resource type.", detail);
}

Status AuthorizationServiceMismatch(std::string_view detail) {
  return Make(StatusCode::kPermissionDenied, 403, "AuthorizationServiceMismatch",
              std::string(kNotAuthorizedPrefix) + "this service.", detail);
}

Status AuthorizationSourceIPMismatch(std::string_view client_ip) {
  return Make(StatusCode::kPermissionDenied, 403, "AuthorizationSourceIPMismatch",
              std::string(kNotAuthorizedPrefix) + "this source IP " + std::string(client_ip) + ".", "");
}

Status AuthorizationProtocolMismatch(std::string_view detail) {
  return Make(StatusCode::kPermissionDenied, 403, "AuthorizationProtocolMismatch",
              std::string(kNotAuthorizedPrefix) + "this protocol.", detail);
}

AuthErrorText SplitAuthError(const Status& status) {
  std::string_view text = status.message();
  const size_t at = text.find(kDetailMarker);
  if (at == std::string_view::npos) return {text, {}};
  return {text.substr(0, at), text.substr(at + kDetailMarker.size())};
}

}  // namespace lakeshift::auth
