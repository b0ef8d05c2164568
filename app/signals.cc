#include "app/signals.h"

#include <pthread.h>
#include <signal.h>

namespace switchboard::app {
namespace {

sigset_t terminationSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void blockTerminationSignals() {
  // A shell starts background jobs with SIGINT ignored; an ignored signal is discarded and
  // never reaches sigwait. We decide what the signals mean, so restore the defaults first.
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  sigset_t set = terminationSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A helpdesk closing its connection mid-response must not kill the process.
  signal(SIGPIPE, SIG_IGN);
}

int waitForTerminationSignal() {
  sigset_t set = terminationSet();
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace switchboard::app
