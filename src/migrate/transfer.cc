#include "migrate/transfer.h"

#include <chrono>
#include <deque>
#include <future>
#include <optional>
#include <vector>

#include "encoding/base64.h"
#include "encoding/md5.h"

namespace lakeshift::migrate {
namespace {

constexpr int64_t kSmallFileBytes = 1 << 20;  // read into a buffer of its own, not one from the block pool

// Reads [offset, offset + length) of the source into `buffer`. With an etag, only that version (a file read in
// several ranges must not mix versions); without one, as the file is now (its listed size known, so remote stores
// skip a status request: a file changed since is copied again by the next run, whose listing shows the change).
Status ReadRange(fs::FileSystem& source, const std::string& path, const std::string& etag, int64_t offset,
                 int64_t length, std::string& buffer, RateLimiter* rate) {
  fs::ReadOptions read;
  read.offset = offset;
  read.length = length;
  if (!etag.empty()) {
    read.conditions.if_match = etag;
  } else {
    read.known_size = offset + length;
  }
  ASSIGN_OR_RETURN(fs::ReadHandle handle, source.OpenRead(path, read));
  buffer.resize(static_cast<size_t>(length));
  size_t filled = 0;
  while (filled < buffer.size()) {
    ASSIGN_OR_RETURN(size_t n, handle.stream->Read(buffer.data() + filled, buffer.size() - filled));
    if (n == 0) break;
    if (rate) rate->Acquire(static_cast<int64_t>(n));
    filled += n;
  }
  if (filled != buffer.size()) {
    return Status(StatusCode::kPreconditionFailed, path + " is shorter than listed (" +
                                                       std::to_string(offset + static_cast<int64_t>(filled)) +
                                                       " bytes); it changed during the copy");
  }
  return Status::Ok();
}

Status AppendBlock(fs::FileSystem& target, const std::string& path, int64_t offset, const std::string& bytes,
                   std::optional<std::string> content_md5 = std::nullopt) {
  fs::StringInputStream in(bytes);
  fs::AppendOptions options;
  options.content_md5 = std::move(content_md5);
  return target.Append(path, offset, in, options).status();
}

}  // namespace

bool CopiedInOneRequest(int64_t size, int64_t block_size, const fs::FileSystem& target) {
  return size <= block_size && target.capabilities().cheap_put;
}

Result<CopiedFile> CopyFileContent(fs::FileSystem& source, const std::string& source_path,
                                   const fs::FileInfo& source_info, fs::FileSystem& target,
                                   const std::string& target_path, const fs::CreateOptions& create, bool verify,
                                   TransferContext& context) {
  if (!target.capabilities().staged_appends) {
    return Status(StatusCode::kUnsupported, "the target cannot take appends at positions");
  }
  const int64_t size = source_info.size;
  const auto block = static_cast<int64_t>(context.buffers->size());
  fs::CreateOptions options = create;
  options.overwrite = true;
  options.return_info = false;
  encoding::Md5Hash md5;  // large updates share SIMD lanes with the other files being copied
  CopiedFile copied;
  if (CopiedInOneRequest(size, block, target)) {
    // One block on a target with a cheap whole-file write (Gen2's Put Blob): read, hash, put. The target
    // checks the bytes against the MD5 and stores it, so nothing is read back. A small file reads into its own
    // buffer (at most kSmallFileBytes per file worker), so small files never wait for the block pool.
    std::optional<BufferPool::Lease> lease;
    std::string own;
    if (size > kSmallFileBytes) lease.emplace(context.buffers->Acquire());
    std::string& buffer = lease ? **lease : own;
    buffer.clear();
    if (size > 0) RETURN_IF_ERROR(ReadRange(source, source_path, /*etag=*/"", 0, size, buffer, context.rate));
    md5.Update(buffer);
    copied.content_md5 = encoding::Base64Encode(md5.Finish());
    fs::PutOptions put;
    put.create = std::move(options);
    put.content_md5 = copied.content_md5;
    fs::StringInputStream in(buffer);
    ASSIGN_OR_RETURN(copied.target, target.PutFile(target_path, in, put));
    return copied;
  }
  RETURN_IF_ERROR(target.CreateFile(target_path, options).status());

  // A file of one block whose append the target checks against its MD5 is verified by that check: the flush
  // then needs no status request after it.
  bool checked_by_target = false;
  if (size <= block) {
    BufferPool::Lease buffer = context.buffers->Acquire();
    if (size > 0) {
      RETURN_IF_ERROR(ReadRange(source, source_path, /*etag=*/"", 0, size, *buffer, context.rate));
      md5.Update(*buffer);
      copied.content_md5 = encoding::Base64Encode(md5.Finish());
      checked_by_target = target.capabilities().append_md5;
      RETURN_IF_ERROR(AppendBlock(target, target_path, 0, *buffer,
                                  checked_by_target ? std::optional<std::string>(copied.content_md5) : std::nullopt));
    }
  } else {
    // Blocks in flight, oldest first. Each is hashed, in order, as soon as it is read (while its bytes are still
    // in the CPU's cache, and while it is being appended), and its buffer goes back once it is appended too; so
    // at most `window` blocks of this file are held.
    struct InFlight {
      int64_t offset;
      std::shared_ptr<BufferPool::Lease> buffer;
      std::future<Status> read;
      std::future<Status> done;  // read and appended
    };
    std::deque<InFlight> flight;
    size_t hashed = 0;  // blocks at the front of `flight` already hashed
    int64_t next = 0;
    Status failed;
    // Starts the next block when a buffer can be had: waiting for one only while this file holds none, so
    // files never wait on each other's buffers in a cycle.
    auto launch = [&]() -> bool {
      std::optional<BufferPool::Lease> lease =
          flight.empty() ? std::optional<BufferPool::Lease>(context.buffers->Acquire()) : context.buffers->TryAcquire();
      if (!lease) return false;
      int64_t offset = next;
      int64_t length = std::min(block, size - offset);
      next += length;
      auto buffer = std::make_shared<BufferPool::Lease>(std::move(*lease));
      auto read = std::make_shared<std::promise<Status>>();
      auto done = std::make_shared<std::promise<Status>>();
      InFlight f{offset, buffer, read->get_future(), done->get_future()};
      context.ranges->Submit(
          [&source, &target, &source_path, &target_path, &source_info, &context, offset, length, buffer, read, done] {
            Status s = ReadRange(source, source_path, source_info.etag, offset, length, **buffer, context.rate);
            read->set_value(s);
            if (s.ok()) s = AppendBlock(target, target_path, offset, **buffer);
            done->set_value(std::move(s));
          });
      flight.push_back(std::move(f));
      return true;
    };
    auto fill = [&] {
      while (failed.ok() && next < size && static_cast<int>(flight.size()) < context.window && launch()) {
      }
    };
    // Gives the oldest block's buffer back once it is appended (waiting for that only when `wait`).
    auto retire = [&](bool wait) -> bool {
      InFlight& f = flight.front();
      if (!wait && f.done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return false;
      Status s = f.done.get();
      if (!s.ok() && failed.ok()) failed = s;
      flight.pop_front();
      --hashed;
      fill();
      return true;
    };
    fill();
    while (!flight.empty()) {
      while (hashed > 0 && retire(/*wait=*/false)) {
      }
      if (flight.empty()) break;
      if (hashed < flight.size()) {
        InFlight& f = flight[hashed++];
        Status s = f.read.get();
        if (!s.ok() && failed.ok()) failed = s;
        if (failed.ok()) md5.Update(**f.buffer);
      } else {
        retire(/*wait=*/true);
      }
    }
    RETURN_IF_ERROR(failed);
  }
  if (copied.content_md5.empty()) copied.content_md5 = encoding::Base64Encode(md5.Finish());
  fs::FlushOptions flush;
  flush.close = true;
  // The status after the flush is what verification reads back, unless the target checked the bytes already.
  flush.return_info = verify && !checked_by_target;
  if (target.capabilities().content_md5) flush.content_md5 = copied.content_md5;
  ASSIGN_OR_RETURN(copied.target, target.Flush(target_path, size, flush));
  if (verify && !checked_by_target) {
    if (copied.target.size != size) {
      return Status(StatusCode::kInternal, "after the copy " + target_path + " holds " +
                                               std::to_string(copied.target.size) + " bytes, not " +
                                               std::to_string(size));
    }
    if (target.capabilities().content_md5 && copied.target.content_md5 != copied.content_md5) {
      return Status(StatusCode::kInternal, "after the copy " + target_path + " has Content-MD5 " +
                                               copied.target.content_md5 + ", not " + copied.content_md5 +
                                               " as read from the source");
    }
  }
  return copied;
}

}  // namespace lakeshift::migrate
