// Benchmark of the Gen1 emulator over HTTP with the project's own client: APPEND throughput (4 MB appends,
// one file per connection, as the SDKs upload), OPEN throughput in 4 MB reads, CREATE+CLOSE of small files
// per second, LISTSTATUS of 10,000 entries. Prints figures; asserts nothing.
//   gen1_emulator_bench [--mib M] [--files N] [--threads T] [--workers W (the emulator's handler threads)]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "emulator/gen1_emulator.h"
#include "http/body_source.h"
#include "http/client.h"
#include "identity/provider.h"

using namespace lakeshift;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

struct Bench {
  std::string base;  // http://127.0.0.1:port/webhdfs/v1
  std::string token;
  http::HttpClient client;

  http::ClientResponse Call(const std::string& method, const std::string& target, http::BodySource* body = nullptr) {
    http::ClientRequest request;
    request.method = method;
    request.url = base + target;
    request.body = body;
    request.headers.Set("Authorization", "Bearer " + token);
    if (body && body->size()) request.headers.Set("Content-Length", std::to_string(*body->size()));
    if (!body && method != "GET") request.headers.Set("Content-Length", "0");
    auto response = client.Send(request);
    if (!response.ok() || response->status >= 300) {
      std::fprintf(stderr, "%s %s failed: %s\n", method.c_str(), target.c_str(),
                   response.ok() ? (std::to_string(response->status) + " " + response->body).c_str()
                                 : response.status().ToString().c_str());
      std::exit(1);
    }
    return std::move(*response);
  }
};

template <typename F>
void Parallel(int threads, F work) {
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) workers.emplace_back([&, t] { work(t); });
  for (auto& w : workers) w.join();
}

}  // namespace

int main(int argc, char** argv) {
  int mib = 1024;
  int files = 10000;
  int threads = 8;
  int workers = 0;  // the emulator's default
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--mib")
      mib = std::atoi(argv[i + 1]);
    else if (flag == "--files")
      files = std::atoi(argv[i + 1]);
    else if (flag == "--threads")
      threads = std::atoi(argv[i + 1]);
    else if (flag == "--workers")
      workers = std::atoi(argv[i + 1]);
    else
      return std::fprintf(stderr, "unknown flag %s\n", flag.c_str()), 2;
  }
  log::SetLevel(log::Level::kWarning);
  std::string dir = (std::filesystem::temp_directory_path() / "lakeshift-gen1-bench").string();
  std::filesystem::remove_all(dir);
  emulator::Gen1EmulatorOptions options;
  options.port = 0;
  options.data_dir = dir;
  if (workers > 0) options.worker_threads = workers;
  auto emu = emulator::Gen1Emulator::Start(options);
  if (!emu.ok()) return std::fprintf(stderr, "%s\n", emu.status().ToString().c_str()), 1;
  const identity::IdentityProvider& provider = (*emu)->identity();
  auto token = provider.IssueClientCredentials({provider.admin().client_id, provider.admin().client_secret},
                                               identity::EndpointVersion::kV1, identity::kDataLakeAudience);
  if (!token.ok()) return std::fprintf(stderr, "%s\n", token.status().ToString().c_str()), 1;
  http::ClientOptions client_options;
  client_options.max_connections = static_cast<size_t>(threads) * 2;
  Bench bench{(*emu)->url() + "/webhdfs/v1", token->access_token, http::HttpClient(client_options)};

  // APPEND: each connection writes its own file in 4 MB appends (Gen1 appends are sequential per file).
  const int64_t chunk = 4LL << 20;
  const int64_t per_file = (static_cast<int64_t>(mib) << 20) / threads;
  const std::string block(static_cast<size_t>(chunk), 'x');
  auto start = Clock::now();
  Parallel(threads, [&](int t) {
    std::string file = "/bench/big" + std::to_string(t);
    bench.Call("PUT", file + "?op=CREATE&write=true&overwrite=true&syncFlag=DATA");
    for (int64_t offset = 0; offset < per_file; offset += chunk) {
      int64_t n = std::min(chunk, per_file - offset);
      bool last = offset + n >= per_file;
      auto body = http::StringBodySource::View(std::string_view(block).substr(0, n));
      bench.Call(
          "POST",
          file + "?op=APPEND&append=true&offset=" + std::to_string(offset) + "&syncFlag=" + (last ? "CLOSE" : "DATA"),
          &body);
    }
  });
  double append_s = Seconds(start);
  std::printf("append     : %d MiB in 4 MB appends (%d files in parallel) in %.2f s = %.0f MiB/s\n", mib, threads,
              append_s, mib / append_s);

  start = Clock::now();
  std::atomic<int64_t> read_bytes{0};
  Parallel(threads, [&](int t) {
    std::string file = "/bench/big" + std::to_string(t);
    for (int64_t offset = 0; offset < per_file; offset += chunk) {
      auto r = bench.Call(
          "GET", file + "?op=OPEN&read=true&offset=" + std::to_string(offset) + "&length=" + std::to_string(chunk));
      read_bytes += static_cast<int64_t>(r.body.size());
    }
  });
  double open_s = Seconds(start);
  std::printf("open       : %lld MiB in 4 MB reads (%d connections) in %.2f s = %.0f MiB/s\n",
              static_cast<long long>(read_bytes.load() >> 20), threads, open_s,
              static_cast<double>(read_bytes.load() >> 20) / open_s);

  std::atomic<int> next{0};
  start = Clock::now();
  Parallel(threads, [&](int) {
    for (int i = next++; i < files; i = next++) {
      auto body = http::StringBodySource::View("small");
      bench.Call("PUT", "/bench/many/f" + std::to_string(i) + "?op=CREATE&write=true&overwrite=true&syncFlag=CLOSE",
                 &body);
    }
  });
  double create_s = Seconds(start);
  std::printf("create     : %d small files, CREATE+CLOSE (%d connections) in %.2f s = %.0f files/s\n", files, threads,
              create_s, files / create_s);

  start = Clock::now();
  size_t listed = 0;
  std::string after;
  while (true) {
    std::string target = "/bench/many?op=LISTSTATUS&listSize=4000";
    if (!after.empty()) target += "&listAfter=" + after;
    auto r = bench.Call("GET", target);
    for (size_t pos = r.body.find("\"pathSuffix\""); pos != std::string::npos;
         pos = r.body.find("\"pathSuffix\"", pos + 1)) {
      ++listed;
    }
    size_t token_at = r.body.find("\"continuationToken\":\"");
    if (token_at == std::string::npos) break;
    size_t begin = token_at + 21;
    after = r.body.substr(begin, r.body.find('"', begin) - begin);
    if (after.empty()) break;
  }
  double list_s = Seconds(start);
  std::printf("liststatus : %zu entries in %.2f s = %.0f entries/s (pages of 4000)\n", listed, list_s,
              static_cast<double>(listed) / list_s);
  (*emu)->Stop();
  std::filesystem::remove_all(dir);
  return 0;
}
