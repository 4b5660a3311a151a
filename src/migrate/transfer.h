#pragma once
// Copies one file's bytes: small files in one read and one append, large files as block-sized ranges read
// in parallel and appended in parallel at their positions, then one flush that commits the length and
// stores the MD5 of the whole file (computed in order while the blocks go by). Memory is the blocks in
// flight, taken from a shared BufferPool.

#include <cstdint>
#include <string>

#include "common/result.h"
#include "fs/filesystem.h"
#include "migrate/concurrency.h"

namespace lakeshift::migrate {

struct TransferContext {
  BufferPool* buffers = nullptr;  // block size = buffers->size()
  ThreadPool* ranges = nullptr;   // runs the range reads/appends of large files
  RateLimiter* rate = nullptr;
  int window = 8;  // blocks of one file in flight at once
};

struct CopiedFile {
  std::string content_md5;  // base64
  fs::FileInfo target;      // as the target reports it after the flush
};

// Creates `target_path` with `create` (overwriting), copies the bytes of the source version described by
// `source_info` (reads are conditional on its etag: a file that changed since it was listed fails with
// kPreconditionFailed), and flushes. With `verify`, the target's committed size and stored Content-MD5 must
// match what was read. A file of one block goes to a target with Capabilities::cheap_put in one PutFile, which
// the target checks against the MD5 of what was read.
// Whether CopyFileContent copies this file in one request (a PutFile to a target with Capabilities::cheap_put):
// it is then on the target whole or not at all.
bool CopiedInOneRequest(int64_t size, int64_t block_size, const fs::FileSystem& target);

Result<CopiedFile> CopyFileContent(fs::FileSystem& source, const std::string& source_path,
                                   const fs::FileInfo& source_info, fs::FileSystem& target,
                                   const std::string& target_path, const fs::CreateOptions& create, bool verify,
                                   TransferContext& context);

}  // namespace lakeshift::migrate
