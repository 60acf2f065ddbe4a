#include "daemon/nft/nft_socket.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <exception>
#include <set>

namespace injector::nft {
namespace {

// Pages of the batch buffer; a message may run past a page's end by up to
// the overrun, so the overrun is kept well above Batch::kMaxMessage.
constexpr std::uint32_t kPageSize = 256 * 1024;
constexpr std::uint32_t kPageOverrun = 2 * Batch::kMaxMessage;
// Answers are small (NETLINK_CAP_ACK); dump answers come in chunks the kernel sizes to
// the reader's buffer, so one buffer of this size always holds a whole datagram.
constexpr std::size_t kReceiveBuffer = 64 * 1024;

// The kernel's own explanation (extended ACK), when it gave one.
std::string extack_message(const nlmsghdr* nlh) {
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return {};
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  std::size_t offset = sizeof(nlmsgerr);
  // Without NETLINK_CAP_ACK the whole request is echoed before the TLVs.
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) offset += err->msg.nlmsg_len - sizeof(nlmsghdr);
  std::string msg;
  const char* at = reinterpret_cast<const char*>(err) + offset;
  const char* end = static_cast<const char*>(mnl_nlmsg_get_payload(nlh)) + mnl_nlmsg_get_payload_len(nlh);
  for (auto* attr = reinterpret_cast<const nlattr*>(at);
       mnl_attr_ok(attr, static_cast<int>(end - reinterpret_cast<const char*>(attr))); attr = mnl_attr_next(attr)) {
    if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
      msg = mnl_attr_get_str(attr);
    }
  }
  return msg;
}

// mnl_cb_run calls back into C++: exceptions must not cross its C frames.
struct RequestContext {
  const std::function<void(const nlmsghdr*)>* on_msg;
  std::exception_ptr failure;
};

int on_request_msg(const nlmsghdr* nlh, void* data) {
  auto* ctx = static_cast<RequestContext*>(data);
  try {
    (*ctx->on_msg)(nlh);
    return MNL_CB_OK;
  } catch (...) {
    ctx->failure = std::current_exception();
    return MNL_CB_ERROR;
  }
}

}  // namespace

NftError::NftError(const std::string& what, int error) : std::runtime_error(what), error_(error) {}

std::string describe_errno(int error) {
  std::string text = std::strerror(error);
  switch (error) {
    case EPERM: return text + " (nf_tables needs CAP_NET_ADMIN in this network namespace)";
    case EOPNOTSUPP: return text + " (this kernel lacks an nf_tables feature the rule needs)";
    case ENOENT: return text + " (the table, chain, set or expression it refers to does not exist)";
    case EEXIST: return text + " (an object of that name already exists)";
    case EBUSY: return text + " (the object is still in use)";
    case ERESTART: return text + " (the ruleset changed while the request was being built)";
    case ENOBUFS: return text + " (netlink answers overflowed the socket buffer)";
    case EMSGSIZE: return text + " (the batch is larger than netlink accepts in one message)";
    default: return text;
  }
}

void Batch::Free::operator()(nftnl_batch* b) const noexcept { nftnl_batch_free(b); }

Batch::Batch(std::uint32_t first_seq, std::uint32_t generation)
    : batch_(nftnl_batch_alloc(kPageSize, kPageOverrun)), first_seq_(first_seq), next_seq_(first_seq + 1) {
  if (!batch_) throw NftError("allocate nf_tables batch", ENOMEM);
  nlmsghdr* begin = nftnl_batch_begin(static_cast<char*>(nftnl_batch_buffer(batch_.get())), first_seq_);
  // The generation the caller's view of the ruleset came from: the kernel
  // aborts the whole batch (ERESTART) if the ruleset has moved on since.
  mnl_attr_put_u32(begin, NFNL_BATCH_GENID, htonl(generation));
  nftnl_batch_update(batch_.get());
}

Batch::~Batch() = default;

void Batch::add(std::string what, const std::function<nlmsghdr*(char* buf, std::uint32_t seq)>& build) {
  if (finished_) throw std::logic_error("nft batch: add after finish");
  const nlmsghdr* nlh = build(static_cast<char*>(nftnl_batch_buffer(batch_.get())), next_seq_);
  if (nlh->nlmsg_len > kMaxMessage) {
    // Past the page's slack already: a builder broke its size bound. Stop before sending garbage.
    throw std::logic_error("nft batch: message too large (" + std::to_string(nlh->nlmsg_len) + " bytes): " + what);
  }
  nftnl_batch_update(batch_.get());
  what_.push_back(std::move(what));
  ++next_seq_;
}

void Batch::finish() {
  if (finished_) return;
  nftnl_batch_end(static_cast<char*>(nftnl_batch_buffer(batch_.get())), next_seq_);
  nftnl_batch_update(batch_.get());
  finished_ = true;
}

const std::string& Batch::what(std::uint32_t seq) const {
  static const std::string kBatch = "nf_tables transaction";
  if (seq <= first_seq_ || seq - first_seq_ - 1 >= what_.size()) return kBatch;
  return what_[seq - first_seq_ - 1];
}

Socket::Socket() : seq_(static_cast<std::uint32_t>(time(nullptr))) {
  sock_ = mnl_socket_open(NETLINK_NETFILTER);
  if (!sock_) throw NftError("open NETLINK_NETFILTER socket: " + describe_errno(errno), errno);
  if (mnl_socket_bind(sock_, 0, MNL_SOCKET_AUTOPID) < 0) {
    const int e = errno;
    mnl_socket_close(sock_);
    throw NftError("bind NETLINK_NETFILTER socket: " + describe_errno(e), e);
  }
  portid_ = mnl_socket_get_portid(sock_);
  int one = 1;
  // Short ACKs (no echo of a 700 KiB set message) and the kernel's error text.
  mnl_socket_setsockopt(sock_, NETLINK_CAP_ACK, &one, sizeof one);
  mnl_socket_setsockopt(sock_, NETLINK_EXT_ACK, &one, sizeof one);
  const int fd = mnl_socket_get_fd(sock_);
  const int rcvbuf = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
  // Never wait forever for an answer the kernel will not send.
  const timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
}

