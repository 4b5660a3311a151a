#pragma once
// A parsed Gen2 emulator request (path-style URL /<account>/<filesystem>/<path>?query) and the helpers
// every handler uses to answer: common response headers, errors in the API's form, ranges, conditions.

#include <optional>
#include <string>
#include <vector>

#include "acl/access.h"
#include "common/result.h"
#include "encoding/digest.h"
#include "encoding/percent.h"
#include "fs/filesystem.h"
#include "gen2/errors.h"
#include "http/server.h"

namespace lakeshift::emulator {

struct Gen2Request {
  http::Request* http = nullptr;
  std::string account;
  std::string filesystem;  // decoded; empty for account-level requests
  std::string path;        // decoded store path inside the filesystem; "/" for the filesystem itself
  bool has_path = false;   // the URL names something below the filesystem
  std::vector<encoding::QueryParam> query;
  acl::Caller caller;
  std::string request_id;

  const std::string& method() const { return http->method; }
  // Query parameter by name, case-insensitively (SDKs differ in casing).
  std::optional<std::string> Query(std::string_view name) const;
  bool HasQuery(std::string_view name) const { return Query(name).has_value(); }
  std::optional<std::string> Header(std::string_view name) const { return http->headers.Get(name); }
};

// Splits the target into account, filesystem, path and query. Errors are 400 InvalidUri.
Result<Gen2Request> ParseGen2Request(http::Request& request);

// Response headers every answer carries: x-ms-request-id, x-ms-version, Date, Server, client request id.
http::Headers CommonHeaders(const Gen2Request& request, gen2::Api api);

// A HEAD answer whose Content-Length announces `length` bytes that are not sent (the resource's size).
Status SendHead(const Gen2Request& request, http::ResponseWriter& out, gen2::Api api, const http::Headers& extra,
                uint64_t length);

// What some errors carry besides code and message.
struct ErrorExtras {
  http::Headers headers;                                         // e.g. x-ms-existing-resource-type
  std::vector<std::pair<std::string, std::string>> xml_details;  // Blob: QueryParameterName/-Value, ...
};

// Writes `status` as the API's error response (JSON for DFS, XML for Blob; no body for HEAD).
void SendError(const Gen2Request& request, http::ResponseWriter& out, gen2::Api api, const Status& status,
               const ErrorExtras& extras = {});

// Conditional headers (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since), optionally with
// a prefix such as "x-ms-source-".
Result<fs::Conditions> ParseConditions(const Gen2Request& request, std::string_view prefix = "");

// A byte range from x-ms-range or Range ("bytes=a-b", "bytes=a-"); nullopt when absent.
struct ByteRange {
  int64_t start = 0;
  int64_t end = -1;  // inclusive; -1 to the end
};
Result<std::optional<ByteRange>> ParseRange(const Gen2Request& request);

// Parses a boolean query value ("true"/"false"); errors name the parameter.
Result<bool> QueryBool(const Gen2Request& request, std::string_view name, bool fallback);
Result<int64_t> QueryInt(const Gen2Request& request, std::string_view name, int64_t fallback);

// Adapts the request body to the store's stream type.
class BodyStream final : public fs::InputStream {
 public:
  explicit BodyStream(http::BodyReader& body) : body_(body) {}
  Result<size_t> Read(char* buf, size_t n) override { return body_.Read(buf, n); }
  std::optional<uint64_t> RemainingSize() const override { return body_.Remaining(); }

 private:
  http::BodyReader& body_;
};

// The request body with its MD5 computed on the way through. When the client sent `expected_md5` (a
// Content-MD5 header), the end of the stream is an error (400 Md5Mismatch) unless the bytes match it, so a
// store that consumes the stream commits nothing on a mismatch.
class Md5CheckingBody final : public fs::InputStream {
 public:
  // With `keep_digest` false the MD5 is computed only when there is one to check (an append without Content-MD5
  // costs no hashing); md5() is then empty.
  Md5CheckingBody(http::BodyReader& body, std::optional<std::string> expected_md5, bool keep_digest = true)
      : body_(body),
        expected_(std::move(expected_md5)),
        hashing_(keep_digest || expected_.has_value()),
        md5_(encoding::HashAlgorithm::kMd5) {}
  Result<size_t> Read(char* buf, size_t n) override;
  std::optional<uint64_t> RemainingSize() const override { return ended_ ? 0 : body_.Remaining(); }
  // Base64 MD5 of the whole body; valid once the stream has ended.
  const std::string& md5() const { return digest_; }

 private:
  http::BodyReader& body_;
  std::optional<std::string> expected_;
  bool hashing_;
  encoding::Hasher md5_;
  std::string digest_;
  bool ended_ = false;
};

// A body over the size limit (413) becomes the service's RequestBodyTooLarge.
Status BodyLimitError(const Status& status);

}  // namespace lakeshift::emulator
