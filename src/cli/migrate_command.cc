// `lakeshift migrate`, `lakeshift verify`, `lakeshift preflight`: the migration from the command line.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "cli/commands.h"
#include "encoding/digest.h"
#include "encoding/time_format.h"
#include "endpoint/endpoint.h"
#include "localfs/local_dir_filesystem.h"
#include "migrate/cutover.h"
#include "migrate/journal.h"
#include "migrate/migrator.h"
#include "migrate/verify.h"

namespace lakeshift::cli {
namespace {

std::atomic<bool> g_cancel{false};

extern "C" void OnInterrupt(int) {
  // The first Ctrl-C stops gracefully (files in flight finish, the journal is closed); the second kills.
  if (g_cancel.exchange(true)) std::_Exit(130);
}

// Options shared by the three commands: where, and with which credentials.
struct Ends {
  std::string from;
  std::string to;
  std::string ca_file;
  std::string source_token_file;
  std::string target_token_file;
  bool managed_identity = false;
  std::string identity_map;
  std::string unmapped = "keep";
};

void AddEndsOptions(CLI::App* cmd, Ends& e) {
  cmd->add_option("--from", e.from,
                  "Source: adl://ACCOUNT.azuredatalakestore.net/PATH, http(s)://HOST:PORT/webhdfs/v1/PATH, or "
                  "file:///PATH")
      ->required();
  cmd->add_option("--to", e.to,
                  "Target: abfss://FILESYSTEM@ACCOUNT.dfs.core.windows.net/PATH, or the Gen2 emulator's "
                  "http(s)://HOST:PORT/ACCOUNT/FILESYSTEM/PATH (no FILESYSTEM: gen1)")
      ->required();
  cmd->add_option("--ca-file", e.ca_file,
                  "PEM CA bundle to trust for https (the emulators' ca_file); "
                  "default $LAKESHIFT_CA_FILE");
  cmd->add_option("--source-token-file", e.source_token_file, "File holding a bearer token for the source");
  cmd->add_option("--target-token-file", e.target_token_file, "File holding a bearer token for the target");
  cmd->add_flag("--managed-identity", e.managed_identity, "Get Entra tokens from the Azure managed identity");
  cmd->add_option("--identity-map", e.identity_map,
                  "CSV of 'source object id,target object id' for migrations across tenants");
  cmd->add_option("--unmapped", e.unmapped, "Identities missing from the map: keep, drop (the ACL entry), or stop")
      ->check(CLI::IsMember({"keep", "drop", "stop"}))
      ->capture_default_str();
}

struct Connected {
  endpoint::Connection source;
  endpoint::Connection target;
  migrate::Endpoint source_end;
  migrate::Endpoint target_end;
};

Result<endpoint::Connection> ConnectOne(const std::string& url, const std::string& token_file, const Ends& e,
                                        const char* role) {
  auto location = endpoint::ParseLocation(url);
  if (!location.ok()) return Status(location.status().code(), std::string(role) + ": " + location.status().message());
  endpoint::ConnectOptions o;
  o.ca_file = e.ca_file;
  o.token_file = token_file;
  o.managed_identity = e.managed_identity;
  o.local_filesystem = [](const endpoint::Location&) { return localfs::OpenLocalDirectory("/"); };
  auto c = endpoint::Connect(*location, o);
  if (!c.ok()) {
    return Status(c.status().code(),
                  std::string(role) + " " + endpoint::DisplayUrl(*location) + ": " + c.status().message());
  }
  return c;
}

Result<Connected> ConnectBoth(const Ends& e, bool source_must_be_directory) {
  Connected c;
  ASSIGN_OR_RETURN(c.source, ConnectOne(e.from, e.source_token_file, e, "--from"));
  ASSIGN_OR_RETURN(c.target, ConnectOne(e.to, e.target_token_file, e, "--to"));
  if (c.target.location.kind == endpoint::Kind::kGen1 || c.target.location.kind == endpoint::Kind::kWebHdfs) {
    return Status(StatusCode::kInvalidArgument, "--to " + e.to +
                                                    " is a Gen1/WebHDFS location; the target must be "
                                                    "Gen2 (abfss://...) or a local directory (file:///...)");
  }
  auto probed = endpoint::Probe(c.source);
  if (!probed.ok()) return Status(probed.status().code(), "source: " + probed.status().message());
  if (source_must_be_directory && !probed->is_directory()) {
    return Status(StatusCode::kInvalidArgument, "--from " + e.from + " is a file; give the directory that holds it");
  }
  c.source_end = {c.source.fs.get(), c.source.location.path, endpoint::DisplayUrl(c.source.location)};
  c.target_end = {c.target.fs.get(), c.target.location.path, endpoint::DisplayUrl(c.target.location)};
  return c;
}

Result<migrate::IdentityMap> LoadMap(const Ends& e) {
  if (e.identity_map.empty()) return migrate::IdentityMap{};
  return migrate::IdentityMap::LoadCsv(e.identity_map);
}

migrate::UnmappedPolicy UnmappedFrom(const std::string& s) {
  if (s == "drop") return migrate::UnmappedPolicy::kDrop;
  if (s == "stop") return migrate::UnmappedPolicy::kStop;
  return migrate::UnmappedPolicy::kKeep;
}

// "lakeshift-<source>--<target>-<hash>.journal": readable, and unique per pair.
std::string DefaultJournalName(const std::string& source, const std::string& target) {
  auto clean = [](const std::string& url) {
    std::string s = url.substr(url.find("://") == std::string::npos ? 0 : url.find("://") + 3);
    std::string out;
    for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' ? c : '_';
    while (!out.empty() && out.back() == '_') out.pop_back();
    return out.substr(0, 60);
  };
  auto digest = encoding::Md5(source + "\n" + target);
  std::string hash = digest.ok() ? encoding::HexEncode(*digest).substr(0, 8) : "0";
  return "lakeshift-" + clean(source) + "--" + clean(target) + "-" + hash + ".journal";
}

// Parses "100M", "1.5G", "512k", "1048576" (bytes; powers of 1024).
Result<int64_t> ParseSize(const std::string& text, const char* what) {
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    std::string unit = text.substr(used);
    double mult = 1;
    if (unit == "k" || unit == "K" || unit == "KiB")
      mult = 1024;
    else if (unit == "M" || unit == "MiB")
      mult = 1024.0 * 1024;
    else if (unit == "G" || unit == "GiB")
      mult = 1024.0 * 1024 * 1024;
    else if (!unit.empty() && unit != "B")
      throw std::invalid_argument(unit);
    if (v < 0) throw std::invalid_argument("negative");
    return static_cast<int64_t>(v * mult);
  } catch (...) {
    return Status(StatusCode::kInvalidArgument,
                  std::string(what) + " \"" + text + "\" is not a size such as 100M, 1.5G or 65536");
  }
}

std::string HumanRate(double bytes_per_s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB/s", bytes_per_s / 1e6);
  return buf;
}

std::string HumanDuration(double seconds) {
  if (seconds < 0 || seconds > 1e8) return "?";
  int64_t s = static_cast<int64_t>(seconds);
  char buf[32];
  if (seconds < 1) return "under a second";
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", static_cast<long>(s / 3600), static_cast<long>(s / 60 % 60));
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%ldm%02lds", static_cast<long>(s / 60), static_cast<long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lds", static_cast<long>(s));
  }
  return buf;
}

