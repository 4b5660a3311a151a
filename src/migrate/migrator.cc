#include "migrate/migrator.h"

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/log.h"
#include "migrate/concurrency.h"
#include "migrate/transfer.h"
#include "naming/gen2_names.h"

namespace lakeshift::migrate {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ChildPath(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Errors that another attempt cannot fix.
bool IsPermanent(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnauthenticated:
    case StatusCode::kUnsupported:
    case StatusCode::kNotADirectory:
    case StatusCode::kIsADirectory:
    case StatusCode::kCancelled: return true;
    default: return false;
  }
}

// A directory waiting to be walked: its source path, its target path, both relative to the roots.
struct PendingDir {
  std::string source;
  std::string target;
  bool has_default_acl = false;  // children on the target inherit from it
};

class Run {
 public:
  Run(const Endpoint& source, const Endpoint& target, Journal& journal, const MigrateOptions& options)
      : source_(source),
        target_(target),
        journal_(journal),
        options_(options),
        progress_(options.progress ? options.progress : &own_progress_),
        buffers_(
            static_cast<size_t>(std::max<int64_t>(2, options.memory_limit / std::max<int64_t>(options.block_size, 1))),
            static_cast<size_t>(options.block_size)),
        rate_(options.max_rate) {}

  Result<MigrationReport> Go() {
    report_.mode = options_.mode;
    report_.source = source_.url;
    report_.target = target_.url;
    report_.dry_run = options_.dry_run;
    report_.started_ms = NowMs();
    if (!options_.dry_run) {
      ASSIGN_OR_RETURN(run_id_, journal_.BeginRun(options_.mode));
    }
    report_.run_id = run_id_;

    ASSIGN_OR_RETURN(fs::FileInfo root, source_.fs->GetFileInfo(source_.root));
    if (!root.is_directory()) {
      return Status(StatusCode::kInvalidArgument,
                    source_.url + " is a file; give the directory that holds it (lakeshift migrates directories)");
    }
    {
      ThreadPool files(options_.parallel_files, static_cast<size_t>(options_.parallel_files) * 4);
      ThreadPool blocks(options_.parallel_blocks, static_cast<size_t>(options_.parallel_blocks) * 4);
      files_ = &files;
      context_.buffers = &buffers_;
      context_.ranges = &blocks;
      context_.rate = options_.max_rate > 0 ? &rate_ : nullptr;
      context_.window = std::max(2, options_.parallel_blocks / 2);
      Status walked = Walk(root);
      files.Wait();
      blocks.Wait();
      files_ = nullptr;
      if (!walked.ok()) return walked;
    }
    progress_->walk_finished = true;
    report_.walk_complete = walk_complete_ && !Cancelled();
    report_.interrupted = Cancelled();
    if (!options_.dry_run && report_.walk_complete) RETURN_IF_ERROR(ApplyDeletions());
    Collect();
    report_.finished_ms = NowMs();
    if (!options_.dry_run) {
      std::string outcome = report_.interrupted ? "interrupted" : report_.ok() ? "ok" : "failed";
      RETURN_IF_ERROR(journal_.FinishRun(run_id_, outcome, report_.ToJson()));
    }
    return report_;
  }

 private:
  bool Cancelled() const { return options_.cancel && options_.cancel->load(); }

  void Fail(const std::string& path, const std::string& reason) {
    ++progress_->failed;
    if (options_.on_failure) options_.on_failure(path, reason);
    std::lock_guard lock(mu_);
    if (report_.failures.size() < 10000) report_.failures.push_back({path, reason});
  }

  // The target name of one source name, or nullopt when the item is left out (policy skip/stop).
  std::optional<std::string> TargetName(const std::string& source_path, const std::string& name) {
    if (!options_.check_gen2_names) return name;
    std::optional<std::string> problem = naming::Gen2ComponentProblem(name);
    if (!problem) return name;
    std::string outcome;
    std::optional<std::string> result;
    switch (options_.names) {
      case NamePolicy::kStop: outcome = "stopped (--names stop)"; break;
      case NamePolicy::kSkip: outcome = "skipped (--names skip)"; break;
      case NamePolicy::kRename:
        result = naming::Gen2SafeName(name);
        outcome = "renamed to \"" + *result + "\" (--names rename)";
        break;
    }
    std::lock_guard lock(mu_);
    report_.incompatible_names.push_back({source_path, *problem + "; " + outcome});
    return result;
  }

