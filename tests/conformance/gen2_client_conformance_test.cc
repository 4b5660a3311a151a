// Registers the Gen2 client (Gen2FileSystem over the DFS REST API) with the conformance suite, against the
// Gen2 emulator over real sockets. The admin view signs with Shared Key; the permission matrix's callers are
// principals of an in-process identity provider and send OAuth bearer tokens, so the emulator's ACL checks
// decide, as the real service's do.
#include <cstdlib>

#include "common/log.h"
#include "conformance/filesystem_conformance.h"
#include "emulator/gen2_emulator.h"
#include "gen2client/gen2_filesystem.h"
#include "identity/provider.h"
#include "testing/temp_dir.h"

namespace lakeshift::conformance {
namespace {

constexpr const char* kFilesystem = "conformance";

identity::Principal PrincipalFor(const std::string& object_id, std::vector<std::string> groups, int n) {
  identity::Principal p;
  p.client_id = "c0000000-0000-4000-8000-00000000000" + std::to_string(n);
  p.client_secret = "secret-" + std::to_string(n);
  p.object_id = object_id;
  p.groups = std::move(groups);
  return p;
}

class Gen2ClientInstance final : public TargetInstance {
 public:
  Gen2ClientInstance() {
    if (std::getenv("LAKESHIFT_DEBUG") != nullptr) log::SetLevel(log::Level::kDebug);
    identity::ProviderOptions po;
    po.data_dir = dir_.path() + "/identity";
    po.principals = {PrincipalFor(Principals::kOwner, {}, 1), PrincipalFor(Principals::kNamed, {}, 2),
                     PrincipalFor(Principals::kMember, {Principals::kGroup}, 3),
                     PrincipalFor(Principals::kOther, {}, 4)};
    auto provider = identity::IdentityProvider::Open(po);
    if (!provider.ok()) throw std::runtime_error(provider.status().ToString());
    provider_ = std::move(*provider);
    emulator::Gen2EmulatorOptions eo;
    eo.port = 0;
    eo.data_dir = dir_.path() + "/gen2";
    eo.identity = provider_.get();
    eo.worker_threads = 4;
    auto emu = emulator::Gen2Emulator::Start(eo);
    if (!emu.ok()) throw std::runtime_error(emu.status().ToString());
    emulator_ = std::move(*emu);
    admin_ = Connect(gen2client::Gen2Credential::SharedKey(emulator::kDevAccountName, emulator::kDevAccountKey));
    Status created = admin_->CreateFilesystem();
    if (!created.ok()) throw std::runtime_error(created.ToString());
  }
  ~Gen2ClientInstance() override { emulator_->Stop(); }

  fs::FileSystem& admin() override { return *admin_; }
  std::shared_ptr<fs::FileSystem> As(const acl::Caller& caller) override {
    if (caller.superuser) return admin_;
    const identity::Principal* p = provider_->principals().FindByObjectId(caller.user);
    if (p == nullptr) return nullptr;
    identity::ClientCredentials credentials{p->client_id, p->client_secret};
    const identity::IdentityProvider* provider = provider_.get();
    return Connect(gen2client::Gen2Credential::Bearer([provider, credentials]() -> Result<std::string> {
      ASSIGN_OR_RETURN(
          identity::IssuedToken token,
          provider->IssueClientCredentials(credentials, identity::EndpointVersion::kV1, identity::kStorageAudience));
      return token.access_token;
    }));
  }
  const acl::AclPolicy& policy() const override { return acl::AclPolicy::Gen2(); }

 private:
  std::shared_ptr<gen2client::Gen2FileSystem> Connect(gen2client::Gen2Credential credential) {
    gen2client::DfsClientOptions options;
    options.endpoint = emulator_->account_url();
    options.http.retry = http::RetryPolicy::None();
    auto client = std::make_shared<gen2client::DfsClient>(options, std::move(credential));
    return std::make_shared<gen2client::Gen2FileSystem>(client, kFilesystem);
  }

  testing_util::TempDir dir_;
  std::unique_ptr<identity::IdentityProvider> provider_;
  std::unique_ptr<emulator::Gen2Emulator> emulator_;
  std::shared_ptr<gen2client::Gen2FileSystem> admin_;
};

const Target kTargets[] = {
    {"Gen2ClientOverEmulator", [] { return std::make_unique<Gen2ClientInstance>(); }},
};

INSTANTIATE_TEST_SUITE_P(Gen2Client, FileSystemConformance, testing::ValuesIn(kTargets), PrintTarget);
INSTANTIATE_TEST_SUITE_P(Gen2Client, PermissionMatrix, testing::ValuesIn(kTargets), PrintTarget);

}  // namespace
}  // namespace lakeshift::conformance