// Prints the progress line (terminal) or JSON progress events (--json) once a second until stopped.
class ProgressPrinter {
 public:
  ProgressPrinter(const migrate::Progress& p, bool json, int64_t total_files, int64_t total_bytes)
      : p_(p), json_(json), tty_(isatty(STDERR_FILENO) != 0), total_files_(total_files), total_bytes_(total_bytes) {
    if (json_ || tty_) thread_ = std::thread([this] { Loop(); });
  }
  ~ProgressPrinter() { Stop(); }
  void Stop() {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (tty_ && !json_) std::cerr << "\n";
  }

 private:
  void Loop() {
    auto start = std::chrono::steady_clock::now();
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopped_; })) {
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      int64_t files = p_.files_done + p_.failed, bytes = p_.bytes_done;
      double rate = static_cast<double>(p_.bytes_copied) / std::max(secs, 0.001);
      int64_t total_files = total_files_ > 0 ? total_files_ : p_.files_found.load();
      int64_t total_bytes = total_bytes_ > 0 ? total_bytes_ : p_.bytes_found.load();
      double eta = -1;
      if (bytes > 0 && (p_.walk_finished || total_bytes_ > 0)) {
        eta = secs * static_cast<double>(total_bytes - bytes) / static_cast<double>(bytes);
      }
      if (json_) {
        nlohmann::json j{{"event", "progress"},        {"elapsed_s", secs},
                         {"files_done", files},        {"files_total", total_files},
                         {"bytes_done", bytes},        {"bytes_total", total_bytes},
                         {"bytes_per_s", rate},        {"retries", p_.retries.load()},
                         {"errors", p_.failed.load()}, {"eta_s", eta}};
        std::cout << j.dump() << std::endl;
      } else {
        std::cerr << "\r  " << files << "/" << total_files << " files, " << bytes / (1 << 20) << "/"
                  << total_bytes / (1 << 20) << " MiB, " << HumanRate(rate) << ", ETA " << HumanDuration(eta)
                  << ", retries " << p_.retries << ", errors " << p_.failed << "   " << std::flush;
      }
    }
  }

  const migrate::Progress& p_;
  bool json_, tty_;
  int64_t total_files_, total_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::thread thread_;
};

