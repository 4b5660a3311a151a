// Registers the Gen1 client (Gen1FileSystem over WebHDFS) with the conformance suite, against the Gen1 emulator
// over real sockets. Every caller, the admin included, is a principal of an in-process identity provider and
// sends bearer tokens for the Data Lake audience, so the emulator's Gen1 ACL checks decide.
#include <cstdlib>

#include "common/log.h"
#include "conformance/filesystem_conformance.h"
#include "emulator/gen1_emulator.h"
#include "gen1client/gen1_filesystem.h"
#include "identity/provider.h"
#include "testing/temp_dir.h"

namespace lakeshift::conformance {
namespace {

identity::Principal PrincipalFor(const std::string& object_id, std::vector<std::string> groups, int n) {
  identity::Principal p;
  p.client_id = "c0000000-0000-4000-8000-00000000000" + std::to_string(n);
  p.client_secret = "secret-" + std::to_string(n);
  p.object_id = object_id;
  p.groups = std::move(groups);
  return p;
}

class Gen1ClientInstance final : public TargetInstance {
 public:
  Gen1ClientInstance() {
    if (std::getenv("LAKESHIFT_DEBUG") != nullptr) log::SetLevel(log::Level::kDebug);
    identity::ProviderOptions po;
    po.data_dir = dir_.path() + "/identity";
    po.principals = {PrincipalFor(Principals::kOwner, {}, 1), PrincipalFor(Principals::kNamed, {}, 2),
                     PrincipalFor(Principals::kMember, {Principals::kGroup}, 3),
                     PrincipalFor(Principals::kOther, {}, 4)};
    auto provider = identity::IdentityProvider::Open(po);
    if (!provider.ok()) throw std::runtime_error(provider.status().ToString());
    provider_ = std::move(*provider);
    emulator::Gen1EmulatorOptions eo;
    eo.port = 0;
    eo.data_dir = dir_.path() + "/gen1";
    eo.identity = provider_.get();
    eo.worker_threads = 4;
    auto emu = emulator::Gen1Emulator::Start(eo);
    if (!emu.ok()) throw std::runtime_error(emu.status().ToString());
    emulator_ = std::move(*emu);
    const identity::Principal& admin = provider_->admin();
    admin_ = Connect({admin.client_id, admin.client_secret});
  }
  ~Gen1ClientInstance() override { emulator_->Stop(); }

  fs::FileSystem& admin() override { return *admin_; }
  std::shared_ptr<fs::FileSystem> As(const acl::Caller& caller) override {
    if (caller.superuser) return admin_;
    const identity::Principal* p = provider_->principals().FindByObjectId(caller.user);
    if (p == nullptr) return nullptr;
    return Connect({p->client_id, p->client_secret});
  }
  const acl::AclPolicy& policy() const override { return acl::AclPolicy::Gen1(); }

 private:
  std::shared_ptr<gen1client::Gen1FileSystem> Connect(identity::ClientCredentials credentials) {
    gen1client::WebHdfsClientOptions options;
    options.endpoint = emulator_->url();
    options.http.retry = http::RetryPolicy::None();
    const identity::IdentityProvider* provider = provider_.get();
    options.token = [provider, credentials]() -> Result<std::string> {
      ASSIGN_OR_RETURN(
          identity::IssuedToken token,
          provider->IssueClientCredentials(credentials, identity::EndpointVersion::kV1, identity::kDataLakeAudience));
      return token.access_token;
    };
    return std::make_shared<gen1client::Gen1FileSystem>(std::make_shared<gen1client::WebHdfsClient>(options));
  }

  testing_util::TempDir dir_;
  std::unique_ptr<identity::IdentityProvider> provider_;
  std::unique_ptr<emulator::Gen1Emulator> emulator_;
  std::shared_ptr<gen1client::Gen1FileSystem> admin_;
};

const Target kTargets[] = {
    {"Gen1ClientOverEmulator", [] { return std::make_unique<Gen1ClientInstance>(); }},
};

INSTANTIATE_TEST_SUITE_P(Gen1Client, FileSystemConformance, testing::ValuesIn(kTargets), PrintTarget);
INSTANTIATE_TEST_SUITE_P(Gen1Client, PermissionMatrix, testing::ValuesIn(kTargets), PrintTarget);

}  // namespace
}  // namespace lakeshift::conformance
