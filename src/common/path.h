#pragma once
// Abstract store paths: always absolute, '/'-separated, no trailing slash except the root "/".
// These are store-neutral; protocol layers decode URLs into them and stores map them to their own keys.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace lakeshift::path {

// Validates and normalises: requires a leading '/', drops one trailing '/', rejects empty segments
// ("a//b"), "." and "..", NUL bytes and segments over 255 bytes. The error names the bad segment.
Result<std::string> Normalize(std::string_view path);

bool IsRoot(std::string_view path);
// "/a/b/c" -> "/a/b"; "/a" -> "/"; "/" -> "/".
std::string Parent(std::string_view path);
// "/a/b/c" -> "c"; "/" -> "".
std::string_view BaseName(std::string_view path);
// Join("/a", "b") -> "/a/b"; Join("/", "b") -> "/b".
std::string Join(std::string_view dir, std::string_view name);
// Components of a normalised path: "/a/b" -> {"a", "b"}; "/" -> {}.
std::vector<std::string_view> Split(std::string_view path);
// True when `ancestor` is a proper ancestor of `path` ("/" is an ancestor of everything but itself).
bool IsAncestor(std::string_view ancestor, std::string_view path);
// Every proper ancestor of `path`, root first: "/a/b/c" -> {"/", "/a", "/a/b"}.
std::vector<std::string> Ancestors(std::string_view path);

}  // namespace lakeshift::path