constexpr const char* kSettingsReminder =
    "  note  no migration carries the account's own settings; set them on the Gen2 account yourself:\n"
    "        encryption (customer-managed keys), firewalls and virtual networks, private endpoints, diagnostic\n"
    "        logs, data protection (soft delete, versioning), replication (GRS), minimum TLS version, role\n"
    "        assignments (RBAC), and any Gen1 firewall rules or trusted services\n";

// The checks before any copy. Returns false when one failed (each line says what to do).
bool Preflight(Connected& c, std::ostream& out) {
  bool ok = true;
  out << "  ok    source " << c.source_end.url << " reachable (" << c.source.credential_kind << ")\n";
  if (c.target.location.kind == endpoint::Kind::kGen2) {
    auto hns = endpoint::HierarchicalNamespaceEnabled(c.target);
    if (!hns.ok()) {
      out << "  FAIL  target " << c.target_end.url << ": " << hns.status().message() << "\n";
      return false;
    }
    if (!*hns) {
      out << "  FAIL  target account has no hierarchical namespace; Gen2 needs it (create the account with "
             "hierarchical namespace enabled, or upgrade it)\n";
      return false;
    }
    out << "  ok    target account has a hierarchical namespace\n";
    Status fs_ok = endpoint::EnsureFilesystem(c.target, /*create_if_missing=*/true);
    if (!fs_ok.ok()) {
      out << "  FAIL  target filesystem " << c.target.location.filesystem << ": " << fs_ok.message() << "\n";
      return false;
    }
    out << "  ok    target filesystem " << c.target.location.filesystem << " exists\n";
  }
  auto probed = endpoint::Probe(c.target);
  if (!probed.ok() && probed.status().code() != StatusCode::kNotFound) {
    out << "  FAIL  target " << c.target_end.url << ": " << probed.status().message() << "\n";
    return false;
  }
  out << "  ok    target " << c.target_end.url << " reachable (" << c.target.credential_kind << ")\n";
  if (c.target.location.kind == endpoint::Kind::kGen2 && c.target.fs->capabilities().set_owner) {
    // Owners can be set only by a superuser: try it on a scratch directory.
    std::string probe =
        migrate::JoinPath(c.target_end.root, "/.lakeshift-preflight-" + std::to_string(std::random_device{}()));
    auto made = c.target.fs->CreateDirectory(probe, fs::CreateOptions{});
    if (!made.ok()) {
      out << "  FAIL  cannot create directories under the target: " << made.status().message() << "\n";
      return false;
    }
    fs::AccessControlChange chown;
    chown.owner = "00000000-0000-4000-8000-00000000beef";
    auto owned = c.target.fs->SetAccessControl(probe, chown);
    (void)c.target.fs->Delete(probe, fs::DeleteOptions{.recursive = true});
    if (!owned.ok()) {
      out << "  FAIL  the target credential cannot set owners (" << owned.status().message()
          << "); use Shared Key, or an identity with the Storage Blob Data Owner role\n";
      ok = false;
    } else {
      out << "  ok    the target credential may set owners (superuser)\n";
    }
  }
  out << kSettingsReminder;
  return ok;
}

int Fail(const char* command, const Status& s, int code = 1) {
  std::cerr << command << ": " << s.message() << "\n";
  return code;
}

