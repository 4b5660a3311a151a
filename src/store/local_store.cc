#include "store/local_store.h"

#include <sys/stat.h>

#include <cerrno>

#include "common/log.h"
#include "common/path.h"
#include "store/local_store_impl.h"

namespace lakeshift::store {

int64_t LocalStore::Impl::Now() const {
  if (options.clock_ms) return options.clock_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string LocalStore::Impl::NewEtag() {
  constexpr int64_t kEpochToFileTimeTicks = 116444736000000000LL;
  int64_t ticks =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count() /
          100 +
      kEpochToFileTimeTicks;
  last_etag_ticks = std::max(last_etag_ticks + 1, ticks);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%llX", static_cast<unsigned long long>(last_etag_ticks));
  return buf;
}

void LocalStore::Impl::Touch(Node& node, int64_t now, bool content_changed) {
  node.change_ms = now;
  if (content_changed) node.modification_ms = now;
  node.etag = NewEtag();
}

Result<Resolved> LocalStore::Impl::Resolve(std::string_view raw_path, int64_t now) {
  Resolved r;
  ASSIGN_OR_RETURN(r.path, path::Normalize(raw_path));
  for (std::string_view part : path::Split(r.path)) r.parts.emplace_back(part);
  ASSIGN_OR_RETURN(std::optional<Node> root, nodes->FindById(kRootId));
  if (!root) return Internal("the store has no root directory; the metadata database is damaged");
  r.chain.push_back(std::move(*root));
  for (const std::string& part : r.parts) {
    if (!r.chain.back().is_dir) break;
    ASSIGN_OR_RETURN(std::optional<Node> child, nodes->FindChild(r.chain.back().id, part, now));
    if (!child) break;
    r.chain.push_back(std::move(*child));
  }
  return r;
}

Status LocalStore::Impl::CheckTraverse(const Resolved& r, const acl::Caller& caller) {
  if (caller.superuser) return Status::Ok();
  size_t ancestors = r.found() ? r.chain.size() - 1 : r.chain.size();
  for (size_t i = 0; i < ancestors; ++i) {
    if (!r.chain[i].is_dir) break;
    if (!acl::HasAccess(r.chain[i].acl, caller, acl::kExecute, policy())) {
      return PermissionDenied("traverse of " + r.PathAt(i) + " is denied to " + caller.user +
                              " (execute permission is needed on every parent directory)");
    }
  }
  return Status::Ok();
}

Result<Resolved> LocalStore::Impl::ResolveExisting(std::string_view raw_path, const acl::Caller& caller, int64_t now) {
  ASSIGN_OR_RETURN(Resolved r, Resolve(raw_path, now));
  RETURN_IF_ERROR(CheckTraverse(r, caller));
  if (!r.found()) return PathNotFound(r.path);
  return r;
}

Status LocalStore::Impl::ProcessUnlinks() {
  ASSIGN_OR_RETURN(std::vector<std::string> keys, nodes->PendingUnlinks());
  std::erase_if(keys, [&](const std::string& key) { return writing_keys.count(key) > 0; });
  if (keys.empty()) return Status::Ok();
  for (const std::string& key : keys) RETURN_IF_ERROR(content->Unlink(key));
  Transaction tx(*db);
  RETURN_IF_ERROR(tx.Begin());
  for (const std::string& key : keys) RETURN_IF_ERROR(nodes->ClearUnlink(key));
  return tx.Commit();
}

void LocalStore::Impl::ApplyBatch(const std::vector<GroupCommit<WriteChange>::Entry*>& batch) {
  Transaction tx(*db);
  Status begun = BeginWrite(tx, Now());
  if (!begun.ok()) {
    for (auto* w : batch) w->result = begun;
    return;
  }
  for (auto* w : batch) {
    w->result = db->Run("SAVEPOINT write");
    if (!w->result.ok()) continue;
    w->result = (*w->item)(Now());
    if (w->result.ok()) {
      w->result = db->Run("RELEASE write");
    } else {
      db->Run("ROLLBACK TO write").IgnoreError();
      db->Run("RELEASE write").IgnoreError();
    }
  }
  Status committed = tx.Commit();
  if (!committed.ok()) {
    for (auto* w : batch) {
      if (w->result.ok()) w->result = committed;
    }
    return;  // the transaction's destructor rolls every change back
  }
  Status unlinked = ProcessUnlinks();
  if (!unlinked.ok()) LOG_WARNING("local store: content cleanup deferred: " << unlinked);
}

Node LocalStore::Impl::NewNode(const Node& parent, const std::string& name, bool is_dir,
                               const acl::NewChildRequest& request, int64_t now) {
  Node n;
  n.parent_id = parent.id;
  n.name = name;
  n.is_dir = is_dir;
  n.acl = acl::InheritForNewChild(parent.acl, request, policy());
  n.creation_ms = n.modification_ms = n.access_ms = n.change_ms = now;
  n.etag = NewEtag();
  if (!is_dir) n.data_key = ContentFiles::NewKey();
  return n;
}

Status LocalStore::Impl::CheckConsistency() {
  std::lock_guard<std::mutex> lock(mu);
  ASSIGN_OR_RETURN(Statement * check, db->Prepare("PRAGMA integrity_check"));
  ASSIGN_OR_RETURN(bool row, check->Step());
  if (!row || check->Text(0) != "ok") return Internal("SQLite integrity check failed: " + check->Text(0));
  check->Reset();
  ASSIGN_OR_RETURN(Statement * orphans,
                   db->Prepare("SELECT count(*) FROM nodes n WHERE n.id != 1 AND NOT EXISTS "
                               "(SELECT 1 FROM nodes p WHERE p.id = n.parent_id AND p.is_dir = 1)"));
  ASSIGN_OR_RETURN(row, orphans->Step());
  if (orphans->Int(0) != 0) return Internal(std::to_string(orphans->Int(0)) + " items have no parent directory");
  orphans->Reset();
  ASSIGN_OR_RETURN(Statement * staged, db->Prepare("SELECT count(*) FROM staged s WHERE NOT EXISTS "
                                                   "(SELECT 1 FROM nodes n WHERE n.data_key = s.data_key)"));
  ASSIGN_OR_RETURN(row, staged->Step());
  if (staged->Int(0) != 0) return Internal(std::to_string(staged->Int(0)) + " staged ranges belong to no file");
  staged->Reset();
  ASSIGN_OR_RETURN(Statement * inlined, db->Prepare("SELECT count(*) FROM inline_content i WHERE NOT EXISTS "
                                                    "(SELECT 1 FROM nodes n WHERE n.data_key = i.data_key)"));
  ASSIGN_OR_RETURN(row, inlined->Step());
  if (inlined->Int(0) != 0) return Internal(std::to_string(inlined->Int(0)) + " inline contents belong to no file");
  inlined->Reset();
  ASSIGN_OR_RETURN(Statement * files, db->Prepare("SELECT n.id, n.data_key, n.size, length(i.bytes) FROM nodes n "
                                                  "LEFT JOIN inline_content i ON i.data_key = n.data_key "
                                                  "WHERE n.is_dir = 0 AND n.size > 0"));
  while (true) {
    ASSIGN_OR_RETURN(row, files->Step());
    if (!row) break;
    if (!files->IsNull(3)) {
      if (files->Int(3) < files->Int(2)) {
        std::string key = files->Text(1);
        files->Reset();
        return Internal("inline content " + key + " is shorter than the committed length");
      }
      continue;
    }
    struct stat st {};
    std::string file = content->PathFor(files->Text(1));
    if (::stat(file.c_str(), &st) != 0 || st.st_size < files->Int(2)) {
      files->Reset();
      return Internal("content file " + file + " is missing or shorter than the committed length");
    }
  }
  files->Reset();
  return Status::Ok();
}

namespace {

using acl::Caller;
using fs::FileInfo;

// A FileSystem view bound to one caller.
class CallerView final : public fs::FileSystem {
 public:
  CallerView(std::shared_ptr<LocalStore::Impl> impl, Caller caller)
      : impl_(std::move(impl)), caller_(std::move(caller)) {}

  const fs::Capabilities& capabilities() const override {
    static const fs::Capabilities kCaps{.acls = true,
                                        .set_owner = true,
                                        .set_times = true,
                                        .expiry = true,
                                        .properties = true,
                                        .content_md5 = true,
                                        .staged_appends = true,
                                        .atomic_rename = true,
                                        .recursive_listing = true,
                                        .list_before = true,
                                        .check_access = true,
                                        .sequential_appends = true,
                                        .stable_reads = true,
                                        .atomic_put = true};
    return kCaps;
  }
  Result<fs::FileInfo> GetFileInfo(std::string_view p) override { return impl_->GetFileInfo(caller_, p); }
  Result<fs::ListPage> List(std::string_view dir, const fs::ListOptions& o) override {
    return impl_->List(caller_, dir, o);
  }
  Result<fs::ReadHandle> OpenRead(std::string_view p, const fs::ReadOptions& o) override {
    return impl_->OpenRead(caller_, p, o);
  }
  Result<fs::FileInfo> CreateFile(std::string_view p, const fs::CreateOptions& o) override {
    return impl_->Create(caller_, p, o, false);
  }
  Result<fs::FileInfo> CreateDirectory(std::string_view p, const fs::CreateOptions& o) override {
    return impl_->Create(caller_, p, o, true);
  }
  Result<int64_t> Append(std::string_view p, int64_t offset, fs::InputStream& data,
                         const fs::AppendOptions& o) override {
    return impl_->Append(caller_, p, offset, data, o);
  }
  Result<fs::FileInfo> Flush(std::string_view p, int64_t position, const fs::FlushOptions& o) override {
    return impl_->Flush(caller_, p, position, o);
  }
  Result<fs::FileInfo> PutFile(std::string_view p, fs::InputStream& data, const fs::PutOptions& o) override {
    return impl_->Put(caller_, p, data, o);
  }
  Status Rename(std::string_view s, std::string_view d, const fs::RenameOptions& o) override {
    return impl_->Rename(caller_, s, d, o);
  }
  Status Delete(std::string_view p, const fs::DeleteOptions& o) override { return impl_->Delete(caller_, p, o); }
  Result<acl::AclState> GetAccessControl(std::string_view p) override { return impl_->GetAccessControl(caller_, p); }
  Status CheckAccess(std::string_view p, acl::Perm wanted) override { return impl_->CheckAccess(caller_, p, wanted); }
  Result<fs::FileInfo> SetAccessControl(std::string_view p, const fs::AccessControlChange& c) override {
    return impl_->SetAccessControl(caller_, p, c);
  }
  Result<fs::FileInfo> SetTimes(std::string_view p, std::optional<int64_t> mtime,
                                std::optional<int64_t> atime) override {
    return impl_->UpdateWithWriteAccess(caller_, p, {}, [&](Node& n, const std::string&, int64_t) {
      if (mtime) n.modification_ms = *mtime;
      if (atime) n.access_ms = *atime;
      return Status::Ok();
    });
  }
  Result<fs::FileInfo> SetExpiry(std::string_view p, const fs::ExpirySpec& e) override {
    return impl_->UpdateWithWriteAccess(caller_, p, {}, [&](Node& n, const std::string& path, int64_t now) {
      if (n.is_dir) return InvalidArgument("expiry can only be set on files, not on directory " + path);
      if (e.ms < 0) return InvalidArgument("expiry time " + std::to_string(e.ms) + " for " + path + " is negative");
      switch (e.kind) {
        case fs::ExpirySpec::Kind::kNever: n.expiry_ms = 0; break;
        case fs::ExpirySpec::Kind::kRelativeToNow: n.expiry_ms = now + e.ms; break;
        case fs::ExpirySpec::Kind::kRelativeToCreation: n.expiry_ms = n.creation_ms + e.ms; break;
        case fs::ExpirySpec::Kind::kAbsolute: n.expiry_ms = e.ms; break;
      }
      return Status::Ok();
    });
  }
  Result<fs::FileInfo> SetProperties(std::string_view p, const fs::Properties& props,
                                     const std::optional<fs::ContentHeaders>& content,
                                     const fs::Conditions& conditions) override {
    return impl_->UpdateWithWriteAccess(caller_, p, conditions, [&](Node& n, const std::string&, int64_t) {
      n.properties = props;
      if (content) n.content = *content;
      return Status::Ok();
    });
  }
  Result<fs::FileInfo> SetContentMd5(std::string_view p, std::string_view md5,
                                     const fs::Conditions& conditions) override {
    return impl_->UpdateWithWriteAccess(caller_, p, conditions, [&](Node& n, const std::string& path, int64_t) {
      if (n.is_dir) return IsADirectory(path);
      n.content_md5 = std::string(md5);
      return Status::Ok();
    });
  }

 private:
  std::shared_ptr<LocalStore::Impl> impl_;
  Caller caller_;
};

}  // namespace

LocalStore::LocalStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LocalStore::~LocalStore() = default;

Result<std::shared_ptr<LocalStore>> LocalStore::Open(LocalStoreOptions options) {
  if (options.directory.empty()) return InvalidArgument("the local store needs a directory (--data DIR)");
  if (::mkdir(options.directory.c_str(), 0750) != 0 && errno != EEXIST) {
    return ErrnoError("cannot create store directory " + options.directory, errno);
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->content = std::make_unique<ContentFiles>(options.directory + "/data");
  RETURN_IF_ERROR(impl->content->Init());
  ASSIGN_OR_RETURN(impl->db, Database::Open(options.directory + "/metadata.db", options.fsync));
  impl->nodes = std::make_unique<NodeTable>(*impl->db);
  Node root;
  root.id = kRootId;
  root.is_dir = true;
  root.acl = acl::AclState::FromMode(options.root_owner, options.root_group, options.root_mode);
  root.creation_ms = root.modification_ms = root.access_ms = root.change_ms = impl->Now();
  root.etag = impl->NewEtag();
  {
    std::lock_guard<std::mutex> lock(impl->mu);
    Transaction tx(*impl->db);
    RETURN_IF_ERROR(tx.Begin());
    RETURN_IF_ERROR(impl->nodes->CreateSchema(root));
    ASSIGN_OR_RETURN(std::string policy_name, impl->nodes->GetMeta("acl_policy"));
    if (impl->options.policy == nullptr) {  // adopt the store's own rules (Gen2 for a new store)
      impl->options.policy = &acl::AclPolicy::Gen2();
      for (const acl::AclPolicy* known : {&acl::AclPolicy::Gen1(), &acl::AclPolicy::Gen2(), &acl::AclPolicy::Posix()}) {
        if (known->name == policy_name) impl->options.policy = known;
      }
      options.policy = impl->options.policy;
    }
    if (policy_name.empty()) {
      RETURN_IF_ERROR(impl->nodes->SetMeta("acl_policy", options.policy->name));
    } else if (policy_name != options.policy->name) {
      return InvalidArgument("store " + options.directory + " was created with the " + policy_name +
                             " ACL rules; it cannot be opened with the " + options.policy->name + " rules");
    }
    RETURN_IF_ERROR(tx.Commit());
    // Content removals that a crash interrupted.
    RETURN_IF_ERROR(impl->ProcessUnlinks());
  }
  return std::shared_ptr<LocalStore>(new LocalStore(std::move(impl)));
}

std::shared_ptr<fs::FileSystem> LocalStore::ForCaller(acl::Caller caller) {
  return std::make_shared<CallerView>(impl_, std::move(caller));
}

std::shared_ptr<fs::FileSystem> LocalStore::AsSuperuser() {
  return ForCaller(Caller::Superuser());
}

Status LocalStore::CheckConsistency() {
  return impl_->CheckConsistency();
}

const LocalStoreOptions& LocalStore::options() const {
  return impl_->options;
}

}  // namespace lakeshift::store
