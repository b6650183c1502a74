#ifndef CFCLIP_MEMORY_POLICY_H
#define CFCLIP_MEMORY_POLICY_H

// True once the heap policy (memory_policy.c) is in place. Calling it from Swift also keeps
// the object file, and with it the constructor that sets the policy, in every binary.
int cfclip_memory_policy_set(void);

#endif