  Status Walk(const fs::FileInfo& root) {
    // Depth-first over directories; the stack holds paths only, files go straight to the workers.
    std::vector<PendingDir> stack;
    ASSIGN_OR_RETURN(bool root_default, VisitDirectory("/", "/", root, false));
    stack.push_back({"/", "/", root_default});
    while (!stack.empty() && !Cancelled()) {
      PendingDir dir = std::move(stack.back());
      stack.pop_back();
      std::vector<PendingDir> subdirs;
      fs::ListOptions list;
      list.max_results = 5000;
      while (!Cancelled()) {
        auto page = source_.fs->List(JoinPath(source_.root, dir.source), list);
        if (!page.ok()) {
          walk_complete_ = false;
          Fail(dir.source, "cannot list: " + page.status().ToString());
          break;
        }
        for (fs::FileInfo& entry : page->entries) {
          std::string name = BaseName(entry.path);
          std::string source_rel = ChildPath(dir.source, name);
          std::optional<std::string> target_name = TargetName(source_rel, name);
          if (!target_name) {
            if (options_.names == NamePolicy::kStop) {
              Fail(source_rel, "name Gen2 cannot hold; rerun with --names skip or --names rename");
            } else {
              ++progress_->skipped;
              RecordSkipped(source_rel, entry);
            }
            continue;
          }
          std::string target_rel = ChildPath(dir.target, *target_name);
          if (entry.is_directory()) {
            ++progress_->dirs_found;
            auto visited = VisitDirectory(source_rel, target_rel, entry, dir.has_default_acl);
            if (!visited.ok()) {
              Fail(source_rel, visited.status().ToString());
              walk_complete_ = false;  // its subtree is not walked
              continue;
            }
            subdirs.push_back({source_rel, target_rel, *visited});
          } else {
            ++progress_->files_found;
            progress_->bytes_found += entry.size;
            if (options_.dry_run) continue;
            files_->Submit(
                [this, source_rel, target_rel, entry = std::move(entry)] { VisitFile(source_rel, target_rel, entry); });
          }
        }
        if (page->continuation.empty()) break;
        list.start_after = page->continuation;
      }
      // Reverse, so the stack pops subdirectories in name order.
      for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it) stack.push_back(std::move(*it));
    }
    return Status::Ok();
  }

  // The journal row of an item this run has seen: what was known of it, stamped with the run.
  JournalItem SeenItem(const std::optional<JournalItem>& known, const std::string& source_rel,
                       const std::string& target_rel, fs::FileType type) const {
    JournalItem item = known.value_or(JournalItem{});
    item.path = source_rel;
    item.target_path = target_rel;
    item.type = type;
    item.seen_run = run_id_;
    return item;
  }

  void RecordSkipped(const std::string& source_rel, const fs::FileInfo& entry) {
    if (options_.dry_run) return;
    JournalItem item;
    item.path = source_rel;
    item.type = entry.type;
    item.size = entry.size;
    item.modification_time_ms = entry.modification_time_ms;
    item.state = ItemState::kSkipped;
    item.seen_run = run_id_;
    item.error = "name Gen2 cannot hold";
    if (Status s = journal_.Put(item); !s.ok()) Fail(source_rel, "journal: " + s.ToString());
  }

  Result<acl::AclState> Mapped(const SourceMetadata& meta) {
    std::set<std::string> unmapped;
    auto mapped = MapIdentities(meta.acl, options_.identities, options_.unmapped, &unmapped,
                                source_.fs->capabilities().host_accounts && !target_.fs->capabilities().host_accounts);
    if (!unmapped.empty()) {
      std::lock_guard lock(mu_);
      report_.unmapped_identities.insert(unmapped.begin(), unmapped.end());
    }
    return mapped;
  }

