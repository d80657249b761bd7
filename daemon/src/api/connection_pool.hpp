// The threads that serve the local API's connections.
//
// cpp-httplib 0.11 hands each accepted connection to a TaskQueue as one task
// that lasts as long as the connection: waiting for a request (up to the
// keep-alive timeout), reading it (read timeout), answering, and again for
// the next request on the same connection. Its own ThreadPool has a fixed
// number of threads (8 on a 2-core device), so eight connections that send
// nothing, or eight open log streams, left no thread for /ping.
//
// This pool starts a thread whenever a connection arrives and none is free,
// up to `max_threads`; only beyond that do connections wait, in arrival
// order, for one to finish. Threads, once started, stay until shutdown (a
// parked thread costs its stack's touched pages, a few tens of KiB).
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace supervisor::api {

class ConnectionPool : public httplib::TaskQueue {
 public:
  explicit ConnectionPool(std::size_t max_threads);
  ~ConnectionPool() override;
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  void enqueue(std::function<void()> fn) override;
  // Runs what is queued, then joins every thread.
  void shutdown() override;

 private:
  void work();

  const std::size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;  // threads waiting for a job
  bool shutdown_ = false;
};

}  // namespace supervisor::api
