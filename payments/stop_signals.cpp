#include "stop_signals.h"

#include <httplib.h>
#include <pthread.h>

#include <csignal>
#include <thread>

namespace payments {

namespace {

sigset_t stop_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void block_stop_signals() {
  const sigset_t set = stop_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

void stop_on_signals(httplib::Server& server) {
  std::thread([&server] {
    const sigset_t set = stop_set();
    int sig = 0;
    sigwait(&set, &sig);
    server.stop();
  }).detach();
}

}  // namespace payments
