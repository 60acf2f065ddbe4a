#pragma once
// The delay line's hold: a bounded min-heap of packets ordered by release
// time, ties broken by arrival order (netem's tfifo keeps equal times FIFO).
// Drop-tail at the limit, like netem's `limit`. One per NFQUEUE.

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace injector::delayline {

struct HeldPacket {
  std::uint32_t packet_id = 0;        // the kernel's id for the verdict (unused for copies)
  std::uint32_t bytes = 0;
  bool copy = false;                  // a duplicate: re-sent through a raw socket, no verdict
  bool modified = false;              // verdict carries `payload` (corrupted)
  std::vector<std::uint8_t> payload;  // only for copies and corrupted packets
};

struct Released {
  std::int64_t release_ns = 0;
  std::uint64_t seq = 0;
  bool overtook = false;  // released while a packet that arrived earlier is still held
  HeldPacket packet;
};

class ReleaseQueue {
 public:
  explicit ReleaseQueue(std::size_t limit) : limit_(limit) {}

  // False (and counted as overflow) when the queue already holds `limit` packets.
  bool push(std::int64_t release_ns, HeldPacket packet);
  // Appends every packet due at `now_ns` to `out`, earliest first.
  void pop_due(std::int64_t now_ns, std::vector<Released>& out);
  // Everything, earliest first (remove(): release at once).
  void pop_all(std::vector<Released>& out);

  std::optional<std::int64_t> earliest() const;
  std::size_t size() const { return heap_.size(); }
  bool empty() const { return heap_.empty(); }
  std::uint64_t overflow() const { return overflow_; }
  void set_limit(std::size_t limit) { limit_ = limit; }

 private:
  struct Entry {
    std::int64_t release_ns;
    std::uint64_t seq;
    HeldPacket packet;
  };
  // std::push_heap builds a max-heap; "later" makes it a min-heap on (time, seq).
  static bool later(const Entry& a, const Entry& b) {
    return a.release_ns != b.release_ns ? a.release_ns > b.release_ns : a.seq > b.seq;
  }
  Released pop_top();

  std::size_t limit_;
  std::vector<Entry> heap_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t overflow_ = 0;
  // Which held sequence numbers are still held, from the oldest held one on:
  // a released packet overtook another when an older seq is still here.
  std::uint64_t window_base_ = 0;
  std::deque<bool> window_held_;
};

}  // namespace injector::delayline
