// glibc declarations Swift's Glibc module leaves out (mallopt).
#include <malloc.h>

// Asks the caches for the line holding p ahead of a read (GCC/Clang builtin: Swift has none).
static inline void cfclip_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
