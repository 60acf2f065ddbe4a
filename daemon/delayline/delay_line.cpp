#include "daemon/delayline/delay_line.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include "daemon/delayline/delay_model.h"
#include "daemon/delayline/fd.h"
#include "daemon/delayline/nfqueue_socket.h"
#include "daemon/delayline/packet_io.h"
#include "daemon/delayline/release_queue.h"
#include "daemon/tc/netem.h"

namespace injector::delayline {

// Outside the anonymous namespace: DelayLine::Impl, a class with linkage, holds these.
struct AtomicCounters {
  std::atomic<std::uint64_t> seen{0}, bytes_seen{0}, sent{0}, bytes_sent{0}, dropped{0}, overflow{0}, delayed{0},
      duplicated{0}, corrupted{0}, reordered{0};
  QueueCounters snapshot() const {
    auto r = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    return {r(seen), r(bytes_seen), r(sent), r(bytes_sent), r(dropped), r(overflow), r(delayed), r(duplicated),
            r(corrupted), r(reordered)};
  }
};

namespace {

// Packets the kernel may queue to us beyond what we hold: the unread backlog
// between two reads. Without it the kernel, not our drop-tail, would drop.
constexpr std::uint32_t kKernelHeadroom = 1024;
constexpr std::size_t kReadBatch = 512;  // packets per read round, so due releases are not starved

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);  // steady_clock's clock, and the timerfd's
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }

std::uint64_t fresh_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

std::vector<std::int16_t> table_for(const Impairments& imp) {
  return tc::load_distribution(imp.delay ? imp.delay->distribution : Distribution::none);
}

}  // namespace

struct DelayLine::Impl {
  struct Queue {
    Queue(std::uint16_t n, const QueueOptions& o, DelayModel m)
        : num(n), options(o), model(std::move(m)), held(o.limit), counters(std::make_shared<AtomicCounters>()) {}
    std::uint16_t num;
    QueueOptions options;
    DelayModel model;
    ReleaseQueue held;
    std::shared_ptr<AtomicCounters> counters;
    std::unique_ptr<RawSender> dup_sender;  // opened on the first duplicate
    bool removing = false;
  };

