#include "emulator/gen2_request.h"

#include <random>

#include "encoding/base64.h"
#include "encoding/time_format.h"
#include "gen2/wire.h"

namespace lakeshift::emulator {
namespace {

constexpr const char* kServiceVersion = "2021-12-02";

Status BadUri(const std::string& why) {
  return gen2::MakeError(400, "InvalidUri", why);
}

}  // namespace

std::optional<std::string> Gen2Request::Query(std::string_view name) const {
  for (const encoding::QueryParam& p : query) {
    if (http::EqualsIgnoreCase(p.name, name)) return p.value;
  }
  return std::nullopt;
}

Result<Gen2Request> ParseGen2Request(http::Request& request) {
  Gen2Request out;
  out.http = &request;
  out.request_id = http::NewRequestId();
  // A '+' in a query value is a space for form encoding, but Azure SDKs percent-encode '+' as %2B.
  auto query = encoding::ParseQueryString(request.query, /*plus_as_space=*/false);
  if (!query.ok()) return BadUri("bad query string: " + query.status().message());
  out.query = std::move(*query);
  std::string_view raw = request.path;
  if (raw.empty() || raw.front() != '/') return BadUri("request path must start with '/'");
  raw.remove_prefix(1);
  size_t slash = raw.find('/');
  std::string_view account = raw.substr(0, slash);
  auto decoded_account = encoding::PercentDecode(account);
  if (!decoded_account.ok() || decoded_account->empty()) {
    return BadUri("the URL must name the account first: http://host:port/<account>/<filesystem>/<path>");
  }
  out.account = *decoded_account;
  if (slash == std::string_view::npos) return out;
  raw.remove_prefix(slash + 1);
  slash = raw.find('/');
  auto fs_name = encoding::PercentDecode(raw.substr(0, slash));
  if (!fs_name.ok()) return BadUri("bad filesystem name: " + fs_name.status().message());
  out.filesystem = *fs_name;
  out.path = "/";
  if (slash == std::string_view::npos) return out;
  std::string_view rest = raw.substr(slash + 1);
  if (rest.empty()) return out;
  auto decoded = encoding::PercentDecode(rest, /*plus_as_space=*/false, /*require_utf8=*/true);
  if (!decoded.ok()) return BadUri("bad path: " + decoded.status().message());
  out.path = "/" + *decoded;
  out.has_path = true;
  return out;
}

http::Headers CommonHeaders(const Gen2Request& request, gen2::Api api) {
  http::Headers h;
  h.Set("Server", api == gen2::Api::kDfs ? "Windows-Azure-HDFS/1.0 Microsoft-HTTPAPI/2.0"
                                         : "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0");
  h.Set("x-ms-request-id", request.request_id);
  h.Set("x-ms-version", request.Header("x-ms-version").value_or(kServiceVersion));
  h.Set("Date", encoding::FormatRfc1123(encoding::NowEpochMillis()));
  if (auto id = request.Header("x-ms-client-request-id")) h.Set("x-ms-client-request-id", *id);
  return h;
}

Status SendHead(const Gen2Request& request, http::ResponseWriter& out, gen2::Api api, const http::Headers& extra,
                uint64_t length) {
  http::Headers h = CommonHeaders(request, api);
  for (const auto& [name, value] : extra) h.Set(name, value);
  RETURN_IF_ERROR(out.Start(200, std::move(h), length));
  return out.Finish();
}

void SendError(const Gen2Request& request, http::ResponseWriter& out, gen2::Api api, const Status& status,
               const ErrorExtras& extras) {
  gen2::ServiceError error = gen2::ToServiceError(status, api);
  http::Headers h = CommonHeaders(request, api);
  h.Set("x-ms-error-code", error.code);
  for (const auto& [name, value] : extras.headers) h.Set(name, value);
  // Our own explanation of what failed, for people reading responses with curl; SDKs ignore it.
  if (!status.message().empty()) {
    std::string detail = status.message().substr(0, 2000);
    for (char& c : detail) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';  // header values cannot hold line breaks
    }
    h.Set("x-lakeshift-detail", detail);
  }
  if (request.method() == "HEAD") {
    out.Send(error.http_status, std::move(h), "").IgnoreError();
    return;
  }
  std::string time = encoding::FormatIso8601(encoding::NowEpochNanos());
  std::string body;
  if (api == gen2::Api::kDfs) {
    h.Set("Content-Type", "application/json; charset=utf-8");  // the service's form, space included
    body = gen2::RenderJsonError(error, request.request_id, time);
  } else {
    h.Set("Content-Type", "application/xml");
    body = gen2::RenderXmlError(error, request.request_id, time, extras.xml_details);
  }
  out.Send(error.http_status, std::move(h), body).IgnoreError();
}