Socket::~Socket() {
  if (sock_) mnl_socket_close(sock_);
}

std::uint32_t Socket::generation() {
  alignas(nlmsghdr) char buf[kRequestBuffer];
  nlmsghdr* req = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK, next_seq());
  std::uint32_t gen = 0;
  bool seen = false;
  request("read nf_tables generation", req, [&](const nlmsghdr* nlh) {
    std::unique_ptr<nftnl_gen, void (*)(const nftnl_gen*)> g(nftnl_gen_alloc(), nftnl_gen_free);
    if (!g || nftnl_gen_nlmsg_parse(nlh, g.get()) < 0) throw NftError("parse nf_tables generation", EINVAL);
    gen = nftnl_gen_get_u32(g.get(), NFTNL_GEN_ID);
    seen = true;
  });
  if (!seen) throw NftError("read nf_tables generation: no answer", EPROTO);
  return gen;
}

void Socket::request(const std::string& what, const nlmsghdr* req, const std::function<void(const nlmsghdr*)>& on_msg) {
  if (mnl_socket_sendto(sock_, req, req->nlmsg_len) < 0) {
    throw NftError(what + ": send: " + describe_errno(errno), errno);
  }
  std::vector<char> buf(kReceiveBuffer);
  RequestContext ctx{&on_msg, nullptr};
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(sock_, buf.data(), buf.size());
    if (n < 0) throw NftError(what + ": receive: " + describe_errno(errno), errno);
    const int rc = mnl_cb_run(buf.data(), static_cast<size_t>(n), req->nlmsg_seq, portid_, on_request_msg, &ctx);
    if (ctx.failure) std::rethrow_exception(ctx.failure);
    // EINTR here: the dump was interrupted by a ruleset change (NLM_F_DUMP_INTR); callers retry.
    if (rc < 0) throw NftError(what + ": " + describe_errno(errno), errno);
    if (rc == MNL_CB_STOP) return;
  }
}

void Socket::commit(Batch& batch) {
  batch.finish();
  seq_ = batch.first_seq() + static_cast<std::uint32_t>(batch.messages()) + 2;
  send_batch(batch);
  read_batch_answers(batch);
}

void Socket::send_batch(Batch& batch) {
  const int count = nftnl_batch_iovec_len(batch.pages());
  std::vector<iovec> iov(static_cast<std::size_t>(count));
  nftnl_batch_iovec(batch.pages(), iov.data(), static_cast<std::uint32_t>(count));
  std::size_t total = 0;
  for (const iovec& v : iov) total += v.iov_len;
  // The whole transaction travels as one datagram, which must fit the send
  // buffer: raise it to the batch's size (FORCE: past rmem_max, we are root).
  const int fd = mnl_socket_get_fd(sock_);
  const int sndbuf = static_cast<int>(total + 4096);
  int current = 0;
  socklen_t len = sizeof current;
  if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &current, &len) == 0 && current < sndbuf) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf);
  }
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  msghdr msg{};
  msg.msg_name = &kernel;
  msg.msg_namelen = sizeof kernel;
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  if (sendmsg(fd, &msg, 0) < 0) {
    throw NftError("send nf_tables transaction (" + std::to_string(total) + " bytes): " + describe_errno(errno), errno);
  }
}

// The kernel handles the batch inside sendmsg, so by now every answer is
// queued: one ACK or error per message, or a single error on BATCH_BEGIN
// when the batch as a whole was refused (generation moved, commit failed).
void Socket::read_batch_answers(const Batch& batch) {
  const std::uint32_t begin = batch.first_seq();
  const std::uint32_t end = begin + static_cast<std::uint32_t>(batch.messages()) + 1;
  std::set<std::uint32_t> pending;
  for (std::uint32_t s = begin + 1; s < end; ++s) pending.insert(s);
  std::vector<char> buf(kReceiveBuffer);
  std::string first_error;
  int first_errno = 0;
  while (!pending.empty()) {
    const ssize_t n = mnl_socket_recvfrom(sock_, buf.data(), buf.size());
    if (n < 0) throw NftError("read nf_tables transaction answers: " + describe_errno(errno), errno);
    int left = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, left);
         nlh = mnl_nlmsg_next(nlh, &left)) {
      if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq < begin || nlh->nlmsg_seq > end) continue;
      const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
      pending.erase(nlh->nlmsg_seq);
      if (err->error == 0 || first_errno != 0) continue;
      first_errno = -err->error;
      const std::string ext = extack_message(nlh);
      first_error = batch.what(nlh->nlmsg_seq) + ": " + describe_errno(first_errno) + (ext.empty() ? "" : ": " + ext);
      // Refused as a whole: no per-message answers follow.
      if (nlh->nlmsg_seq == begin || nlh->nlmsg_seq == end) pending.clear();
    }
  }
  // A refused batch may still have per-message answers queued behind the
  // BATCH_BEGIN error; drop them so the next request on this socket starts clean.
  while (recv(mnl_socket_get_fd(sock_), buf.data(), buf.size(), MSG_DONTWAIT) > 0) {
  }
  if (first_errno != 0) throw NftError(first_error, first_errno);
}

}  // namespace injector::nft
