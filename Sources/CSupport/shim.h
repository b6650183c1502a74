// Asks the caches for the line holding p ahead of a read (GCC/Clang builtin: Swift has none).
static inline void cfclip_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

// One spin-wait step: tells the core a thread is polling (x86 `pause`), so the spin yields
// issue slots and power instead of racing through its loads.
static inline void cfclip_spin_pause(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
}
