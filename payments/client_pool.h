#pragma once
// Keep-alive HTTP clients to one URL, shared by many threads. A request takes
// the most recently returned idle client (LIFO), so the connections in use
// follow the concurrency of the moment and the others stay idle until the
// server closes them (an idle one reconnects when taken again).
//
// Why not one client per thread: cpp-httplib's server (0.11) polls each open
// keep-alive connection about 90 times a second, so a router with 64 threads
// and a client each per service kept ~190 connections open and made the
// services wake ~18,000 times a second at 250 payments/s.

#include <httplib.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace payments {

class ClientPool {
 public:
  explicit ClientPool(std::string url) : url_(std::move(url)) {}

  // A client on loan; goes back to the pool when destroyed.
  class Lease {
   public:
    Lease(ClientPool& pool, std::unique_ptr<httplib::Client> c) : pool_(pool), client_(std::move(c)) {}
    ~Lease() { pool_.give_back(std::move(client_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    httplib::Client& operator*() { return *client_; }
    httplib::Client* operator->() { return client_.get(); }

   private:
    ClientPool& pool_;
    std::unique_ptr<httplib::Client> client_;
  };

  Lease take();

 private:
  void give_back(std::unique_ptr<httplib::Client> c);

  const std::string url_;
  std::mutex mu_;
  std::vector<std::unique_ptr<httplib::Client>> idle_;  // the back was used last
};

// The process's pool for url (created on first use).
ClientPool& client_pool(const std::string& url);

}  // namespace payments
