// Runs the real switchboard executable as a child process for integration tests: start with
// arguments and extra environment, capture stdout+stderr to a log file, wait for its exit,
// signal it. The destructor kills a child that is still running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace switchboard::testing {

class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> args, std::map<std::string, std::string> extra_env,
               std::string log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Waits for the exit; returns the raw wait status, or nullopt on timeout.
  std::optional<int> waitExit(std::chrono::milliseconds timeout);
  void signal(int sig);
  bool running();
  std::string log() const;
  // The first line of the log containing `needle`, once it appears.
  std::optional<std::string> waitForLogLine(const std::string& needle,
                                            std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string log_path_;
};

}  // namespace switchboard::testing