int WriteReport(const std::string& file, const std::string& json) {
  std::ofstream out(file);
  out << json << "\n";
  if (!out) {
    std::cerr << "cannot write the report " << file << "\n";
    return 1;
  }
  return 0;
}

struct MigrateArgs {
  Ends ends;
  std::string mode = "test";
  std::string journal;
  std::string report;
  std::string names = "stop";
  std::string verify = "md5";
  std::string max_rate;
  std::string block_size = "8M";
  std::string memory = "128M";
  int parallel = 16;
  bool keep_deleted = false;
  bool dry_run = false;
  bool json = false;
  bool yes = false;      // --mode complete without asking
  int freeze_grace = 5;  // seconds for gateway writes in flight when the freeze starts
};

// The cutover of a complete migration, after a clean copy: freeze, final pass, verification, switch. Any failure
// before the switch returns the gateways to pass-through, so Gen1 applications keep working on Gen1.
int Cutover(const MigrateArgs& a, Connected& c, migrate::Journal& journal, const std::function<int(const char*)>& pass,
            std::ostream& out) {
  const char* cmd = "lakeshift migrate";
  auto unfreeze = [&](const std::string& why) {
    Status s = migrate::WriteCutover(journal, migrate::CutoverPhase::kPassThrough, why);
    if (!s.ok()) std::cerr << cmd << ": could not unfreeze the gateways: " << s.message() << "\n";
    out << "Cutover stopped (" << why << "): gateways pass every request through to Gen1 again.\n";
  };
  Status frozen = migrate::WriteCutover(journal, migrate::CutoverPhase::kFrozen, "final sync");
  if (!frozen.ok()) return Fail(cmd, frozen);
  out << "Writes frozen at the gateways; waiting " << a.freeze_grace << " s for writes in flight to finish\n";
  for (int waited = 0; waited < a.freeze_grace * 10 && !g_cancel; ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (g_cancel) return unfreeze("interrupted"), 130;
  int final_pass = pass("Final sync (writes frozen)");
  if (final_pass != 0) return unfreeze("the final sync did not finish cleanly"), final_pass;

  out << "Verifying\n";
  migrate::VerifyOptions v;
  auto map = LoadMap(a.ends);
  if (!map.ok()) return unfreeze("identity map"), Fail(cmd, map.status());
  v.identities = std::move(*map);
  v.unmapped = UnmappedFrom(a.ends.unmapped);
  v.journal = &journal;
  v.parallel = std::max(1, a.parallel);
  v.cancel = &g_cancel;
  auto verified = migrate::Verify(c.source_end, c.target_end, v);
  if (!verified.ok()) return unfreeze("verification failed to run"), Fail(cmd, verified.status());
  out << verified->Summary();
  if (g_cancel) return unfreeze("interrupted"), 130;
  if (verified->difference_count != 0) {
    unfreeze("verification found " + std::to_string(verified->difference_count) + " differences");
    return 1;
  }
  auto state = migrate::ReadCutover(journal);
  if (!state.ok()) return unfreeze("journal"), Fail(cmd, state.status());
  if (state->phase != migrate::CutoverPhase::kFrozen) {
    out << "The cutover was aborted meanwhile (" << state->note << "); nothing switched.\n";
    return 1;
  }
  Status switched = migrate::WriteCutover(journal, migrate::CutoverPhase::kSwitched, "complete migration");
  if (!switched.ok()) return unfreeze("journal"), Fail(cmd, switched);
  out << "Switched: gateways now serve Gen1 applications from Gen2. Gen1 is left as it was.\n";
  return 0;
}

// What a complete migration does, said before it starts (as the portal's consent page does).
bool ConfirmComplete(const MigrateArgs& a, const std::string& journal_path, std::ostream& out) {
  out << "A complete migration will:\n"
         "  1. copy everything that is not yet on Gen2 (Gen1 stays in use);\n"
         "  2. freeze writes at every gateway that follows the journal "
      << journal_path
      << ": reads still go to Gen1,\n"
         "     writes are answered 429 (the Gen1 SDKs retry them);\n"
         "  3. copy what changed meanwhile, then verify source and target (a difference stops the cutover and\n"
         "     unfreezes the gateways);\n"
         "  4. switch the gateways to Gen2: from then on Gen1 applications read and write Gen2 through them.\n"
         "Gen1 itself is not modified. Until step 4, `lakeshift cutover --journal "
      << journal_path << " --abort` returns everything to Gen1.\n";
  if (a.yes) return true;
  if (isatty(STDIN_FILENO) == 0) {
    std::cerr << "lakeshift migrate: --mode complete needs confirmation: pass --yes (no terminal to ask on)\n";
    return false;
  }
  out << "Type yes to continue: " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "yes";
}

int RunMigrate(const MigrateArgs& a) {
  const char* cmd = "lakeshift migrate";
  const bool complete = a.mode == "complete";
  migrate::MigrateOptions o;
  o.mode = a.mode;
  auto map = LoadMap(a.ends);
  if (!map.ok()) return Fail(cmd, map.status(), 2);
  o.identities = std::move(*map);
  o.unmapped = UnmappedFrom(a.ends.unmapped);
  o.names = a.names == "skip"     ? migrate::NamePolicy::kSkip
            : a.names == "rename" ? migrate::NamePolicy::kRename
                                  : migrate::NamePolicy::kStop;
  o.keep_deleted = a.keep_deleted;
  o.verify_md5 = a.verify == "md5";
  o.parallel_files = std::max(1, a.parallel);
  o.parallel_blocks = std::max(2, a.parallel);
  for (auto [text, slot, what] :
       {std::tuple{&a.block_size, &o.block_size, "--block-size"}, std::tuple{&a.memory, &o.memory_limit, "--memory"},
        std::tuple{&a.max_rate, &o.max_rate, "--max-rate"}}) {
    if (text->empty()) continue;
    auto v = ParseSize(*text, what);
    if (!v.ok()) return Fail(cmd, v.status(), 2);
    *slot = *v;
  }
  if (o.block_size < 64 * 1024 || o.block_size > (100LL << 20)) {
    return Fail(cmd, Status(StatusCode::kInvalidArgument, "--block-size must be between 64K and 100M"), 2);
  }
  if (o.memory_limit < 2 * o.block_size) {
    return Fail(cmd, Status(StatusCode::kInvalidArgument, "--memory must hold at least two blocks"), 2);
  }

  auto c = ConnectBoth(a.ends, /*source_must_be_directory=*/true);
  if (!c.ok()) return Fail(cmd, c.status());
  o.check_gen2_names = c->target.location.kind == endpoint::Kind::kGen2;
  std::ostream& out = a.json ? std::cerr : std::cout;

  out << "Preflight\n";
  if (!Preflight(*c, out)) return 1;

  // A scan first: totals for the ETA, and names Gen2 cannot hold stop the run before anything is copied.
  auto memory_journal = migrate::OpenSqliteJournal(":memory:");
  if (!memory_journal.ok()) return Fail(cmd, memory_journal.status());
  migrate::MigrateOptions scan = o;
  scan.dry_run = true;
  scan.cancel = &g_cancel;
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  auto planned = migrate::Migrate(c->source_end, c->target_end, **memory_journal, scan);
  if (!planned.ok()) return Fail(cmd, planned.status());
  double estimate =
      std::max(static_cast<double>(planned->bytes_found) / 300e6, static_cast<double>(planned->files_found) / 1500.0);
  out << "Plan: " << planned->files_found << " files (" << planned->bytes_found << " bytes), " << planned->dirs_found
      << " directories; " << planned->incompatible_names.size() << " names Gen2 cannot hold; estimated "
      << HumanDuration(estimate)
      << " at 300 MB/s and 1,500 files/s (real rates depend on the network and the services)\n";
  for (const auto& n : planned->incompatible_names) out << "  " << n.path << ": " << n.reason << "\n";
  if (a.dry_run) {
    if (a.json) std::cout << planned->ToJson() << std::endl;
    return planned->incompatible_names.empty() || o.names != migrate::NamePolicy::kStop ? 0 : 1;
  }
  if (!planned->incompatible_names.empty() && o.names == migrate::NamePolicy::kStop) {
    out << "Stopped before copying: rerun with --names skip (leave them out) or --names rename (copy them under "
           "a name Gen2 can hold; the mapping is kept in the journal)\n";
    return 1;
  }

  std::string journal_path = a.journal.empty() ? DefaultJournalName(a.ends.from, a.ends.to) : a.journal;
  if (complete && !ConfirmComplete(a, journal_path, out)) {
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    out << "Nothing was copied.\n";
    return 2;
  }
  auto journal = migrate::OpenSqliteJournal(journal_path);
  if (!journal.ok()) return Fail(cmd, journal.status());
  Status bound = (*journal)->Bind(c->source_end.url, c->target_end.url);
  if (!bound.ok()) return Fail(cmd, bound, 2);
  out << "Journal: " << journal_path << "\n";
  if (complete) {
    auto state = migrate::ReadCutover(**journal);
    if (!state.ok()) return Fail(cmd, state.status());
    if (state->phase == migrate::CutoverPhase::kSwitched) {
      return Fail(
          cmd,
          Status(StatusCode::kConflict, "this migration is already complete: its gateways serve Gen2 since " +
                                            encoding::FormatRfc1123(state->changed_ms) + "; Gen1 is no longer current"),
          2);
    }
  }

  o.cancel = &g_cancel;
  if (a.json) {
    o.on_failure = [](const std::string& path, const std::string& reason) {
      static std::mutex mu;
      std::lock_guard lock(mu);
      std::cout << nlohmann::json{{"event", "failure"}, {"path", path}, {"reason", reason}}.dump() << std::endl;
    };
  }
  // One pass of the copy, with its progress line, report file and summary. 0: it finished cleanly.
  auto run_pass = [&](const char* title) -> int {
    if (title != nullptr) out << title << "\n";
    migrate::Progress progress;
    o.progress = &progress;
    ProgressPrinter printer(progress, a.json, planned->files_found, planned->bytes_found);
    auto report = migrate::Migrate(c->source_end, c->target_end, **journal, o);
    printer.Stop();
    if (!report.ok()) return Fail(cmd, report.status());
    std::string report_path =
        a.report.empty() ? journal_path + ".run-" + std::to_string(report->run_id) + ".json" : a.report;
    int written = WriteReport(report_path, report->ToJson());
    out << report->Summary() << "Report: " << report_path << "\n";
    if (a.json) {
      std::cout << nlohmann::json{{"event", "finished"}, {"report", report_path}, {"ok", report->ok()}}.dump()
                << std::endl;
    }
    if (report->interrupted) return 130;
    return report->ok() && written == 0 ? 0 : 1;
  };
  int copied = run_pass(complete ? "Copy (writes to Gen1 continue)" : nullptr);
  if (!complete || copied != 0) {
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    if (complete) out << "No cutover: the copy did not finish cleanly. Fix what the report says and run again.\n";
    return copied;
  }
  int code = Cutover(a, *c, **journal, run_pass, out);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  return code;
}

struct VerifyArgs {
  Ends ends;
  std::string journal;
  std::string content = "md5";
  std::string report;
  int parallel = 16;
  bool json = false;
};

int RunVerify(const VerifyArgs& a) {
  const char* cmd = "lakeshift verify";
  migrate::VerifyOptions o;
  auto map = LoadMap(a.ends);
  if (!map.ok()) return Fail(cmd, map.status(), 2);
  o.identities = std::move(*map);
  o.unmapped = UnmappedFrom(a.ends.unmapped);
  o.content = a.content == "size"   ? migrate::ContentCheck::kSize
              : a.content == "full" ? migrate::ContentCheck::kFull
                                    : migrate::ContentCheck::kMd5;
  o.parallel = std::max(1, a.parallel);
  o.cancel = &g_cancel;
  auto c = ConnectBoth(a.ends, /*source_must_be_directory=*/true);
  if (!c.ok()) return Fail(cmd, c.status());
  std::unique_ptr<migrate::Journal> journal;
  std::string journal_path = a.journal.empty() ? DefaultJournalName(a.ends.from, a.ends.to) : a.journal;
  if (!a.journal.empty() || access(journal_path.c_str(), F_OK) == 0) {
    auto opened = migrate::OpenSqliteJournal(journal_path);
    if (!opened.ok()) return Fail(cmd, opened.status());
    journal = std::move(*opened);
    o.journal = journal.get();
  }
  std::signal(SIGINT, OnInterrupt);
  auto report = migrate::Verify(c->source_end, c->target_end, o);
  std::signal(SIGINT, SIG_DFL);
  if (!report.ok()) return Fail(cmd, report.status());
  if (!a.report.empty() && WriteReport(a.report, report->ToJson()) != 0) return 1;
  if (a.json) {
    std::cout << report->ToJson() << std::endl;
  } else {
    std::cout << report->Summary();
  }
  if (g_cancel) return 130;
  return report->difference_count == 0 ? 0 : 1;
}

}  // namespace