  // Creates (or brings up to date) one directory on the target, in the walker: its children need it.
  // Returns whether it has a default ACL.
  Result<bool> VisitDirectory(const std::string& source_rel, const std::string& target_rel, const fs::FileInfo& info,
                              bool parent_has_default_acl) {
    if (options_.dry_run) return false;
    std::string source_path = JoinPath(source_.root, source_rel);
    std::string target_path = JoinPath(target_.root, target_rel);
    ASSIGN_OR_RETURN(SourceMetadata meta, ReadSourceMetadata(*source_.fs, source_path, info));
    std::string signature = MetadataSignature(meta);
    bool has_default = !meta.acl.default_acl.empty();
    ASSIGN_OR_RETURN(std::optional<JournalItem> known, journal_.Get(source_rel));
    JournalItem item = SeenItem(known, source_rel, target_rel, fs::FileType::kDirectory);
    bool up_to_date = known && known->state == ItemState::kDone && known->metadata == signature &&
                      known->modification_time_ms == info.modification_time_ms && known->target_path == target_rel;
    if (up_to_date) {
      ++progress_->unchanged;
      ++progress_->dirs_done;
      RETURN_IF_ERROR(journal_.Put(item));
      return has_default;
    }
    if (known && known->state == ItemState::kDone && known->metadata == signature && known->target_path == target_rel) {
      // Only the times moved (children came or went): refresh the properties that keep them.
      RETURN_IF_ERROR(UpdateTimes(target_path, meta));
      ++progress_->unchanged;
      ++progress_->dirs_done;
      item.modification_time_ms = info.modification_time_ms;
      item.access_time_ms = info.access_time_ms;
      RETURN_IF_ERROR(journal_.Put(item));
      return has_default;
    }
    ASSIGN_OR_RETURN(acl::AclState mapped, Mapped(meta));
    TargetPlan plan = PlanTarget(mapped, meta, /*is_directory=*/true, target_.fs->capabilities());
    auto existing = target_.fs->GetFileInfo(target_path);
    if (existing.ok() && !existing->is_directory()) {
      return Status(StatusCode::kAlreadyExists,
                    "the target has a file at " + target_path + " where the source has a directory");
    }
    if (existing.ok()) {
      RETURN_IF_ERROR(UpdateMetadata(target_path, mapped, meta, /*is_directory=*/true));
      ++progress_->metadata_updated;
    } else {
      RETURN_IF_ERROR(target_.fs->CreateDirectory(target_path, plan.create).status());
      if (parent_has_default_acl && !has_default && target_.fs->capabilities().acls) {
        // The new directory inherited its parent's default ACL, which the source item does not have.
        plan.after_create = FullAccessControl(mapped, target_.fs->capabilities());
      }
      if (plan.after_create) RETURN_IF_ERROR(target_.fs->SetAccessControl(target_path, *plan.after_create).status());
      ++progress_->dirs_created;
    }
    ++progress_->dirs_done;
    item.state = ItemState::kDone;
    item.metadata = signature;
    item.modification_time_ms = info.modification_time_ms;
    item.access_time_ms = info.access_time_ms;
    item.error.clear();
    RETURN_IF_ERROR(journal_.Put(item));
    return has_default;
  }

  // Owner, group, mode, ACL, times and expiry of an item whose content is already on the target.
  Status UpdateMetadata(const std::string& target_path, const acl::AclState& mapped, const SourceMetadata& meta,
                        bool is_directory) {
    const fs::Capabilities& caps = target_.fs->capabilities();
    RETURN_IF_ERROR(target_.fs->SetAccessControl(target_path, FullAccessControl(mapped, caps)).status());
    RETURN_IF_ERROR(UpdateTimes(target_path, meta));
    if (!is_directory && caps.expiry) {
      fs::ExpirySpec expiry;
      if (meta.expiry_time_ms > 0) {
        expiry.kind = fs::ExpirySpec::Kind::kAbsolute;
        expiry.ms = meta.expiry_time_ms;
      }
      RETURN_IF_ERROR(target_.fs->SetExpiry(target_path, expiry).status());
    } else if (!is_directory && meta.expiry_time_ms > 0) {
      return Status(StatusCode::kUnsupported, "the target cannot hold the source's expiry time");
    }
    return Status::Ok();
  }

