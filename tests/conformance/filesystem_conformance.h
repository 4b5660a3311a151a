#pragma once
// One conformance suite for every FileSystem implementation (the local store now; the Gen1 and Gen2
// clients over the emulators and the gateway later). A target registers a factory with
// INSTANTIATE_TEST_SUITE_P(Name, FileSystemConformance, testing::Values(...)).

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "acl/access.h"
#include "fs/filesystem.h"
#include "testing/status_macros.h"

namespace lakeshift::conformance {

// One fresh, empty store for one test.
class TargetInstance {
 public:
  virtual ~TargetInstance() = default;
  // A view with superuser rights.
  virtual fs::FileSystem& admin() = 0;
  // A view acting as `caller`, or nullptr when the target cannot act as arbitrary callers.
  virtual std::shared_ptr<fs::FileSystem> As(const acl::Caller& caller) = 0;
  // The ACL rules the target applies (inheritance expectations depend on them).
  virtual const acl::AclPolicy& policy() const = 0;
};

struct Target {
  std::string name;
  std::function<std::unique_ptr<TargetInstance>()> make;
};

inline void PrintTo(const Target& target, std::ostream* os) {
  *os << target.name;
}
inline std::string PrintTarget(const testing::TestParamInfo<Target>& info) {
  return info.param.name;
}

class FileSystemConformance : public testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    instance_ = GetParam().make();
    ASSERT_NE(instance_, nullptr);
  }
  fs::FileSystem& fs() { return instance_->admin(); }
  const fs::Capabilities& caps() { return fs().capabilities(); }
  TargetInstance& instance() { return *instance_; }

 private:
  std::unique_ptr<TargetInstance> instance_;
};

// --- Permission enforcement: the same matrix for every store that can act as other callers. ---

class Principals {
 public:
  static constexpr const char* kOwner = "aaaaaaaa-0000-0000-0000-000000000001";
  static constexpr const char* kNamed = "aaaaaaaa-0000-0000-0000-000000000002";
  static constexpr const char* kMember = "aaaaaaaa-0000-0000-0000-000000000003";
  static constexpr const char* kOther = "aaaaaaaa-0000-0000-0000-000000000004";
  static constexpr const char* kGroup = "bbbbbbbb-0000-0000-0000-000000000001";
  static acl::Caller Owner() { return {kOwner, {}, false}; }
  static acl::Caller Named() { return {kNamed, {}, false}; }
  static acl::Caller Member() { return {kMember, {kGroup}, false}; }
  static acl::Caller Other() { return {kOther, {}, false}; }
};

class PermissionMatrix : public FileSystemConformance {
 protected:
  // /open (rwxr-xr-x, so everyone can traverse) / data: owned by kOwner, group kGroup, mode given,
  // with a named entry for kNamed.
  void Build(acl::Mode mode, const std::string& named_perm) {
    fs::CreateOptions open;
    open.permission = 0755;
    ASSERT_OK(fs().CreateDirectory("/open", open));
    fs::AccessControlChange chmod;
    chmod.mode = 0755;
    ASSERT_OK(fs().SetAccessControl("/", chmod));  // everyone may traverse the root and /open
    ASSERT_OK(fs().SetAccessControl("/open", chmod));
    ASSERT_OK(fs().CreateDirectory("/open/dir", {}));
    ASSERT_OK(fs::WriteFile(fs(), "/open/dir/file", "secret"));
    for (const char* p : {"/open/dir", "/open/dir/file"}) {
      fs::AccessControlChange change;
      change.owner = Principals::kOwner;
      change.group = Principals::kGroup;
      change.acl_op = fs::AclOp::kSet;
      change.acl_entries = *acl::ParseAclSpec(
          "user::" + acl::FormatPerm((mode >> 6) & 7) + ",group::" + acl::FormatPerm((mode >> 3) & 7) +
          ",other::" + acl::FormatPerm(mode & 7) + ",user:" + Principals::kNamed + ":" + named_perm);
      ASSERT_OK(fs().SetAccessControl(p, change));
    }
  }
  bool CanRead(const acl::Caller& c) { return fs::ReadFile(*instance().As(c), "/open/dir/file").ok(); }
  bool CanWrite(const acl::Caller& c) {
    fs::StringInputStream data("!");
    auto view = instance().As(c);
    auto size = view->GetFileInfo("/open/dir/file");
    if (!size.ok()) return false;
    return view->Append("/open/dir/file", size->size, data, {}).ok();
  }
  bool CanList(const acl::Caller& c) { return instance().As(c)->List("/open/dir", {}).ok(); }
  bool CanCreate(const acl::Caller& c) { return instance().As(c)->CreateFile("/open/dir/new-" + c.user, {}).ok(); }
  bool CanSetAcl(const acl::Caller& c) {
    fs::AccessControlChange change;
    change.mode = 0770;
    return instance().As(c)->SetAccessControl("/open/dir/file", change).ok();
  }
};

}  // namespace lakeshift::conformance
