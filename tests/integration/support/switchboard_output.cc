#include "tests/integration/support/switchboard_output.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "tests/integration/support/wait.h"

namespace switchboard::testing {

uint16_t portFromLog(ChildProcess& process, const std::string& needle, const std::string& pattern) {
  auto line = process.waitForLogLine(needle, std::chrono::seconds(60));
  EXPECT_TRUE(line.has_value()) << process.log();
  if (!line) return 0;
  std::smatch m;
  if (!std::regex_search(*line, m, std::regex(pattern))) return 0;
  return static_cast<uint16_t>(std::stoi(m[1]));
}

uint16_t httpPort(ChildProcess& process) {
  return portFromLog(process, "listening on http://", R"(:(\d+) \(metrics)");
}

uint16_t smtpPort(ChildProcess& process) {
  return portFromLog(process, "accepting mail by", R"(on [0-9.]+:(\d+))");
}

std::string readBootstrapFile(const std::filesystem::path& path) {
  std::string brokers;
  eventually([&] {
    std::ifstream in(path);
    return static_cast<bool>(std::getline(in, brokers)) && !brokers.empty();
  });
  return brokers;
}

}  // namespace switchboard::testing
