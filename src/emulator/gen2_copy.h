#pragma once
// Rename across filesystems: each filesystem is its own local store, so the emulator moves a file or a
// directory tree by copying it into the destination store and deleting the source, keeping what a rename
// keeps (type, content, content headers and MD5, properties, owner, group, permissions, ACLs, expiry).
// Unlike the service's, this move is not atomic: a failure midway leaves the copy made so far.

#include <string_view>

#include "acl/access.h"
#include "fs/filesystem.h"

namespace lakeshift::emulator {

// Errors as a same-store rename gives them: kNotFound (source), kParentNotFound (destination parent),
// kConflict (file onto directory or back), kDirectoryNotEmpty (onto a non-empty directory).
Status MoveAcross(fs::FileSystem& from, std::string_view source, fs::FileSystem& to, std::string_view destination,
                  const acl::Caller& caller);

}  // namespace lakeshift::emulator
