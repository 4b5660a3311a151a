// `lakeshift emulate gen2 ...`: run a local Azure Data Lake Storage Gen2 account (DFS and Blob APIs).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "emulator/gen2_emulator.h"

namespace lakeshift::cli {
namespace {

// "127.0.0.1:10004" -> host, port. Port 0 picks a free port.
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

}  // namespace

void AddEmulateCommand(CLI::App& app, int& exit_code) {
  auto* emulate = app.add_subcommand("emulate", "Run local emulators of the Gen1 and Gen2 services");
  emulate->require_subcommand(1);
  auto* gen2 = emulate->add_subcommand("gen2", "Run a Gen2 storage account (DFS and Blob APIs) until Ctrl-C");
  static std::string listen = "127.0.0.1:10004";
  static emulator::Gen2EmulatorOptions options;
  gen2->add_option("--listen", listen, "HOST:PORT to serve on (port 0 picks a free port)")->capture_default_str();
  gen2->add_option("--data", options.data_dir, "Directory holding the account's data (created if missing)")->required();
  gen2->add_option("--account", options.account, "Account name")->capture_default_str();
  gen2->add_option("--key", options.key, "Base64 account key (default: the well-known development key)");
  auto* cert = gen2->add_option("--cert", options.tls_cert_file, "Serve HTTPS with this PEM certificate (chain)");
  auto* key = gen2->add_option("--cert-key", options.tls_key_file, "PEM private key of --cert");
  cert->needs(key);
  key->needs(cert);
  gen2->callback([&exit_code] {
    Status listen_ok = ParseListen(listen, &options.host, &options.port);
    if (!listen_ok.ok()) {
      std::cerr << "lakeshift emulate gen2: " << listen_ok.message() << "\n";
      exit_code = 2;
      return;
    }
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

}  // namespace lakeshift::cli
