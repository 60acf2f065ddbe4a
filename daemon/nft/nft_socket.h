#pragma once
// A NETLINK_NETFILTER socket for nf_tables, on libmnl.
//
// Why libmnl and not our libnl wrapper (daemon/netlink): libnftnl builds and
// parses raw nlmsghdr buffers and its batch pages are libmnl batches, so
// libmnl is its native transport; nl::Socket is a NETLINK_ROUTE socket built
// around libnl's nl_msg objects, and bending it to nfnetlink would mean
// copying every message between the two models.
//
// A Batch is one nf_tables transaction: BATCH_BEGIN (carrying the ruleset
// generation the caller read, so the kernel refuses the batch if anyone
// changed the ruleset since), the messages, BATCH_END; every message asks
// for an ACK so each failure is reported against the message that caused it.

#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

struct mnl_socket;
struct nftnl_batch;

namespace injector::nft {

// Room for one request message (a get or dump with a table name in it).
inline constexpr std::size_t kRequestBuffer = 4096;

// A kernel refusal or transport failure; error() is the positive errno.
class NftError : public std::runtime_error {
 public:
  NftError(const std::string& what, int error);
  int error() const noexcept { return error_; }

 private:
  int error_;
};

// Human text for an nf_tables errno, with the likely cause where one is
// typical (e.g. EOPNOTSUPP: the kernel lacks a feature the rule needs).
std::string describe_errno(int error);

class Batch {
 public:
  Batch(std::uint32_t first_seq, std::uint32_t generation);
  ~Batch();
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  // Appends one message. `build(buf, seq)` writes it at buf and returns its
  // header; `what` names it in error messages ("add rule ip injectord ...").
  // At most kMaxMessage bytes per message.
  void add(std::string what, const std::function<nlmsghdr*(char* buf, std::uint32_t seq)>& build);
  void finish();  // appends BATCH_END; no add() after
  bool empty() const { return what_.empty(); }
  std::size_t messages() const { return what_.size(); }
  std::uint32_t first_seq() const { return first_seq_; }  // BATCH_BEGIN's
  const std::string& what(std::uint32_t seq) const;       // description by sequence number
  nftnl_batch* pages() const { return batch_.get(); }

  static constexpr std::uint32_t kMaxMessage = 64 * 1024;

 private:
  struct Free {
    void operator()(nftnl_batch* b) const noexcept;
  };
  std::unique_ptr<nftnl_batch, Free> batch_;
  std::uint32_t first_seq_;
  std::uint32_t next_seq_;
  std::vector<std::string> what_;  // index: seq - first_seq - 1
  bool finished_ = false;
};

class Socket {
 public:
  Socket();  // in the calling thread's network namespace
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // Sequence numbers for requests; a Batch starts at one and commit() moves
  // past all the batch used.
  std::uint32_t next_seq() { return seq_++; }

  // The ruleset generation (NFT_MSG_GETGEN): a batch carrying it fails with
  // ERESTART if the ruleset changed in between.
  std::uint32_t generation();
  // Sends a request (a dump, or one with NLM_F_ACK) and passes every answer
  // message to on_msg until the kernel says done. Throws NftError.
  void request(const std::string& what, const nlmsghdr* req, const std::function<void(const nlmsghdr*)>& on_msg);
  // Sends the finished batch in one datagram and checks every answer;
  // throws NftError naming the first message the kernel refused.
  void commit(Batch& batch);

 private:
  void send_batch(Batch& batch);
  void read_batch_answers(const Batch& batch);

  mnl_socket* sock_ = nullptr;
  std::uint32_t portid_ = 0;
  std::uint32_t seq_;
};

}  // namespace injector::nft
