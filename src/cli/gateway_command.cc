// `lakeshift gateway` (the Gen1 compatibility gateway) and `lakeshift cutover` (the cutover phase it routes by).
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "encoding/time_format.h"
#include "endpoint/endpoint.h"
#include "gateway/gateway.h"
#include "migrate/cutover.h"
#include "migrate/journal.h"

namespace lakeshift::cli {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read before any thread starts
  return v == nullptr ? "" : v;
}

struct GatewayArgs {
  std::string listen = "127.0.0.1:8443";
  std::string gen1;
  std::string gen2;
  std::string journal;
  std::string cert;
  std::string key;
  std::string ca_file;
  std::vector<std::string> superusers;
  int workers = 64;
};

int RunGateway(const GatewayArgs& a) {
  const char* cmd = "lakeshift gateway";
  gateway::GatewayOptions o;
  Status listen = ParseListen(a.listen, &o.host, &o.port);
  if (!listen.ok()) return std::cerr << cmd << ": " << listen.message() << "\n", 2;
  auto gen1 = endpoint::ParseLocation(a.gen1);
  if (!gen1.ok()) return std::cerr << cmd << ": --gen1: " << gen1.status().message() << "\n", 2;
  if (gen1->kind != endpoint::Kind::kGen1 && gen1->kind != endpoint::Kind::kWebHdfs) {
    return std::cerr << cmd << ": --gen1 " << a.gen1 << " is not a Gen1 (or WebHDFS) account\n", 2;
  }
  auto gen2 = endpoint::ParseLocation(a.gen2);
  if (!gen2.ok()) return std::cerr << cmd << ": --gen2: " << gen2.status().message() << "\n", 2;
  if (gen2->kind != endpoint::Kind::kGen2) {
    return std::cerr << cmd << ": --gen2 " << a.gen2 << " is not a Gen2 account (abfss://FILESYSTEM@ACCOUNT...)\n", 2;
  }
  if (gen1->path != "/" || gen2->path != "/") {
    return std::cerr << cmd
                     << ": the gateway serves a whole Gen1 account from the root of a Gen2 filesystem; give "
                        "--gen1 and --gen2 without a path (the migration must have copied the account's root)\n",
           2;
  }
  if (!a.cert.empty() != !a.key.empty()) {
    return std::cerr << cmd << ": --cert and --cert-key go together\n", 2;
  }
  o.gen1_endpoint = gen1->endpoint;
  o.gen2_endpoint = gen2->endpoint;
  o.gen2_filesystem = gen2->filesystem;
  o.journal_file = a.journal;
  o.tls_cert_file = a.cert;
  o.tls_key_file = a.key;
  o.ca_file = a.ca_file.empty() ? Env("LAKESHIFT_CA_FILE") : a.ca_file;
  o.worker_threads = std::max(4, a.workers);
  o.superusers = a.superusers;
  o.obo.tenant_id = Env("AZURE_TENANT_ID");
  o.obo.client_id = Env("AZURE_CLIENT_ID");
  o.obo.client_secret = Env("AZURE_CLIENT_SECRET");
  if (std::string host = Env("AZURE_AUTHORITY_HOST"); !host.empty()) o.obo.authority_host = host;
  o.obo.resource = std::string(endpoint::kStorageResource);
  if (o.obo.tenant_id.empty() || o.obo.client_id.empty() || o.obo.client_secret.empty()) {
    return std::cerr << cmd
                     << ": set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET to the gateway's Entra "
                        "application (AZURE_AUTHORITY_HOST for another authority, e.g. the local identity provider): "
                        "after the cutover it exchanges each caller's Gen1 token for a Gen2 token on-behalf-of the "
                        "caller\n",
           2;
  }
  auto started = gateway::Gateway::Start(o);
  if (!started.ok()) return std::cerr << cmd << ": " << started.status().message() << "\n", 1;
  std::cout << "Gen1 compatibility gateway on " << (*started)->url() << "/webhdfs/v1\n"
            << "  Gen1: " << gen1->endpoint << "\n  Gen2: " << gen2->endpoint << " filesystem " << gen2->filesystem
            << "\n  journal: " << a.journal << " (the cutover phase is read from it for every request)" << std::endl;
  (*started)->RunUntilSignal();
  return 0;
}