  // The source times: in properties (Gen2 cannot set Last-Modified), or the store's own times.
  Status UpdateTimes(const std::string& target_path, const SourceMetadata& meta) {
    const fs::Capabilities& caps = target_.fs->capabilities();
    if (caps.properties && target_path != "/") {  // a Gen2 filesystem's root holds no path properties
      ASSIGN_OR_RETURN(fs::FileInfo current, target_.fs->GetFileInfo(target_path));
      fs::Properties props = current.properties;
      props[kSourceModificationTimeProperty] = std::to_string(meta.modification_time_ms);
      props[kSourceAccessTimeProperty] = std::to_string(meta.access_time_ms);
      if (props != current.properties) {
        RETURN_IF_ERROR(target_.fs->SetProperties(target_path, props, std::nullopt, fs::Conditions{}).status());
      }
    }
    if (caps.set_times) {
      RETURN_IF_ERROR(target_.fs->SetTimes(target_path, meta.modification_time_ms, meta.access_time_ms).status());
    }
    return Status::Ok();
  }

  // Runs on a worker: checks one file against the journal and copies what changed.
  void VisitFile(const std::string& source_rel, const std::string& target_rel, fs::FileInfo info) {
    if (Cancelled()) return;
    std::string source_path = JoinPath(source_.root, source_rel);
    std::string target_path = JoinPath(target_.root, target_rel);
    Status last;
    for (int attempt = 1; attempt <= std::max(1, options_.max_attempts); ++attempt) {
      if (attempt > 1) {
        ++progress_->retries;
        std::this_thread::sleep_for(std::chrono::milliseconds(500 << std::min(attempt - 2, 4)));
        auto fresh = source_.fs->GetFileInfo(source_path);  // it may have changed (or gone) meanwhile
        if (!fresh.ok()) {
          last = fresh.status();
          if (last.code() == StatusCode::kNotFound) return;  // deleted at the source; the next run deletes it
          continue;
        }
        info = std::move(fresh).value();
      }
      last = SyncFile(source_rel, target_rel, source_path, target_path, info);
      if (last.ok() || IsPermanent(last) || Cancelled()) break;
    }
    if (!last.ok() && !(Cancelled() && last.code() == StatusCode::kCancelled)) {
      Fail(source_rel, last.ToString());
      if (auto known = journal_.Get(source_rel); known.ok()) {
        JournalItem item = SeenItem(*known, source_rel, target_rel, fs::FileType::kFile);
        item.state = ItemState::kFailed;
        item.error = last.ToString();
        (void)journal_.Put(item);
      }
    }
  }

