#include "emulator/gen2_lease.h"

#include <gtest/gtest.h>

#include "testing/status_macros.h"
#include "testing/temp_dir.h"

namespace lakeshift::emulator {
namespace {

constexpr const char* kA = "ca761232-ed42-11ce-bacd-00aa0057b223";
constexpr const char* kB = "3c7e72eb-b430-4526-bc53-d8ecef03798f";

// A registry on a fresh database with a clock the test moves by hand.
class LeaseRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    registry_.reset();
    auto opened = LeaseRegistry::Open(dir_.path() + "/leases.db", [this] { return now_; });
    ASSERT_OK(opened);
    registry_ = std::move(*opened);
  }

  Result<LeaseOutcome> Do(LeaseAction action, std::string id = "", std::string proposed = "", int duration = -1,
                          std::optional<int> break_period = std::nullopt, const std::string& path = "/f") {
    LeaseRequest r;
    r.action = action;
    r.lease_id = std::move(id);
    r.proposed_id = std::move(proposed);
    r.duration_s = duration;
    r.break_period_s = break_period;
    return registry_->Apply("fs", path, r);
  }

  LeaseState State(const std::string& path = "/f") { return registry_->Get("fs", path).state; }

  static std::string Code(const Status& s) { return s.detail() ? s.detail()->service_code : "(none)"; }
  static int Http(const Status& s) { return s.detail() ? s.detail()->http_status : 0; }

  testing_util::TempDir dir_;
  int64_t now_ = 1'700'000'000'000;
  std::unique_ptr<LeaseRegistry> registry_;
};

TEST(LeaseIdTest, AcceptsGuidsWithOrWithoutDashesAndReturnsTheCanonicalForm) {
  EXPECT_EQ(*ParseLeaseId("ca761232ed4211cebacd00aa0057b223", "x-ms-lease-id"), kA);
  EXPECT_EQ(*ParseLeaseId("CA761232-ED42-11CE-BACD-00AA0057B223", "x-ms-lease-id"), kA);
  for (const char* bad : {"", "not-a-guid", "ca761232ed4211cebacd00aa0057b22", "ca761232-ed4211ce-bacd-00aa0057b223x",
                          "ca761232-ed42-11ce-bacd-00aa0057b22g"}) {
    auto parsed = ParseLeaseId(bad, "x-ms-proposed-lease-id");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().detail()->service_code, "InvalidHeaderValue");
  }
  std::string fresh = NewLeaseId();
  EXPECT_EQ(*ParseLeaseId(fresh, "id"), fresh);
  EXPECT_NE(NewLeaseId(), fresh);
}

TEST_F(LeaseRegistryTest, FixedLeaseExpiresAndCanBeRenewedUntilWritten) {
  auto acquired = Do(LeaseAction::kAcquire, "", kA, 15);
  ASSERT_OK(acquired);
  EXPECT_EQ(acquired->lease_id, kA);
  LeaseInfo info = registry_->Get("fs", "/f");
  EXPECT_EQ(info.StateName(), "leased");
  EXPECT_EQ(info.StatusName(), "locked");
  EXPECT_EQ(info.DurationName(), "fixed");

  now_ += 14'999;
  EXPECT_EQ(State(), LeaseState::kLeased);
  now_ += 1;
  EXPECT_EQ(State(), LeaseState::kExpired);
  EXPECT_EQ(registry_->Get("fs", "/f").StatusName(), "unlocked");

  ASSERT_OK(Do(LeaseAction::kRenew, kA));
  EXPECT_EQ(State(), LeaseState::kLeased);
  now_ += 15'000;
  EXPECT_EQ(State(), LeaseState::kExpired);
  // A write after expiry ends the lease, so it can no longer be renewed.
  ASSERT_OK(registry_->CheckWrite("fs", "/f", "", LeaseTarget::kPath));
  EXPECT_EQ(State(), LeaseState::kAvailable);
  auto renewed = Do(LeaseAction::kRenew, kA);
  EXPECT_EQ(Code(renewed.status()), "LeaseNotPresentWithLeaseOperation");
  EXPECT_EQ(Http(renewed.status()), 409);
}

