// Benchmark of the Gen2 emulator over HTTP with the project's own client (not the Python SDK): parallel
// 8 MiB appends of a 1 GiB file, creates per second of empty files, List Paths rate. Prints figures.
//   gen2_emulator_bench [--append-mib M] [--files N] [--threads T]
// It starts its own emulator in-process on a free port with a temporary data directory.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "auth/shared_key.h"
#include "common/log.h"
#include "emulator/gen2_emulator.h"
#include "http/body_source.h"
#include "http/client.h"

using namespace lakeshift;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

struct Bench {
  std::string base;  // http://127.0.0.1:port/devstoreaccount1
  http::HttpClient client;

  // Signs and sends; exits with a message on any failure, since a benchmark of errors is worthless.
  http::ClientResponse Call(const std::string& method, const std::string& target, http::BodySource* body = nullptr,
                            http::Headers headers = {}) {
    http::ClientRequest request;
    request.method = method;
    request.url = base + target;
    request.body = body;
    if (body && body->size()) headers.Set("Content-Length", std::to_string(*body->size()));
    if (!body && (method == "PUT" || method == "PATCH")) headers.Set("Content-Length", "0");
    headers.Set("x-ms-version", "2021-12-02");
    Status signed_ok =
        auth::SignRequest(method, request.url, headers, emulator::kDevAccountName, emulator::kDevAccountKey);
    request.headers = headers;
    auto response = signed_ok.ok() ? client.Send(request) : Result<http::ClientResponse>(signed_ok);
    if (!response.ok() || response->status >= 300) {
      std::fprintf(stderr, "%s %s failed: %s\n", method.c_str(), target.c_str(),
                   response.ok() ? (std::to_string(response->status) + " " + response->body).c_str()
                                 : response.status().ToString().c_str());
      std::exit(1);
    }
    return std::move(*response);
  }
};

// The machine's ceiling for what the emulator does with appended bytes: writing them into new page-cache
// pages of a new file. On VMs that hand memory back to the host, fresh pages are slow, and no server can
// append faster than this.
double RawWriteMiBPerSecond(const std::string& dir, int64_t total, int64_t chunk) {
  std::string file = dir + "/ceiling.bin";
  int fd = ::open(file.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return 0;
  std::string block(static_cast<size_t>(chunk), 'y');
  auto start = Clock::now();
  for (int64_t offset = 0; offset < total; offset += chunk) {
    if (::pwrite(fd, block.data(), static_cast<size_t>(std::min(chunk, total - offset)), offset) < 0) break;
  }
  double seconds = Seconds(start);
  ::close(fd);
  ::unlink(file.c_str());
  return static_cast<double>(total >> 20) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  int append_mib = 1024;
  int files = 10000;
  int threads = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--append-mib")
      append_mib = std::atoi(argv[i + 1]);
    else if (flag == "--files")
      files = std::atoi(argv[i + 1]);
    else if (flag == "--threads")
      threads = std::atoi(argv[i + 1]);
    else
      return std::fprintf(stderr, "unknown flag %s\n", flag.c_str()), 2;
  }
  log::SetLevel(log::Level::kWarning);  // the access log would measure stderr, not the emulator
  std::string dir = (std::filesystem::temp_directory_path() / "lakeshift-gen2-bench").string();
  std::filesystem::remove_all(dir);
  emulator::Gen2EmulatorOptions options;
  options.port = 0;
  options.data_dir = dir;
  auto emu = emulator::Gen2Emulator::Start(options);
  if (!emu.ok()) return std::fprintf(stderr, "%s\n", emu.status().ToString().c_str()), 1;
  http::ClientOptions client_options;
  client_options.max_connections = static_cast<size_t>(threads) * 2;
  Bench bench{(*emu)->account_url(), http::HttpClient(client_options)};
  bench.Call("PUT", "/bench?restype=container");

  // Parallel 8 MiB appends at their positions, then one flush.
  const int64_t chunk = 8LL << 20;
  const int64_t total = static_cast<int64_t>(append_mib) << 20;
  // Twice: the first pass may pay for fresh memory from the hypervisor, the second reuses the pages freed by
  // the first, as the emulator's appends then do.
  double cold = RawWriteMiBPerSecond(dir, total, chunk);
  double warm = RawWriteMiBPerSecond(dir, total, chunk);
  std::printf(
      "ceiling    : %d MiB written with pwrite into a new local file: %.0f MiB/s (first pass), "
      "%.0f MiB/s (pages reused)\n",
      append_mib, cold, warm);
  const std::string block(static_cast<size_t>(chunk), 'x');
  bench.Call("PUT", "/bench/big.bin?resource=file");
  std::atomic<int64_t> next{0};
  auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      while (true) {
        int64_t offset = next.fetch_add(chunk);
        if (offset >= total) return;
        auto body = http::StringBodySource::View(std::string_view(block).substr(0, std::min(chunk, total - offset)));
        bench.Call("PATCH", "/bench/big.bin?action=append&position=" + std::to_string(offset), &body);
      }
    });
  }
  for (auto& w : workers) w.join();
  bench.Call("PATCH", "/bench/big.bin?action=flush&position=" + std::to_string(total));
  double append_s = Seconds(start);
  std::printf("appends    : %d MiB in 8 MiB parallel appends (%d connections) in %.2f s = %.0f MiB/s\n", append_mib,
              threads, append_s, append_mib / append_s);

  // Creates of empty files from parallel connections.
  std::atomic<int> next_file{0};
  workers.clear();
  start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = next_file++; i < files; i = next_file++) {
        bench.Call("PUT", "/bench/many/f" + std::to_string(i) + "?resource=file");
      }
    });
  }
  for (auto& w : workers) w.join();
  double create_s = Seconds(start);
  std::printf("creates    : %d empty files (%d connections) in %.2f s = %.0f creates/s\n", files, threads, create_s,
              files / create_s);

  start = Clock::now();
  size_t listed = 0;
  std::string continuation;
  do {
    std::string target = "/bench?resource=filesystem&recursive=false&directory=many";
    if (!continuation.empty()) target += "&continuation=" + continuation;
    auto response = bench.Call("GET", target);
    for (size_t pos = response.body.find("\"name\""); pos != std::string::npos;
         pos = response.body.find("\"name\"", pos + 1)) {
      ++listed;
    }
    continuation = response.headers.Get("x-ms-continuation").value_or("");
    for (size_t p = continuation.find('='); p != std::string::npos; p = continuation.find('=', p)) {
      continuation.replace(p, 1, "%3D");
    }
  } while (!continuation.empty());
  double list_s = Seconds(start);
  std::printf("list paths : %zu entries in %.2f s = %.0f entries/s (pages of 5000)\n", listed, list_s,
              static_cast<double>(listed) / list_s);
  (*emu)->Stop();
  std::filesystem::remove_all(dir);
  return 0;
}
