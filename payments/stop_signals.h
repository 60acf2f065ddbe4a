#pragma once
// SIGTERM and SIGINT end paysvc and payrouter cleanly: blocked in every
// thread from the start (so no worker thread takes one), then taken by one
// thread that stops the server.

namespace httplib {
class Server;
}

namespace payments {

// Call first in main, before any thread starts. Also ignores SIGPIPE (a
// client that hangs up mid-answer must not kill the process).
void block_stop_signals();
// Waits for SIGTERM or SIGINT on a detached thread, then stops `server`.
void stop_on_signals(httplib::Server& server);

}  // namespace payments