TEST_F(LeaseRegistryTest, AcquireRules) {
  auto generated = Do(LeaseAction::kAcquire, "", "", -1);
  ASSERT_OK(generated);
  EXPECT_EQ(generated->lease_id.size(), 36u);
  EXPECT_TRUE(registry_->Get("fs", "/f").infinite);
  EXPECT_EQ(Code(Do(LeaseAction::kAcquire, "", kB, -1).status()), "LeaseAlreadyPresent");
  EXPECT_EQ(Code(Do(LeaseAction::kAcquire, "", "", -1).status()), "LeaseAlreadyPresent");
  // Acquiring again with the current id changes the duration.
  ASSERT_OK(Do(LeaseAction::kAcquire, "", generated->lease_id, 20));
  EXPECT_FALSE(registry_->Get("fs", "/f").infinite);
  EXPECT_EQ(Code(Do(LeaseAction::kAcquire, "", kA, 10, {}, "/g").status()), "InvalidHeaderValue");
  EXPECT_EQ(Code(Do(LeaseAction::kAcquire, "", kA, 61, {}, "/g").status()), "InvalidHeaderValue");
  EXPECT_EQ(State("/g"), LeaseState::kAvailable);
}

TEST_F(LeaseRegistryTest, BreakWithPeriodGoesThroughBreakingToBroken) {
  ASSERT_OK(Do(LeaseAction::kAcquire, "", kA, 15));
  now_ += 3'000;
  auto broke = Do(LeaseAction::kBreak, "", "", -1, 5);
  ASSERT_OK(broke);
  EXPECT_EQ(broke->lease_time_s, 5);
  EXPECT_EQ(State(), LeaseState::kBreaking);
  EXPECT_EQ(registry_->Get("fs", "/f").StatusName(), "locked");
  EXPECT_EQ(Code(Do(LeaseAction::kAcquire, "", kA, 15).status()), "LeaseIsBreakingAndCannotBeAcquired");
  EXPECT_EQ(Code(Do(LeaseAction::kAcquire, "", kB, 15).status()), "LeaseAlreadyPresent");
  EXPECT_EQ(Code(Do(LeaseAction::kChange, kA, kB).status()), "LeaseIsBreakingAndCannotBeChanged");
  EXPECT_EQ(Code(Do(LeaseAction::kRenew, kA).status()), "LeaseIsBrokenAndCannotBeRenewed");
  // While breaking, writes still need the lease.
  EXPECT_EQ(Code(registry_->CheckWrite("fs", "/f", "", LeaseTarget::kBlob)), "LeaseIdMissing");
  EXPECT_OK(registry_->CheckWrite("fs", "/f", kA, LeaseTarget::kBlob));
  // A second break may shorten the period.
  auto again = Do(LeaseAction::kBreak, "", "", -1, 2);
  ASSERT_OK(again);
  EXPECT_EQ(again->lease_time_s, 2);
  now_ += 2'000;
  EXPECT_EQ(State(), LeaseState::kBroken);
  EXPECT_EQ(registry_->Get("fs", "/f").StatusName(), "unlocked");
  EXPECT_EQ(Code(Do(LeaseAction::kRenew, kA).status()), "LeaseIsBrokenAndCannotBeRenewed");
  auto rebreak = Do(LeaseAction::kBreak);
  ASSERT_OK(rebreak);
  EXPECT_EQ(rebreak->lease_time_s, 0);
  ASSERT_OK(Do(LeaseAction::kAcquire, "", kB, -1));
  EXPECT_EQ(State(), LeaseState::kLeased);
}

TEST_F(LeaseRegistryTest, BreakDefaults) {
  // An infinite lease breaks at once; a fixed one after the rest of its duration; the period is capped by it.
  ASSERT_OK(Do(LeaseAction::kAcquire, "", kA, -1));
  auto broke = Do(LeaseAction::kBreak);
  ASSERT_OK(broke);
  EXPECT_EQ(broke->lease_time_s, 0);
  EXPECT_EQ(State(), LeaseState::kBroken);

  ASSERT_OK(Do(LeaseAction::kAcquire, "", kA, 20, {}, "/g"));
  now_ += 10'500;
  auto fixed = Do(LeaseAction::kBreak, "", "", -1, std::nullopt, "/g");
  ASSERT_OK(fixed);
  EXPECT_EQ(fixed->lease_time_s, 10);
  ASSERT_OK(Do(LeaseAction::kAcquire, "", kA, 15, {}, "/h"));
  auto capped = Do(LeaseAction::kBreak, "", "", -1, 60, "/h");
  ASSERT_OK(capped);
  EXPECT_EQ(capped->lease_time_s, 15);
  EXPECT_EQ(Code(Do(LeaseAction::kBreak, "", "", -1, 61, "/h").status()), "InvalidHeaderValue");
  EXPECT_EQ(Code(Do(LeaseAction::kBreak, "", "", -1, 0, "/none").status()), "LeaseNotPresentWithLeaseOperation");
}

