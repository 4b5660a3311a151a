// Registers the local POSIX directory FileSystem (localfs) with the conformance suite, over a fresh temporary
// directory per test. It acts only as this process, so the permission matrix (other callers) is skipped.
#include "conformance/filesystem_conformance.h"
#include "localfs/local_dir_filesystem.h"
#include "testing/temp_dir.h"

namespace lakeshift::conformance {
namespace {

class LocalDirInstance final : public TargetInstance {
 public:
  LocalDirInstance() {
    auto opened = localfs::OpenLocalDirectory(dir_.path());
    if (!opened.ok()) throw std::runtime_error(opened.status().ToString());
    fs_ = std::move(*opened);
  }
  fs::FileSystem& admin() override { return *fs_; }
  std::shared_ptr<fs::FileSystem> As(const acl::Caller&) override { return nullptr; }
  const acl::AclPolicy& policy() const override { return acl::AclPolicy::Posix(); }

 private:
  testing_util::TempDir dir_;  // mkdtemp under $TMPDIR (or /tmp), removed with everything in it
  std::shared_ptr<fs::FileSystem> fs_;
};

const Target kTargets[] = {
    {"LocalDirectory", [] { return std::make_unique<LocalDirInstance>(); }},
};

INSTANTIATE_TEST_SUITE_P(LocalFs, FileSystemConformance, testing::ValuesIn(kTargets), PrintTarget);
INSTANTIATE_TEST_SUITE_P(LocalFs, PermissionMatrix, testing::ValuesIn(kTargets), PrintTarget);

}  // namespace
}  // namespace lakeshift::conformance
