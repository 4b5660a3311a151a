#include "webhdfs/webhdfs_request.h"

#include <algorithm>
#include <cctype>

#include "common/path.h"

namespace lakeshift::webhdfs {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// The rest of the path after a namespace prefix, or nullopt when `raw` is not under it.
std::optional<std::string_view> StripPrefix(std::string_view raw, std::string_view prefix) {
  if (raw.size() < prefix.size() || !EqualsIgnoreCase(raw.substr(0, prefix.size()), prefix)) return std::nullopt;
  std::string_view rest = raw.substr(prefix.size());
  if (!rest.empty() && rest.front() != '/') return std::nullopt;
  return rest;
}

}  // namespace

std::optional<std::string> WebHdfsRequest::Param(std::string_view name) const {
  for (const encoding::QueryParam& p : query) {
    if (EqualsIgnoreCase(p.name, name)) return p.value;
  }
  return std::nullopt;
}

Result<bool> WebHdfsRequest::BoolParam(std::string_view name, bool fallback) const {
  auto v = Param(name);
  if (!v || v->empty()) return fallback;
  if (EqualsIgnoreCase(*v, "true")) return true;
  if (EqualsIgnoreCase(*v, "false")) return false;
  return InvalidArgument("Invalid value for webhdfs parameter \"" + std::string(name) + "\": \"" + *v +
                         "\" is not true or false");
}

Result<int64_t> WebHdfsRequest::IntParam(std::string_view name, int64_t fallback) const {
  auto v = Param(name);
  if (!v || v->empty()) return fallback;
  try {
    size_t used = 0;
    long long value = std::stoll(*v, &used);
    if (used == v->size()) return static_cast<int64_t>(value);
  } catch (...) {
  }
  return InvalidArgument("Invalid value for webhdfs parameter \"" + std::string(name) + "\": \"" + *v +
                         "\" is not a number");
}

Result<std::string> ResolvePath(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string joined;
  for (std::string_view segment : segments) {
    joined += '/';
    joined += segment;
  }
  return path::Normalize(joined.empty() ? "/" : joined);
}

bool HasContinuationTokens(const WebHdfsRequest& request) {
  auto version = request.Param("api-version");
  // Versions are ISO dates, so they compare as strings.
  return !version || version->empty() || *version >= "2018-09-01";
}

Result<WebHdfsRequest> ParseWebHdfsRequest(std::string_view raw_path, std::string_view raw_query) {
  WebHdfsRequest out;
  std::optional<std::string_view> rest = StripPrefix(raw_path, "/webhdfs/v1");
  if (!rest) {
    rest = StripPrefix(raw_path, "/WebHdfsExt");
    out.extension = true;
  }
  if (!rest) return NotFound("no such endpoint: " + std::string(raw_path) + " (use /webhdfs/v1/<path>)");
  ASSIGN_OR_RETURN(std::string decoded, encoding::PercentDecode(*rest, /*plus_as_space=*/false, true));
  ASSIGN_OR_RETURN(out.path, ResolvePath(decoded));
  // Java and Python encode spaces in query values as '+'.
  ASSIGN_OR_RETURN(out.query, encoding::ParseQueryString(raw_query, /*plus_as_space=*/true));
  auto op = out.Param("op");
  if (!op || op->empty()) return InvalidArgument("Invalid value for webhdfs parameter \"op\": the op is missing");
  out.op = *op;
  std::transform(out.op.begin(), out.op.end(), out.op.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

bool IsWebHdfsPath(std::string_view path) {
  auto starts = [&](std::string_view prefix) {
    if (path.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(path[i])) != prefix[i]) return false;
    }
    return path.size() == prefix.size() || path[prefix.size()] == '/';
  };
  return starts("/webhdfs/v1") || starts("/webhdfsext");
}

}  // namespace lakeshift::webhdfs