TEST_F(LeaseRegistryTest, ChangeAndRelease) {
  ASSERT_OK(Do(LeaseAction::kAcquire, "", kA, -1));
  auto changed = Do(LeaseAction::kChange, kA, kB);
  ASSERT_OK(changed);
  EXPECT_EQ(changed->lease_id, kB);
  // Repeating the change (the proposed id is already current) succeeds; a stranger's change does not.
  ASSERT_OK(Do(LeaseAction::kChange, kA, kB));
  EXPECT_EQ(Code(Do(LeaseAction::kChange, kA, "11111111-1111-1111-1111-111111111111").status()),
            "LeaseIdMismatchWithLeaseOperation");
  EXPECT_EQ(Code(Do(LeaseAction::kChange, kB).status()), "MissingRequiredHeader");
  EXPECT_EQ(Code(Do(LeaseAction::kRelease, kA).status()), "LeaseIdMismatchWithLeaseOperation");
  EXPECT_EQ(Code(Do(LeaseAction::kRelease).status()), "MissingRequiredHeader");
  ASSERT_OK(Do(LeaseAction::kRelease, kB));
  EXPECT_EQ(State(), LeaseState::kAvailable);
  EXPECT_EQ(Code(Do(LeaseAction::kRelease, kB).status()), "LeaseNotPresentWithLeaseOperation");
  EXPECT_EQ(Code(Do(LeaseAction::kChange, kB, kA).status()), "LeaseNotPresentWithLeaseOperation");
}

TEST_F(LeaseRegistryTest, WriteChecksUseTheCodesOfEachApi) {
  ASSERT_OK(Do(LeaseAction::kAcquire, "", kA, 15));
  EXPECT_EQ(Code(registry_->CheckWrite("fs", "/f", "", LeaseTarget::kPath)), "LeaseIdMissing");
  EXPECT_EQ(Http(registry_->CheckWrite("fs", "/f", "", LeaseTarget::kPath)), 412);
  EXPECT_EQ(Code(registry_->CheckWrite("fs", "/f", kB, LeaseTarget::kPath)), "LeaseIdMismatch");
  EXPECT_EQ(Code(registry_->CheckWrite("fs", "/f", kB, LeaseTarget::kBlob)), "LeaseIdMismatchWithBlobOperation");
  EXPECT_OK(registry_->CheckWrite("fs", "/f", kA, LeaseTarget::kPath));
  // Reads are free unless they name a lease.
  EXPECT_OK(registry_->CheckRead("fs", "/f", "", LeaseTarget::kBlob));
  EXPECT_EQ(Code(registry_->CheckRead("fs", "/f", kB, LeaseTarget::kBlob)), "LeaseIdMismatchWithBlobOperation");
  EXPECT_EQ(Code(registry_->CheckWrite("fs", "/other", kA, LeaseTarget::kPath)), "LeaseNotPresent");
  EXPECT_EQ(Code(registry_->CheckWrite("fs", "/other", kA, LeaseTarget::kBlob)), "LeaseNotPresentWithBlobOperation");
  now_ += 15'000;
  EXPECT_EQ(Code(registry_->CheckWrite("fs", "/f", kA, LeaseTarget::kPath)), "LeaseLost");
  EXPECT_EQ(State(), LeaseState::kExpired);  // a refused write leaves the lease as it was

  ASSERT_OK(Do(LeaseAction::kAcquire, "", kA, -1, {}, ""));  // the filesystem's own lease
  EXPECT_EQ(Code(registry_->CheckWrite("fs", "", kB, LeaseTarget::kContainer)),
            "LeaseIdMismatchWithContainerOperation");
  EXPECT_EQ(registry_->Get("fs", "").StateName(), "leased");
  EXPECT_EQ(registry_->Get("other-fs", "").StateName(), "available");
}

