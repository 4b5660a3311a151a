#include "migrate/verify.h"

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "encoding/base64.h"
#include "encoding/digest.h"
#include "migrate/concurrency.h"

namespace lakeshift::migrate {
namespace {

std::string ChildPath(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Base64 MD5 of a file's bytes, read in 8 MiB pieces.
Result<std::string> HashFile(fs::FileSystem& store, const std::string& path, int64_t* bytes) {
  ASSIGN_OR_RETURN(fs::ReadHandle handle, store.OpenRead(path, fs::ReadOptions{}));
  encoding::Hasher md5(encoding::HashAlgorithm::kMd5);
  std::string buffer(8 << 20, '\0');
  while (true) {
    ASSIGN_OR_RETURN(size_t n, handle.stream->Read(buffer.data(), buffer.size()));
    if (n == 0) break;
    md5.Update(std::string_view(buffer.data(), n));
    *bytes += static_cast<int64_t>(n);
  }
  ASSIGN_OR_RETURN(std::string digest, md5.Finish());
  return encoding::Base64Encode(digest);
}

class Verifier {
 public:
  Verifier(const Endpoint& source, const Endpoint& target, const VerifyOptions& options)
      : source_(source), target_(target), options_(options) {}

  Result<VerifyReport> Go() {
    ASSIGN_OR_RETURN(fs::FileInfo root, source_.fs->GetFileInfo(source_.root));
    if (!root.is_directory()) return Status(StatusCode::kInvalidArgument, source_.url + " is not a directory");
    auto target_root = target_.fs->GetFileInfo(target_.root);
    if (!target_root.ok()) {
      return Status(target_root.status().code(),
                    "cannot read the target " + target_.url + ": " + target_root.status().message());
    }
    {
      ThreadPool pool(options_.parallel, static_cast<size_t>(options_.parallel) * 4);
      pool_ = &pool;
      CompareMetadata("/", "/", root, *target_root);
      std::vector<std::pair<std::string, std::string>> stack{{"/", "/"}};
      while (!stack.empty() && !(options_.cancel && options_.cancel->load())) {
        auto [source_dir, target_dir] = stack.back();
        stack.pop_back();
        RETURN_IF_ERROR(CompareDirectory(source_dir, target_dir, stack));
      }
      pool.Wait();
      pool_ = nullptr;
    }
    return std::move(report_);
  }

 private:
  void Differ(const std::string& path, const std::string& what, const std::string& source, const std::string& target) {
    std::lock_guard lock(mu_);
    ++report_.difference_count;
    if (report_.differences.size() < 10000) report_.differences.push_back({path, what, source, target});
  }

  Status CompareDirectory(const std::string& source_dir, const std::string& target_dir,
                          std::vector<std::pair<std::string, std::string>>& stack) {
    // The target's children of this one directory, by name.
    std::map<std::string, fs::FileInfo> on_target;
    fs::ListOptions list;
    while (true) {
      auto page = target_.fs->List(JoinPath(target_.root, target_dir), list);
      if (!page.ok()) {
        Differ(source_dir, "cannot list on target", "", page.status().ToString());
        return Status::Ok();
      }
      for (fs::FileInfo& e : page->entries) on_target.emplace(BaseName(e.path), std::move(e));
      if (page->continuation.empty()) break;
      list.start_after = page->continuation;
    }
    std::vector<std::pair<std::string, std::string>> subdirs;
    list = fs::ListOptions{};
    while (true) {
      auto page = source_.fs->List(JoinPath(source_.root, source_dir), list);
      if (!page.ok()) return Status(page.status().code(), "cannot list the source: " + page.status().message());
      for (fs::FileInfo& s : page->entries) {
        std::string name = BaseName(s.path);
        std::string source_rel = ChildPath(source_dir, name);
        std::string target_name = name;
        if (options_.journal) {
          ASSIGN_OR_RETURN(std::optional<JournalItem> known, options_.journal->Get(source_rel));
          if (known && known->state == ItemState::kSkipped) continue;  // left out on purpose
          if (known && !known->target_path.empty()) target_name = BaseName(known->target_path);
        }
        auto it = on_target.find(target_name);
        if (it == on_target.end()) {
          Differ(source_rel, "missing on target", fs::FileTypeName(s.type).data(), "");
          continue;
        }
        fs::FileInfo t = std::move(it->second);
        on_target.erase(it);
        if (s.type != t.type) {
          Differ(source_rel, "type", std::string(fs::FileTypeName(s.type)), std::string(fs::FileTypeName(t.type)));
          continue;
        }
        std::string target_rel = ChildPath(target_dir, target_name);
        if (s.is_directory()) {
          CompareMetadata(source_rel, target_rel, s, t);
          subdirs.emplace_back(source_rel, target_rel);
        } else {
          pool_->Submit([this, source_rel, target_rel, s = std::move(s)] { CompareFile(source_rel, target_rel, s); });
        }
      }
      if (page->continuation.empty()) break;
      list.start_after = page->continuation;
    }
    for (const auto& [name, t] : on_target) {
      if (name.rfind(".lakeshift-", 0) == 0) continue;  // our own temporary names
      Differ(ChildPath(target_dir, name), "only on target", "", std::string(fs::FileTypeName(t.type)));
    }
    for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it) stack.push_back(*it);
    return Status::Ok();
  }

  // Owner, group, mode, ACL, preserved times, expiry.
  void CompareMetadata(const std::string& source_rel, const std::string& target_rel, const fs::FileInfo& s,
                       const fs::FileInfo& listed) {
    {
      std::lock_guard lock(mu_);
      ++(s.is_directory() ? report_.directories : report_.files);
    }
    std::string source_path = JoinPath(source_.root, source_rel);
    std::string target_path = JoinPath(target_.root, target_rel);
    auto meta = ReadSourceMetadata(*source_.fs, source_path, s);
    if (!meta.ok()) return Differ(source_rel, "cannot read source metadata", meta.status().ToString(), "");
    std::set<std::string> unmapped;
    auto mapped = MapIdentities(meta->acl, options_.identities, options_.unmapped, &unmapped,
                                source_.fs->capabilities().host_accounts && !target_.fs->capabilities().host_accounts);
    if (!mapped.ok()) return Differ(source_rel, "identity map", mapped.status().message(), "");
    const fs::Capabilities& caps = target_.fs->capabilities();
    fs::FileInfo t = listed;
    if (caps.properties || caps.expiry || caps.content_md5) {
      auto full = target_.fs->GetFileInfo(target_path);
      if (!full.ok()) return Differ(source_rel, "cannot read target", "", full.status().ToString());
      t = std::move(full).value();
    }
    acl::AclState target_acl = acl::AclState::FromMode(t.owner, t.group, t.mode);
    if (caps.acls) {
      auto got = target_.fs->GetAccessControl(target_path);
      if (!got.ok()) return Differ(source_rel, "cannot read target ACL", "", got.status().ToString());
      target_acl = std::move(got).value();
    }
    if (caps.set_owner && !mapped->owner.empty() && mapped->owner != target_acl.owner) {
      Differ(source_rel, "owner", mapped->owner, target_acl.owner);
    }
    if (caps.set_owner && !mapped->group.empty() && mapped->group != target_acl.group) {
      Differ(source_rel, "group", mapped->group, target_acl.group);
    }
    if (mapped->mode() != target_acl.mode()) {
      Differ(source_rel, "permissions", acl::FormatSymbolicMode(mapped->mode()),
             acl::FormatSymbolicMode(target_acl.mode()));
    }
    if (caps.acls && mapped->ToSpec() != target_acl.ToSpec()) {
      Differ(source_rel, "acl", mapped->ToSpec(), target_acl.ToSpec());
    }
    if (caps.properties && target_path != "/") {  // a Gen2 filesystem's root holds no path properties
      auto check = [&](const char* name, int64_t want) {
        auto it = t.properties.find(name);
        std::string got = it == t.properties.end() ? "(none)" : it->second;
        if (got != std::to_string(want)) Differ(source_rel, std::string(name) + " property", std::to_string(want), got);
      };
      check(kSourceModificationTimeProperty, meta->modification_time_ms);
    } else if (caps.set_times && t.modification_time_ms != meta->modification_time_ms) {
      Differ(source_rel, "modification time", std::to_string(meta->modification_time_ms),
             std::to_string(t.modification_time_ms));
    }
    if (s.is_file() && (caps.expiry || meta->expiry_time_ms > 0) && t.expiry_time_ms != meta->expiry_time_ms) {
      // The service keeps expiry times to the second.
      if (std::llabs(t.expiry_time_ms - meta->expiry_time_ms) >= 1000 || t.expiry_time_ms == 0) {
        Differ(source_rel, "expiry", std::to_string(meta->expiry_time_ms), std::to_string(t.expiry_time_ms));
      }
    }
    if (s.is_file()) CompareContent(source_rel, source_path, target_path, s, t);
  }

  void CompareFile(const std::string& source_rel, const std::string& target_rel, const fs::FileInfo& s) {
    auto t = target_.fs->GetFileInfo(JoinPath(target_.root, target_rel));
    if (!t.ok()) return Differ(source_rel, "cannot read target", "", t.status().ToString());
    CompareMetadata(source_rel, target_rel, s, *t);
    if (options_.on_progress) {
      std::lock_guard lock(mu_);
      options_.on_progress(report_.files + report_.directories);
    }
  }

  void CompareContent(const std::string& rel, const std::string& source_path, const std::string& target_path,
                      const fs::FileInfo& s, const fs::FileInfo& t) {
    if (s.size != t.size) return Differ(rel, "size", std::to_string(s.size), std::to_string(t.size));
    if (options_.content == ContentCheck::kSize) return;
    int64_t bytes = 0;
    auto source_md5 = HashFile(*source_.fs, source_path, &bytes);
    if (!source_md5.ok()) return Differ(rel, "cannot read source", source_md5.status().ToString(), "");
    std::string target_md5 = t.content_md5;
    if (options_.content == ContentCheck::kFull || target_md5.empty()) {
      auto hashed = HashFile(*target_.fs, target_path, &bytes);
      if (!hashed.ok()) return Differ(rel, "cannot read target", "", hashed.status().ToString());
      target_md5 = *hashed;
    }
    {
      std::lock_guard lock(mu_);
      report_.bytes_hashed += bytes;
    }
    if (*source_md5 != target_md5) Differ(rel, "content", "md5 " + *source_md5, "md5 " + target_md5);
  }

  const Endpoint& source_;
  const Endpoint& target_;
  const VerifyOptions& options_;
  ThreadPool* pool_ = nullptr;
  std::mutex mu_;
  VerifyReport report_;
};

}  // namespace

std::string VerifyReport::ToJson() const {
  nlohmann::ordered_json j;
  j["files"] = files;
  j["directories"] = directories;
  j["bytes_hashed"] = bytes_hashed;
  j["differences"] = difference_count;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const Difference& d : differences) {
    list.push_back({{"path", d.path}, {"what", d.what}, {"source", d.source}, {"target", d.target}});
  }
  j["items"] = list;
  return j.dump(2);
}

std::string VerifyReport::Summary() const {
  std::string s = "Compared " + std::to_string(files) + " files and " + std::to_string(directories) + " directories (" +
                  std::to_string(bytes_hashed) + " bytes hashed): ";
  if (difference_count == 0) return s + "no differences\n";
  s += std::to_string(difference_count) + " differences\n";
  for (size_t i = 0; i < differences.size() && i < 20; ++i) {
    const Difference& d = differences[i];
    s += "  " + d.path + ": " + d.what;
    if (!d.source.empty() || !d.target.empty()) s += " (source " + d.source + ", target " + d.target + ")";
    s += "\n";
  }
  if (differences.size() > 20) s += "  ... (all of them are in the report)\n";
  return s;
}

Result<VerifyReport> Verify(const Endpoint& source, const Endpoint& target, const VerifyOptions& options) {
  if (!source.fs || !target.fs) return Status(StatusCode::kInvalidArgument, "Verify needs both stores");
  Verifier verifier(source, target, options);
  return verifier.Go();
}

}  // namespace lakeshift::migrate
