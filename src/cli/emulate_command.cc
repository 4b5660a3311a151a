// `lakeshift emulate [gen2] ...`: run the local identity provider and stores, or one store on its own.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "emulator/gen1_emulator.h"
#include "emulator/gen2_emulator.h"
#include "emulator/local_emulators.h"
#include "http/server.h"
#include "identity/provider.h"

namespace lakeshift::cli {

Status ParseListen(const std::string& text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return InvalidArgument("--listen \"" + text + "\" must be HOST:PORT, e.g. 127.0.0.1:10004");
  }
  *host = text.substr(0, colon);
  try {
    size_t used = 0;
    int value = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || value < 0 || value > 65535) throw std::out_of_range("port");
    *port = static_cast<uint16_t>(value);
  } catch (...) {
    return InvalidArgument("--listen \"" + text + "\": the port must be a number from 0 to 65535");
  }
  return Status::Ok();
}

namespace {

// Parses --faults into `faults`; prints the error and sets exit code 2 when it is malformed.
bool ParseFaults(const std::string& spec, http::FaultOptions* faults, const char* command, int& exit_code) {
  auto parsed = http::ParseFaultSpec(spec);
  if (!parsed.ok()) {
    std::cerr << command << ": --faults: " << parsed.status().message() << "\n";
    exit_code = 2;
    return false;
  }
  *faults = *parsed;
  return true;
}

constexpr const char* kFaultsHelp =
    "Inject faults: error=FRACTION,status=500|503,retry-after=SECONDS,drop=FRACTION,latency=MS,seed=N";

void AddGen2Command(CLI::App& emulate, int& exit_code) {
  auto* gen2 = emulate.add_subcommand("gen2", "Run a Gen2 storage account (DFS and Blob APIs) until Ctrl-C");
  static std::string listen = "127.0.0.1:10004";
  static std::string faults;
  static emulator::Gen2EmulatorOptions options;
  gen2->add_option("--listen", listen, "HOST:PORT to serve on (port 0 picks a free port)")->capture_default_str();
  gen2->add_option("--data", options.data_dir, "Directory holding the account's data (created if missing)")->required();
  gen2->add_option("--account", options.account, "Account name")->capture_default_str();
  gen2->add_option("--key", options.key, "Base64 account key (default: the well-known development key)");
  auto* cert = gen2->add_option("--cert", options.tls_cert_file, "Serve HTTPS with this PEM certificate (chain)");
  auto* key = gen2->add_option("--cert-key", options.tls_key_file, "PEM private key of --cert");
  gen2->add_option("--faults", faults, kFaultsHelp);
  cert->needs(key);
  key->needs(cert);
  gen2->callback([&exit_code] {
    Status listen_ok = ParseListen(listen, &options.host, &options.port);
    if (!listen_ok.ok()) {
      std::cerr << "lakeshift emulate gen2: " << listen_ok.message() << "\n";
      exit_code = 2;
      return;
    }
    if (!ParseFaults(faults, &options.faults, "lakeshift emulate gen2", exit_code)) return;
    auto emulator = emulator::Gen2Emulator::Start(options);
    if (!emulator.ok()) {
      std::cerr << "lakeshift emulate gen2: " << emulator.status() << "\n";
      exit_code = 1;
      return;
    }
    std::cout << "Gen2 emulator: " << (*emulator)->account_url() << " (account " << options.account << ", data "
              << options.data_dir << ")" << std::endl;
    (*emulator)->RunUntilSignal();
  });
}

void AddGen1Command(CLI::App& emulate, int& exit_code) {
  auto* gen1 = emulate.add_subcommand(
      "gen1", "Run a Gen1 account (WebHDFS API) and its own identity provider on one port until Ctrl-C");
  static std::string listen = "127.0.0.1:8081";
  static std::string faults;
  static emulator::Gen1EmulatorOptions options;
  gen1->add_option("--listen", listen, "HOST:PORT to serve on (port 0 picks a free port)")->capture_default_str();
  gen1->add_option("--data", options.data_dir, "Directory holding the account's data (created if missing)")->required();
  auto* cert = gen1->add_option("--cert", options.tls_cert_file, "Serve HTTPS with this PEM certificate (chain)");
  auto* key = gen1->add_option("--cert-key", options.tls_key_file, "PEM private key of --cert");
  gen1->add_option("--principals", options.principals_file,
                   "JSON list of principals: {client_id, client_secret, object_id, groups, superuser}");
  gen1->add_option("--faults", faults, kFaultsHelp);
  cert->needs(key);
  key->needs(cert);
  gen1->callback([&exit_code] {
    Status listen_ok = ParseListen(listen, &options.host, &options.port);
    if (!listen_ok.ok()) {
      std::cerr << "lakeshift emulate gen1: " << listen_ok.message() << "\n";
      exit_code = 2;
      return;
    }
    if (!ParseFaults(faults, &options.faults, "lakeshift emulate gen1", exit_code)) return;
    auto emulator = emulator::Gen1Emulator::Start(options);
    if (!emulator.ok()) {
      std::cerr << "lakeshift emulate gen1: " << emulator.status() << "\n";
      exit_code = 1;
      return;
    }
    const identity::IdentityProvider& provider = (*emulator)->identity();
    std::cout << "Gen1 emulator: " << (*emulator)->url() << "/webhdfs/v1/ (data " << options.data_dir << ")\n"
              << "Identity provider: " << provider.Authority() << " (admin client id " << provider.admin().client_id
              << ", secret " << provider.admin().client_secret << ")" << std::endl;
    (*emulator)->RunUntilSignal();
  });
}

}  // namespace

