#include "gen2/errors.h"

#include <nlohmann/json.hpp>
#include <unordered_map>

#include "gen2/wire.h"

namespace lakeshift::gen2 {
namespace {

const std::unordered_map<std::string_view, std::string_view>& Messages() {
  static const std::unordered_map<std::string_view, std::string_view> kMessages = {
      {"AuthenticationFailed",
       "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly "
       "including the signature."},
      {"AuthorizationPermissionMismatch",
       "This request is not authorized to perform this operation using this permission."},
      {"AuthorizationFailure", "This request is not authorized to perform this operation."},
      {"BlobNotFound", "The specified blob does not exist."},
      {"BlobOperationNotSupported", "The operation is not supported in this scenario."},
      {"BlockCountExceedsLimit", "The uncommitted block count cannot exceed the maximum limit of 100,000 blocks."},
      {"BlockListTooLong", "The block list may not contain more than 50,000 blocks."},
      {"Crc64Mismatch",
       "The CRC64 value specified in the request did not match with the CRC64 value calculated by the server."},
      {"BlobAlreadyExists", "The specified blob already exists."},
      {"BothCrc64AndMd5RangeHeaderPresent",
       "Both x-ms-range-get-content-crc64 header and x-ms-range-get-content-md5 header are present."},
      {"ConditionNotMet", "The condition specified using HTTP conditional header(s) is not met."},
      {"ContainerAlreadyExists", "The specified container already exists."},
      {"ContainerNotFound", "The specified container does not exist."},
      {"ContentLengthMustBeZero", "The Content-Length request header must be zero."},
      {"DirectoryNotEmpty", "The recursive query parameter value must be true to delete a non-empty directory."},
      {"FilesystemAlreadyExists", "The specified filesystem already exists."},
      {"FilesystemNotFound", "The specified filesystem does not exist."},
      {"InternalError", "The server encountered an internal error. Please retry the request."},
      {"InvalidBlobOrBlock", "The specified blob or block content is invalid."},
      {"InvalidBlockId", "The specified block ID is invalid. The block ID must be Base64-encoded."},
      {"InvalidBlockList", "The specified block list is invalid."},
      {"InvalidFlushPosition",
       "The uploaded data is not contiguous or the position query parameter value is not equal to the length of "
       "the file after appending the uploaded data."},
      {"InvalidHeaderValue", "The value for one of the HTTP headers is not in the correct format."},
      {"InvalidInput", "One of the request inputs is not valid."},
      {"InvalidPropertyName", "The property name contains invalid characters."},
      {"InvalidQueryParameterValue", "Value for one of the query parameters specified in the request URI is invalid."},
      {"InvalidRange", "The range specified is invalid for the current size of the resource."},
      {"InvalidRenameSourcePath",
       "The source directory cannot be the same as the destination directory, nor can the destination be a "
       "subdirectory of the source directory."},
      {"InvalidResourceName", "The specified resource name contains invalid characters."},
      {"InvalidSourceOrDestinationResourceType", "The source and destination resource type must be identical."},
      {"InvalidUri", "The request URI is invalid."},
      {"InvalidXmlDocument", "XML specified is not syntactically valid."},
      {"InvalidXmlNodeValue", "The value for one of the XML nodes is not in the correct format."},
      {"LeaseAlreadyPresent", "There is already a lease present."},
      {"LeaseIdMismatch", "The lease ID specified did not match the lease ID for the resource."},
      {"LeaseIdMismatchWithBlobOperation", "The lease ID specified did not match the lease ID for the blob."},
      {"LeaseIdMismatchWithContainerOperation", "The lease ID specified did not match the lease ID for the container."},
      {"LeaseIdMismatchWithLeaseOperation",
       "The lease ID specified did not match the lease ID for the resource with the specified lease operation."},
      {"LeaseIdMissing", "There is currently a lease on the resource and no lease ID was specified in the request."},
      {"LeaseIsAlreadyBroken", "The lease has already been broken and cannot be broken again."},
      {"LeaseIsBreakingAndCannotBeAcquired",
       "The lease ID matched, but the lease is currently in breaking state and cannot be acquired until it is "
       "broken."},
      {"LeaseIsBreakingAndCannotBeChanged",
       "The lease ID matched, but the lease is currently in breaking state and cannot be changed."},
      {"LeaseIsBrokenAndCannotBeRenewed",
       "The lease ID matched, but the lease has been broken explicitly and cannot be renewed."},
      {"LeaseLost", "A lease ID was specified, but the lease for the resource has expired."},
      {"LeaseNotPresent", "There is currently no lease on the resource."},
      {"LeaseNotPresentWithBlobOperation", "There is currently no lease on the blob."},
      {"LeaseNotPresentWithBlockOperation", "There is currently no lease on the blob."},
      {"LeaseNotPresentWithContainerOperation", "There is currently no lease on the container."},
      {"LeaseNotPresentWithLeaseOperation", "The lease ID is not present with the specified lease operation."},
      {"Md5Mismatch",
       "The MD5 value specified in the request did not match with the MD5 value calculated by the server."},
      {"MissingContentLengthHeader", "The Content-Length header was not specified."},
      {"MissingRequiredHeader", "An HTTP header that's mandatory for this request is not specified."},
      {"MissingRequiredQueryParameter", "A query parameter that's mandatory for this request is not specified."},
      {"OperationTimedOut", "The operation could not be completed within the permitted time."},
      {"OutOfRangeInput", "One of the request inputs is out of range."},
      {"OutOfRangeQueryParameterValue",
       "One of the query parameters specified in the request URI is outside the permissible range."},
      {"PathAlreadyExists", "The specified path already exists."},
      {"PathConflict",
       "The specified path, or an element of the path, exists and its resource type is invalid for this operation."},
      {"PathNotFound", "The specified path does not exist."},
      {"RenameDestinationParentPathNotFound", "The parent directory of the destination path does not exist."},
      {"RequestBodyTooLarge", "The request body is too large and exceeds the maximum permissible limit."},
      {"ResourceNotFound", "The specified resource does not exist."},
      {"ServerBusy", "The server is currently unable to receive requests. Please retry your request."},
      {"SourcePathNotFound", "The source path for a rename operation does not exist."},
      {"UnsupportedHeader", "One of the headers specified in the request is not supported."},
      {"UnsupportedHttpVerb", "The resource doesn't support the specified HTTP verb."},
      {"UnsupportedQueryParameter", "One of the query parameters specified in the request URI is not supported."},
  };
  return kMessages;
}

ServiceError FromCode(int http_status, std::string code) {
  std::string message(StandardMessage(code));
  return {http_status, std::move(code), std::move(message)};
}

}  // namespace

std::string_view StandardMessage(std::string_view code) {
  auto it = Messages().find(code);
  return it == Messages().end() ? std::string_view("The request failed.") : it->second;
}

Status MakeError(int http_status, std::string_view code, std::string detail) {
  StatusCode status_code = StatusCode::kInvalidArgument;
  if (http_status == 404) status_code = StatusCode::kNotFound;
  if (http_status == 409) status_code = StatusCode::kConflict;
  if (http_status == 412) status_code = StatusCode::kPreconditionFailed;
  if (http_status == 403) status_code = StatusCode::kPermissionDenied;
  if (http_status == 416) status_code = StatusCode::kOutOfRange;
  if (http_status >= 500) status_code = StatusCode::kInternal;
  return Status(status_code, std::move(detail)).WithDetail({http_status, std::string(code), ""});
}

ServiceError ToServiceError(const Status& status, Api api) {
  if (const ServiceDetail* d = status.detail(); d && !d->service_code.empty() && d->http_status != 0) {
    return FromCode(d->http_status, d->service_code);
  }
  bool blob = api == Api::kBlob;
  switch (status.code()) {
    case StatusCode::kOk: return {200, "", ""};
    case StatusCode::kInvalidArgument: return FromCode(400, "InvalidInput");
    case StatusCode::kNotFound:
    case StatusCode::kParentNotFound: return FromCode(404, blob ? "BlobNotFound" : "PathNotFound");
    case StatusCode::kAlreadyExists: return FromCode(409, blob ? "BlobAlreadyExists" : "PathAlreadyExists");
    case StatusCode::kNotADirectory:
    case StatusCode::kIsADirectory:
    case StatusCode::kConflict: return FromCode(409, "PathConflict");
    case StatusCode::kDirectoryNotEmpty: return FromCode(409, "DirectoryNotEmpty");
    case StatusCode::kInvalidRename: return FromCode(409, "InvalidRenameSourcePath");
    case StatusCode::kBadOffset: return FromCode(400, "InvalidInput");
    case StatusCode::kInvalidFlushPosition: return FromCode(400, "InvalidFlushPosition");
    case StatusCode::kOutOfRange: return FromCode(416, "InvalidRange");
    case StatusCode::kPermissionDenied: return FromCode(403, "AuthorizationPermissionMismatch");
    case StatusCode::kUnauthenticated: return FromCode(403, "AuthenticationFailed");
    case StatusCode::kPreconditionFailed: return FromCode(412, "ConditionNotMet");
    case StatusCode::kLeaseConflict: return FromCode(412, "LeaseIdMissing");
    case StatusCode::kThrottled:
    case StatusCode::kUnavailable: return FromCode(503, "ServerBusy");
    case StatusCode::kTimeout: return FromCode(500, "OperationTimedOut");
    case StatusCode::kUnsupported: return FromCode(400, "UnsupportedQueryParameter");
    case StatusCode::kCancelled:
    case StatusCode::kInternal:
    case StatusCode::kIoError: return FromCode(500, "InternalError");
  }
  return FromCode(500, "InternalError");
}

std::string RenderJsonError(const ServiceError& error, std::string_view request_id, std::string_view time_iso) {
  nlohmann::json body = {
      {"error",
       {{"code", error.code},
        {"message", error.message + "\nRequestId:" + std::string(request_id) + "\nTime:" + std::string(time_iso)}}}};
  return body.dump();
}

std::string RenderXmlError(const ServiceError& error, std::string_view request_id, std::string_view time_iso,
                           const std::vector<std::pair<std::string, std::string>>& details) {
  std::string xml = "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>" + XmlEscape(error.code) +
                    "</Code><Message>" + XmlEscape(error.message) + "\nRequestId:" + std::string(request_id) +
                    "\nTime:" + std::string(time_iso) + "</Message>";
  for (const auto& [name, value] : details) xml += "<" + name + ">" + XmlEscape(value) + "</" + name + ">";
  return xml + "</Error>";
}

}  // namespace lakeshift::gen2
