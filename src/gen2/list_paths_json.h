#pragma once
// A reader for the body of a List Paths answer ({"paths":[{...},...]}), written for speed: a page holds up to
// 5,000 entries, and a general JSON parser (even nlohmann's SAX mode, one std::string per token) was most of a
// listing's CPU in the gateway.

#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace lakeshift::gen2 {

// One entry, its values as text: the service sends numbers and booleans as strings, the emulator and older
// versions as JSON numbers and booleans; both read the same here. Missing keys stay empty.
struct ListPathsEntry {
  std::string name, is_directory, content_length, owner, group, permissions, last_modified, creation_time,
      expiry_time, etag;
};

// Calls `on_entry` for each entry of "paths", in order (the entry may be moved from). Other keys, and values of
// any shape under unknown keys, are skipped. kInvalidArgument for malformed JSON or an answer without a "paths"
// array.
Status ParseListPaths(std::string_view body, const std::function<void(ListPathsEntry&)>& on_entry);

}  // namespace lakeshift::gen2