  Status SyncFile(const std::string& source_rel, const std::string& target_rel, const std::string& source_path,
                  const std::string& target_path, const fs::FileInfo& info) {
    ASSIGN_OR_RETURN(SourceMetadata meta, ReadSourceMetadata(*source_.fs, source_path, info));
    std::string signature = MetadataSignature(meta);
    ASSIGN_OR_RETURN(std::optional<JournalItem> known, journal_.Get(source_rel));
    JournalItem item = SeenItem(known, source_rel, target_rel, fs::FileType::kFile);
    bool content_same = known && known->state == ItemState::kDone && known->size == info.size &&
                        known->modification_time_ms == info.modification_time_ms && known->target_path == target_rel;
    if (content_same && known->metadata == signature) {
      ++progress_->unchanged;
      ++progress_->files_done;
      progress_->bytes_done += info.size;
      return journal_.Put(item);
    }
    ASSIGN_OR_RETURN(acl::AclState mapped, Mapped(meta));
    if (content_same) {
      RETURN_IF_ERROR(UpdateMetadata(target_path, mapped, meta, /*is_directory=*/false));
      ASSIGN_OR_RETURN(fs::FileInfo updated, target_.fs->GetFileInfo(target_path));
      item.target_etag = updated.etag;  // the version the gateway may show the source times for
      ++progress_->metadata_updated;
    } else {
      ++item.attempts;
      // A copy in several requests is marked as started first; a file that goes in one request (a cheap put) is
      // there whole or not at all, and needs no mark: a crash before its row says done copies it again either way.
      if (!CopiedInOneRequest(info.size, options_.block_size, *target_.fs)) {
        item.state = ItemState::kCopying;
        RETURN_IF_ERROR(journal_.Put(item));
      }
      TargetPlan plan = PlanTarget(mapped, meta, /*is_directory=*/false, target_.fs->capabilities());
      ASSIGN_OR_RETURN(CopiedFile copied, CopyFileContent(*source_.fs, source_path, info, *target_.fs, target_path,
                                                          plan.create, options_.verify_md5, context_));
      item.target_etag = copied.target.etag;
      if (plan.after_create) {
        ASSIGN_OR_RETURN(fs::FileInfo after, target_.fs->SetAccessControl(target_path, *plan.after_create));
        item.target_etag = after.etag;
      }
      if (target_.fs->capabilities().set_times) {
        ASSIGN_OR_RETURN(fs::FileInfo after,
                         target_.fs->SetTimes(target_path, meta.modification_time_ms, meta.access_time_ms));
        item.target_etag = after.etag;
      }
      item.content_md5 = copied.content_md5;
      item.copied_run = run_id_;
      ++item.copies;
      ++progress_->files_copied;
      progress_->bytes_copied += info.size;
    }
    item.state = ItemState::kDone;
    item.size = info.size;
    item.modification_time_ms = info.modification_time_ms;
    item.access_time_ms = info.access_time_ms;
    item.expiry_time_ms = meta.expiry_time_ms;
    item.metadata = signature;
    item.error.clear();
    ++progress_->files_done;
    progress_->bytes_done += info.size;
    return journal_.Put(item);
  }

  // Items the walk did not see are gone from the source: delete them on the target (deepest first).
  Status ApplyDeletions() {
    return journal_.ForEachUnseen(run_id_, [&](const JournalItem& item) -> Status {
      if (item.path == "/") return Status::Ok();
      if (options_.keep_deleted) return Status::Ok();
      if (item.state != ItemState::kSkipped) {
        fs::DeleteOptions del;
        del.recursive = item.is_directory();
        Status s = target_.fs->Delete(JoinPath(target_.root, item.target_path), del);
        if (!s.ok() && s.code() != StatusCode::kNotFound) {
          Fail(item.path, "deleted at the source, but deleting it on the target failed: " + s.ToString());
          return Status::Ok();
        }
      }
      ++progress_->deleted;
      return journal_.Remove(item.path);
    });
  }

  void Collect() {
    const Progress& p = *progress_;
    report_.files_found = p.files_found;
    report_.dirs_found = p.dirs_found;
    report_.bytes_found = p.bytes_found;
    report_.files_copied = p.files_copied;
    report_.bytes_copied = p.bytes_copied;
    report_.dirs_created = p.dirs_created;
    report_.metadata_updated = p.metadata_updated;
    report_.unchanged = p.unchanged;
    report_.deleted = p.deleted;
    report_.failed = p.failed;
    report_.skipped = p.skipped;
    report_.retries = p.retries;
  }

  const Endpoint& source_;
  const Endpoint& target_;
  Journal& journal_;
  const MigrateOptions& options_;
  Progress own_progress_;
  Progress* progress_;
  BufferPool buffers_;
  RateLimiter rate_;
  TransferContext context_;
  ThreadPool* files_ = nullptr;
  int64_t run_id_ = 0;
  bool walk_complete_ = true;
  std::mutex mu_;
  MigrationReport report_;
};

std::string FormatBytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

}  // namespace

std::string JoinPath(const std::string& root, const std::string& relative) {
  if (relative.empty() || relative == "/") return root.empty() ? "/" : root;
  if (root.empty() || root == "/") return relative;
  return root + relative;
}