TEST_F(LeaseRegistryTest, LeasesSurviveReopenAndKeepExpiring) {
  ASSERT_OK(Do(LeaseAction::kAcquire, "", kA, 30));
  ASSERT_OK(Do(LeaseAction::kAcquire, "", kB, -1, {}, "/dir"));
  ASSERT_OK(Do(LeaseAction::kAcquire, "", kB, 15, {}, "/g"));
  ASSERT_OK(Do(LeaseAction::kBreak, "", "", -1, 10, "/g"));
  Reopen();
  EXPECT_EQ(State(), LeaseState::kLeased);
  EXPECT_EQ(registry_->Get("fs", "/f").id, kA);
  EXPECT_TRUE(registry_->Get("fs", "/dir").infinite);
  EXPECT_EQ(State("/g"), LeaseState::kBreaking);
  now_ += 30'000;
  EXPECT_EQ(State(), LeaseState::kExpired);
  EXPECT_EQ(State("/g"), LeaseState::kBroken);
  ASSERT_OK(Do(LeaseAction::kRelease, kB, "", -1, {}, "/dir"));
  Reopen();
  EXPECT_EQ(State("/dir"), LeaseState::kAvailable);
  EXPECT_EQ(State(), LeaseState::kExpired);
}

TEST_F(LeaseRegistryTest, RenameMovesLeasesAndDeleteForgetsThem) {
  ASSERT_OK(Do(LeaseAction::kAcquire, "", kA, -1, {}, "/d"));
  ASSERT_OK(Do(LeaseAction::kAcquire, "", kA, -1, {}, "/d/x"));
  ASSERT_OK(Do(LeaseAction::kAcquire, "", kA, -1, {}, "/d/sub/y"));
  ASSERT_OK(Do(LeaseAction::kAcquire, "", kA, -1, {}, "/dd"));   // a sibling sharing the prefix
  ASSERT_OK(Do(LeaseAction::kAcquire, "", kB, -1, {}, "/e/x"));  // replaced by the rename
  ASSERT_OK(registry_->Move("fs", "/d", "fs", "/e"));
  EXPECT_EQ(State("/d"), LeaseState::kAvailable);
  EXPECT_EQ(State("/d/sub/y"), LeaseState::kAvailable);
  EXPECT_EQ(State("/e"), LeaseState::kLeased);
  EXPECT_EQ(registry_->Get("fs", "/e/x").id, kA);
  EXPECT_EQ(State("/e/sub/y"), LeaseState::kLeased);
  EXPECT_EQ(State("/dd"), LeaseState::kLeased);

  ASSERT_OK(registry_->Move("fs", "/e/x", "fs2", "/moved"));  // across filesystems
  EXPECT_EQ(registry_->Get("fs2", "/moved").state, LeaseState::kLeased);

  ASSERT_OK(registry_->Forget("fs", "/e", /*descendants=*/false));
  EXPECT_EQ(State("/e"), LeaseState::kAvailable);
  EXPECT_EQ(State("/e/sub/y"), LeaseState::kLeased);
  ASSERT_OK(registry_->Forget("fs", "/e", /*descendants=*/true));
  EXPECT_EQ(State("/e/sub/y"), LeaseState::kAvailable);
  EXPECT_EQ(State("/dd"), LeaseState::kLeased);

  ASSERT_OK(Do(LeaseAction::kAcquire, "", kA, -1, {}, ""));
  ASSERT_OK(registry_->ForgetFilesystem("fs"));
  EXPECT_EQ(State("/dd"), LeaseState::kAvailable);
  EXPECT_EQ(registry_->Get("fs", "").state, LeaseState::kAvailable);
  EXPECT_EQ(registry_->Get("fs2", "/moved").state, LeaseState::kLeased);
  Reopen();
  EXPECT_EQ(State("/dd"), LeaseState::kAvailable);
  EXPECT_EQ(registry_->Get("fs2", "/moved").state, LeaseState::kLeased);
}

}  // namespace
}  // namespace lakeshift::emulator
