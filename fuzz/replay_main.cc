// Replays inputs through a fuzz target without libFuzzer, so that any compiler (GCC in CI) can
// build it and CTest can run it: each argument is a corpus directory (every regular file under
// it is used) or a single input file, as with libFuzzer. Every input is passed once, in a stable
// (sorted) order, to LLVMFuzzerTestOneInput. A crash or sanitizer report fails the run; the
// results themselves are ignored, as in fuzzing.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

// Appends `root` if it is a file, or every regular file under it; false (and a message) if it
// cannot be read.
bool collect(const fs::path& root, std::vector<fs::path>& files) {
  std::error_code error;
  if (!fs::is_directory(root, error)) {
    if (!fs::exists(root, error)) {
      std::fprintf(stderr, "no such file or directory: %s\n", root.c_str());
      return false;
    }
    files.push_back(root);
    return true;
  }
  for (fs::recursive_directory_iterator it(root, error), end; !error && it != end;
       it.increment(error)) {
    if (it->is_regular_file()) files.push_back(it->path());
  }
  if (error) {
    std::fprintf(stderr, "cannot read %s: %s\n", root.c_str(), error.message().c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <corpus directory or input file>...\n", argv[0]);
    return 2;
  }
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    if (!collect(argv[i], files)) return 2;
  }
  if (files.empty()) {
    std::fprintf(stderr, "no inputs found\n");
    return 2;
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot open %s\n", file.c_str());
      return 2;
    }
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // A heap block of exactly the input's size (never null, as with libFuzzer), so that ASan,
    // when enabled, catches a read one past the end.
    std::unique_ptr<uint8_t[]> input(new uint8_t[bytes.size()]);
    std::copy(bytes.begin(), bytes.end(), input.get());
    LLVMFuzzerTestOneInput(input.get(), bytes.size());
  }
  std::printf("replayed %zu inputs\n", files.size());
  return 0;
}
