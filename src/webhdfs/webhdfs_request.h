#pragma once
// A parsed Gen1 (WebHDFS) request: namespace (/webhdfs/v1 or /WebHdfsExt, matched case-insensitively),
// decoded store path, operation and query parameters (names matched case-insensitively, as the service
// does: clients send OP= and op=, aclSpec and aclspec).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "encoding/percent.h"

namespace lakeshift::webhdfs {

struct WebHdfsRequest {
  bool extension = false;  // /WebHdfsExt (SETEXPIRY, CONCURRENTAPPEND)
  std::string path;        // decoded, normalised store path ("/" for the root)
  std::string op;          // upper case
  std::vector<encoding::QueryParam> query;

  std::optional<std::string> Param(std::string_view name) const;
  bool HasParam(std::string_view name) const { return Param(name).has_value(); }
  // "true"/"false" (any case); errors name the parameter.
  Result<bool> BoolParam(std::string_view name, bool fallback) const;
  Result<int64_t> IntParam(std::string_view name, int64_t fallback) const;
};

// A path as the service resolves it (the request path after percent-decoding, RENAME's destination,
// CONCAT/MSCONCAT sources): relative paths start at the root, repeated slashes collapse into one (IIS did that
// in front of Gen1), "." segments vanish and ".." climbs one level (never above the root).
Result<std::string> ResolvePath(std::string_view path);

// Whether the request's api-version has LISTSTATUS continuation tokens (2018-09-01 and later, or none given:
// the service's default is its newest version).
bool HasContinuationTokens(const WebHdfsRequest& request);

// Splits the raw path and query of a request. Errors are kInvalidArgument with what is wrong; kNotFound
// when the path is outside both namespaces.
Result<WebHdfsRequest> ParseWebHdfsRequest(std::string_view raw_path, std::string_view raw_query);

// Whether a request path is under /webhdfs/v1 or /WebHdfsExt (matched case-insensitively, as the service does):
// what a WebHDFS front-end serves, as opposed to other endpoints on the same port.
bool IsWebHdfsPath(std::string_view path);

}  // namespace lakeshift::webhdfs
