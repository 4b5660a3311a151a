#include "http/fault_injection.h"

#include <gtest/gtest.h>

#include "http/server.h"
#include "http/test_util.h"

namespace lakeshift::http {
namespace {

TEST(FaultSpecTest, ParsesEveryKey) {
  auto o = ParseFaultSpec("error=0.25,status=500,retry-after=3,drop=0.1,latency=7,seed=42");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_DOUBLE_EQ(o->error_fraction, 0.25);
  EXPECT_EQ(o->error_status, 500);
  EXPECT_EQ(o->retry_after_seconds, 3);
  EXPECT_DOUBLE_EQ(o->drop_fraction, 0.1);
  EXPECT_EQ(o->latency_ms, 7);
  EXPECT_EQ(o->seed, 42u);
  EXPECT_TRUE(o->enabled());
  auto none = ParseFaultSpec("");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->enabled());
}

TEST(FaultSpecTest, RejectsBadItemsWithTheirName) {
  for (const char* bad :
       {"error=2", "error=x", "status=404", "drop", "latency=-1", "colour=red", "error=0.7,drop=0.5"}) {
    auto o = ParseFaultSpec(bad);
    ASSERT_FALSE(o.ok()) << bad;
    EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(ParseFaultSpec("colour=red").status().message().find("colour"), std::string::npos);
}

TEST(FaultInjectorTest, FailsAboutTheConfiguredFractions) {
  FaultInjector injector(*ParseFaultSpec("error=0.2,drop=0.1,seed=1"));
  int errors = 0, drops = 0;
  constexpr int kDraws = 20000;
  for (int i = 0; i < kDraws; ++i) {
    FaultAction a = injector.Next();
    errors += a == FaultAction::kError;
    drops += a == FaultAction::kDrop;
  }
  EXPECT_NEAR(errors / double(kDraws), 0.2, 0.02);
  EXPECT_NEAR(drops / double(kDraws), 0.1, 0.02);
}

TEST(FaultInjectorTest, AbortDropsTheConnectionWithoutAnAnswer) {
  auto server = Server::Start({}, [](Request& req, ResponseWriter& w) {
    if (req.path == "/drop") {
      w.Abort();
      return;
    }
    w.Send(200, {}, "ok").IgnoreError();
  });
  ASSERT_TRUE(server.ok()) << server.status();
  testing::RawConnection conn((*server)->port());
  ASSERT_TRUE(conn.Send("GET /drop HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(conn.ReadResponse().status, 0);  // closed before a status line
  testing::RawConnection next((*server)->port());
  ASSERT_TRUE(next.Send("GET /fine HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(next.ReadResponse().status, 200);
}

}  // namespace
}  // namespace lakeshift::http
