#pragma once
// The Gen1 REST API (WebHDFS with the ADLS extensions) served from any FileSystem: the Gen1 emulator puts it
// over the local store, the compatibility gateway over the Gen2 client. Handlers do no I/O of their own:
// every effect goes through the FileSystem the binder hands out for the caller, and every error is rendered
// once, as the service's RemoteException JSON.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "fs/filesystem.h"
#include "http/server.h"

namespace lakeshift::webhdfs {

// Authenticates a request and returns a FileSystem acting as its caller. Errors: kUnauthenticated (401).
using Binder = std::function<Result<std::shared_ptr<fs::FileSystem>>(const http::Request&)>;

struct FrontEndOptions {
  Binder bind;
  uint64_t max_body_bytes = 4ULL << 20;  // CREATE/APPEND/CONCURRENTAPPEND bodies (the service's 4 MB)
  std::string www_authenticate;          // challenge on 401 answers, e.g. "Bearer authorization_uri=..."
  std::string webhdfs_version = "17.04.24.00";
};

class WebHdfsFrontEnd {
 public:
  explicit WebHdfsFrontEnd(FrontEndOptions options);
  void Handle(http::Request& request, http::ResponseWriter& out) const;
  // An error answer in the service's form (also for injected faults).
  void SendError(http::Request& request, http::ResponseWriter& out, std::string_view op, std::string_view path,
                 const Status& status, const http::Headers& extra = {}) const;

 private:
  FrontEndOptions options_;
};

}  // namespace lakeshift::webhdfs
