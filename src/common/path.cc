#include "common/path.h"

namespace lakeshift::path {

Result<std::string> Normalize(std::string_view path) {
  if (path.empty()) return InvalidArgument("empty path (paths are absolute, e.g. /dir/file)");
  if (path.front() != '/') {
    return InvalidArgument("path \"" + std::string(path) + "\" is not absolute (it must start with '/')");
  }
  if (path.find('\0') != std::string_view::npos) {
    return InvalidArgument("path \"" + std::string(path.substr(0, path.find('\0'))) + "...\" contains a NUL byte");
  }
  std::string_view body = path.substr(1);
  if (!body.empty() && body.back() == '/') body.remove_suffix(1);
  if (body.empty()) return std::string("/");
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('/', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view segment = body.substr(start, end - start);
    if (segment.empty()) {
      return InvalidArgument("path \"" + std::string(path) + "\" has an empty segment (\"//\")");
    }
    if (segment == "." || segment == "..") {
      return InvalidArgument("path \"" + std::string(path) + "\" has a \"" + std::string(segment) +
                             "\" segment; use the resolved path");
    }
    if (segment.size() > 255) {
      return InvalidArgument("path segment \"" + std::string(segment.substr(0, 32)) + "...\" is " +
                             std::to_string(segment.size()) + " bytes long; the limit is 255");
    }
    start = end + 1;
  }
  return "/" + std::string(body);
}

bool IsRoot(std::string_view path) {
  return path == "/";
}

std::string Parent(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string Join(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (out.empty() || out.back() != '/') out += '/';
  out += name;
  return out;
}

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 1;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

bool IsAncestor(std::string_view ancestor, std::string_view path) {
  if (ancestor == path) return false;
  if (ancestor == "/") return path.size() > 1 && path.front() == '/';
  return path.size() > ancestor.size() && path.substr(0, ancestor.size()) == ancestor && path[ancestor.size()] == '/';
}

std::vector<std::string> Ancestors(std::string_view path) {
  std::vector<std::string> out;
  if (IsRoot(path)) return out;
  out.emplace_back("/");
  for (size_t pos = path.find('/', 1); pos != std::string_view::npos; pos = path.find('/', pos + 1)) {
    out.emplace_back(path.substr(0, pos));
  }
  return out;
}

}  // namespace lakeshift::path