  Impl()
      : sock(QueueOptions{}.socket_buffer),
        epoll(epoll_create1(EPOLL_CLOEXEC), "epoll_create1"),
        timer(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK), "timerfd_create(CLOCK_MONOTONIC)"),
        wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), "eventfd"),
        rng(static_cast<std::mt19937::result_type>(fresh_seed())),
        handler([this](const QueuedPacket& p) { on_packet(p); }) {
    for (int fd : {sock.fd(), timer.get(), wake.get()}) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      if (epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0) throw_errno("epoll_ctl add");
    }
    // The thread inherits the creating thread's network namespace, like the sockets.
    worker = std::thread([this] { run(); });
  }

  // --- commands: run on the worker thread, the caller waits for the outcome ---
  template <class F>
  void call(F fn) {
    std::packaged_task<void()> task(std::move(fn));
    auto done = task.get_future();
    {
      std::lock_guard lock(cmd_mu);
      if (!alive) throw std::runtime_error("delay line: the worker thread has stopped");
      commands.emplace_back(std::move(task));
    }
    const std::uint64_t one = 1;
    if (write(wake.get(), &one, sizeof one) < 0 && errno != EAGAIN) throw_errno("wake the delay-line thread");
    done.get();  // rethrows what the command threw
  }

  void run_commands() {
    std::uint64_t n;
    (void)!read(wake.get(), &n, sizeof n);
    std::deque<std::packaged_task<void()>> batch;
    {
      std::lock_guard lock(cmd_mu);
      batch.swap(commands);
    }
    for (auto& t : batch) t();
  }

  void add(std::uint16_t num, const QueueOptions& options, DelayModel model) {
    if (queues.count(num)) throw std::runtime_error("delay line: NFQUEUE " + std::to_string(num) + " is already served");
    auto q = std::make_unique<Queue>(num, options, std::move(model));
    auto counters = q->counters;
    Queue& ref = *q;
    queues.emplace(num, std::move(q));  // before binding: packets may arrive while we wait for the ACK
    try {
      if (options.socket_buffer > rcvbuf) {
        sock.raise_receive_buffer(options.socket_buffer);
        rcvbuf = options.socket_buffer;
      }
      sock.bind(num, options.limit + kKernelHeadroom, handler);
    } catch (...) {
      release_all(ref);
      queues.erase(num);
      throw;
    }
    std::lock_guard lock(counters_mu);
    counters_by_queue[num] = counters;
  }

  Queue& find(std::uint16_t num) {
    auto it = queues.find(num);
    if (it == queues.end()) throw std::invalid_argument("delay line: NFQUEUE " + std::to_string(num) + " is not served");
    return *it->second;
  }

  void remove(std::uint16_t num) {
    Queue& q = find(num);
    q.removing = true;  // what arrives from now on goes through at once
    release_all(q);
    try {
      sock.unbind(num, handler);
    } catch (...) {
      queues.erase(num);
      throw;
    }
    queues.erase(num);
  }

  // --- packets ---
  void on_packet(const QueuedPacket& p) {
    auto it = queues.find(p.queue);
    if (it == queues.end() || it->second->removing) {
      sock.accept(p.queue, p.id);  // not ours (any more): never hold what we do not impair
      return;
    }
    Queue& q = *it->second;
    AtomicCounters& c = *q.counters;
    const auto bytes = static_cast<std::uint32_t>(p.payload.size());
    bump(c.seen);
    bump(c.bytes_seen, bytes);
    const std::int64_t arrival = now_ns();
    const Decision d = q.model.decide(bytes, arrival);
    if (d.duplicate && !d.copy.drop) {
      HeldPacket copy{0, bytes, true, false, {p.payload.begin(), p.payload.end()}};
      if (d.copy.corrupt) corrupt_one_bit(copy.payload, rng);
      hold(q, d.copy.release_ns, arrival, std::move(copy));
    }
    if (d.drop) {
      sock.drop(p.queue, p.id);
      bump(c.dropped);
      return;
    }
    HeldPacket held{p.id, bytes, false, d.corrupt, {}};
    if (d.corrupt) {
      held.payload.assign(p.payload.begin(), p.payload.end());
      corrupt_one_bit(held.payload, rng);
    }
    if (!hold(q, d.release_ns, arrival, std::move(held))) sock.drop(p.queue, p.id);
  }

  bool hold(Queue& q, std::int64_t release, std::int64_t arrival, HeldPacket packet) {
    if (!q.held.push(release, std::move(packet))) {
      bump(q.counters->overflow);
      bump(q.counters->dropped);
      return false;
    }
    if (release > arrival) bump(q.counters->delayed);
    return true;
  }

  void release(Queue& q, Released& r) {
    AtomicCounters& c = *q.counters;
    if (r.packet.copy) {
      if (!send_copy(q, r.packet)) {
        bump(c.dropped);
        return;
      }
      bump(c.duplicated);
    } else if (r.packet.modified) {
      sock.accept_modified(q.num, r.packet.packet_id, r.packet.payload);
      bump(c.corrupted);
    } else {
      sock.accept(q.num, r.packet.packet_id);
    }
    bump(c.sent);
    bump(c.bytes_sent, r.packet.bytes);
    if (r.overtook) bump(c.reordered);
  }

  bool send_copy(Queue& q, const HeldPacket& p) {
    try {
      if (!q.dup_sender) q.dup_sender = std::make_unique<RawSender>(q.options.duplicate_mark);
    } catch (const std::exception& e) {
      spdlog::warn("{}", e.what());  // counted as dropped copies; the originals still go
      return false;
    }
    return q.dup_sender->send(p.payload);
  }

  void release_all(Queue& q) {
    due.clear();
    q.held.pop_all(due);
    for (auto& r : due) release(q, r);
    due.clear();
    sock.flush();
  }

  void release_due() {
    const std::int64_t now = now_ns();
    release_times.clear();
    for (auto& [num, q] : queues) {
      due.clear();
      q->held.pop_due(now, due);
      for (auto& r : due) {
        release(*q, r);
        release_times.push_back(r.release_ns);
      }
    }
    due.clear();
    sock.flush();
    if (release_times.empty()) return;
    const std::int64_t sent = now_ns();  // after the send: the forwarding it triggers counts as late
    for (auto t : release_times) lateness.record(sent - t);
  }

  void arm_timer() {
    std::int64_t earliest = -1;
    for (auto& [num, q] : queues) {
      if (auto t = q->held.earliest(); t && (earliest < 0 || *t < earliest)) earliest = *t;
    }
    if (earliest == armed_ns) return;
    itimerspec its{};
    // An absolute time already past fires at once; zero would disarm, so keep it at least 1 ns.
    if (earliest >= 0) its.it_value = {static_cast<time_t>(earliest / 1'000'000'000), std::max<long>(earliest % 1'000'000'000, 1)};
    if (timerfd_settime(timer.get(), TFD_TIMER_ABSTIME, &its, nullptr) != 0) throw_errno("arm the release timer");
    armed_ns = earliest;
  }

  void loop_once() {
    epoll_event events[4];
    const int n = epoll_wait(epoll.get(), events, 4, -1);
    if (n < 0) {
      if (errno == EINTR) return;
      throw_errno("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake.get()) {
        run_commands();
      } else if (fd == timer.get()) {
        std::uint64_t expirations;
        (void)!read(timer.get(), &expirations, sizeof expirations);
        armed_ns = -1;  // fired: a later arm with the same time must really re-arm
      } else {
        sock.receive(handler, kReadBatch);
        overruns.store(sock.enobufs(), std::memory_order_relaxed);
      }
    }
    release_due();
    arm_timer();
  }

  void run() {
    pthread_setname_np(pthread_self(), "delayline");  // so top, ps -L and perf can tell it apart
    while (!stop) {
      try {
        loop_once();
      } catch (const std::exception& e) {
        // One bad round (a refused verdict batch, say) must not end the delay line.
        spdlog::error("{}", e.what());
      }
    }
    std::lock_guard lock(cmd_mu);
    alive = false;
    for (auto& t : commands) t();  // anything posted meanwhile still completes
    commands.clear();
  }

  NfqueueSocket sock;
  Fd epoll, timer, wake;
  std::mt19937 rng;
  PacketHandler handler;
  std::map<std::uint16_t, std::unique_ptr<Queue>> queues;  // worker thread only
  std::vector<Released> due;
  std::vector<std::int64_t> release_times;  // of the round's released packets
  LatenessRecorder lateness;
  std::int64_t armed_ns = -1;
  std::uint32_t rcvbuf = QueueOptions{}.socket_buffer;
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> overruns{0};

  std::mutex cmd_mu;
  std::deque<std::packaged_task<void()>> commands;
  bool alive = true;

  mutable std::mutex counters_mu;
  std::map<std::uint16_t, std::shared_ptr<AtomicCounters>> counters_by_queue;

  std::thread worker;
};

