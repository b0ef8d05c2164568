// Golden messages of tests/testdata/email/ for the email unit tests. Header-only test helper.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace switchboard::connectors::email::testing {

inline std::string emailTestdata(std::string_view name) {
  std::filesystem::path path = std::filesystem::path(SWITCHBOARD_TESTDATA_DIR) / "email" / name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace switchboard::connectors::email::testing
