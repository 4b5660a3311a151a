// `lakeshift demo`: the Quick start's first command. Today it builds a sample Gen1-style lake in a local
// store (nested directories, awkward names, ACLs with default entries, a sticky directory, expiry) and
// shows it; as the emulators and the migration engine land it grows into an end-to-end migration.
#include <CLI/CLI.hpp>
#include <cstring>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "endpoint/endpoint.h"
#include "localfs/local_dir_filesystem.h"
#include "migrate/migrator.h"

namespace lakeshift::cli {
namespace {

constexpr const char* kAnalyst = "3883e0e8-9ad3-440d-b6f6-6ed492ae1ae7";
constexpr const char* kEngineers = "6d863d4c-7e16-4c1b-b0de-1f0f8dbb2afe";

Status BuildSampleLake(fs::FileSystem& lake, const std::string& root, int files) {
  auto at = [&root](const std::string& p) { return migrate::JoinPath(root, p); };
  fs::CreateOptions shared;
  shared.permission = 0770;
  RETURN_IF_ERROR(lake.CreateDirectory(at("/raw/sales"), shared).status());
  fs::AccessControlChange team;
  team.acl_op = fs::AclOp::kModify;
  ASSIGN_OR_RETURN(team.acl_entries, acl::ParseAclSpec(std::string("group:") + kEngineers + ":r-x,default:group:" +
                                                       kEngineers + ":r-x,default:user:" + kAnalyst + ":r-x"));
  RETURN_IF_ERROR(lake.SetAccessControl(at("/raw/sales"), team).status());
  // The analyst may traverse to the data (execute on every ancestor), as Gen1 requires.
  fs::AccessControlChange traverse;
  traverse.acl_op = fs::AclOp::kModify;
  ASSIGN_OR_RETURN(traverse.acl_entries, acl::ParseAclSpec(std::string("user:") + kAnalyst + ":--x"));
  for (const char* dir : {"/", "/raw", "/raw/sales"})
    RETURN_IF_ERROR(lake.SetAccessControl(at(dir), traverse).status());
  // Created after the default ACL, so the partition and its files inherit the team's entries.
  RETURN_IF_ERROR(lake.CreateDirectory(at("/raw/sales/2026"), {}).status());
  for (const char* name :
       {"/raw/sales/2026/january.csv", "/raw/sales/2026/12,+3#456?.txt", "/raw/sales/2026/unicode ÄÖÜ 日本語.csv"}) {
    RETURN_IF_ERROR(
        fs::WriteFile(lake, at(name), std::string("region,amount\nnorth,") + std::to_string(std::strlen(name)) + "\n")
            .status());
  }
  RETURN_IF_ERROR(lake.CreateDirectory(at("/raw/sales/empty-partition"), {}).status());
  RETURN_IF_ERROR(lake.CreateDirectory(at("/tmp"), {}).status());
  fs::AccessControlChange sticky;
  sticky.mode = 01777;
  RETURN_IF_ERROR(lake.SetAccessControl(at("/tmp"), sticky).status());
  RETURN_IF_ERROR(fs::WriteFile(lake, at("/tmp/scratch.bin"), std::string(4096, 'x')).status());
  fs::ExpirySpec next_year{fs::ExpirySpec::Kind::kRelativeToNow, 365LL * 24 * 3600 * 1000};
  RETURN_IF_ERROR(lake.SetExpiry(at("/tmp/scratch.bin"), next_year).status());
  if (lake.capabilities().set_times) {
    RETURN_IF_ERROR(lake.SetTimes(at("/raw/sales/2026/january.csv"), 1495839590893, 1495839590856).status());
  }
  // The bulk: event files of mixed sizes (most small, some of several MiB, one of tens of MiB) in daily
  // partitions that inherit the team's default ACL.
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  std::string block;
  for (int i = 0; i < files; ++i) {
    std::string dir = "/raw/events/2026-11-" + std::string(i / 100 < 9 ? "0" : "") + std::to_string(i / 100 + 1);
    if (i % 100 == 0) RETURN_IF_ERROR(lake.CreateDirectory(at(dir), {}).status());
    size_t size = i == 7 ? (24u << 20) : i % 97 == 3 ? (3u << 20) + next() % (5u << 20) : next() % 64000;
    block.resize(size);
    for (size_t k = 0; k + 8 <= size; k += 8) {
      uint64_t v = next();
      std::memcpy(block.data() + k, &v, 8);
    }
    char name[64];
    std::snprintf(name, sizeof name, "/part-%05d.json", i);
    RETURN_IF_ERROR(fs::WriteFile(lake, at(dir + name), block).status());
  }
  return Status::Ok();
}

}  // namespace

void AddDemoCommand(CLI::App& app, int& exit_code) {
  auto* demo = app.add_subcommand(
      "demo", "Seed a sample Gen1 lake at a Gen1/WebHDFS location (or a local directory), for the Quick start");
  static std::string to;
  static std::string ca_file;
  static int files = 1000;
  static bool replace = false;
  demo->add_option("--to", to,
                   "Where: a WebHDFS URL such as the Gen1 emulator's https://127.0.0.1:8081/webhdfs/v1/sample, "
                   "adl://ACCOUNT.azuredatalakestore.net/PATH, or file:///PATH (credentials as for migrate)")
      ->required();
  demo->add_option("--files", files, "Number of event files besides the hand-made ones")->capture_default_str();
  demo->add_option("--ca-file", ca_file, "PEM CA bundle to trust (the emulators' ca_file); default $LAKESHIFT_CA_FILE");
  demo->add_flag("--replace", replace, "Delete what is at the location first");
  demo->callback([&exit_code] {
    auto fail = [&exit_code](const std::string& what) {
      std::cerr << "lakeshift demo: " << what << "\n";
      exit_code = 1;
    };
    auto location = endpoint::ParseLocation(to);
    if (!location.ok()) return fail(location.status().message());
    if (location->kind == endpoint::Kind::kGen2) return fail("--to must be a Gen1, WebHDFS or file:// location");
    endpoint::ConnectOptions options;
    options.ca_file = ca_file;
    options.local_filesystem = [](const endpoint::Location&) { return localfs::OpenLocalDirectory("/"); };
    auto c = endpoint::Connect(*location, options);
    if (!c.ok()) return fail(c.status().message());
    fs::FileSystem& lake = *c->fs;
    const std::string& root = location->path;
    if (auto existing = lake.GetFileInfo(root); existing.ok() && root != "/") {
      if (!replace) return fail(endpoint::DisplayUrl(*location) + " exists; pass --replace to seed it again");
      Status gone = lake.Delete(root, fs::DeleteOptions{.recursive = true});
      if (!gone.ok()) return fail(gone.message());
    } else if (!existing.ok() && existing.status().code() != StatusCode::kNotFound) {
      return fail(existing.status().message());
    }
    if (Status made = lake.CreateDirectory(root, fs::CreateOptions{}).status(); !made.ok()) {
      return fail(made.message());
    }
    Status built = BuildSampleLake(lake, root, files);
    if (!built.ok()) return fail("seeding the sample lake failed: " + built.message());
    std::cout << "Seeded a sample lake at " << endpoint::DisplayUrl(*location) << ":\n";
    auto top = fs::ListAll(lake, root, /*recursive=*/false);
    for (const fs::FileInfo& e : top.ok() ? *top : std::vector<fs::FileInfo>{}) {
      std::cout << "  " << FormatLongListing(e) << "\n";
    }
    auto acl = lake.GetAccessControl(migrate::JoinPath(root, "/raw/sales/2026/january.csv"));
    if (acl.ok()) std::cout << "  ACL of raw/sales/2026/january.csv: " << acl->ToSpec() << "\n";
  });
}

}  // namespace lakeshift::cli
