#include "gateway/gen1_on_gen2.h"

#include "common/path.h"
#include "migrate/metadata.h"
#include "naming/gen2_names.h"

namespace lakeshift::gateway {
namespace {

// Gen1 holds names that Gen2 cannot (ending in '.', containing ':', control characters, ...): refused here, before
// anything is created, with the reason, rather than with whatever Gen2 makes of them.
Status CheckGen2CanHold(std::string_view raw, std::string_view what) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  if (std::optional<std::string> problem = naming::Gen2PathProblem(p)) {
    return InvalidArgument("cannot " + std::string(what) + " " + p +
                           ": the Gen2 account behind this gateway cannot hold the name (" + *problem +
                           "); choose another name (docs/known-issues.md: names Gen2 cannot hold)");
  }
  return Status::Ok();
}

class Gen1OnGen2FileSystem final : public fs::FileSystem {
 public:
  Gen1OnGen2FileSystem(std::shared_ptr<fs::FileSystem> gen2, acl::Caller caller, PreservedTimes times,
                       RecordTimes record, PagePreservedTimes page_times)
      : gen2_(std::move(gen2)),
        caller_(std::move(caller)),
        times_(std::move(times)),
        record_(std::move(record)),
        page_times_(std::move(page_times)),
        caps_(gen2_->capabilities()) {
    caps_.check_access = true;
    caps_.list_before = true;
    caps_.set_times = record_ != nullptr;
  }

  const fs::Capabilities& capabilities() const override { return caps_; }

  Result<fs::FileInfo> GetFileInfo(std::string_view p) override {
    ASSIGN_OR_RETURN(fs::FileInfo info, gen2_->GetFileInfo(p));
    if (!times_ || !info.is_file()) return info;
    std::vector<fs::FileInfo> one;
    one.push_back(std::move(info));
    times_(one);
    return std::move(one.front());
  }

  Result<fs::ListPage> List(std::string_view dir, const fs::ListOptions& o) override {
    ASSIGN_OR_RETURN(std::string p, path::Normalize(dir));
    if (p == "/") RETURN_IF_ERROR(CheckAccess("/", acl::kRead | acl::kExecute));
    // listBefore, which Gen2 lacks: the page in name order, cut at the first name not before it.
    fs::ListOptions without = o;
    without.end_before.clear();
    // Started before the Gen2 call, so that the journal is read while Gen2 lists.
    PreservedTimes times = page_times_ && !o.recursive ? page_times_(p, o.start_after, o.max_results) : times_;
    ASSIGN_OR_RETURN(fs::ListPage page, gen2_->List(dir, without));
    if (!o.end_before.empty()) {
      for (size_t i = 0; i < page.entries.size(); ++i) {
        if (std::string(path::BaseName(page.entries[i].path)) >= o.end_before) {
          page.entries.resize(i);
          page.continuation.clear();
          break;
        }
      }
    }
    if (times) times(page.entries);
    return page;
  }

  Result<fs::ReadHandle> OpenRead(std::string_view p, const fs::ReadOptions& o) override {
    return gen2_->OpenRead(p, o);
  }

  Result<fs::FileInfo> CreateFile(std::string_view p, const fs::CreateOptions& o) override {
    RETURN_IF_ERROR(CheckGen2CanHold(p, "create"));
    ASSIGN_OR_RETURN(fs::CreateOptions gen1, WithGen1Mode(p, o, /*is_dir=*/false));
    return gen2_->CreateFile(p, gen1);
  }
  Result<fs::FileInfo> CreateDirectory(std::string_view p, const fs::CreateOptions& o) override {
    RETURN_IF_ERROR(CheckGen2CanHold(p, "create"));
    ASSIGN_OR_RETURN(fs::CreateOptions gen1, WithGen1Mode(p, o, /*is_dir=*/true));
    return gen2_->CreateDirectory(p, gen1);
  }
  Result<int64_t> Append(std::string_view p, int64_t offset, fs::InputStream& data,
                         const fs::AppendOptions& o) override {
    return gen2_->Append(p, offset, data, o);
  }
  Result<fs::FileInfo> Flush(std::string_view p, int64_t position, const fs::FlushOptions& o) override {
    return gen2_->Flush(p, position, o);
  }
  Result<fs::FileInfo> PutFile(std::string_view p, fs::InputStream& data, const fs::PutOptions& o) override {
    RETURN_IF_ERROR(CheckGen2CanHold(p, "create"));
    return gen2_->PutFile(p, data, o);
  }
  Status Rename(std::string_view s, std::string_view d, const fs::RenameOptions& o) override {
    RETURN_IF_ERROR(CheckGen2CanHold(d, "rename to"));
    return gen2_->Rename(s, d, o);
  }
  Status Delete(std::string_view p, const fs::DeleteOptions& o) override { return gen2_->Delete(p, o); }
  Result<acl::AclState> GetAccessControl(std::string_view p) override { return gen2_->GetAccessControl(p); }