Result<fs::Conditions> ParseConditions(const Gen2Request& request, std::string_view prefix) {
  fs::Conditions c;
  std::string p(prefix);
  if (auto v = request.Header(p + "If-Match")) c.if_match = *v == "*" ? "*" : gen2::UnquoteEtag(*v);
  if (auto v = request.Header(p + "If-None-Match")) c.if_none_match = *v == "*" ? "*" : gen2::UnquoteEtag(*v);
  for (auto [name, slot] : {std::pair{"If-Modified-Since", &c.if_modified_since_ms},
                            std::pair{"If-Unmodified-Since", &c.if_unmodified_since_ms}}) {
    if (auto v = request.Header(p + name)) {
      auto ms = encoding::ParseRfc1123(*v);
      if (!ms.ok()) return gen2::MakeError(400, "InvalidHeaderValue", p + name + ": " + ms.status().message());
      *slot = *ms;
    }
  }
  return c;
}

Result<std::optional<ByteRange>> ParseRange(const Gen2Request& request) {
  auto header = request.Header("x-ms-range");
  if (!header) header = request.Header("Range");
  if (!header) return std::optional<ByteRange>();
  std::string_view v = *header;
  auto bad = [&] { return gen2::MakeError(400, "InvalidHeaderValue", "bad range \"" + *header + "\""); };
  if (v.substr(0, 6) != "bytes=") return bad();
  v.remove_prefix(6);
  size_t dash = v.find('-');
  if (dash == std::string_view::npos || dash == 0) return bad();
  ByteRange r;
  try {
    r.start = std::stoll(std::string(v.substr(0, dash)));
    if (dash + 1 < v.size()) r.end = std::stoll(std::string(v.substr(dash + 1)));
  } catch (...) {
    return bad();
  }
  if (r.start < 0 || (r.end >= 0 && r.end < r.start)) return bad();
  return std::optional<ByteRange>(r);
}

Result<bool> QueryBool(const Gen2Request& request, std::string_view name, bool fallback) {
  auto v = request.Query(name);
  if (!v) return fallback;
  if (http::EqualsIgnoreCase(*v, "true")) return true;
  if (http::EqualsIgnoreCase(*v, "false")) return false;
  return gen2::MakeError(400, "InvalidQueryParameterValue",
                         "query parameter " + std::string(name) + "=\"" + *v + "\" must be true or false");
}

Result<int64_t> QueryInt(const Gen2Request& request, std::string_view name, int64_t fallback) {
  auto v = request.Query(name);
  if (!v) return fallback;
  try {
    size_t used = 0;
    int64_t n = std::stoll(*v, &used);
    if (used == v->size()) return n;
  } catch (...) {
  }
  return gen2::MakeError(400, "InvalidQueryParameterValue",
                         "query parameter " + std::string(name) + "=\"" + *v + "\" must be an integer");
}

Result<size_t> Md5CheckingBody::Read(char* buf, size_t n) {
  if (ended_) return size_t{0};
  ASSIGN_OR_RETURN(size_t got, body_.Read(buf, n));
  if (got > 0) {
    if (hashing_) md5_.Update(std::string_view(buf, got));
    return got;
  }
  ended_ = true;
  if (!hashing_) return size_t{0};
  ASSIGN_OR_RETURN(std::string digest, md5_.Finish());
  digest_ = encoding::Base64Encode(digest);
  if (expected_ && *expected_ != digest_) {
    return gen2::MakeError(400, "Md5Mismatch",
                           "Content-MD5 " + *expected_ + " does not match the MD5 of the body, " + digest_);
  }
  return size_t{0};
}

Status BodyLimitError(const Status& status) {
  const ServiceDetail* d = status.detail();
  if (d && d->http_status == 413 && d->service_code.empty()) {
    return gen2::MakeError(413, "RequestBodyTooLarge", status.message());
  }
  return status;
}

}  // namespace lakeshift::emulator
