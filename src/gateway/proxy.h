#pragma once
// Pass-through to Gen1: a request to the gateway goes to the Gen1 service as it came (method, path, query,
// headers with the caller's own token, body streamed) and the answer comes back as Gen1 gave it (status,
// headers, body streamed). Only hop-by-hop headers are dropped, and a Location that points at Gen1 (the
// service's 307 redirects) is rewritten to the gateway, so that clients stay on the gateway.

#include <memory>
#include <string>

#include "common/status.h"
#include "http/client.h"
#include "http/server.h"

namespace lakeshift::gateway {

class Gen1Proxy {
 public:
  // upstream: the Gen1 service's base URL ("https://<account>.azuredatalakestore.net", "http://127.0.0.1:8081").
  Gen1Proxy(std::string upstream, std::shared_ptr<http::HttpClient> http);

  // Forwards one request. `public_base` is the gateway's own base URL as the client reached it, for Location
  // rewriting. Returns an error, without answering, when Gen1 could not be reached (the caller answers); once the
  // answer has started, a failure drops the connection (the client sees a broken response, never a short one).
  Status Forward(http::Request& request, http::ResponseWriter& out, const std::string& public_base) const;

  const std::string& upstream() const { return upstream_; }

 private:
  std::string upstream_;
  std::shared_ptr<http::HttpClient> http_;
};

}  // namespace lakeshift::gateway