  Status CheckAccess(std::string_view raw, acl::Perm wanted) override {
    ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
    std::vector<acl::PathState> ancestors;
    for (const std::string& a : path::Ancestors(p)) {
      ASSIGN_OR_RETURN(acl::AclState state, gen2_->GetAccessControl(a));
      ancestors.push_back({a, std::move(state), /*is_dir=*/true});
    }
    ASSIGN_OR_RETURN(fs::FileInfo info, gen2_->GetFileInfo(p));
    ASSIGN_OR_RETURN(acl::AclState state, gen2_->GetAccessControl(p));
    return acl::CheckPathAccess(ancestors, {p, std::move(state), info.is_directory()}, caller_, wanted,
                                acl::AclPolicy::Gen2());
  }

  Result<fs::FileInfo> SetAccessControl(std::string_view p, const fs::AccessControlChange& c) override {
    return gen2_->SetAccessControl(p, c);
  }
  // Gen2 cannot set times: they go in the migration's path properties, and are recorded for this version.
  Result<fs::FileInfo> SetTimes(std::string_view p, std::optional<int64_t> m, std::optional<int64_t> a) override {
    if (!record_) return gen2_->SetTimes(p, m, a);
    ASSIGN_OR_RETURN(fs::FileInfo info, GetFileInfo(p));
    int64_t mtime = m.value_or(info.modification_time_ms);
    int64_t atime = a.value_or(info.access_time_ms);
    fs::Properties props = info.properties;
    props[migrate::kSourceModificationTimeProperty] = std::to_string(mtime);
    props[migrate::kSourceAccessTimeProperty] = std::to_string(atime);
    ASSIGN_OR_RETURN(fs::FileInfo after, gen2_->SetProperties(p, props, std::nullopt, fs::Conditions{}));
    record_(after.path, after.etag, mtime, atime);
    after.modification_time_ms = mtime;
    after.access_time_ms = atime;
    return after;
  }
  Result<fs::FileInfo> SetExpiry(std::string_view p, const fs::ExpirySpec& e) override {
    return gen2_->SetExpiry(p, e);
  }
  Result<fs::FileInfo> SetProperties(std::string_view p, const fs::Properties& props,
                                     const std::optional<fs::ContentHeaders>& content,
                                     const fs::Conditions& conditions) override {
    return gen2_->SetProperties(p, props, content, conditions);
  }
  Result<fs::FileInfo> SetContentMd5(std::string_view p, std::string_view md5, const fs::Conditions& c) override {
    return gen2_->SetContentMd5(p, md5, c);
  }

 private:
  // Gen1's create modes as Gen2 request headers (see the header comment).
  Result<fs::CreateOptions> WithGen1Mode(std::string_view raw, const fs::CreateOptions& o, bool is_dir) {
    const acl::AclPolicy& gen1 = acl::AclPolicy::Gen1();
    fs::CreateOptions out = o;
    out.umask = 0;
    acl::Mode fixed =
        static_cast<acl::Mode>((is_dir ? gen1.default_dir_mode : gen1.default_file_mode) & ~gen1.fixed_umask & 0777);
    if (!o.permission) {
      // With a default ACL too: Gen2 ANDs it with this mode, as Gen1's fixed umask clears other. The umask
      // gives directories created on the way the same 770.
      out.permission = fixed;
      out.umask = gen1.fixed_umask;
      return out;
    }
    ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
    auto parent = gen2_->GetAccessControl(path::Parent(p));
    if (parent.ok() && !parent->default_acl.empty()) out.permission = fixed;  // the requested mode is ignored
    return out;
  }

  std::shared_ptr<fs::FileSystem> gen2_;
  acl::Caller caller_;
  PreservedTimes times_;
  RecordTimes record_;
  PagePreservedTimes page_times_;
  fs::Capabilities caps_;
};

}  // namespace

std::unique_ptr<fs::FileSystem> Gen1OnGen2(std::shared_ptr<fs::FileSystem> gen2, acl::Caller caller,
                                           PreservedTimes times, RecordTimes record, PagePreservedTimes page_times) {
  return std::make_unique<Gen1OnGen2FileSystem>(std::move(gen2), std::move(caller), std::move(times), std::move(record),
                                                std::move(page_times));
}

}  // namespace lakeshift::gateway
