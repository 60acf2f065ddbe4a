#include "daemon/delayline/release_queue.h"

#include <algorithm>

namespace injector::delayline {

bool ReleaseQueue::push(std::int64_t release_ns, HeldPacket packet) {
  if (heap_.size() >= limit_) {
    ++overflow_;
    return false;
  }
  if (window_held_.empty()) window_base_ = next_seq_;
  window_held_.push_back(true);
  heap_.push_back(Entry{release_ns, next_seq_++, std::move(packet)});
  std::push_heap(heap_.begin(), heap_.end(), later);
  return true;
}

Released ReleaseQueue::pop_top() {
  std::pop_heap(heap_.begin(), heap_.end(), later);
  Entry e = std::move(heap_.back());
  heap_.pop_back();
  window_held_[e.seq - window_base_] = false;
  // The oldest still-held packet is the window's front once released ones are trimmed.
  const bool overtook = e.seq != window_base_ && window_held_.front();
  while (!window_held_.empty() && !window_held_.front()) {
    window_held_.pop_front();
    ++window_base_;
  }
  return Released{e.release_ns, e.seq, overtook, std::move(e.packet)};
}

void ReleaseQueue::pop_due(std::int64_t now_ns, std::vector<Released>& out) {
  while (!heap_.empty() && heap_.front().release_ns <= now_ns) out.push_back(pop_top());
}

void ReleaseQueue::pop_all(std::vector<Released>& out) {
  while (!heap_.empty()) out.push_back(pop_top());
}

std::optional<std::int64_t> ReleaseQueue::earliest() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.front().release_ns;
}

}  // namespace injector::delayline
