// Registers the local namespace store, with the Gen1 and the Gen2 ACL rules, with the conformance suite.
#include <filesystem>

#include "conformance/filesystem_conformance.h"
#include "store/local_store.h"
#include "testing/temp_dir.h"

namespace lakeshift::conformance {
namespace {

class LocalStoreInstance final : public TargetInstance {
 public:
  explicit LocalStoreInstance(const acl::AclPolicy& policy) : policy_(policy) {
    store::LocalStoreOptions options;
    options.directory = dir_.path() + "/store";
    options.policy = &policy;
    options.root_mode = 0770;
    auto store = store::LocalStore::Open(options);
    if (!store.ok()) throw std::runtime_error(store.status().ToString());
    store_ = *store;
    admin_ = store_->AsSuperuser();
  }
  ~LocalStoreInstance() override {
    Status consistent = store_->CheckConsistency();
    EXPECT_TRUE(consistent.ok()) << consistent;
  }
  fs::FileSystem& admin() override { return *admin_; }
  std::shared_ptr<fs::FileSystem> As(const acl::Caller& caller) override { return store_->ForCaller(caller); }
  const acl::AclPolicy& policy() const override { return policy_; }

 private:
  testing_util::TempDir dir_;
  const acl::AclPolicy& policy_;
  std::shared_ptr<store::LocalStore> store_;
  std::shared_ptr<fs::FileSystem> admin_;
};

const Target kTargets[] = {
    {"LocalStoreGen1Rules", [] { return std::make_unique<LocalStoreInstance>(acl::AclPolicy::Gen1()); }},
    {"LocalStoreGen2Rules", [] { return std::make_unique<LocalStoreInstance>(acl::AclPolicy::Gen2()); }},
};

INSTANTIATE_TEST_SUITE_P(LocalStore, FileSystemConformance, testing::ValuesIn(kTargets), PrintTarget);
INSTANTIATE_TEST_SUITE_P(LocalStore, PermissionMatrix, testing::ValuesIn(kTargets), PrintTarget);

}  // namespace
}  // namespace lakeshift::conformance
