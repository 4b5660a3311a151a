#include "gateway/proxy.h"

#include <array>
#include <string_view>

#include "http/body_source.h"

namespace lakeshift::gateway {
namespace {

// Headers that describe one connection, not the message (RFC 9110 section 7.6.1), and the ones the HTTP layers set.
bool IsHopByHop(std::string_view name) {
  static constexpr std::array<std::string_view, 10> kNames = {"Connection",
                                                              "Keep-Alive",
                                                              "Proxy-Authenticate",
                                                              "Proxy-Authorization",
                                                              "TE",
                                                              "Trailer",
                                                              "Transfer-Encoding",
                                                              "Upgrade",
                                                              "Content-Length",
                                                              "Expect"};
  for (std::string_view hop : kNames) {
    if (http::EqualsIgnoreCase(name, hop)) return true;
  }
  return false;
}

// The client's request body, read as the upstream request is sent.
class RequestBodySource final : public http::BodySource {
 public:
  explicit RequestBodySource(http::Request& request)
      : request_(request), size_(request.chunked ? std::nullopt : request.content_length) {}
  std::optional<uint64_t> size() const override { return size_; }
  Result<size_t> Read(char* buf, size_t n) override {
    ASSIGN_OR_RETURN(size_t got, request_.body().Read(buf, n));
    read_ += got;
    return got;
  }
  bool Rewind() override { return read_ == 0; }

 private:
  http::Request& request_;
  std::optional<uint64_t> size_;
  uint64_t read_ = 0;
};

http::Headers ResponseHeaders(const http::Headers& upstream_headers, const std::string& upstream,
                              const std::string& public_base) {
  http::Headers out;
  for (const auto& [name, value] : upstream_headers) {
    if (IsHopByHop(name)) continue;
    if (http::EqualsIgnoreCase(name, "Location") && value.starts_with(upstream)) {
      out.Add(name, public_base + value.substr(upstream.size()));
    } else {
      out.Add(name, value);
    }
  }
  return out;
}

}  // namespace

Gen1Proxy::Gen1Proxy(std::string upstream, std::shared_ptr<http::HttpClient> http)
    : upstream_(std::move(upstream)), http_(std::move(http)) {
  while (!upstream_.empty() && upstream_.back() == '/') upstream_.pop_back();
}

Status Gen1Proxy::Forward(http::Request& request, http::ResponseWriter& out, const std::string& public_base) const {
  http::ClientRequest upstream_request;
  upstream_request.method = request.method;
  upstream_request.url = upstream_ + request.target;
  upstream_request.retry = http::RetryPolicy::None();  // the client retries as it would with Gen1
  for (const auto& [name, value] : request.headers) {
    if (IsHopByHop(name) || http::EqualsIgnoreCase(name, "Host")) continue;
    upstream_request.headers.Add(name, value);
  }
  RequestBodySource body(request);
  bool has_body = request.chunked || request.content_length.value_or(0) > 0;
  if (has_body) {
    upstream_request.body = &body;
    if (body.size()) upstream_request.headers.Set("Content-Length", std::to_string(*body.size()));
  }

  auto head = [&](int status, const http::Headers& headers) -> Status {
    std::optional<uint64_t> length;
    if (auto declared = headers.Get("Content-Length")) length = std::stoull(*declared);
    return out.Start(status, ResponseHeaders(headers, upstream_, public_base), length);
  };
  auto sink = [&](std::string_view chunk) { return out.Write(chunk); };
  auto answer = http_->Send(upstream_request, sink, head);
  if (!answer.ok()) {
    if (out.started()) {
      out.Abort();
      return Status::Ok();
    }
    return answer.status();
  }
  if (out.started()) return out.Finish();
  return out.Send(answer->status, ResponseHeaders(answer->headers, upstream_, public_base), answer->body);
}

}  // namespace lakeshift::gateway
