// The drill's payment workload at rising open-loop rates from one core
// (issue 14: goal >= 20,000 payments/s with no coordinated omission),
// beside a baseline measured in the same run: plain cpp-httplib clients
// sending the same payments at the same rate without the drill's queue,
// connection pool, retries or recorder. Both against a trivial target in a
// child process on another core, answering 201 at once.
//   workload_bench [--rates 5000,10000,20000,40000] [--seconds 3] [--workers 32]
//                  [--client-cpu 0] [--server-cpu 1]
// Lag: first attempt's start minus its due time (the schedule kept or not);
// latency: final answer minus due time. "sent/s" counts first attempts begun
// within the planned span and "ok/s" acknowledgements that came within it
// (so a client that falls behind shows below the rate offered).
#include <CLI/CLI.hpp>
#include <httplib.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "injector/drill/histogram.h"
#include "injector/drill/recorder.h"
#include "injector/drill/traffic.h"

namespace {

using namespace injector::drill;

bool pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0;  // 0: this thread; later threads inherit it
}

// The target, forked before any thread exists; returns its pid and port.
std::pair<pid_t, int> start_target(int cpu) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe");
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (cpu >= 0) pin_to(cpu);
    httplib::Server server;
    // One thread per keep-alive connection: enough for every client connection.
    server.new_task_queue = [] { return new httplib::ThreadPool(512); };
    server.set_tcp_nodelay(true);  // httplib writes headers and body apart: Nagle would hold the body 40 ms
    server.Post("/v1/payments", [](const httplib::Request&, httplib::Response& res) {
      res.status = 201;
      res.set_content(R"({"status":"applied"})", "application/json");
    });
    const int port = server.bind_to_any_port("127.0.0.1");
    if (write(fds[1], &port, sizeof port) != sizeof port) _exit(1);
    server.listen_after_bind();
    _exit(0);
  }
  close(fds[1]);
  int port = 0;
  if (read(fds[0], &port, sizeof port) != sizeof port) throw std::runtime_error("the target did not start");
  close(fds[0]);
  return {pid, port};
}

struct Figures {
  double sent_per_s = 0, ok_per_s = 0;
  std::uint64_t not_ok = 0;
  Histogram lag, latency;
};

void print(const char* what, double rate, const Figures& f) {
  std::printf("%-9s %7.0f/s offered: sent %7.0f/s ok %7.0f/s not-ok %-5llu lag ms p50 %7.3f p99 %8.3f max %8.3f | "
              "latency ms p50 %7.3f p99 %8.3f max %8.3f\n",
              what, rate, f.sent_per_s, f.ok_per_s, static_cast<unsigned long long>(f.not_ok),
              static_cast<double>(f.lag.quantile(0.5)) / 1e3, static_cast<double>(f.lag.quantile(0.99)) / 1e3,
              static_cast<double>(f.lag.max()) / 1e3, static_cast<double>(f.latency.quantile(0.5)) / 1e3,
              static_cast<double>(f.latency.quantile(0.99)) / 1e3, static_cast<double>(f.latency.max()) / 1e3);
  std::fflush(stdout);
}

Figures drill_run(const std::string& url, double rate, int seconds, int workers) {
  TrafficPlan plan;
  plan.api_url = url;
  plan.rate_per_s = rate;
  plan.duration = std::chrono::seconds(seconds);
  plan.workers = workers;
  plan.key_prefix = "wb-" + std::to_string(unix_now_us()) + "-";
  Recorder recorder(unix_now_us());  // the guards' feed costs the workers too: it is measured with them
  plan.on_attempt = record_into(recorder, [](std::int64_t account) { return account % 3 == 0 ? "hz" : "sz"; });
  std::atomic<bool> stop{false};
  const auto sent = run_traffic(plan, stop);
  Figures f;
  const std::int64_t first_due = sent.front().due_us;
  const std::int64_t span_end = first_due + seconds * 1'000'000LL;
  std::uint64_t in_span = 0, ok = 0;
  for (const auto& p : sent) {
    if (p.attempts.empty()) continue;
    f.lag.record(p.attempts.front().start_us - p.due_us);
    in_span += p.attempts.front().start_us < span_end;
    if (p.acknowledged()) {
      ok += p.final_attempt()->end_us < span_end;
      f.latency.record(p.final_attempt()->end_us - p.due_us);
    } else {
      ++f.not_ok;
    }
  }
  f.not_ok += sent.size() - f.lag.count();  // never sent
  f.sent_per_s = static_cast<double>(in_span) / seconds;
  f.ok_per_s = static_cast<double>(ok) / seconds;
  return f;
}

