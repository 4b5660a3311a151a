// RunUntilSignal: waits for SIGINT/SIGTERM with an Asio signal_set on a private io_context.

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>

#include "common/log.h"
#include "http/server.h"

namespace lakeshift::http {

int WaitForSignal(const std::function<void()>& on_waiting) {
  boost::asio::io_context ioc(1);
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  int received = 0;
  signals.async_wait([&](const boost::system::error_code& ec, int signal_number) {
    if (!ec) received = signal_number;
  });
  if (on_waiting) on_waiting();
  ioc.run();
  return received;
}

void RunUntilSignal(Server& server, std::chrono::milliseconds grace, const std::function<void()>& on_waiting) {
  int received = WaitForSignal(on_waiting);
  LOG_INFO("received signal " << received << ", stopping the HTTP server on port " << server.port());
  server.Stop(grace);
}

}  // namespace lakeshift::http
