#include "injector/stop_signal.h"

#include <csignal>

#include <algorithm>
#include <atomic>
#include <thread>

namespace injector::cli {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_count{0};

void on_stop_signal(int) {
  g_stop.store(true);
  g_count.fetch_add(1);
}

}  // namespace

void watch_stop_signals() {
  g_stop.store(false);
  g_count.store(0);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool stop_requested() { return g_stop.load(); }

int stop_count() { return g_count.load(); }

void sleep_until_or_stop(std::chrono::steady_clock::time_point until) {
  using Clock = std::chrono::steady_clock;
  while (!g_stop.load() && Clock::now() < until) {
    std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(50), until - Clock::now()));
  }
}

}  // namespace injector::cli