DelayLine::DelayLine() : impl_(std::make_unique<Impl>()) {}

DelayLine::~DelayLine() {
  try {
    impl_->call([this] {
      for (auto it = impl_->queues.begin(); it != impl_->queues.end();) {
        const std::uint16_t num = (it++)->first;
        try {
          impl_->remove(num);
        } catch (const std::exception& e) {
          spdlog::warn("delay line shutdown: {}", e.what());
        }
      }
      impl_->stop = true;
    });
  } catch (...) {
    impl_->stop = true;
    const std::uint64_t one = 1;
    (void)!write(impl_->wake.get(), &one, sizeof one);
  }
  if (impl_->worker.joinable()) impl_->worker.join();
}

void DelayLine::add(std::uint16_t queue, const Impairments& imp, const QueueOptions& options) {
  if (options.limit == 0) throw std::invalid_argument("delay line: queue limit must be at least 1");
  DelayModel model(imp, table_for(imp), fresh_seed());  // table read here, not on the packet thread
  impl_->call([&] { impl_->add(queue, options, std::move(model)); });
}

void DelayLine::change(std::uint16_t queue, const Impairments& imp, bool down) {
  auto table = table_for(imp);
  impl_->call([&] {
    auto& q = impl_->find(queue);
    q.model.update(imp, std::move(table));
    q.model.set_down(down);
  });
}

void DelayLine::remove(std::uint16_t queue) {
  impl_->call([&] { impl_->remove(queue); });
}

QueueCounters DelayLine::counters(std::uint16_t queue) const {
  std::lock_guard lock(impl_->counters_mu);
  auto it = impl_->counters_by_queue.find(queue);
  if (it == impl_->counters_by_queue.end()) {
    throw std::invalid_argument("delay line: no counters for NFQUEUE " + std::to_string(queue));
  }
  return it->second->snapshot();
}

std::uint64_t DelayLine::receive_overruns() const { return impl_->overruns.load(std::memory_order_relaxed); }

Lateness DelayLine::release_lateness() const { return impl_->lateness.snapshot(); }

void DelayLine::run_on_worker(const std::function<void()>& fn) {
  impl_->call([&] { fn(); });
}

}  // namespace injector::delayline