struct CutoverArgs {
  std::string journal;
  bool abort = false;
};

int RunCutover(const CutoverArgs& a) {
  const char* cmd = "lakeshift cutover";
  auto journal = migrate::OpenSqliteJournal(a.journal);
  if (!journal.ok()) return std::cerr << cmd << ": " << journal.status().message() << "\n", 1;
  auto state = migrate::ReadCutover(**journal);
  if (!state.ok()) return std::cerr << cmd << ": " << state.status().message() << "\n", 1;
  if (a.abort) {
    if (state->phase == migrate::CutoverPhase::kSwitched) {
      std::cerr << cmd
                << ": the gateway already serves this account from Gen2; writes since the switch are only in "
                   "Gen2, so going back to Gen1 would lose them. Nothing changed.\n";
      return 1;
    }
    Status s = migrate::WriteCutover(**journal, migrate::CutoverPhase::kPassThrough, "aborted by the operator");
    if (!s.ok()) return std::cerr << cmd << ": " << s.message() << "\n", 1;
    std::cout << "Cutover aborted: gateways pass every request through to Gen1 again.\n";
    return 0;
  }
  std::cout << "Cutover phase: " << migrate::CutoverPhaseName(state->phase);
  if (state->changed_ms > 0) {
    std::cout << " (since " << encoding::FormatRfc1123(state->changed_ms)
              << (state->note.empty() ? "" : ": " + state->note) << ")";
  }
  std::cout << "\n";
  return 0;
}

}  // namespace

void AddGatewayCommands(CLI::App& app, int& exit_code) {
  static GatewayArgs g;
  auto* gw = app.add_subcommand(
      "gateway",
      "Serve the Gen1 REST API for a migrating account until Ctrl-C: passed through to Gen1 before the cutover,\n"
      "writes held during it, translated to Gen2 (as the caller, on-behalf-of) after it");
  gw->add_option("--listen", g.listen, "HOST:PORT to serve on (port 0 picks a free port)")->capture_default_str();
  gw->add_option("--gen1", g.gen1, "The Gen1 account: adl://ACCOUNT.azuredatalakestore.net, or a WebHDFS URL")
      ->required();
  gw->add_option("--gen2", g.gen2,
                 "The Gen2 filesystem the account was migrated to: abfss://FILESYSTEM@ACCOUNT.dfs.core.windows.net, "
                 "or the emulator's https://HOST:PORT/ACCOUNT/FILESYSTEM")
      ->required();
  gw->add_option("--journal", g.journal, "The migration's journal: its cutover phase decides the routing")->required();
  auto* cert = gw->add_option("--cert", g.cert, "Serve HTTPS with this PEM certificate (chain); Gen1 SDKs need it");
  gw->add_option("--cert-key", g.key, "PEM private key of --cert")->needs(cert);
  gw->add_option("--ca-file", g.ca_file, "PEM CA bundle to trust for https upstreams; default $LAKESHIFT_CA_FILE");
  gw->add_option("--superuser", g.superusers,
                 "Object id of a superuser of the Gen2 account (Owner / Storage Blob Data Owner), for the checks the "
                 "gateway answers itself (CHECKACCESS, listing /); repeatable");
  gw->add_option("--workers", g.workers, "Requests served at once")->capture_default_str();
  gw->callback([&exit_code] { exit_code = RunGateway(g); });

  static CutoverArgs c;
  auto* cutover = app.add_subcommand(
      "cutover",
      "Show the cutover phase of a complete migration, or abort it (back to pass-through) before the switch");
  cutover->add_option("--journal", c.journal, "The migration's journal")->required();
  cutover->add_flag("--abort", c.abort, "Return every gateway to pass-through to Gen1 (refused after the switch)");
  cutover->callback([&exit_code] { exit_code = RunCutover(c); });
}

}  // namespace lakeshift::cli