void AddMigrateCommands(CLI::App& app, int& exit_code) {
  static MigrateArgs m;
  auto* migrate = app.add_subcommand(
      "migrate",
      "Copy a Gen1 lake (or a WebHDFS or local directory) to Gen2 with all of its metadata; resumable "
      "and incremental through a journal");
  AddEndsOptions(migrate, m.ends);
  migrate
      ->add_option("--mode", m.mode,
                   "test: copy, Gen1 stays active (re-runs copy what changed); complete: copy, then freeze writes "
                   "at the gateways, final sync, verify, and switch the gateways to Gen2")
      ->check(CLI::IsMember({"test", "complete"}))
      ->capture_default_str();
  migrate->add_option("--journal", m.journal,
                      "Journal file (SQLite); default: lakeshift-<source>--<target>-<hash>"
                      ".journal in the working directory");
  migrate->add_option("--report", m.report, "Final report (JSON); default: <journal>.run-<N>.json");
  migrate->add_option("--names", m.names, "Names Gen2 cannot hold: stop before copying, skip them, or rename them")
      ->check(CLI::IsMember({"stop", "skip", "rename"}))
      ->capture_default_str();
  migrate->add_option("--verify", m.verify, "md5: check each copied file's size and stored Content-MD5; none")
      ->check(CLI::IsMember({"md5", "none"}))
      ->capture_default_str();
  migrate->add_flag("--keep-deleted", m.keep_deleted, "Keep on the target what was deleted from the source");
  migrate->add_flag("--dry-run", m.dry_run, "Stop after the plan: counts, bytes, incompatible names, estimate");
  migrate->add_option("--max-rate", m.max_rate, "Cap on bytes read per second, e.g. 100M");
  migrate->add_option("--parallel", m.parallel, "Files in flight (and block transfers of large files)")
      ->capture_default_str();
  migrate->add_option("--block-size", m.block_size, "Range size for large files")->capture_default_str();
  migrate->add_option("--memory", m.memory, "Memory for block buffers")->capture_default_str();
  migrate->add_flag("--json", m.json, "Progress and results as JSON lines on stdout (text goes to stderr)");
  migrate->add_flag("--yes", m.yes, "--mode complete: do not ask for confirmation");
  migrate->add_option("--freeze-grace", m.freeze_grace, "--mode complete: seconds for writes in flight at the gateways")
      ->capture_default_str();
  migrate->callback([&exit_code] { exit_code = RunMigrate(m); });

  static VerifyArgs v;
  auto* verify =
      app.add_subcommand("verify",
                         "Compare source and target: presence, type, size, content, owner, group, permissions, ACLs, "
                         "preserved times, expiry. Exit code 1 on any difference");
  AddEndsOptions(verify, v.ends);
  verify->add_option("--journal", v.journal,
                     "The migration's journal (names it rewrote, items it skipped); "
                     "default: the migrate command's default, when present");
  verify
      ->add_option("--content", v.content,
                   "md5: hash the source, compare with the target's Content-MD5; full: hash both; size")
      ->check(CLI::IsMember({"md5", "full", "size"}))
      ->capture_default_str();
  verify->add_option("--report", v.report, "Write every difference to this JSON file");
  verify->add_option("--parallel", v.parallel, "Files compared at once")->capture_default_str();
  verify->add_flag("--json", v.json, "Print the result as JSON");
  verify->callback([&exit_code] { exit_code = RunVerify(v); });

  static Ends p;
  static bool preflight_json = false;
  auto* preflight = app.add_subcommand(
      "preflight",
      "Check both ends before a migration: reachable, authorized, hierarchical namespace, superuser, "
      "names Gen2 cannot hold; print a plan");
  AddEndsOptions(preflight, p);
  preflight->add_flag("--json", preflight_json, "Print the plan as JSON");
  preflight->callback([&exit_code] {
    MigrateArgs a;
    a.ends = p;
    a.dry_run = true;
    a.json = preflight_json;
    exit_code = RunMigrate(a);
  });
}

}  // namespace lakeshift::cli
