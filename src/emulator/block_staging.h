#pragma once
// The block state of one filesystem's block blobs, kept beside its store so that an emulator restart keeps
// it (<filesystem dir>/blocks/): the uncommitted blocks that Put Block stages (one file each under
// blocks/data/, indexed in blocks/blocks.db) and the committed block list of each blob that Put Block List
// made, with the identity of the file version it describes. Uncommitted blocks of a blob go away when a
// Put Block List commits, when the blob is deleted or replaced by Put Blob, and when no block was staged
// for the blob for a week (as the service garbage-collects them).

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "fs/filesystem.h"
#include "gen2/blob_xml.h"

namespace lakeshift::store {
class ContentFiles;
class Database;
}  // namespace lakeshift::store

namespace lakeshift::emulator {

// An uncommitted block and where its bytes are.
struct StagedBlock {
  gen2::BlobBlock block;
  std::string data_key;
};

// The committed block list of a blob version made by Put Block List. The version is recognised by its
// creation time, content modification time and size: metadata changes keep it, any content change (a DFS
// append and flush, an overwrite) does not.
struct CommittedBlocks {
  std::vector<gen2::BlobBlock> blocks;
  int64_t creation_ms = 0;
  int64_t modification_ms = 0;
  int64_t size = 0;

  bool Describes(const fs::FileInfo& info) const {
    return info.is_file() && info.creation_time_ms == creation_ms && info.modification_time_ms == modification_ms &&
           info.size == size;
  }
};

class BlockStaging {
 public:
  inline static constexpr int kMaxUncommittedBlocks = 100000;
  inline static constexpr int64_t kUncommittedLifetimeMs = 7LL * 24 * 3600 * 1000;

  // Opens (creating) the block state under `directory`; removes what a crash left half-done.
  static Result<std::unique_ptr<BlockStaging>> Open(const std::string& directory,
                                                    std::function<int64_t()> clock_ms = {});
  ~BlockStaging();

  // Stores the stream as uncommitted block `id` of blob `path` (replacing an uncommitted block with that
  // id) and returns its size. Every uncommitted block of a blob has ids of one decoded length:
  // 400 InvalidBlobOrBlock otherwise. An error from the stream stages nothing.
  Result<int64_t> Stage(const std::string& path, const std::string& id, size_t id_length, fs::InputStream& data);

  // Uncommitted blocks in the order they were (last) staged.
  Result<std::vector<StagedBlock>> Uncommitted(const std::string& path);
  Result<std::optional<CommittedBlocks>> Committed(const std::string& path);
  // A stream over an uncommitted block's bytes.
  Result<std::unique_ptr<fs::InputStream>> OpenBlock(const StagedBlock& block);

  // After a commit: `blocks` is the blob's committed list and its uncommitted blocks are dropped.
  Status SetCommitted(const std::string& path, const CommittedBlocks& blocks);
  // Drops every block of `path` (and, with subtree, of the paths below it): deleted or replaced blobs.
  Status Forget(const std::string& path, bool subtree);
  // Moves the block state of `from` (and below) to `to` after a rename; what `to` had is dropped.
  Status Move(const std::string& from, const std::string& to);

  // Serialises the commits of one blob: held for a whole Put Block List, so two commits never read
  // blocks that the other one is discarding.
  class CommitGuard;
  std::unique_ptr<CommitGuard> LockForCommit(const std::string& path);

 private:
  BlockStaging(std::unique_ptr<store::Database> db, std::unique_ptr<store::ContentFiles> files,
               std::function<int64_t()> clock_ms);
  int64_t Now() const;
  // Unlinks the block files queued in `unlink` (after the transaction that dropped them committed).
  Status ProcessUnlinks();
  // Drops the file of an upload that did not become a block.
  Status Discard(const std::string& key);
  // Drops the uncommitted blocks of blobs that had no Put Block for a week (at most once an hour).
  Status ExpireIfDue();

  std::mutex mu_;  // guards db_ and the fields below
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::ContentFiles> files_;
  std::function<int64_t()> clock_ms_;
  int64_t next_expiry_check_ms_ = 0;
  int64_t sequence_ = 0;

  std::mutex commit_mu_;
  std::condition_variable commit_cv_;
  std::set<std::string> committing_;
};

class BlockStaging::CommitGuard {
 public:
  CommitGuard(BlockStaging& owner, std::string path) : owner_(owner), path_(std::move(path)) {}
  ~CommitGuard();
  CommitGuard(const CommitGuard&) = delete;
  CommitGuard& operator=(const CommitGuard&) = delete;

 private:
  BlockStaging& owner_;
  std::string path_;
};

}  // namespace lakeshift::emulator
