// The heap policy of every CFClip binary, set by a constructor when the binary loads: before
// main and before any thread, so it holds for every thread's allocations (glibc attaches a
// thread to an arena on its first malloc and keeps it there).
//
// - No mmap for large blocks and no trimming: glibc returned every block of 128 KiB and up to
//   the kernel, so each new activation tensor faulted its pages in again (0.6-1.2 ms per MB on
//   the development VMs); kept in the heap, the next layer reuses warm pages.
// - One arena: with an arena per thread, blocks one thread freed were never reused by another,
//   so each of a pipeline's stage threads grew a heap of its own: the mission pipeline peaked
//   at 1.95 GB instead of 1.61 and rendered about 10% slower, its render thread faulting fresh
//   pages. Tensors are few and large, so the one lock is not contended.
#include <malloc.h>
#include "memory_policy.h"

static int policy_set = 0;

__attribute__((constructor)) static void cfclip_set_memory_policy(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, -1);   // -1: never (INT_MAX would still trim a top above 2 GiB)
    mallopt(M_ARENA_MAX, 1);
#endif
    policy_set = 1;
}

int cfclip_memory_policy_set(void) { return policy_set; }