std::string MigrationReport::ToJson() const {
  nlohmann::ordered_json j;
  j["run"] = run_id;
  j["mode"] = mode;
  j["dry_run"] = dry_run;
  j["source"] = source;
  j["target"] = target;
  j["started_ms"] = started_ms;
  j["finished_ms"] = finished_ms;
  double seconds = std::max<int64_t>(1, finished_ms - started_ms) / 1000.0;
  j["duration_s"] = seconds;
  j["found"] = {{"files", files_found}, {"directories", dirs_found}, {"bytes", bytes_found}};
  j["copied"] = {{"files", files_copied}, {"bytes", bytes_copied}, {"directories_created", dirs_created}};
  j["metadata_updated"] = metadata_updated;
  j["unchanged"] = unchanged;
  j["deleted"] = deleted;
  j["skipped"] = skipped;
  j["failed"] = failed;
  j["retries"] = retries;
  j["throughput_bytes_per_s"] = static_cast<double>(bytes_copied) / seconds;
  j["files_per_s"] = static_cast<double>(files_copied) / seconds;
  j["walk_complete"] = walk_complete;
  j["interrupted"] = interrupted;
  auto problems = [](const std::vector<ItemProblem>& list) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const ItemProblem& p : list) a.push_back({{"path", p.path}, {"reason", p.reason}});
    return a;
  };
  j["failures"] = problems(failures);
  j["incompatible_names"] = problems(incompatible_names);
  j["unmapped_identities"] = unmapped_identities;
  return j.dump(2);
}

std::string MigrationReport::Summary() const {
  double seconds = std::max<int64_t>(1, finished_ms - started_ms) / 1000.0;
  std::string s;
  s += (dry_run ? "Dry run of " : "Migration run " + std::to_string(run_id) + " (" + mode + ") from ") + source +
       " to " + target + "\n";
  s += "  found       " + std::to_string(files_found) + " files (" + FormatBytes(bytes_found) + "), " +
       std::to_string(dirs_found) + " directories\n";
  if (!dry_run) {
    char rate[64];
    std::snprintf(rate, sizeof rate, "%.1f MB/s, %.0f files/s", static_cast<double>(bytes_copied) / seconds / 1e6,
                  static_cast<double>(files_copied) / seconds);
    s += "  copied      " + std::to_string(files_copied) + " files (" + FormatBytes(bytes_copied) + ") in " +
         std::to_string(seconds).substr(0, std::to_string(seconds).find('.') + 2) + " s: " + rate + "\n";
    s += "  directories " + std::to_string(dirs_created) + " created\n";
    s += "  metadata    " + std::to_string(metadata_updated) + " items updated; " + std::to_string(unchanged) +
         " unchanged\n";
    s += "  deleted     " + std::to_string(deleted) + "; skipped " + std::to_string(skipped) + "; retries " +
         std::to_string(retries) + "\n";
  }
  s += "  failed      " + std::to_string(failed) + "\n";
  for (size_t i = 0; i < failures.size() && i < 10; ++i) {
    s += "    " + failures[i].path + ": " + failures[i].reason + "\n";
  }
  if (failures.size() > 10) s += "    ... (all of them are in the report)\n";
  if (!incompatible_names.empty()) {
    s += "  names Gen2 cannot hold: " + std::to_string(incompatible_names.size()) + "\n";
    for (size_t i = 0; i < incompatible_names.size() && i < 10; ++i) {
      s += "    " + incompatible_names[i].path + ": " + incompatible_names[i].reason + "\n";
    }
  }
  if (!unmapped_identities.empty()) {
    s += "  identities not in the map: " + std::to_string(unmapped_identities.size()) + "\n";
  }
  if (!walk_complete && !interrupted) s += "  the walk was incomplete, so no deletions were applied\n";
  if (interrupted) s += "  interrupted: run the same command again to resume\n";
  return s;
}

Result<MigrationReport> Migrate(const Endpoint& source, const Endpoint& target, Journal& journal,
                                const MigrateOptions& options) {
  if (!source.fs || !target.fs) return Status(StatusCode::kInvalidArgument, "Migrate needs both stores");
  Run run(source, target, journal, options);
  return run.Go();
}

}  // namespace lakeshift::migrate
