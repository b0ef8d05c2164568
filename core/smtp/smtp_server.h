// SMTP or LMTP server on Boost.Asio that hands every completed message to a MessageSink and
// sends the final reply only once the sink has answered. Meant to sit behind the site's own
// MTA (Postfix, Exim) on a private network: no AUTH, no STARTTLS, no relaying decisions.
// The protocol itself lives in Conversation (smtp_conversation.h); this class moves bytes,
// enforces the idle timeout (421 4.4.2) and the connection limit (421 4.7.0), and shuts down
// cleanly (421 4.3.2).
// Lifecycle: construct, start() (binds; port 0 picks a free port), stop() (no new connections;
// connections waiting for a command get 421 and are closed; those receiving a message or
// waiting for its outcome may finish for up to `drain_timeout`; then everything is closed).
// The sink runs on the server's I/O threads and must not block; its DeliveryCallback may be
// called from any thread, also after stop() (it then does nothing). stop() joins the I/O
// threads, so it must not be called from the sink.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "core/smtp/smtp_conversation.h"
#include "core/smtp/smtp_message.h"
#include "core/smtp/smtp_probe.h"

namespace switchboard::smtp {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 2525;  // 0: any free port, see SmtpServer::port()
  int threads = 1;
  ConversationOptions conversation;  // protocol, host name and limits
  // More concurrent connections than this are greeted with 421 and closed.
  size_t max_connections = 200;
  // Waiting for a command, for message text or for the client to read a reply: after this the
  // connection gets 421 4.4.2 and is closed (RFC 5321 4.5.3.2 suggests 5 minutes).
  std::chrono::milliseconds idle_timeout{300000};
  std::chrono::milliseconds drain_timeout{5000};  // stop() waits this long for messages
};

class SmtpServer {
 public:
  // `probe` (optional) counts connections, errors and messages; it must outlive the server.
  SmtpServer(ServerOptions options, MessageSink sink, SmtpProbe* probe = nullptr);
  ~SmtpServer();
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  // Errc::kConfig for an address that is not numeric, Errc::kIo if it cannot listen.
  Status start();
  uint16_t port() const;  // the bound port, once start() succeeded
  void stop();            // idempotent; also called by the destructor

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchboard::smtp
