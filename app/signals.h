// Waiting for SIGINT/SIGTERM. Call blockTerminationSignals() first thing in main(), before any
// thread starts, so that every thread inherits the mask and the signal reaches sigwait only.
#pragma once

namespace switchboard::app {

void blockTerminationSignals();
// Blocks until SIGINT or SIGTERM; returns the signal number.
int waitForTerminationSignal();

}  // namespace switchboard::app
