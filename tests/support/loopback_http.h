#pragma once
// An HTTP server on 127.0.0.1 at an ephemeral port, serving on its own thread
// for as long as the object lives: the stand-in payment APIs of the drill's
// tests. Routes go on server() before start().

#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>

namespace injector::testing {

class LoopbackHttp {
 public:
  LoopbackHttp() = default;
  ~LoopbackHttp() {
    if (!thread_.joinable()) return;
    server_.stop();
    thread_.join();
  }
  LoopbackHttp(const LoopbackHttp&) = delete;
  LoopbackHttp& operator=(const LoopbackHttp&) = delete;

  httplib::Server& server() { return server_; }
  // Binds and serves; returns once it accepts connections.
  void start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace injector::testing