// The same open-loop schedule with nothing but httplib: `workers` threads
// take the next payment index, wait for its due time, post it once.
Figures baseline_run(int port, double rate, int seconds, int workers) {
  const auto count = static_cast<std::int64_t>(rate * seconds);
  const std::int64_t start = unix_now_us() + 20000;
  std::atomic<std::int64_t> next{0};
  std::vector<Figures> per(static_cast<std::size_t>(workers));
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      httplib::Client c("127.0.0.1", port);
      c.set_keep_alive(true);
      c.set_tcp_nodelay(true);
      c.set_read_timeout(std::chrono::seconds(1));
      Figures& f = per[static_cast<std::size_t>(w)];
      for (std::int64_t i; (i = next.fetch_add(1)) < count;) {
        const std::int64_t due = start + static_cast<std::int64_t>(static_cast<double>(i) * 1e6 / rate);
        std::this_thread::sleep_until(std::chrono::system_clock::time_point(std::chrono::microseconds(due)));
        const std::int64_t begin = unix_now_us();
        const std::string body = R"({"from":)" + std::to_string(i % 1000) + R"(,"to":1,"amount_minor":5,"currency":"CNY"})";
        const auto r = c.Post("/v1/payments", {{"Idempotency-Key", "base-" + std::to_string(i)}}, body,
                              "application/json");
        const std::int64_t end = unix_now_us();
        f.lag.record(begin - due);
        f.sent_per_s += begin < start + seconds * 1'000'000LL;
        if (r && r->status == 201) {
          f.ok_per_s += end < start + seconds * 1'000'000LL;
          f.latency.record(end - due);
        } else {
          ++f.not_ok;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  Figures all;
  for (const auto& f : per) {
    all.lag.merge(f.lag);
    all.latency.merge(f.latency);
    all.sent_per_s += f.sent_per_s;
    all.ok_per_s += f.ok_per_s;
    all.not_ok += f.not_ok;
  }
  all.sent_per_s /= seconds;
  all.ok_per_s /= seconds;
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<double> rates{5000, 10000, 20000, 40000};
  int seconds = 3, workers = 32, client_cpu = 0, server_cpu = 1;
  bool no_baseline = false;
  CLI::App app{"workload_bench: the drill's open-loop payment rate from one core, beside plain httplib"};
  app.add_option("--rates", rates)->delimiter(',');
  app.add_option("--seconds", seconds);
  app.add_option("--workers", workers, "the drill's workers, and the baseline's threads");
  app.add_option("--client-cpu", client_cpu, "-1: not pinned");
  app.add_option("--server-cpu", server_cpu, "-1: not pinned");
  app.add_flag("--no-baseline", no_baseline, "the drill alone (for perf record)");
  CLI11_PARSE(app, argc, argv);

  const auto [pid, port] = start_target(server_cpu);
  const bool pinned = client_cpu >= 0 && pin_to(client_cpu);
  std::printf("target pid %d on 127.0.0.1:%d (cpu %d); client on cpu %s, %d workers, %d s a rate\n", pid, port,
              server_cpu, pinned ? std::to_string(client_cpu).c_str() : "any", workers, seconds);
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  for (const double rate : rates) {
    Figures base;
    if (!no_baseline) {
      base = baseline_run(port, rate, seconds, workers);
      print("baseline", rate, base);
    }
    const Figures drill = drill_run(url, rate, seconds, workers);
    print("drill", rate, drill);
    if (!no_baseline) std::printf("          drill/baseline sent %.2f ok %.2f\n", drill.sent_per_s / base.sent_per_s,
                drill.ok_per_s / base.ok_per_s);
  }
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  return 0;
}
