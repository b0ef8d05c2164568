// What a running switchboard process tells a test through its output: the ports it printed
// ("Switchboard up listening on http://A:P (metrics at /metrics)", "... accepting mail by SMTP
// on A:P") and the embedded cluster's address in its --bootstrap-file. Each waits up to 60 s
// and returns 0 / "" (with a gtest failure for a missing line) when it never comes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "tests/integration/support/child_process.h"

namespace switchboard::testing {

// The first capture group of `pattern` in the first log line containing `needle`, as a port.
uint16_t portFromLog(ChildProcess& process, const std::string& needle, const std::string& pattern);
uint16_t httpPort(ChildProcess& process);
uint16_t smtpPort(ChildProcess& process);
// The first line of the bootstrap file, once the process has written it.
std::string readBootstrapFile(const std::filesystem::path& path);

}  // namespace switchboard::testing
