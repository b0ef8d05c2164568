// Whether malloc's heap is on transparent huge pages (2 MiB), and if not, why.
//
// Why it matters: the dispatch engine's working set (work items as the stage parsed them, the
// queues' rings, agents' lists) is tens of megabytes of malloc'd memory read at random places.
// On 4 KiB pages most of those reads also miss the TLB, and under a virtual machine's nested
// paging a TLB miss walks two page tables. With malloc on huge pages BM_SteadyState routes about
// 10% more decisions per second (median of 8 alternated runs: 478k → 525k/s; benchmarks/README.md,
// "Sixth round"). The engine's own large tables are on huge pages already
// (router/dispatch/huge_pages.h); this covers everything else.
//
// glibc (2.35 and later) puts its heap on transparent huge pages when the environment has
// GLIBC_TUNABLES=glibc.malloc.hugetlb=1 and the kernel's THP mode is `madvise` or `always`. The
// tunable is read once, when the process starts, so it belongs in the environment: the
// container image and scripts/up.sh set it. A process started without it says so in its log.
#pragma once

#include <string>
#include <string_view>

namespace switchboard {

struct MallocHugePages {
  std::string hugetlb;   // the glibc.malloc.hugetlb tunable's value; empty when not set
  std::string thp_mode;  // the kernel's: always, madvise or never; empty when unknown
  // THP for every anonymous mapping, or madvise with the tunable asking for it (1), or
  // explicit huge pages (2: from the kernel's reserved pool, when it has one).
  bool effective() const;
  // One line for the log: what is in force and, when it is not, what to change.
  std::string describe() const;
};

// The value glibc.malloc.hugetlb has in a GLIBC_TUNABLES string ("a=1:glibc.malloc.hugetlb=1"),
// or empty.
std::string hugetlbTunable(std::string_view glibc_tunables);
// The selected mode of /sys/kernel/mm/transparent_hugepage/enabled ("always [madvise] never"
// → "madvise"), or empty.
std::string selectedThpMode(std::string_view enabled_file);
// This process's: from its environment and /sys.
MallocHugePages probeMallocHugePages();

}  // namespace switchboard