void AddEmulateCommand(CLI::App& app, int& exit_code) {
  auto* emulate = app.add_subcommand(
      "emulate",
      "Run local emulators until Ctrl-C. With no store name: the identity provider and every store, over HTTPS,\n"
      "with connection details in DATA/emulators.json");
  emulate->require_subcommand(0, 1);
  static emulator::LocalEmulatorsOptions options;
  static std::string faults;
  static bool no_tls = false;
  emulate->add_option("--data", options.data_dir, "Directory holding every service's data (created if missing)");
  emulate->add_option("--host", options.host, "Address to serve on")->capture_default_str();
  emulate->add_option("--identity-port", options.identity_port, "Identity provider port (0: a free port)")
      ->capture_default_str();
  emulate->add_option("--gen2-port", options.gen2_port, "Gen2 account port (0: a free port)")->capture_default_str();
  emulate->add_option("--gen1-port", options.gen1_port, "Gen1 account port (0: a free port)")->capture_default_str();
  emulate->add_option("--account", options.account, "Gen2 account name (default: devstoreaccount1)");
  emulate->add_option("--key", options.key, "Gen2 base64 account key (default: the well-known development key)");
  emulate->add_option("--principals", options.principals_file,
                      "JSON list of principals: {client_id, client_secret, object_id, groups, superuser}");
  emulate->add_flag("--no-tls", no_tls, "Serve plain HTTP (OAuth clients such as the Azure SDKs then refuse tokens)");
  emulate->add_option("--faults", faults, kFaultsHelp);
  emulate->callback([emulate, &exit_code] {
    if (emulate->get_subcommands().size() > 0) return;  // a single store runs in its own callback
    if (options.data_dir.empty()) {
      std::cerr << "lakeshift emulate: --data DIR is required (or name one store, e.g. `emulate gen2`)\n";
      exit_code = 2;
      return;
    }
    if (!ParseFaults(faults, &options.faults, "lakeshift emulate", exit_code)) return;
    options.tls = !no_tls;
    auto emulators = emulator::LocalEmulators::Start(options);
    if (!emulators.ok()) {
      std::cerr << "lakeshift emulate: " << emulators.status() << "\n";
      exit_code = 1;
      return;
    }
    std::cout << (*emulators)->Summary() << std::endl;
    http::WaitForSignal();
    (*emulators)->Stop();
  });
  AddGen1Command(*emulate, exit_code);
  AddGen2Command(*emulate, exit_code);
}

}  // namespace lakeshift::cli
